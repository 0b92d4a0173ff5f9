"""The catalog and parameters: the command line's contract for names, types, ranges and error messages."""

from __future__ import annotations

import pytest

from scenarios import catalog
from scenarios.catalog import Param, ParamError, Scenario

TASKS = Param("tasks", 10, "threads", min=1, max=500)
SECONDS = Param("max_s", 0.5, "seconds", min=0.0, max=10.0)
MODEL = Param("model", "asyncio", "how", choices=("asyncio", "threads"))
FREE = Param("label", "x", "any text")
SCENARIO = Scenario("demo", "scenarios.demo", "Demo", "guide", "watch", params=(TASKS, SECONDS, MODEL))


@pytest.mark.parametrize("text, value", [("1", 1), ("500", 500), (" 42 ", 42), ("1_0", 10), (7, 7)])
def test_int_values(text, value):
    assert TASKS.parse(text) == value and type(TASKS.parse(text)) is int


@pytest.mark.parametrize("text, value", [("0", 0.0), ("0.25", 0.25), ("10", 10.0), ("1e-1", 0.1), (3, 3.0)])
def test_float_values(text, value):
    assert SECONDS.parse(text) == value and type(SECONDS.parse(text)) is float


def test_choices_and_free_text():
    assert MODEL.parse("threads") == "threads"
    assert FREE.parse("anything at all") == "anything at all"


@pytest.mark.parametrize("param, text", [(TASKS, "0"), (TASKS, "501"), (TASKS, "-3"), (SECONDS, "10.01"),
                                         (SECONDS, "-0.1")])
def test_out_of_range_names_the_range(param, text):
    with pytest.raises(ParamError) as err:
        param.parse(text)
    message = str(err.value)
    assert "out of range" in message and param.name in message and repr(text) in message
    assert f"from {param.bound(param.min)} to {param.bound(param.max)}" in message


@pytest.mark.parametrize("param, text, kind", [
    (TASKS, "ten", "a whole number"), (TASKS, "2.5", "a whole number"), (TASKS, "", "a whole number"),
    (SECONDS, "fast", "a number"), (SECONDS, "nan", "a number"), (SECONDS, "inf", "a number"),
    (SECONDS, "-inf", "a number"),
])
def test_malformed_values_name_the_type_and_range(param, text, kind):
    with pytest.raises(ParamError) as err:
        param.parse(text)
    message = str(err.value)
    assert "is not valid" in message and f"{param.name} takes {kind} from" in message


def test_a_value_not_among_the_choices_lists_them():
    with pytest.raises(ParamError, match="model takes one of asyncio, threads"):
        MODEL.parse("trio")


def test_a_param_error_is_a_value_error_of_one_line():
    with pytest.raises(ValueError) as err:
        TASKS.parse("many")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("param", [Param("n", 5, "only a floor", min=1), Param("n", 5, "only a ceiling", max=9)])
def test_a_param_with_one_limit_still_checks_it(param):
    """Param's fields allow min without max (and the reverse): a bad value must still be a ParamError."""
    bad = "0" if param.min is not None else "10"
    with pytest.raises(ParamError):
        param.parse(bad)
    assert param.parse("5") == 5


# ------------------------------------------------------------------------------------------------ scenarios


def test_resolve_fills_defaults_and_parses_given_values():
    assert SCENARIO.defaults() == {"tasks": 10, "max_s": 0.5, "model": "asyncio"}
    assert SCENARIO.resolve({}) == {"tasks": 10, "max_s": 0.5, "model": "asyncio"}
    assert SCENARIO.resolve({"tasks": "3", "max_s": 2}) == {"tasks": 3, "max_s": 2.0, "model": "asyncio"}


def test_resolve_checks_every_value():
    with pytest.raises(ParamError, match="out of range"):
        SCENARIO.resolve({"tasks": "3", "max_s": "11"})


def test_an_unknown_parameter_lists_the_ones_that_exist():
    with pytest.raises(ParamError) as err:
        SCENARIO.resolve({"threads": "3"})
    message = str(err.value)
    assert "unknown parameter 'threads' for demo" in message
    assert "tasks, max_s, model" in message


def test_a_scenario_without_parameters_says_so():
    bare = Scenario("bare", "scenarios.bare", "Bare", "guide", "watch")
    with pytest.raises(ParamError, match="its parameters are none"):
        bare.resolve({"x": "1"})


def test_the_catalog_has_threads_download_with_the_guides_defaults():
    found = catalog.scenarios()
    assert "threads-download" in found
    s = catalog.get("threads-download")
    assert s.module == "scenarios.threads_download"
    defaults = s.defaults()
    assert (defaults["tasks"], defaults["min_s"], defaults["max_s"]) == (10, 0.1, 0.5)
    assert s.title and s.guide and s.watch


def test_every_scenario_in_the_catalog_is_well_formed():
    for name, s in catalog.scenarios().items():
        assert s.name == name and name == name.lower() and " " not in name
        assert s.title and s.guide and s.watch
        names = [p.name for p in s.params]
        assert len(names) == len(set(names))
        for p in s.params:
            assert p.parse(p.default) == p.default  # every default is allowed
            if p.min is not None:
                assert p.min <= p.default <= p.max


def test_the_catalog_finds_every_scenario_module_and_follows_the_guides_order():
    found = catalog.scenarios().values()
    assert {s.module for s in found} == set(catalog.modules())
    assert "scenarios.probe" not in catalog.modules() and "scenarios.threads_download" in catalog.modules()
    places = [s.place for s in found]
    assert places == sorted(places) and len(set(places)) == len(places)  # one place each: the order is the guide's
    assert next(iter(found)).name == "threads-download"  # Exercise 1 first


def test_an_unknown_scenario_lists_the_ones_that_exist():
    with pytest.raises(ParamError) as err:
        catalog.get("thread-download")
    message = str(err.value)
    assert "unknown scenario 'thread-download'" in message
    for name in catalog.scenarios():
        assert name in message

"""scenarios.pyinfo: what the child says of its own interpreter, with the detection faked at its boundary.

No free-threaded Python can be installed here, so the two things pyinfo reads are faked: ``sysconfig``'s
``Py_GIL_DISABLED`` (the build) and ``sys._is_gil_enabled`` (whether the GIL is on now; missing before 3.13).
The end-to-end tests fake them inside a real child process (a ``sitecustomize`` on its PYTHONPATH, so every
process of the run starts with the fake) and check what reaches the trace, the status words and the JSON. On a
real free-threaded build the last test checks the real detection against the interpreter itself.
"""

from __future__ import annotations

import sys
import sysconfig
import textwrap

import pytest

from scenarios import catalog, pyinfo
from tui.interpreter import describe
from tui.session import run_headless
from tui.summary import summarize

REAL_CONFIG_VAR = sysconfig.get_config_var


def fake_build(monkeypatch, free_threaded: bool | None, gil_on=None) -> None:
    """``free_threaded``: what ``Py_GIL_DISABLED`` says (None: unset, as on a build older than 3.13);
    ``gil_on``: a callable for ``sys._is_gil_enabled``, or None for a Python that lacks it (before 3.13)."""
    value = None if free_threaded is None else int(free_threaded)
    monkeypatch.setattr(sysconfig, "get_config_var",
                        lambda name: value if name == "Py_GIL_DISABLED" else REAL_CONFIG_VAR(name))
    if gil_on is None:
        monkeypatch.delattr(sys, "_is_gil_enabled", raising=False)
    else:
        monkeypatch.setattr(sys, "_is_gil_enabled", gil_on, raising=False)


def test_a_python_before_3_13_has_a_gil_and_no_free_threaded_build(monkeypatch):
    fake_build(monkeypatch, None)
    assert pyinfo.free_threaded_build() is False
    assert pyinfo.gil_enabled() is True
    info = pyinfo.python_info()
    assert (info["gil"], info["free_threaded_build"]) == ("enabled", False)


def test_a_gil_build_of_3_13_or_later(monkeypatch):
    fake_build(monkeypatch, False, lambda: True)
    info = pyinfo.python_info()
    assert (info["gil"], info["free_threaded_build"]) == ("enabled", False)


def test_a_free_threaded_build_with_the_gil_off(monkeypatch):
    fake_build(monkeypatch, True, lambda: False)
    assert pyinfo.free_threaded_build() is True and pyinfo.gil_enabled() is False
    info = pyinfo.python_info()
    assert (info["gil"], info["free_threaded_build"]) == ("disabled", True)
    assert describe(info, 1).endswith("t, GIL off")


def test_the_gil_is_read_when_asked_so_an_import_that_turns_it_on_is_seen(monkeypatch):
    gil = {"on": False}
    fake_build(monkeypatch, True, lambda: gil["on"])
    before = pyinfo.python_info()
    gil["on"] = True  # an extension module that does not declare itself free-threading safe was imported
    after = pyinfo.python_info()
    assert (before["gil"], after["gil"]) == ("disabled", "enabled")
    assert after["free_threaded_build"] is True
    assert describe(after, 1).endswith("t, GIL on (turned on by an import)")


def test_a_truthy_answer_of_any_type_counts(monkeypatch):
    fake_build(monkeypatch, True, lambda: 1)  # bool() of whatever the interpreter returns
    assert pyinfo.gil_enabled() is True
    monkeypatch.setattr(sysconfig, "get_config_var", lambda name: "1" if name == "Py_GIL_DISABLED" else None)
    assert pyinfo.free_threaded_build() is True


def test_the_report_names_the_interpreter_itself(monkeypatch):
    fake_build(monkeypatch, True, lambda: False)
    info = pyinfo.python_info()
    assert {"version", "implementation", "executable", "gil", "free_threaded_build"} <= set(info)
    assert info["executable"] == sys.executable and info["version"].startswith(f"{sys.version_info[0]}.")


# ---------------------------------------------------------------------------- the fake inside a real child

SITECUSTOMIZE = """
    # concviz's tests: this interpreter says it is a free-threaded build (CONCVIZ_TEST_GIL: how its GIL reads)
    import os, sys, sysconfig

    _mode = os.environ.get("CONCVIZ_TEST_GIL")
    if _mode:
        _real = sysconfig.get_config_var
        sysconfig.get_config_var = lambda name, _real=_real: 1 if name == "Py_GIL_DISABLED" else _real(name)
        _reads = [0]

        def _is_gil_enabled():
            # off: always off; import: on from the scenario's imports on; run: off at the first reading (after
            # the scenario's imports), on at every later one (something the run imported turned it on)
            _reads[0] += 1
            return _mode == "import" or (_mode == "run" and _reads[0] > 1)

        sys._is_gil_enabled = _is_gil_enabled
"""


@pytest.fixture
def fake_child(tmp_path, monkeypatch):
    """Children started from here find a sitecustomize that fakes a free-threaded build; returns a function that
    sets how its GIL reads."""
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))

    def mode(how: str) -> None:
        monkeypatch.setenv("CONCVIZ_TEST_GIL", how)

    return mode


def speedup_run():
    scenario = catalog.get("cpu-speedup")
    trace = run_headless(scenario, scenario.resolve({"n": 50_000, "items": 2, "workers": 2}), 1, time_limit_s=90)
    assert trace.exit["status"] == 0, trace.exit
    return trace


@pytest.mark.e2e
def test_a_child_with_the_gil_off_reports_it_and_no_thread_waits_for_it(fake_child):
    fake_child("off")
    trace = speedup_run()
    summary = summarize(trace)
    assert summary["python"]["free_threaded_build"] is True and summary["python"]["gil"] == "disabled"
    assert not trace.gil_enabled
    assert all("gil_wait" not in trace.lane_states(lane) for lane in trace.lanes.values())
    assert summary["variants"]["threads"]["gil_wait_share"] is None
    assert not any("waiting for the GIL" in line for line in summary["explanation"])
    assert describe(summary["python"], 1).endswith("t, GIL off")


@pytest.mark.e2e
def test_a_child_whose_imports_turned_the_gil_on_says_so(fake_child):
    fake_child("import")
    trace = speedup_run()
    python = summarize(trace)["python"]
    assert python["free_threaded_build"] is True and python["gil"] == "enabled" and trace.gil_enabled
    assert describe(python).endswith("free-threaded, GIL on (turned on by an import)")
    assert any("free-threaded build, but the GIL was on" in line for line in summarize(trace)["explanation"])


@pytest.mark.e2e
def test_a_child_whose_run_turned_the_gil_on_reports_it_again_at_the_end(fake_child):
    fake_child("run")
    trace = speedup_run()
    assert trace.python["gil"] == "enabled" and trace.python["free_threaded_build"] is True


@pytest.mark.e2e
def test_the_real_detection_matches_this_interpreter():
    """On a free-threaded build (where one is present) this is the real thing: no fake anywhere."""
    scenario = catalog.get("async-dashboard")
    trace = run_headless(scenario, scenario.resolve({"min_s": 0.0, "max_s": 0.01}), 1, time_limit_s=60)
    python = summarize(trace)["python"]
    assert python["free_threaded_build"] is bool(REAL_CONFIG_VAR("Py_GIL_DISABLED"))
    short = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if python["free_threaded_build"]:  # off, unless something it imported turned it on: either is reported as such
        assert python["gil"] in ("enabled", "disabled") and describe(python, 1).startswith(f"{short}t, GIL o")
    else:
        assert python["gil"] == "enabled" and describe(python, 1) == "GIL on"

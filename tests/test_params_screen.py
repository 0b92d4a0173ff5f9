"""The parameter form through the pilot: it shows the run's values, refuses what the scenario refuses (with the
reason, and without running), and runs again with valid values. No child process: ``start_run`` is replaced by a
recorder of what it would have started with."""

from __future__ import annotations

import pytest

from scenarios import catalog
from tests import fixtures
from tui.app import make_app
from tui.screens.params import ParamField, ParamsChoice, ParamsScreen
from tui.screens.scenario import ScenarioScreen
from tui.screens.run import RunScreen


@pytest.fixture
def started(monkeypatch) -> list:
    """(screen, params, seed) of every run the screens would have started."""
    runs = []
    monkeypatch.setattr(ScenarioScreen, "start_run", lambda self: runs.append((self, self.params, self.seed)))
    return runs


def live(params: dict | None = None, seed: int = 1):
    return make_app(scenario="threads-download", params=params, seed=seed)


async def open_form(pilot) -> ParamsScreen:
    await pilot.press("p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ParamsScreen)
    return pilot.app.screen


async def type_into(pilot, form: ParamsScreen, name: str, text: str) -> ParamField:
    field = form.query_one(f"#field-{name}", ParamField)
    field.query_one("Input").focus()
    await pilot.press("end", "ctrl+u")  # the whole value is replaced, as a learner would
    if text:
        await pilot.press(*text)
    await pilot.pause()
    return field


async def test_the_form_lists_every_parameter_with_the_runs_values_and_the_seed(started):
    app = live({"tasks": 4, "min_s": 0.1, "max_s": 0.5, "updates": 1}, seed=9)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        scenario = catalog.get("threads-download")
        names = [field.param.name for field in form.fields]
        assert names == [p.name for p in scenario.params] + ["seed"]
        assert form.query_one("#field-tasks", ParamField).text == "4"
        assert form.query_one("#field-seed", ParamField).text == "9"
        about = str(form.query_one("#field-tasks .about").render())
        assert scenario.param("tasks").allowed() in about


async def test_a_valid_value_runs_again_with_it(started):
    app = live(seed=1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert len(started) == 1  # the first run, with the defaults
        form = await open_form(pilot)
        await type_into(pilot, form, "tasks", "3")
        await type_into(pilot, form, "seed", "42")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen  # the same run screen, run again
        run_screen, params, seed = started[-1]
        assert run_screen is screen and len(started) == 2
        assert params == {**catalog.get("threads-download").defaults(), "tasks": 3} and seed == 42


async def test_an_invalid_value_is_refused_with_the_reason_and_nothing_runs(started):
    app = live()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        field = await type_into(pilot, form, "tasks", "0")
        assert field.has_class("-invalid")
        reason = str(field.query_one(".refused").render())
        with pytest.raises(catalog.ParamError) as refused:
            catalog.get("threads-download").param("tasks").parse("0")
        assert str(refused.value) in reason
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and len(started) == 1  # still the form; no new run
        assert "refused" in str(form.query_one("#params-hint").render())
        await type_into(pilot, form, "tasks", "2")
        assert not field.has_class("-invalid")


async def test_a_bad_seed_is_refused_too(started):
    app = live()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        field = await type_into(pilot, form, "seed", "-1")
        assert field.has_class("-invalid") and "seed" in str(field.query_one(".refused").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and len(started) == 1


async def test_escape_cancels_without_running(started):
    app = live()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        form = await open_form(pilot)
        await type_into(pilot, form, "tasks", "5")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and len(started) == 1 and screen.params is None


async def test_a_choice_is_picked_from_its_list(started):
    from textual.widgets import Select

    app = make_app(scenario="futures")
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        form.query_one("#param-collect", Select).value = "as_completed"
        await pilot.pause()
        form.action_run()
        await pilot.pause()
        _, params, _ = started[-1]
        assert params["collect"] == "as_completed"


async def test_from_a_replay_the_form_starts_a_new_live_run_with_the_recorded_values(started):
    trace = fixtures.threads_download()
    trace.meta["seed"] = 5
    app = make_app(replay=trace, playing=False, start_at=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        replay = app.screen
        form = await open_form(pilot)
        assert form.new_run and form.query_one("#field-seed", ParamField).text == "5"
        assert form.query_one("#field-tasks", ParamField).text == "10"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is not replay and isinstance(app.screen, RunScreen) and not app.screen.replaying
        _, params, seed = started[-1]
        assert params["tasks"] == 10 and seed == 5


async def test_a_replay_of_a_scenario_not_in_the_catalog_says_so(started):
    app = make_app(replay=fixtures.cpu_threads(), playing=False, start_at=0.5)  # "cpu-threads": a fixture only
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)


def test_the_choice_carries_parsed_values():
    choice = ParamsChoice({"tasks": 3}, 7)
    assert choice.params == {"tasks": 3} and choice.seed == 7

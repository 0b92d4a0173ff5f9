"""Small terminals (issue 15): every screen usable at 80 x 24 and readable at 60 x 20, the minimum; below it one
notice, over every screen, that nothing opens over.

Snapshots of every screen (home, run, comparison, help, parameter form, takeaways) at 60 x 20 and 80 x 24, in the
dark theme and a few in the light one, drawn from the recorded traces; the run screen and comparison at 80 x 24 are
in tests/test_snapshots.py, tests/test_snapshots_traces.py and tests/test_compare_screen.py. Regenerate after a
deliberate change: ``.venv/bin/pytest tests/test_small_terminals.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Button, OptionList

from scenarios import catalog
from scenarios.async_dashboard import SCENARIO as ASYNC_DASHBOARD
from scenarios.futures import SCENARIO as FUTURES
from scenarios.threads_download import SCENARIO as THREADS_DOWNLOAD
from tui import tracefile
from tui.app import make_app
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.screens.params import ParamsScreen
from tui.screens.run import RunScreen
from tui.screens.takeaways import TakeawaysScreen
from tui.screens.too_small import MIN_SIZE, TooSmallScreen
from tui.widgets.cores import CoresPanel
from tui.widgets.lesson import LessonPanel
from tui.widgets.locks import LockPanel
from tui.widgets.timeline import Timeline

TRACES = Path(__file__).parent / "traces"
SMALL = MIN_SIZE  # (60, 20)
USUAL = (80, 24)
SIZES = pytest.mark.parametrize("size", [SMALL, USUAL], ids=lambda size: f"{size[0]}x{size[1]}")


@pytest.fixture
def fixed_catalog(monkeypatch):
    """The home screen lists a fixed catalog of three, so adding a scenario does not change these pictures."""
    found = {s.name: s for s in (THREADS_DOWNLOAD, ASYNC_DASHBOARD, FUTURES)}
    monkeypatch.setattr(catalog, "scenarios", lambda: found)


def replay(name: str, share: float = 0.8, **options):
    trace = tracefile.load(TRACES / f"{name}.cvz")
    return make_app(replay=trace, playing=False, start_at=round(trace.duration * share, 3),
                    replay_path=f"tests/traces/{name}.cvz", **options)


def with_runs(**options):
    app = make_app(**options)
    app.runs.extend(tracefile.load(path) for path in sorted(TRACES.glob("*.cvz")))
    return app


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    if hasattr(pilot.app.screen, "draw"):
        pilot.app.screen.draw()  # a comparison's models mounted by its first frame are laid out: once more
    await pilot.pause()


# ------------------------------------------------------------------------------------------------ snapshots


@SIZES
def test_home(snap_compare, size, fixed_catalog):
    assert snap_compare(make_app(), terminal_size=size, run_before=settle)


def test_home_after_down_shows_the_next_scenario(snap_compare, fixed_catalog):
    assert snap_compare(make_app(), terminal_size=SMALL, press=["down"], run_before=settle)


@pytest.mark.parametrize("name", ["threads-download", "futures"])
def test_run(snap_compare, name):
    """At 60 x 20: lanes, the cores in two lines, the lesson; no locks or scenario panel."""
    assert snap_compare(replay(name), terminal_size=SMALL, run_before=settle)


@pytest.mark.parametrize("name", ["cpu-speedup", "async-fetch-compare"])
def test_comparison(snap_compare, name):
    """At 60 x 20: a lane row for every model before core and counter rows, the table's headings in two lines."""
    assert snap_compare(replay(name, 1.0), terminal_size=SMALL, run_before=settle)


def test_comparison_80x24_with_counters(snap_compare):
    assert snap_compare(replay("convoy", 1.0), terminal_size=USUAL, run_before=settle)


@SIZES
def test_help(snap_compare, size):
    assert snap_compare(replay("threads-download"), terminal_size=size, press=["question_mark"], run_before=settle)


@SIZES
def test_params(snap_compare, size):
    """The run button in view under the fields, which scroll."""
    assert snap_compare(replay("mixed-loop"), terminal_size=size, press=["p"], run_before=settle)


@SIZES
def test_takeaways(snap_compare, size):
    assert snap_compare(with_runs(), terminal_size=size, press=["t"], run_before=settle)


@pytest.mark.parametrize("press", [[], ["p"]], ids=["run", "params"])
def test_light(snap_compare, press):
    assert snap_compare(replay("threads-download", theme="light"), terminal_size=SMALL, press=press,
                        run_before=settle)


def test_home_light(snap_compare, fixed_catalog):
    assert snap_compare(make_app(theme="light"), terminal_size=SMALL, run_before=settle)


def test_notice_over_home(snap_compare, fixed_catalog):
    """One row short of the minimum: the notice, without "h goes home" (home is under it)."""
    assert snap_compare(make_app(), terminal_size=(60, 19), run_before=settle)


# ------------------------------------------------------------------------------------------------ behaviour


async def test_every_screen_is_usable_at_the_minimum():
    app = replay("threads-download")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        timeline = run.query_one(Timeline)
        assert timeline.size.height - 1 >= 5 and timeline.lanes_shown >= 5  # lanes under the axis
        assert run.query_one(CoresPanel).display and run.query_one(LessonPanel).size.height >= 3
        assert not run.query_one(LockPanel).display  # the lesson quotes its figures

        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ParamsScreen)
        button = form.query_one("#run", Button)
        assert form.query_one("#params").region.contains_region(button.region)
        assert app.screen.region.contains_region(button.region)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one("#help")
        assert scroll.max_scroll_y > 0
        await pilot.press("pagedown")
        await settle(pilot)
        assert scroll.scroll_y > 0  # it scrolls with the keyboard
        await pilot.press("escape", "h")
        await settle(pilot)

        home = app.screen
        assert isinstance(home, HomeScreen)
        scenarios = home.query_one("#scenarios", OptionList)
        assert scenarios.size.height >= 6  # two scenarios of the list in view
        await pilot.press("down")
        await settle(pilot)
        assert scenarios.highlighted == 1


@pytest.mark.parametrize("size", [(59, 20), (60, 19), (40, 12)])
async def test_starting_below_the_minimum_shows_the_notice_over_home(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        text = str(app.screen.query_one("#too-small").render())
        assert f"at least {MIN_SIZE[0]} x {MIN_SIZE[1]}" in text and f"this one is {size[0]} x {size[1]}" in text
        assert "larger" in text and "h goes home" not in text
        await pilot.press("question_mark", "t", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen) and len(app.screen_stack) == 2
        await pilot.resize_terminal(*SMALL)
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_nothing_opens_over_the_notice_and_what_was_open_comes_back():
    app = replay("mixed-loop")
    async with app.run_test(size=USUAL) as pilot:
        await settle(pilot)
        run = app.screen
        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ParamsScreen)
        await pilot.resize_terminal(59, 24)
        await settle(pilot)
        notice = app.screen
        assert isinstance(notice, TooSmallScreen)
        assert "h goes home" in str(notice.query_one("#too-small").render())
        assert "the run goes on" in str(notice.query_one("#too-small").render())
        for key in ("question_mark", "p", "t", "ctrl+p", "escape", "enter", "r"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is notice, key
            assert not any(isinstance(screen, CommandPalette) for screen in app.screen_stack)
        await pilot.resize_terminal(*USUAL)
        await settle(pilot)
        assert app.screen is form and app.screen_stack[-2] is run  # the form as it was, over its run

        await pilot.press("escape", "t")
        await settle(pilot)
        assert isinstance(app.screen, TakeawaysScreen)
        await pilot.resize_terminal(60, 12)
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.press("h")  # home, and the notice still over it
        await settle(pilot)
        assert [type(screen) for screen in app.screen_stack] == [HomeScreen, TooSmallScreen]
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0

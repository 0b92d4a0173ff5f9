"""The tour on screen (concviz tour --from tests/traces): the guide's overview to read, each step's recording under
the guide's bar, n and p through the steps, r again, P for parameters, the takeaways of the tour's runs; and its
command line."""

from __future__ import annotations

from pathlib import Path

from test_snapshots_traces import settle

from tui.app import make_app
from tui.cli import main
from tui.screens.guide import GuideScreen
from tui.screens.params import ParamsScreen
from tui.screens.scenario import ScenarioScreen
from tui.tour import Tour
from tui.widgets.guide_bar import GuideBar

TRACES = Path(__file__).parent / "traces"
SIZE = (120, 40)


def tour_app():
    return make_app(tour=Tour(TRACES))


async def test_the_tour_reads_the_overview_then_replays_each_step_under_the_guides_words():
    app = tour_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, GuideScreen) and app.screen.step.number == 1
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScenarioScreen) and screen.replaying and screen.scenario_name == "threads-download"
        bar = screen.query_one(GuideBar).text.plain
        assert "Tour 2/" in bar and "Exercise 1" in bar and "Threads overlap waiting" in bar
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.scenario_name == "lost-updates" and len(app.screen_stack) == 2  # switched, not stacked
        await pilot.press("p")
        await settle(pilot)
        assert app.screen.scenario_name == "threads-download"


async def test_p_goes_back_in_the_tour_and_shift_p_edits_the_parameters():
    app = tour_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, ParamsScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, GuideScreen) and app.screen.step.number == 1


async def test_r_plays_a_recorded_step_again_from_its_start():
    app = tour_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        clock = app.screen.clock
        clock._monotonic = lambda: 0.0  # the play head moves only when the test says (not with the machine's speed)
        clock.seek(clock.duration)
        clock.playing = False
        await pilot.press("r")
        await settle(pilot)
        assert clock.playing and clock.now == 0.0


async def test_the_last_step_quotes_the_runs_the_tour_replayed():
    app = tour_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(len(app.tour.steps) - 1):
            await pilot.press("n")
            await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GuideScreen) and screen.step.takeaways
        from tui.screens.takeaways import takeaways

        assert {t.meta["scenario"] for t in screen.runs} >= {"threads-download", "cpu-speedup", "mixed-loop"}
        evidence = [line for _, items in takeaways(screen.runs) for item in items for line in item.evidence]
        assert any(line.startswith("threads-download") for line in evidence)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen  # the last: n says so and stays


def test_the_command_line_refuses_a_directory_that_is_not_there(tmp_path, capsys):
    assert main(["tour", "--from", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such directory" in err


def test_snapshot_tour_overview(snap_compare):
    assert snap_compare(tour_app(), terminal_size=SIZE, run_before=settle)


def test_snapshot_tour_step(snap_compare):
    async def second(pilot):
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = pilot.app.screen
        screen.clock.seek(screen.clock.duration)
        screen.clock.playing = False
        await pilot.resize_terminal(121, 40)  # a layout from scratch: Textual keeps a scrollbar it showed while the
        await pilot.resize_terminal(*SIZE)  # screen was being built (how long that lasted is the machine's)
        for _ in range(2):  # the guide's bar takes its height, then the lanes their room
            screen.redraw()
            await settle(pilot)

    assert snap_compare(tour_app(), terminal_size=SIZE, run_before=second)

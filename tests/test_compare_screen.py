"""The comparison screen: routing, its parts, replay controls and resizing through the pilot, and snapshots drawn
from the recorded comparison traces in tests/traces, replayed paused (no sleeps, nothing depends on the machine).

Regenerate the snapshots after a deliberate change: ``.venv/bin/pytest tests/test_compare_screen.py
--snapshot-update``.
"""

from __future__ import annotations

import json
import os

import pytest

from tests import fixtures
from tests.conftest import T0_NS, TraceBuilder
from tui import lessons, tracefile
from tui.app import make_app
from tui.clock import LiveClock, ReplayClock
from tui.model import Trace
from tui.screens.compare import CompareScreen, compares, nice_span, share_rows
from tui.screens.help import HelpScreen
from tui.pacing import BUSY_FRAME_S
from tui.screens.scenario import ScenarioScreen
from tui.screens.run import FRAME_S, BatchArrived, RunScreen
from tui.screens.too_small import TooSmallScreen
from tui.session import Batch
from tui.widgets.compare_table import CompareTable, figures_table
from tui.widgets.status import StatusLine
from tui.widgets.variants import VariantLanes, counter_cells, held_loads, headline, waiting

TRACES = os.path.join(os.path.dirname(__file__), "traces")


def recorded(name: str):
    return tracefile.load(os.path.join(TRACES, f"{name}.cvz"))


def paused(trace, at: float | None = None):
    at = trace.duration if at is None else at
    return make_app(replay=trace, playing=False, start_at=at, replay_path="fixture.cvz")


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    pilot.app.screen.draw()  # the models mounted by the first frame are laid out: draw them once more
    await pilot.pause()


@pytest.fixture
def no_child(monkeypatch):
    """Live runs that start no process: the scenarios each screen was asked to run."""
    started = []
    monkeypatch.setattr(ScenarioScreen, "start_run", lambda self: started.append((type(self), self.scenario_name)))
    return started


# ------------------------------------------------------------------------------------------ pure parts


def test_which_runs_are_comparisons():
    assert compares("cpu-speedup") and compares("convoy")
    assert compares("async-fetch", {"model": "compare", "urls": 10})
    assert not compares("async-fetch", {"model": "asyncio"}) and not compares("threads-download")


def test_nice_span_holds_the_longest_model_in_a_round_length():
    assert nice_span(0.069) == pytest.approx(0.08)
    assert nice_span(0.1) == pytest.approx(0.1)
    assert nice_span(1.3) == pytest.approx(1.5)
    assert nice_span(7.0) == pytest.approx(8.0)
    for seconds in (0.0013, 0.02, 0.37, 2.2, 45.0):
        assert seconds <= nice_span(seconds) <= 1.25 * seconds


def test_share_rows_gives_each_model_what_it_needs_or_an_even_share():
    assert share_rows([4, 5, 5], 20) == [4, 5, 5]
    rows = share_rows([2, 100, 100], 12)
    assert rows[0] == 2 and sum(rows) <= 12 and rows[1] == rows[2] == 5
    assert share_rows([40, 40, 40], 2) == [1, 1, 1]  # at least a row each


def test_core_load_holds_each_sample_over_the_time_it_measured():
    trace = fixtures.cpu_threads()  # samples every 100 ms, core 0 at 55 + (11 i mod 30) %
    values = held_loads(trace, 0, 0.0, 0.4, 8, until=0.4)
    first, second = trace.samples[0].cores[0], trace.samples[1].cores[0]
    assert values[:2] == [first, first] and values[2:4] == [second, second]
    assert held_loads(trace, 0, 0.0, 0.4, 8, until=0.2)[4:] == [None] * 4  # nothing shown after ``until``
    means = held_loads(trace, None, 0.0, 0.1, 2, until=0.1)
    assert means[0] == pytest.approx(sum(trace.samples[0].cores) / 2)


def test_counter_cells_hold_a_level_and_show_events_where_they_happened():
    values = [(0.05, 3), (0.12, 7), (0.14, 2), (0.35, 0)]
    assert counter_cells(values, 0.0, 0.4, 4, until=0.4, level=True) == [3, 7, 2, 2]
    assert counter_cells(values, 0.0, 0.4, 4, until=0.4, level=False) == [3, 7, None, 0]
    assert counter_cells(values, 0.0, 0.4, 4, until=0.15, level=True) == [3, 7, None, None]


def test_headline_puts_the_models_figures_after_its_name():
    speedup, convoy, fetch = (lessons.lesson_for(name) for name in ("cpu-speedup", "convoy", "async-fetch"))
    texts = [text for text, _ in headline("threads", speedup.headline({"wall_s": 0.144, "speedup": 0.48}, False))]
    assert texts == ["threads", "144 ms", "0.48x"]
    texts = [text for text, _ in headline("1 CPU thread", convoy.headline({"p50": 9.31}, True))]
    assert texts == ["1 CPU thread", "p50 9.3 ms"]
    assert headline("pool", fetch.headline({"wall_s": 0.2}, True))[1][0].endswith("\u2026")


def test_a_model_not_started_yet_says_so_in_the_words_its_label_has_room_for():
    assert [text for text, _ in waiting("processes", 30)] == ["processes", "not started yet"]
    assert [text for text, _ in waiting("processes", 22)] == ["processes", "not yet"]
    assert [text for text, _ in waiting("a model with a long name", 22)] == ["a model with a long name"]


def test_the_table_has_a_column_per_figure_and_leaves_out_the_least_telling_when_narrow():
    variants = {"serial": {"wall_s": 0.5, "speedup": 1.0, "cores_used": 0.98, "finished": True},
                "threads": {"wall_s": 0.52, "speedup": 0.96, "cores_used": 1.0, "gil_wait_share": 0.7,
                            "speedup_with_startup": 0.95, "finished": False}}
    columns = lessons.lesson_for("cpu-speedup").figures
    wide = figures_table(variants, columns, width=200)
    assert [c.header for c in wide.columns] == ["model", "wall time", "speedup", "cores used", "GIL wait",
                                                "with start-up"]
    narrow = figures_table(variants, columns, width=50)
    assert "with start-up" not in [c.header for c in narrow.columns] and len(narrow.columns) >= 4


# --------------------------------------------------------------------------------------------- routing


async def test_comparison_scenarios_open_the_comparison_screen(no_child):
    for scenario, params in (("cpu-speedup", None), ("convoy", None), ("async-fetch", {"model": "compare"})):
        app = make_app(scenario=scenario, params=params)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, CompareScreen), scenario
    app = make_app(scenario="async-fetch", params={"model": "asyncio"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert type(app.screen) is RunScreen
    assert no_child == [(CompareScreen, "cpu-speedup"), (CompareScreen, "convoy"), (CompareScreen, "async-fetch"),
                        (RunScreen, "async-fetch")]


async def test_a_run_started_from_the_app_is_routed_too(no_child):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.start_run("cpu-speedup")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("escape")
        await pilot.pause()
        app.start_run("threads-download")
        await pilot.pause()
        assert type(app.screen) is RunScreen


@pytest.mark.parametrize("name", ["cpu-speedup", "convoy", "async-fetch-compare"])
async def test_a_recording_with_variants_replays_as_a_comparison(name):
    trace = recorded(name)
    app = paused(trace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        models = list(screen.query(VariantLanes))
        assert [m.variant for m in models] == list(trace.variants)
        assert all(m.display for m in models)
        assert sum(m.lanes_shown for m in models) == len(trace.lanes)
        shown = {m.variant: m.window for m in models}
        spans = {round(t1 - t0, 9) for t0, t1 in shown.values()}
        assert len(spans) == 1  # one scale for every model
        assert all(t0 == trace.variants[name].start for name, (t0, _) in shown.items())  # each from its start


async def test_a_recording_without_variants_replays_on_the_run_screen():
    app = paused(recorded("async-fetch"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert type(app.screen) is RunScreen


# ---------------------------------------------------------------------------------------------- screen


async def test_models_fill_in_as_they_start_and_the_table_says_what_is_so_far():
    trace = recorded("cpu-speedup")
    threads = trace.variants["threads"]
    app = paused(trace, (threads.start + threads.end) / 2)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        models = {m.variant: m for m in screen.query(VariantLanes) if m.display}
        assert list(models) == ["serial", "threads", "processes"]  # announced by the scenario: all laid out
        assert "not started yet" in models["processes"].render_line(0).text
        assert "not started yet" not in models["threads"].render_line(0).text
        table = screen.query_one(CompareTable).table
        rows = list(zip(*[[str(cell) for cell in column.cells] for column in table.columns]))
        assert [row[0] for row in rows] == ["serial", "threads so far", "processes"]
        assert set(rows[2][1:]) == {"\u2013"}  # not started: no figures yet
        await pilot.press("end")
        await settle(pilot)
        assert "not started yet" not in models["processes"].render_line(0).text


async def test_replay_controls_work_on_the_comparison_screen():
    trace = recorded("convoy")
    app = paused(trace, 0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        clock = app.screen.clock
        assert isinstance(app.screen, CompareScreen) and isinstance(clock, ReplayClock)
        await fixtures.press_replay_keys(pilot, clock, trace.duration, 0.5)
        app.screen.draw()
        assert f"replay 0.5x paused at {clock.now:.2f} s" in str(app.screen.query_one(StatusLine).render())


async def test_many_tasks_fit_on_screen_and_d_gives_each_its_own_row():
    trace = recorded("async-fetch-compare")
    app = paused(trace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        models = list(app.screen.query(VariantLanes))
        assert all(len(m.rows) < m.lanes_shown for m in models)  # tasks share rows
        assert sum(m.size.height for m in models) <= 40
        await pilot.press("d")
        await settle(pilot)
        assert all(len(m.rows) == m.lanes_shown for m in models)


async def test_resizing_to_tiny_and_back_keeps_the_comparison():
    app = paused(recorded("cpu-speedup"), 0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen) and app.screen_stack[-2] is screen
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert app.screen is screen
        assert all(m.label_width == 22 for m in screen.query(VariantLanes))
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert all(m.label_width == 30 for m in screen.query(VariantLanes))


async def test_help_explains_the_comparison_screen():
    app = paused(recorded("cpu-speedup"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.topic == "compare"
        keys = dict(app.screen.keys)
        assert "space" in keys and "fit" in keys["d"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)


async def test_a_model_this_python_lacks_is_named_with_the_python_it_needs():
    app = paused(recorded("cpu-speedup"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "needs Python 3.14" in app.screen.query_one(CompareTable).note


def serial_started(models: dict | None = None) -> Trace:
    """A comparison whose first model (serial) has just started, to be fed more as a live run is; ``models``: what
    the run announced, if anything."""
    build = TraceBuilder()
    build.hello()
    if models is not None:
        build.info(json.dumps({"models": models}))
    build.variant(1, "serial", 0.0).task(1, "heavy #0", 0.0, kind="main", variant=1)
    return build.trace({"scenario": "cpu-speedup", "params": {"n": 10, "items": 1}})


async def seek(pilot, at: float) -> CompareScreen:
    """The paused comparison drawn at ``at`` (on a play head that reaches past what the trace holds so far)."""
    screen = pilot.app.screen
    screen.control.clock = ReplayClock(10.0, playing=False, position=at)
    screen.draw()
    await settle(pilot)
    return screen


async def test_a_comparison_fed_batch_by_batch_fills_in_model_by_model():
    """What a live run does: the trace grows; the screen shows the models started so far."""
    trace = serial_started()
    async with paused(trace, 0.0).run_test(size=(120, 40)) as pilot:
        screen = await seek(pilot, 0.05)
        assert [m.variant for m in screen.query(VariantLanes)] == ["serial"]
        more = TraceBuilder()
        more.end(1, 0.05).variant_end(1, 0.05).variant(2, "threads", 0.05).task(2, "heavy #0", 0.05, variant=2)
        trace.apply(more.records)
        await seek(pilot, 0.08)
        assert [m.variant for m in screen.query(VariantLanes)] == ["serial", "threads"]


async def test_announced_models_have_their_rows_from_the_start_and_nothing_moves_as_they_start():
    """A run that announces its models (probe.note(models=...)) is laid out once: a model not started yet shows
    its name and keeps the rows of the tasks it will have, so its start moves no other panel."""
    trace = serial_started({"serial": 1, "threads": 2, "processes": 2})
    async with paused(trace, 0.0).run_test(size=(120, 40)) as pilot:
        screen = await seek(pilot, 0.05)
        models = {m.variant: m for m in screen.query(VariantLanes)}
        assert list(models) == ["serial", "threads", "processes"] and all(m.display for m in models.values())
        assert "not started yet" in models["processes"].render_line(0).text
        names = [cell.plain.split()[0] for cell in screen.query_one(CompareTable).table.columns[0].cells]
        assert names == ["serial", "threads", "processes"]
        regions = {name: m.region for name, m in models.items()}
        figures = screen.query_one(CompareTable).region
        more = TraceBuilder()
        more.end(1, 0.05).variant_end(1, 0.05).variant(2, "threads", 0.05)
        more.task(2, "pool start-up", 0.05, variant=2).task(3, "heavy #0", 0.06, variant=2)
        more.end(2, 0.06).end(3, 0.1).variant_end(2, 0.1).variant(3, "processes", 0.1)
        more.task(4, "heavy #0", 0.11, kind="process", variant=3)
        trace.apply(more.records)
        for at in (0.08, 0.12):
            await seek(pilot, at)
            assert {name: m.region for name, m in models.items()} == regions, at
            assert screen.query_one(CompareTable).region == figures
        assert "not started yet" not in models["processes"].render_line(0).text


class HandOver:
    """A session as far as pacing sees it: how often it was asked to hand events over."""

    every: float | None = None

    def hand_over_every(self, seconds: float | None) -> None:
        self.every = seconds

    def cancel(self, reason: str) -> None:
        pass

    def kill_tree(self) -> None:
        pass


class Monotonic:
    """A ``monotonic()`` only the test moves, for the run's control, and the live clock's ``monotonic_ns`` on the
    same time. On the real clocks the frames drawn would depend on how
    fast the machine is (a frame is left out only within 0.25 s of the last), and the moment shown on how long it
    has been up (the trace starts at T0_NS, 1000 s of monotonic time: on a machine up for less, every frame shows
    0.0, and a frame with nothing new draws nothing)."""

    def __init__(self, t: float) -> None:
        self.t = t

    def monotonic(self) -> float:
        return self.t

    def monotonic_ns(self) -> int:
        return round(self.t * 1e9)


async def test_while_the_scenario_can_use_every_core_the_screen_draws_less_often_and_says_so(monkeypatch):
    build = TraceBuilder()
    build.hello(cores=2).variant(1, "processes", 0.0)
    for ident, pid in ((1, 201), (2, 202)):
        build.task(ident, f"heavy #{ident}", 0.0, kind="process", variant=1, pid=pid).state(ident, "cpu", 0.0, pid=pid)
    trace = build.trace({"scenario": "cpu-speedup", "params": {}, "python": {"version": "3.11.7", "gil": "enabled"}})
    wall = Monotonic(T0_NS / 1e9 + 0.1)  # 0.1 s into the run
    app = paused(trace, 0.0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        screen.control._monotonic = wall.monotonic
        screen.control.clock = LiveClock(trace, monotonic_ns=wall.monotonic_ns)
        screen.control.session = session = HandOver()
        screen._clock_frame()
        await settle(pilot)  # the wall clock stands still: the screen's own frame timer draws nothing meanwhile
        assert screen.busy and "every core" in screen.query_one(StatusLine).render_line(0).text
        assert session.every == FRAME_S  # events handed over once a frame, not every 10 ms
        drawn = screen._frame
        screen.control.dirty = True
        screen._clock_frame()  # a frame of the clock right after one was drawn: left out
        assert screen._frame == drawn
        wall.t += FRAME_S
        screen._clock_frame()  # a frame period later, when the screen would draw again: left out too
        assert screen._frame == drawn
        wall.t += BUSY_FRAME_S - FRAME_S
        screen._clock_frame()  # BUSY_FRAME_S after the last frame: drawn
        assert screen._frame == drawn + 1
        more = TraceBuilder()
        more.state(2, "io", 0.2, pid=202)
        screen._apply(BatchArrived(session, Batch(records=more.records)))  # as the session's pump posts it
        screen._clock_frame()  # one task computing: every frame again, even one right after the last
        assert not screen.busy and screen._frame == drawn + 2 and session.every is None
        await pilot.pause()
        assert "every core" not in screen.query_one(StatusLine).render_line(0).text


# ------------------------------------------------------------------------------------------- snapshots


def test_snapshot_cpu_speedup(snap_compare):
    assert snap_compare(paused(recorded("cpu-speedup")), terminal_size=(120, 40), run_before=settle)


def test_snapshot_cpu_speedup_mid_run(snap_compare):
    trace = recorded("cpu-speedup")
    threads = trace.variants["threads"]
    at = (threads.start + threads.end) / 2
    assert snap_compare(paused(trace, at), terminal_size=(120, 40), run_before=settle)


def test_snapshot_async_fetch_compare(snap_compare):
    assert snap_compare(paused(recorded("async-fetch-compare")), terminal_size=(120, 40), run_before=settle)


def test_snapshot_convoy(snap_compare):
    assert snap_compare(paused(recorded("convoy")), terminal_size=(120, 40), run_before=settle)


def test_snapshot_cpu_speedup_80x24(snap_compare):
    assert snap_compare(paused(recorded("cpu-speedup")), terminal_size=(80, 24), run_before=settle)


def test_snapshot_help(snap_compare):
    async def help_open(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(paused(recorded("cpu-speedup")), terminal_size=(120, 40), run_before=help_open)


# ------------------------------------------------------------------------------------------------ live


@pytest.mark.e2e
async def test_a_live_comparison_runs_every_model_and_leaves_no_process():
    app = make_app(scenario="cpu-speedup", params={"n": 20_000, "items": 2, "workers": 2}, seed=1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen.draw()
        await settle(pilot)
        assert screen.trace.exit is not None and screen.trace.exit["status"] == 0
        assert [m.variant for m in screen.query(VariantLanes) if m.display][:3] == ["serial", "threads", "processes"]
        assert set(screen.figures) >= {"serial", "threads", "processes"}
        assert screen.session.proc.poll() is not None
        await pilot.press("q")


async def test_the_explanation_scrolls_with_the_arrow_keys_when_it_is_long():
    app = paused(recorded("convoy"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        why = app.screen.query_one("#why")
        assert why.max_scroll_y > 0  # 80 x 24 leaves the explanation a few rows
        await pilot.press("down", "down")
        await pilot.pause()
        assert why.scroll_y > 0

"""The takeaways screen: the guide's Final Takeaways, each backed by the figures of this session's runs (fixed,
recorded traces here) or saying what to run; and the run screen adding every live run that ends to app.runs."""

from __future__ import annotations

from pathlib import Path

from tests import fixtures
from tui import lessons, tracefile
from tui.app import make_app
from tui.lessons import fmt_s
from tui.screens.home import HomeScreen
from tui.screens.scenario import ScenarioScreen
from tui.screens.run import RunScreen
from tui.screens.takeaways import TakeawaysScreen, lines, takeaways
from tui.session import Batch

TRACES = Path(__file__).parent / "traces"
GUIDE = ["latency hiding", "responsiveness", "architecture choices", "workload classification",
         "Threads \u2192 simple I/O overlap", "Async \u2192 scalable network systems",
         "Processes \u2192 CPU parallelism", "Futures \u2192 structured task management",
         "Correct model selection matters more than syntax"]


def recorded(*names: str) -> list:
    return [tracefile.load(TRACES / f"{name}.cvz") for name in names]


def by_claim(runs) -> dict:
    return {item.claim: item for _, items in takeaways(runs) for item in items}


def test_every_line_of_the_guides_takeaways_in_its_order():
    claims = [item.claim for _, items in takeaways([]) for item in items]
    assert claims == GUIDE


def test_without_runs_each_line_says_what_to_run():
    for claim, item in by_claim([]).items():
        assert not item.evidence and item.to_see.startswith("run "), claim
        assert [line.plain for line in lines(item)] == [f"to see it: {item.to_see}"]


def test_each_line_quotes_the_figure_of_the_run_that_backs_it():
    threads, dashboard, processes, futures, loop = recorded(
        "threads-download", "async-dashboard", "cpu-processes", "futures", "mixed-loop")
    items = by_claim([threads, dashboard, processes, futures, loop])

    m = lessons.metrics(threads)
    (line,) = items["Threads \u2192 simple I/O overlap"].evidence
    assert line.startswith("threads-download:") and fmt_s(m["io_sum_s"]) in line and fmt_s(threads.duration) in line

    m = lessons.metrics(dashboard)
    hiding = items["latency hiding"].evidence
    assert any(fmt_s(m["slowest_task_s"]) in line and fmt_s(m["sum_delays_s"]) in line for line in hiding)

    m = lessons.metrics(processes)
    (line,) = items["Processes \u2192 CPU parallelism"].evidence
    assert f"{m['cores_used']:.1f} of 2 cores" in line and f"{m['workers']} worker processes" in line

    m = lessons.metrics(futures)
    (line,) = items["Futures \u2192 structured task management"].evidence
    assert f"{m['futures']} futures" in line and "submission order" in line

    m = lessons.metrics(loop)
    (line,) = items["responsiveness"].evidence
    assert f"{m['missed_beats']} of ~{m['expected_beats']} beats missed" in line
    assert "another model" in items["responsiveness"].more  # one model only: run another to compare

    kinds = items["workload classification"].evidence
    assert any(line.startswith("threads-download") and line.endswith("I/O-bound") for line in kinds)
    assert any(line.startswith("cpu-processes") and line.endswith("CPU-bound") for line in kinds)

    assert not items["architecture choices"].evidence  # no async-fetch run yet
    assert "async-fetch" in items["architecture choices"].to_see


def test_the_newest_run_of_a_scenario_is_quoted_and_failed_runs_are_not():
    older, newer = fixtures.threads_download(), fixtures.threads_download()
    newer.meta["params"] = {**newer.meta["params"], "tasks": 10, "max_s": 0.25}
    crashed = fixtures.crashed()
    (line,) = by_claim([older, newer, crashed])["Threads \u2192 simple I/O overlap"].evidence
    assert "max_s=0.25" in line  # the newest, labelled by what differs from the defaults
    assert not by_claim([crashed])["Threads \u2192 simple I/O overlap"].evidence


def test_comparing_models_backs_the_last_line():
    (fetch,) = recorded("async-fetch")
    threads = tracefile.load(TRACES / "async-fetch.cvz")
    threads.meta["params"] = {**threads.meta["params"], "model": "threads"}
    items = by_claim([fetch, threads])
    assert len(items["architecture choices"].evidence) == 2
    last = items["Correct model selection matters more than syntax"].evidence
    assert any("model=threads" in line for line in last)


async def test_t_opens_the_takeaways_from_home_and_escape_goes_back():
    app = make_app()
    app.runs.extend(recorded("threads-download"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TakeawaysScreen)
        shown = "\n".join(strip.text for strip in app.screen.query_one("#takeaways-1").render_lines(
            app.screen.query_one("#takeaways-1").region.reset_offset))
        assert "threads-download: 10 threads waited" in shown
        assert "1 finished" in str(app.screen.query_one("#takeaways-session").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_t_opens_the_takeaways_from_a_run_screen():
    app = make_app(replay=fixtures.threads_download(), playing=False, start_at=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TakeawaysScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)


async def test_a_live_run_that_ends_joins_the_sessions_runs_once(monkeypatch):
    monkeypatch.setattr(ScenarioScreen, "start_run", lambda self: None)
    app = make_app(scenario="threads-download")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        screen.control.session = object()  # stands for the session feeding this screen
        screen.post_message(_arrived(screen.session, Batch()))
        await pilot.pause()
        assert app.runs == []  # still going
        screen.post_message(_arrived(screen.session, Batch(exit={"status": 0, "signal": None, "reason": "finished"})))
        screen.post_message(_arrived(screen.session, Batch()))
        await pilot.pause()
        assert app.runs == [screen.trace]


async def test_a_replay_does_not_join_the_sessions_runs():
    trace = fixtures.threads_download()
    app = make_app(replay=trace, playing=False, start_at=trace.duration)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.runs == []


def _arrived(session, batch):
    from tui.screens.run import BatchArrived

    return BatchArrived(session, batch)

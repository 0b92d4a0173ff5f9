"""Free-threaded builds on the parent's side: the status line, the lessons, the legend, help, takeaways and home
for a run whose Python had the GIL off, and for one whose free-threaded build had it turned back on by an import.

No free-threaded interpreter can be installed here, so the runs are faked at the boundary the parent reads: what the
child reported of its interpreter (``Trace.python``). ``as_built`` replays a recorded trace of tests/traces as if its
child had reported another interpreter (its header and the child's own report both changed before any event is
applied, so the model splits the cpu stretches as it would have for that interpreter); ``parallel_speedup`` is a
synthetic cpu-speedup whose threads computed on both cores at once, as they do without a GIL. Every figure
expected is read from the same trace through tui.lessons, never written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios import wire
from tests import fixtures
from tests.conftest import TraceBuilder
from tui import lessons, tracefile
from tui.app import make_app
from tui.interpreter import build_phrase, describe, gil_state
from tui.lessons import convoy as convoy_lesson
from tui.lessons import cpu_speedup as speedup_lesson
from tui.model import Sample, Trace
from tui.screens.help import HelpScreen, colour_table, topic
from tui.screens.home import HomeScreen, build_note, scenario_options
from tui.screens.takeaways import PROCESSES_MEANING, PROCESSES_MEANING_NO_GIL, takeaways
from tui.summary import summarize
from tui.widgets.legend import StateLegend, legend_text
from tui.widgets.lesson import LessonPanel
from tui.widgets.status import StatusLine

TRACES = Path(__file__).parent / "traces"
FREE = {"version": "3.14.0", "implementation": "CPython", "gil": "disabled", "free_threaded_build": True}
REENABLED = {**FREE, "gil": "enabled"}  # a free-threaded build whose GIL an import turned back on
FORCED = {**REENABLED, "gil_forced": True}  # PYTHON_GIL=1 or -X gil=1, where the child says so


def as_built(name: str, python: dict) -> Trace:
    """tests/traces/NAME.cvz as if its child had reported ``python``: the header's interpreter and any report of
    the child's own replaced, before any of its events is applied."""
    meta, batches, truncated = tracefile.read_batches((TRACES / f"{name}.cvz").read_bytes(), name)
    assert not truncated
    trace = Trace({**meta, "python": {**meta.get("python", {}), **python}})
    for batch in batches:
        batch.records = [_reported(record, python) for record in batch.records]
        batch.apply_to(trace)
    assert trace.python["gil"] == python["gil"]
    return trace


def _reported(record: tuple, python: dict) -> tuple:
    pid, typ, a, b, ident, x, y, z, text = record
    if typ != wire.TEXT or a != wire.TEXT_INFO or not text or '"python"' not in text:
        return record
    info = json.loads(text)
    info["python"] = {**info["python"], **python}
    text = json.dumps(info)
    return (pid, typ, a, b, ident, x, len(text.encode()), z, text)


def parallel_speedup(python: dict = FREE) -> Trace:
    """cpu-speedup on 2 cores as a free-threaded build runs it: serial one item after another, then 2 pool threads
    computing at the same time (each on a core, a little wait for one), then 2 worker processes."""
    b, item, clocks = TraceBuilder(pid=500), 0.05, {}

    def lane(ident, name, t, tid, kind, variant, pid=None, queue=0.001):
        """An item on thread ``tid``: its whole stretch on a core but for ``queue`` s in the run queue."""
        on, waited = clocks.get(tid, (0.0, 0.0))
        b.task(ident, name, t, kind=kind, variant=variant, pid=pid).bind(ident, tid, t, pid=pid)
        b.state(ident, "cpu", t, on, waited, pid=pid)
        clocks[tid] = (on + item - queue, waited + queue)
        b.end(ident, t + item, *clocks[tid], pid=pid)

    def startup(ident, t, seconds, variant):
        b.task(ident, "pool start-up", t, kind="main", variant=variant).state(ident, "startup", t)
        b.end(ident, t + seconds)

    b.hello(cores=2)
    b.info(json.dumps({"workers": 2, "models": {"serial": 4, "threads": 5, "processes": 5}}))
    b.info(json.dumps({"python": python}))
    b.variant(1, "serial", 0.0)
    for i in range(4):
        lane(i + 1, f"heavy #{i}", i * item, 500, "main", 1, queue=0.0)
    b.variant_end(1, 4 * item)
    t = 4 * item + 0.001
    b.variant(2, "threads", t)
    startup(10, t, 0.0003, 2)
    t += 0.0004
    for i in range(4):
        lane(11 + i, f"heavy #{i}", t + (i // 2) * item, 501 + i % 2, "thread", 2)
    t += 2 * item
    b.variant_end(2, t)
    t += 0.001
    b.variant(3, "processes", t)
    startup(20, t, 0.006, 3)
    t += 0.0065
    for i in range(4):
        lane(21 + i, f"heavy #{i}", t + (i // 2) * item, 601 + i % 2, "process", 3, pid=601 + i % 2)
    t += 2 * item
    b.variant_end(3, t)
    b.run_end(t + 0.001)
    trace = b.trace({"scenario": "cpu-speedup", "params": {"n": 1_000_000, "items": 4, "workers": 0}, "seed": 1,
                     "python": dict(python), "machine": {"cores": 2}})
    for i in range(1, int(t / 0.1) + 2):
        busy = (95.0, 6.0) if i * 0.1 <= 4 * item else (96.0, 94.0)
        trace.add_sample(Sample(i * 0.1, busy, sum(busy) / 100, 4, 30 * 2**20, 100 + 10 * i, 1))
    trace.exit = {"status": 0, "signal": None, "reason": "finished"}
    return trace


def paused(trace: Trace, at: float | None = None):
    return make_app(replay=trace, playing=False, start_at=trace.duration if at is None else at,
                    replay_path="fixture.cvz")


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


# ------------------------------------------------------------------------------------- the interpreter's words


def test_each_build_in_the_status_lines_long_middle_and_short_words():
    gil_build = fixtures.PYTHON
    assert [describe(gil_build, level) for level in (0, 1, 2)] == ["Python 3.11.7, GIL on", "GIL on", "GIL on"]
    assert [describe(FREE, level) for level in (0, 1, 2)] == [
        "Python 3.14.0 free-threaded, GIL off", "3.14t, GIL off", "GIL off"]
    assert [describe(REENABLED, level) for level in (0, 1, 2)] == [
        "Python 3.14.0 free-threaded, GIL on (turned on by an import)", "3.14t, GIL on (turned on by an import)",
        "GIL on (import)"]
    assert describe(FORCED).endswith("GIL on (forced on by PYTHON_GIL=1 or -X gil=1)")
    assert [gil_state(p) for p in (gil_build, FREE, REENABLED, FORCED, {})] == [
        "on", "off", "re-enabled", "forced", "on"]


def test_a_figure_names_its_build_only_where_it_is_not_the_guides():
    assert build_phrase(fixtures.PYTHON) == "" and build_phrase({}) == ""
    assert build_phrase(FREE) == "3.14t with the GIL off"
    assert build_phrase(REENABLED) == "3.14t with the GIL turned on by an import"


def test_a_reported_version_is_text_and_cut_short():
    odd = {**FREE, "version": "[bold]3.14.0" + "9" * 100}
    assert describe(odd, 1) == "[bold]3.14t, GIL off"  # shown as text (the status line never parses markup)
    assert len(describe(odd)) < 80


@pytest.mark.parametrize("size, shown", [((120, 40), "Python 3.14.0 free-threaded, GIL off"),
                                         ((80, 24), "3.14t, GIL off")])
async def test_the_status_line_names_the_build_and_its_gil(size, shown):
    trace = as_built("threads-download", FREE)
    app = paused(trace, 0.3)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        status = app.screen.query_one(StatusLine).render_line(0).text
        assert status.rstrip().endswith(shown) and len(status.rstrip()) <= size[0]
        assert "threads-download" in status and "0.30 s" in status


@pytest.mark.parametrize("size, shown", [((120, 40), "Python 3.14.0 free-threaded, GIL on (turned on by an import)"),
                                         ((80, 24), "3.14t, GIL on (turned on by an import)"),
                                         ((60, 24), "GIL on (import)")])
async def test_the_status_line_says_an_import_turned_the_gil_on(size, shown):
    app = paused(as_built("cpu-speedup", REENABLED))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        status = app.screen.query_one(StatusLine).render_line(0).text
        assert status.rstrip().endswith(shown) and len(status.rstrip()) <= size[0]


def test_the_json_names_the_build_and_whether_the_gil_was_on():
    for python in (FREE, REENABLED):
        summary = summarize(as_built("cpu-speedup", python))
        assert summary["python"]["free_threaded_build"] is True
        assert summary["python"]["gil"] == python["gil"]
        json.dumps(summary)
    summary = summarize(tracefile.load(TRACES / "cpu-speedup.cvz"))
    assert (summary["python"]["free_threaded_build"], summary["python"]["gil"]) == (False, "enabled")


# ------------------------------------------------------------------------------------------------ lessons


def text_of(trace: Trace) -> str:
    return "\n".join(lessons.explain(trace))


def test_without_a_gil_the_speedup_says_how_far_the_threads_spread_over_the_cores():
    trace = parallel_speedup()
    m = lessons.metrics(trace)
    threads, processes = m["variants"]["threads"], m["variants"]["processes"]
    assert threads["gil_wait_share"] is None and threads["cores_used"] > 1.5  # no GIL: nothing to wait for
    text = text_of(trace)
    assert "waiting for the GIL" not in text and "its own GIL" not in text
    assert "This Python (3.14.0t) runs without a GIL: the 2 threads ran Python on several cores at once" in text
    assert f"together {threads['cores_used']:.2f} cores of the 2 they could" in text
    assert f"speedup {threads['speedup']:.2f}x" in text
    assert "On a build with a GIL only the processes would spread this pure-Python work over the cores" in text
    assert f"the threads used {threads['cores_used']:.2f} cores and the processes {processes['cores_used']:.2f}" in text
    assert "threads did for CPU-bound work what processes do" in text
    assert all("gil_wait" not in trace.lane_states(lane) for lane in trace.lanes.values())


SPREAD = {
    "variants": {
        "serial": {"finished": True, "wall_s": 0.4, "startup_s": 0, "cores_used": 1.0, "lanes": 4, "threads": 1,
                   "processes": 1, "speedup": 1.0, "speedup_with_startup": 1.0},
        "threads": {"finished": True, "wall_s": 0.21, "startup_s": 0.0003, "cores_used": 1.93, "lanes": 4,
                    "threads": 4, "processes": 1, "gil_wait_share": None, "gil_wait_s": None,
                    "core_wait_share": 0.12, "blocked_share": 0.02, "speedup": 1.9, "speedup_with_startup": 1.9},
        "processes": {"finished": True, "wall_s": 0.22, "startup_s": 0.02, "cores_used": 1.9, "lanes": 4,
                      "threads": 2, "processes": 2, "core_wait_share": 0.03, "speedup": 1.82,
                      "speedup_with_startup": 1.67},
    },
    "cores": 2, "workers": 4, "parallel_limit": 2,
}


def test_without_a_gil_the_explanation_quotes_the_threads_figures():
    text = "\n".join(speedup_lesson.describe(SPREAD, gil=False, python=FREE))
    for quoted in ("Threads (4 in the pool): 210 ms, speedup 1.90x", "This Python (3.14.0t) runs without a GIL",
                   "ran Python on several cores at once, together 1.93 cores of the 2 they could",
                   "the fewer of 2 cores and 4 threads", "12% of its time waiting for a free core",
                   "the threads used 1.93 cores and the processes 1.90 (speedups 1.90x and 1.82x)",
                   "threads did for CPU-bound work what processes do"):
        assert quoted in text, quoted
    assert "blocked" not in text  # 2%: not worth a word
    assert "the GIL" not in text.replace("On a build with a GIL", "")


def test_without_a_gil_threads_slower_than_the_processes_are_not_credited():
    slow = json.loads(json.dumps(SPREAD))
    slow["variants"]["threads"].update(speedup=1.2)  # as many cores, much less done: not credited
    text = "\n".join(speedup_lesson.describe(slow, gil=False, python=FREE))
    assert "yet did less than the processes here" in text and "what processes do" not in text


def test_the_build_note_says_what_turned_the_gil_on():
    assert lessons.build_note(fixtures.PYTHON) == [] and lessons.build_note(FREE) == []
    assert "a module the scenario imported turned it back on" in lessons.build_note(REENABLED)[0]
    assert "PYTHON_GIL=1 or -X gil=1 turned it on" in lessons.build_note(FORCED)[0]


def test_without_a_gil_threads_that_did_not_spread_are_not_credited_and_their_waits_are_named():
    trace = as_built("cpu-speedup", FREE)  # a GIL run's figures, read as if the GIL had been off
    threads = lessons.metrics(trace)["variants"]["threads"]
    assert threads["gil_wait_share"] is None and threads["blocked_share"] > 0.1
    text = text_of(trace)
    assert "waiting for the GIL" not in text
    assert f"Each thread spent {threads['blocked_share']:.0%} blocked" in text
    assert "the threads could have run in parallel, yet did less than the processes here" in text
    assert f"yet together used only {threads['cores_used']:.2f} cores of the 2 they could" in text
    assert "Why threads do not help" not in text


def test_with_the_gil_turned_back_on_the_speedup_reads_as_on_a_gil_build_and_says_why():
    gil_build = lessons.explain(tracefile.load(TRACES / "cpu-speedup.cvz"))
    gil_build = [line for line in gil_build if "InterpreterPoolExecutor" not in line]  # 3.11: none; faked 3.14: has
    lines = lessons.explain(as_built("cpu-speedup", REENABLED))
    assert lines[:len(gil_build)] == gil_build  # the GIL's figures, as measured
    assert lines[len(gil_build):] == [
        "This Python (3.14.0t) is a free-threaded build, but the GIL was on in this run: a module the scenario "
        "imported turned it back on (an extension module that does not declare itself free-threading safe), so its "
        "threads took turns running Python, as on a GIL build."]
    assert "PYTHON_GIL=1 or -X gil=1 turned it on" in text_of(as_built("cpu-speedup", FORCED))


def test_a_gil_build_gets_no_build_note():
    for name in ("cpu-speedup", "cpu-processes", "convoy", "mixed-loop"):
        assert "free-threaded" not in text_of(tracefile.load(TRACES / f"{name}.cvz")), name


def test_section_4_on_the_processes_lesson_depends_on_the_build():
    free = text_of(as_built("cpu-processes", FREE))
    assert "holds on a build with a GIL; this one (3.14.0t) ran with it off" in free
    assert "its own GIL" not in free
    assert "its own GIL" in text_of(tracefile.load(TRACES / "cpu-processes.cvz"))
    assert "free-threaded build, but the GIL was on" in text_of(as_built("cpu-processes", REENABLED))


def test_the_convoy_without_a_gil_and_with_it_turned_back_on():
    free = as_built("convoy", FREE)
    stages = lessons.metrics(free)["variants"]
    loaded = list(stages.values())[-1]
    text = text_of(free)
    assert "This Python (3.14.0t) runs without a GIL" in text and "the GIL back" not in text
    assert f"{loaded['p50']:.1f} ms" in text
    assert "The convoy:" in text_of(as_built("convoy", REENABLED))
    assert "free-threaded build, but the GIL was on" in text_of(as_built("convoy", REENABLED))
    assert convoy_lesson.watch(FREE).startswith("the responder's latency as CPU threads join: with the GIL off")
    assert convoy_lesson.watch(REENABLED) is None and convoy_lesson.watch(fixtures.PYTHON) is None


def test_mixed_loop_threads_without_a_gil():
    free = as_built("mixed-loop", FREE)
    free.meta["params"] = {**free.meta["params"], "model": "threads"}
    text = text_of(free)
    assert "this Python (3.14.0t) ran with the GIL off" in text and "get the GIL back" not in text
    back = as_built("mixed-loop", REENABLED)
    back.meta["params"] = {**back.meta["params"], "model": "threads"}
    assert "get the GIL back" in text_of(back) and "free-threaded build, but the GIL was on" in text_of(back)
    assert "free-threaded" not in text_of(as_built("mixed-loop", REENABLED))  # model=loop: no threads compute


def test_the_watch_line_is_worded_for_the_gil_off():
    assert speedup_lesson.watch(FREE) == ("serial, threads and processes on one time scale: with the GIL off, threads "
                                          "can fill every core too")
    assert speedup_lesson.watch(REENABLED) is None  # the scenario's own line holds
    assert lessons.watch(as_built("cpu-speedup", FREE)) == speedup_lesson.watch(FREE)
    assert lessons.watch(tracefile.load(TRACES / "cpu-speedup.cvz")) is None
    assert lessons.watch_for("threads-download", FREE) is None


async def test_the_lesson_panel_shows_the_watch_line_for_the_runs_build():
    app = paused(as_built("cpu-speedup", FREE))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(LessonPanel)
        shown = "\n".join(panel.render_line(y).text for y in range(panel.size.height))
        assert "with the GIL off, threads can fill every core too" in shown
        assert "waiting for the GIL" not in shown


# ----------------------------------------------------------------------------------------- legend and help


def test_the_legend_leaves_out_gil_wait_only_without_a_gil():
    assert "gil wait" in legend_text(200).plain
    off = legend_text(200, gil=False).plain
    assert "gil wait" not in off and "core wait" in off and "lock taken" in off


async def test_the_comparison_legend_follows_the_runs_gil():
    for python, shown in ((FREE, False), (REENABLED, True)):
        app = paused(as_built("cpu-speedup", python))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert ("gil wait" in app.screen.query_one(StateLegend).render_line(0).text) is shown


async def test_interpreters_compared_keep_gil_wait_where_any_run_had_the_gil():
    from tui.runs import Runs

    runs = Runs({"scenario": "cpu-speedup", "params": {}, "seed": 1, "machine": {"cores": 2}},
                [tracefile.load(TRACES / "cpu-speedup.cvz"), as_built("cpu-speedup", FREE)])
    runs.current = 1
    app = make_app(replay=runs, playing=False, start_at=runs.duration, replay_path="fixture.cvz")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "gil wait" in app.screen.query_one(StateLegend).render_line(0).text
        await pilot.press("question_mark")
        await settle(pilot)
        assert app.screen.python is None and app.screen.gil  # two interpreters: no one run's build


def test_help_says_section_4_depends_on_the_build():
    def compare_text(python):
        return topic("compare", python)[1]

    assert "on a build with a GIL" in compare_text(None)
    assert "on a build with a GIL (this run's Python has one)" in compare_text(fixtures.PYTHON)
    assert "what threads do for CPU-bound Python with the GIL off, as on this run's free-threaded build" in \
        compare_text(FREE)
    assert "with the GIL on (this run's build is free-threaded, but an import turned the GIL back on)" in \
        compare_text(REENABLED)
    assert "why threads do not speed up CPU-bound Python, " not in " ".join(map(compare_text, (None, FREE)))
    assert "{threads}" not in compare_text(FREE) and "{threads}" not in topic("run", FREE)[1]


def test_the_colour_table_says_no_thread_waited_for_a_gil_that_was_off():
    from rich.console import Console

    def plain(table) -> str:
        console = Console(width=120, record=True)
        console.print(table)
        return console.export_text()

    assert "none in this run" in plain(colour_table(gil=False)) and "GIL released" not in plain(colour_table(False))
    assert "none in this run" not in plain(colour_table()) and "GIL released" in plain(colour_table())


async def test_the_help_over_a_free_threaded_run_reads_that_runs_build():
    trace = as_built("cpu-speedup", FREE)
    app = paused(trace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen) and help_screen.python == trace.python
        assert "with the GIL off" in str(help_screen.query_one(".help-text").render())


# ------------------------------------------------------------------------------------------ takeaways, home


def by_claim(runs) -> dict:
    return {item.claim: item for _, items in takeaways(runs) for item in items}


def test_takeaways_name_the_build_of_a_free_threaded_run():
    items = by_claim([as_built("cpu-processes", FREE), as_built("cpu-speedup", FREE)])
    processes = items["Processes \u2192 CPU parallelism"]
    assert processes.meaning == PROCESSES_MEANING_NO_GIL
    assert processes.evidence and all(line.endswith(", on 3.14t with the GIL off") for line in processes.evidence)
    back = by_claim([as_built("cpu-speedup", REENABLED)])["Processes \u2192 CPU parallelism"]
    assert back.meaning == PROCESSES_MEANING and back.evidence[0].endswith("with the GIL turned on by an import")
    gil = by_claim([tracefile.load(TRACES / "cpu-speedup.cvz")])["Processes \u2192 CPU parallelism"]
    assert gil.meaning == PROCESSES_MEANING and "GIL" not in gil.evidence[0]


def test_home_on_a_free_threaded_build_says_section_4_is_about_gil_builds():
    note = build_note(FREE)
    assert note is not None and "This Python (3.14.0t) is a free-threaded build" in note.plain
    assert "Section 4's \"threads do not bypass the GIL\" is about builds with a GIL." in note.plain
    assert "Each run says whether the GIL stayed off" in note.plain
    assert "Each run" not in build_note(FREE, short=True).plain
    assert build_note(fixtures.PYTHON) is None and build_note({}) is None


def option_text(option) -> str:
    from rich.console import Console

    console = Console(width=120, record=True)
    console.print(option.prompt)
    return console.export_text()


def test_home_words_the_watch_lines_for_the_build():
    free = {o.id: option_text(o) for o in scenario_options(FREE)}
    assert "with the GIL off, threads can fill every core too" in free["cpu-speedup"]
    gil = {o.id: option_text(o) for o in scenario_options(fixtures.PYTHON)}
    assert "with a GIL, threads take turns on one core" in gil["cpu-speedup"]
    assert free["threads-download"] == gil["threads-download"]


async def test_the_home_screen_shows_the_note_on_a_free_threaded_build():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(HomeScreen(python=FREE))
        await settle(pilot)
        workloads = app.screen.query_one("#workloads")
        shown = " ".join(workloads.render_line(y).text.strip() for y in range(workloads.size.height))
        assert "This Python (3.14.0t) is a free-threaded build" in shown and "CPU-bound" in shown


# ------------------------------------------------------------------------------------------------ snapshots


def test_snapshot_cpu_speedup_gil_off(snap_compare):
    assert snap_compare(paused(as_built("cpu-speedup", FREE)), terminal_size=(120, 40), run_before=settle)


def test_snapshot_cpu_speedup_threads_in_parallel(snap_compare):
    assert snap_compare(paused(parallel_speedup()), terminal_size=(120, 40), run_before=settle)


def test_snapshot_cpu_speedup_gil_turned_back_on_80x24(snap_compare):
    assert snap_compare(paused(as_built("cpu-speedup", REENABLED)), terminal_size=(80, 24), run_before=settle)

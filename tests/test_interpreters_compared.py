"""Interpreters compared (``--python A --python B``): the runs' model and shared clock, the explanation from fixed
figures, trace files of several runs (format version 2) beside version 1, their export and headless JSON, the
comparison screen drawn from a recorded comparison with a paused clock, and live comparisons that run one child
at a time and leave nothing behind when cancelled.

Regenerate the recorded comparison with ``.venv/bin/python tests/traces/regenerate.py interpreters/cpu-speedup``
(it needs a Python 3.12 beside this one), then ``.venv/bin/pytest tests/test_interpreters_compared.py
--snapshot-update`` and look at the picture.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from rich.console import Console

from scenarios.catalog import get
from tests.conftest import TraceBuilder
from tui import export, pythons, report, tracefile
from tui.app import make_app
from tui.lessons import interpreters
from tui.model import Trace
from tui.pythons import Interpreter
from tui.runs import Runs
from tui.screens.compare import CompareScreen
from tui.session import Batch, Session
from tui.tracefile import TraceFileError
from tui.widgets.compare_table import CompareTable
from tui.widgets.variants import VariantLanes

TRACES = Path(__file__).parent / "traces"
RECORDED = TRACES / "interpreters" / "cpu-speedup.cvz"
CONCVIZ = str(Path(sys.executable).with_name("concviz"))
SMALL = {"n": 20_000, "items": 2, "workers": 2}
PY311 = {"version": "3.11.7", "implementation": "CPython", "gil": "enabled", "free_threaded_build": False,
         "executable": "/opt/py311/bin/python"}
PY314T = {"version": "3.14.0", "implementation": "CPython", "gil": "disabled", "free_threaded_build": True,
          "executable": "/opt/py314t/bin/python"}


def concviz(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CONCVIZ, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def a_run(python: dict, serial_s: float, threads_s: float, pid: int) -> list[tuple]:
    """The records of one small cpu-speedup-like run: a serial and a threads variant, a task each."""
    b = TraceBuilder(pid=pid)
    b.hello(cores=2).info(json.dumps({"python": python, "models": {"serial": 1, "threads": 1}}))
    b.variant(1, "serial", 0.0).task(1, "heavy #0", 0.0, kind="main", variant=1)
    b.state(1, "cpu", 0.0, on_cpu=0.0).end(1, serial_s, on_cpu=serial_s).variant_end(1, serial_s)
    b.variant(2, "threads", serial_s).task(2, "heavy #0", serial_s, variant=2)
    b.state(2, "cpu", serial_s, on_cpu=0.0).end(2, serial_s + threads_s, on_cpu=threads_s)
    b.variant_end(2, serial_s + threads_s).run_end(serial_s + threads_s)
    return b.records


def meta(python: dict) -> dict:
    return {"scenario": "cpu-speedup", "params": {"n": 1000, "items": 1}, "seed": 1, "python": dict(python),
            "machine": {"cores": 2}, "started": "2026-01-01T00:00:00+0000"}


FINISHED = {"status": 0, "signal": None, "reason": "finished"}


def two_runs(second_ran: bool = True) -> tuple[Runs, list[list[Batch]]]:
    """A comparison of a 3.11 and a free-threaded 3.14 run, and the batches each was fed (for recording)."""
    fed = [[Batch(records=a_run(PY311, 0.4, 0.45, 100), exit=FINISHED)],
           [Batch(records=a_run(PY314T, 0.5, 0.26, 200), exit=FINISHED)] if second_ran else []]
    runs = Runs({k: v for k, v in meta(PY311).items() if k != "python"}, [Trace(meta(PY311)), Trace(meta(PY314T))])
    for trace, batches in zip(runs, fed):
        for batch in batches:
            batch.apply_to(trace)
    runs.current = 1 if second_ran else 0
    if not second_ran:
        runs.stopped = "cancelled"
    return runs, fed


def recorded_bytes(runs: Runs, fed: list[list[Batch]], chunk_bytes: int = tracefile.CHUNK_BYTES) -> bytes:
    recorder = tracefile.Recorder(chunk_bytes=chunk_bytes, runs=True)
    for i, batches in enumerate(fed):
        recorder.run = i
        for batch in batches:
            recorder.add(batch)
    return b"".join(recorder.file_parts(runs.file_meta()))


# ------------------------------------------------------------------------------------------------ the model


def test_runs_share_one_clock_each_from_where_the_last_ended():
    runs, _ = two_runs()
    assert runs.labels == ["3.11", "3.14t"]
    assert runs.offsets() == [0.0, pytest.approx(0.85)]
    assert runs.duration == pytest.approx(0.85 + 0.76)
    assert runs.at(0.3) == (0, pytest.approx(0.3))
    assert runs.at(1.0) == (1, pytest.approx(0.15))
    assert runs.at(99.0)[0] == 1
    assert runs.exit == FINISHED


def test_a_cancelled_comparison_shows_its_last_run_and_says_why_it_ended():
    runs, _ = two_runs(second_ran=False)
    assert runs.at(5.0) == (0, pytest.approx(5.0))  # never the run that did not start
    assert "Not run (cancelled): 3.14t." in interpreters.explain(runs, runs.duration)[0]
    assert runs.exit["status"] == 1 and runs.exit["reason"] == "cancelled"
    assert runs.exit["runs"] == ["3.14t: not run"]


def test_while_the_first_run_goes_the_comparison_has_no_end():
    runs, _ = two_runs()
    runs[1].exit = None
    assert runs.exit is None
    runs.current = 0
    runs[0].exit = None
    assert runs.exit is None


def test_labels_are_short_and_distinct():
    assert pythons.labels([{"version": "3.12.1"}, {"version": "3.11.7"}]) == ["3.12", "3.11"]
    assert pythons.labels([{"version": "3.11.7"}, {"version": "3.11.9"}]) == ["3.11.7", "3.11.9"]
    assert pythons.labels([{"version": "3.11.7"}, {"version": "3.11.7"}]) == ["3.11.7 #1", "3.11.7 #2"]
    assert pythons.labels([{"version": "3.13.0", "implementation": "PyPy"}]) == ["PyPy 3.13"]
    assert pythons.labels([{"version": "3.11\x1b[2J"}]) == ["3.11\\x1b[2J"]  # a child's report is data


# ------------------------------------------------------------------------------------------ the explanation


def test_the_explanation_compares_each_model_in_its_own_figures():
    runs, _ = two_runs()
    m = interpreters.metrics(runs, runs.duration)
    assert list(m["models"]) == ["serial", "threads"] and list(m["models"]["serial"]) == ["3.11", "3.14t"]
    assert m["models"]["serial"]["3.11"]["wall_s"] == pytest.approx(0.4)
    lines = interpreters.describe(m)
    assert lines[0].startswith("The same cpu-speedup (seed 1) under each interpreter in turn")
    assert "3.14t = Python 3.14.0 (GIL off, free-threaded build)" in lines[0]
    assert "serial: wall time 3.11 400 ms, 3.14t 500 ms: 3.11 was 1.25x as fast as 3.14t." in lines
    threads = next(line for line in lines if line.startswith("threads: wall time"))
    assert "3.14t 260 ms (1.92x its own serial)" in threads and "3.14t was 1.73x as fast as 3.11" in threads
    assert any(line.startswith("Threads under 3.14t, with the GIL off") for line in lines)


def test_pool_start_up_names_how_each_interpreter_started_its_worker_processes():
    m = {"scenario": "cpu-speedup", "seed": 1, "cores": 2,
         "interpreters": [{"label": "3.14", "version": "3.14.0", "state": "finished", "start_method": "forkserver"},
                          {"label": "3.11", "version": "3.11.7", "state": "finished", "start_method": "fork"}],
         "models": {"processes": {"3.14": {"wall_s": 0.3, "startup_s": 0.33, "finished": True},
                                  "3.11": {"wall_s": 0.3, "startup_s": 0.026, "finished": True}}}}
    assert ("Pool start-up, kept out of the times above: processes 3.14 330 ms (forkserver), 3.11 26 ms (fork)."
            in interpreters.describe(m))


def test_figures_within_a_tenth_are_not_called_either_way():
    m = {"scenario": "cpu-speedup", "seed": 1, "cores": 2,
         "interpreters": [{"label": "a", "version": "3.12.1", "state": "finished"},
                          {"label": "b", "version": "3.11.7", "state": "finished"}],
         "models": {"serial": {"a": {"wall_s": 0.50, "finished": True}, "b": {"wall_s": 0.52, "finished": True}}}}
    line = next(line for line in interpreters.describe(m) if line.startswith("serial"))
    assert "too close to call" in line and "as fast as" not in line


def test_each_scenario_compares_its_own_headline_figures():
    two = [{"label": "3.12", "version": "3.12.1", "state": "finished"},
           {"label": "3.11", "version": "3.11.7", "state": "finished"}]
    convoy = {"scenario": "convoy", "seed": 1, "cores": 2, "interpreters": two,
              "models": {"2 CPU threads": {"3.12": {"p50": 9.0, "p99": 14.0, "finished": True},
                                           "3.11": {"p50": 18.0, "p99": 30.5, "finished": True}}}}
    assert ("2 CPU threads: median latency 3.12 9.0 ms, 3.11 18.0 ms: 3.11's median latency was 2.00x 3.12's; "
            "p99 latency 3.12 14.0 ms, 3.11 30.5 ms.") in interpreters.describe(convoy)
    fetch = {"scenario": "async-fetch", "seed": 1, "cores": 2, "interpreters": two,
             "models": {"threads": {label: {"wall_s": wall, "peak_threads": threads, "peak_rss_mb": mb,
                                            "measured_by": "client"}
                                    for label, wall, threads, mb in (("3.12", 0.31, 203, 41.0),
                                                                     ("3.11", 0.3, 203, 38.2))}}}
    assert ("threads: wall time 3.12 310 ms, 3.11 300 ms: within 10% of each other, too close to call from one run "
            "each; OS threads at most 3.12 203, 3.11 203; peak memory 3.12 41 MB, 3.11 38 MB.") in \
        interpreters.describe(fetch)


def test_a_model_one_interpreter_lacks_and_a_failed_run_are_said():
    m = {"scenario": "cpu-speedup", "seed": 1, "cores": 2,
         "interpreters": [{"label": "3.14", "version": "3.14.0", "state": "finished"},
                          {"label": "3.11", "version": "3.11.7", "state": "finished"},
                          {"label": "3.13", "version": "3.13.0", "state": "killed by SIGKILL"}],
         "models": {"interpreters": {"3.14": {"wall_s": 0.3, "finished": True}}},
         "lacks": {"3.11": "needs Python 3.14 (this run: Python 3.11.7)"}}
    lines = interpreters.describe(m)
    assert ("interpreters: measured only under 3.14; 3.11 ran without it (needs Python 3.14 (this run: Python "
            "3.11.7)).") in lines
    assert any(line.startswith("Under 3.13 the run did not finish (killed by SIGKILL)") for line in lines)


def test_a_run_still_to_come_is_named_and_a_running_one_says_so_far():
    runs, _ = two_runs()
    at = 0.85 + 0.2  # the 3.14t run's serial model is going
    lines = interpreters.explain(runs, at)
    assert "serial: wall time 3.11 400 ms, 3.14t 200 ms so far." in lines
    runs.current = 0
    runs[1].exit, runs[1].t0_ns = None, None
    assert "Still to run: 3.14t." in interpreters.explain(runs, 0.85)[0]


# ------------------------------------------------------------------------------------------------ the file


def test_a_comparison_round_trips_through_a_version_2_file_and_keeps_each_interpreter():
    runs, fed = two_runs()
    data = recorded_bytes(runs, fed)
    assert tracefile.PREFIX.unpack_from(data)[1] == tracefile.RUNS_VERSION
    back = tracefile.loads(data)
    assert isinstance(back, Runs) and len(back) == 2
    assert [t.python["version"] for t in back] == ["3.11.7", "3.14.0"]
    assert back[1].python["free_threaded_build"] is True and back.labels == runs.labels
    assert back.offsets() == runs.offsets() and back.exit == FINISHED
    assert interpreters.metrics(back, back.duration)["models"] == interpreters.metrics(runs, runs.duration)["models"]
    assert back.summary()["models"] == runs.summary()["models"]


def test_a_single_run_is_still_written_as_version_1_and_loads_as_a_trace():
    recorder = tracefile.Recorder()
    recorder.add(Batch(records=a_run(PY311, 0.1, 0.1, 100), exit=FINISHED))
    data = b"".join(recorder.file_parts(meta(PY311)))
    assert tracefile.PREFIX.unpack_from(data)[1] == 1
    loaded = tracefile.loads(data)
    assert not isinstance(loaded, Runs) and loaded.python["version"] == "3.11.7"


def test_a_cancelled_comparison_keeps_why_and_a_cut_file_loads_what_it_has():
    runs, fed = two_runs(second_ran=False)
    back = tracefile.loads(recorded_bytes(runs, fed))
    assert back.stopped == "cancelled" and back.exit["reason"] == "cancelled"
    assert not back.started(1) and back.at(back.duration)[0] == 0
    runs, fed = two_runs()
    whole = fed[1][0]
    fed[1] = [Batch(records=whole.records[:6]), Batch(records=whole.records[6:], exit=whole.exit)]
    data = recorded_bytes(runs, fed, chunk_bytes=64)  # a chunk per batch: the second run's start is complete
    cut = tracefile.loads(data[:-40])
    assert cut.meta["truncated"] and "ends early" in cut[1].meta["notice"]
    assert cut.started(1) and cut.exit is None


def test_damaged_comparison_files_are_refused_in_one_line():
    runs, fed = two_runs()
    data = bytearray(recorded_bytes(runs, fed))
    head_len = tracefile.PREFIX.unpack_from(data)[2]
    header = json.loads(bytes(data[tracefile.PREFIX.size:tracefile.PREFIX.size + head_len]))

    def with_header(changed: dict) -> bytes:
        head = json.dumps(changed).encode()
        return tracefile.PREFIX.pack(tracefile.MAGIC, 2, len(head)) + head + bytes(
            data[tracefile.PREFIX.size + head_len:])

    for bad in ({**header, "runs": [header["runs"][0]]}, {**header, "runs": "x"},
                {**header, "runs": [header["runs"][0], {"python": "3.11"}]},
                {**header, "runs": [header["runs"][0], {**header["runs"][1], "scenario": "convoy"}]}):
        with pytest.raises(TraceFileError, match="run"):
            tracefile.loads(with_header(bad))
    one_run = {k: v for k, v in header.items() if k != "runs"}
    with pytest.raises(TraceFileError, match="no valid 'runs'"):
        tracefile.loads(with_header(one_run))
    newer = bytes(data)
    newer = tracefile.PREFIX.pack(tracefile.MAGIC, tracefile.NEWEST + 1, head_len) + newer[tracefile.PREFIX.size:]
    with pytest.raises(TraceFileError, match="newer concviz"):
        tracefile.loads(newer)


def test_a_batch_naming_a_run_the_header_lacks_is_damage():
    runs, fed = two_runs()
    recorder = tracefile.Recorder(runs=True)
    recorder.run = 5
    recorder.add(fed[0][0])
    with pytest.raises(TraceFileError, match="names run 6 of 2"):
        tracefile.loads(b"".join(recorder.file_parts(runs.file_meta())))


def test_the_recorded_comparison_holds_two_interpreters():
    runs = tracefile.load(RECORDED)
    assert isinstance(runs, Runs) and len(runs) == 2 and runs.exit["status"] == 0
    assert len(set(runs.labels)) == 2
    for trace in runs:
        assert {"serial", "threads", "processes"} <= set(trace.variants)
        assert trace.python["executable"]


# ------------------------------------------------------------------------------------- export and headless


def test_the_export_puts_the_runs_one_after_another_and_names_each_interpreter():
    from tests.test_export import check_chrome_rules

    runs, _ = two_runs()
    doc = export.chrome_trace(runs)
    check_chrome_rules(doc)
    names = {e["pid"]: e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "process_name"}
    assert names == {100: "cpu-speedup under 3.11", 200: "cpu-speedup under 3.14t"}
    second = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["pid"] == 200]
    assert min(e["ts"] for e in second) >= 0.85e6 - 1e-3
    run_slices = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["cat"] == "run"]
    assert [e["args"]["python"]["version"] for e in run_slices] == ["3.11.7", "3.14.0"]
    assert [r["label"] for r in doc["otherData"]["runs"]] == ["3.11", "3.14t"]


def test_a_pid_two_runs_both_used_is_kept_apart():
    from tests.test_export import check_chrome_rules

    runs = Runs({"scenario": "cpu-speedup"}, [Trace(meta(PY311)), Trace(meta(PY314T))])
    for trace, python in zip(runs, (PY311, PY314T)):
        Batch(records=a_run(python, 0.1, 0.1, 100), exit=FINISHED).apply_to(trace)
    runs.current = 1
    doc = export.chrome_trace(runs)
    check_chrome_rules(doc)
    pids = sorted({e["pid"] for e in doc["traceEvents"]})
    assert pids == [100, 100 + export.PID_SHIFT]
    assert doc["otherData"]["runs"][1]["pids_moved"] == export.PID_SHIFT


def test_the_headless_report_of_a_comparison_shows_outside_text_as_text():
    runs, _ = two_runs()
    runs[1].info["python"]["version"] = "3.14.0[bold red]"
    summary = runs.summary()
    assert [r["label"] for r in summary["runs"]] == ["3.11", "3.14t"]
    assert summary["interpreters"][1]["executable"] == PY314T["executable"]
    out = io.StringIO()
    Console(file=out, width=200).print(report.render(summary))
    text = out.getvalue()
    assert "cpu-speedup under 2 interpreters" in text and "3.14.0[bold red]" in text


# ----------------------------------------------------------------------------------------------- the screen


def paused(runs: Runs, at: float | None = None):
    return make_app(replay=runs, playing=False, start_at=runs.duration if at is None else at,
                    replay_path="tests/traces/interpreters/cpu-speedup.cvz")


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    pilot.app.screen.draw()  # the models mounted by the first frame are laid out: draw them once more
    await pilot.pause()


async def test_a_replayed_comparison_has_every_model_under_every_interpreter_on_one_scale():
    runs = tracefile.load(RECORDED)
    async with paused(runs).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, CompareScreen) and screen.runs is runs
        first, second = runs.labels
        names = [slot.name for slot in screen.slots(runs.duration)]
        assert names[:4] == [f"serial {first}", f"serial {second}", f"threads {first}", f"threads {second}"]
        assert set(screen.figures) == set(names)
        table = screen.query_one(CompareTable).table
        assert [c.plain for c in table.columns[0].cells] == names
        windows = {round(m.window[1] - m.window[0], 9) for m in screen.query(VariantLanes) if m.display}
        assert len(windows) == 1  # one seconds-per-column scale
        await pilot.press("home")
        assert screen.clock.now == 0.0
        screen.draw()
        assert screen.trace is runs[0]
        await pilot.press("end")
        assert screen.trace is runs[1]


def test_snapshot_interpreters_compared(snap_compare):
    assert snap_compare(paused(tracefile.load(RECORDED)), terminal_size=(120, 40), run_before=settle)


def test_snapshot_interpreters_compared_during_the_second_run(snap_compare):
    runs = tracefile.load(RECORDED)
    threads = runs[1].variants["threads"]
    at = runs.offsets()[1] + (threads.start + threads.end) / 2
    assert snap_compare(paused(runs, at), terminal_size=(120, 40), run_before=settle)


# ------------------------------------------------------------------------------------------------ live


def me() -> Interpreter:
    return pythons.check(sys.executable)


@pytest.fixture
def one_child_at_a_time(monkeypatch):
    """Every child started while no other session's child is alive; returns the sessions in the order started."""
    started: list[Session] = []
    real_start = Session.start

    def start(self):
        for other in started:
            assert other.proc.poll() is not None, "two children at once"
        real_start(self)
        started.append(self)

    monkeypatch.setattr(Session, "start", start)
    return started


def gone(pids: list[int]) -> bool:
    return not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


@pytest.mark.e2e
async def test_a_live_comparison_runs_each_interpreter_in_turn(one_child_at_a_time, tmp_path, monkeypatch):
    app = make_app(scenario="cpu-speedup", params=get("cpu-speedup").resolve(SMALL), pythons=[me(), me()])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        for _ in range(100):  # a worker per run: each ends with its run, and the next one starts after it
            await app.workers.wait_for_complete()
            await pilot.pause()
            if screen.runs.exit is not None:
                break
        await settle(pilot)
        runs = screen.runs
        assert runs.exit == {"status": 0, "signal": None, "reason": "finished"}
        assert len(one_child_at_a_time) == 2 and [s.python.executable for s in one_child_at_a_time] == [
            sys.executable] * 2
        assert runs.labels[0].endswith("#1") and runs.labels[1].endswith("#2")
        assert {f"serial {label}" for label in runs.labels} <= set(screen.figures)
        assert app.runs == list(runs)  # each run joins the takeaways
        monkeypatch.chdir(tmp_path)
        await pilot.press("s")
        saved = tracefile.load(next(tmp_path.glob("concviz-cpu-speedup-*.cvz")))
        assert isinstance(saved, Runs) and saved.labels == runs.labels and saved.exit == runs.exit
        assert [len(t.lanes) for t in saved] == [len(t.lanes) for t in runs]
        await pilot.press("q")


@pytest.mark.e2e
async def test_cancelling_a_live_comparison_ends_its_child_and_starts_no_more(one_child_at_a_time):
    long = {"n": 50_000_000, "items": 1, "workers": 1}  # seconds of serial work: cancelled long before its end
    app = make_app(scenario="cpu-speedup", params=get("cpu-speedup").resolve(long), pythons=[me(), me()])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        for _ in range(600):  # until the first run's child is measuring (a condition, not a time)
            if screen.runs[0].lanes:
                break
            await pilot.pause(0.05)
        pids = [screen.session.proc.pid] + [c.pid for c in psutil.Process(screen.session.proc.pid).children(True)]
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.runs[0].exit["reason"] == "cancelled"
        assert len(one_child_at_a_time) == 1 and not screen.runs.started(1)
        assert screen.runs.exit["reason"] == "cancelled"
        assert gone(pids)
        await pilot.press("q")
    assert len(one_child_at_a_time) == 1


@pytest.mark.e2e
def test_headless_json_carries_a_run_per_interpreter_and_record_keeps_them(tmp_path):
    args = ["cpu-speedup", *(f"--param={k}={v}" for k, v in SMALL.items()), "--python", sys.executable,
            "--python", sys.executable]
    done = concviz("run", *args, "--headless", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [r["python"]["executable"] for r in summary["runs"]] == [sys.executable] * 2
    assert [i["label"] for i in summary["interpreters"]] == [r["label"] for r in summary["runs"]]
    assert {"serial", "threads", "processes"} <= set(summary["models"])
    assert all(len(by_label) == 2 for by_label in summary["models"].values())
    assert summary["exit"]["status"] == 0 and summary["explanation"]
    out = tmp_path / "two.cvz"
    done = concviz("record", *args, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "under 2 interpreters" in done.stdout
    runs = tracefile.load(out)
    assert isinstance(runs, Runs) and [t.python["executable"] for t in runs] == [sys.executable] * 2
    exported = tmp_path / "two.json"
    assert concviz("export", str(out), "-o", str(exported)).returncode == 0
    doc = json.loads(exported.read_text())
    assert [r["python"]["executable"] for r in doc["otherData"]["runs"]] == [sys.executable] * 2


@pytest.mark.e2e
def test_ending_concviz_during_a_headless_comparison_ends_its_child_and_starts_no_more():
    from tests.test_lifecycle import group_members, wait_until

    long = ["-p", "n=50000000", "-p", "items=1"]  # seconds of serial work under the first interpreter
    parent = subprocess.Popen([CONCVIZ, "run", "cpu-speedup", *long, "--python", sys.executable, "--python",
                               sys.executable, "--headless"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        child = wait_until(lambda: next((p for p in psutil.Process(parent.pid).children()
                                         if "scenarios" in " ".join(p.cmdline())), None),
                           timeout=30, what="the first run's child")
        parent.terminate()
        assert parent.wait(30) == 128 + 15
        assert b"Traceback" not in parent.stderr.read()
        wait_until(lambda: not group_members(child.pid), what="the first run's tree to end")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stderr.close()


def test_comparing_interpreters_takes_a_comparison_scenario():
    done = concviz("run", "threads-download", "--python", sys.executable, "--python", sys.executable, "--headless")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "takes a comparison scenario" in done.stderr and "threads-download is not one" in done.stderr
    done = concviz("run", "async-fetch", "-p", "model=pool", "--python", sys.executable, "--python", sys.executable)
    assert done.returncode == 2 and "async-fetch -p model=pool is not one" in done.stderr
    done = concviz("run", "cpu-speedup", *["--python", sys.executable] * 9, "--headless")
    assert done.returncode == 2 and "at most 8 interpreters" in done.stderr
    assert "Traceback" not in done.stderr

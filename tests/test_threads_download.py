"""Exercise 1 end to end: the real child process, measured, and the command line around it."""

from __future__ import annotations

import json
import os
import sys
import re
import subprocess

import pytest

from scenarios import catalog, seeding
from tui.session import run_headless
from tui.summary import summarize

pytestmark = pytest.mark.e2e

CONCVIZ = os.path.join(os.path.dirname(sys.executable), "concviz")  # the one installed beside this Python
SEED = 3


def run(seed=SEED, **params):
    scenario = catalog.get("threads-download")
    return run_headless(scenario, scenario.resolve(params), seed, time_limit_s=60)


def planned_sleeps(seed: int, tasks: int = 10, low: float = 0.1, high: float = 0.5) -> dict[str, float]:
    """What the scenario's seeded draws are for this seed (the same keyed draws it makes)."""
    old = seeding._seed
    seeding.seed(seed)
    try:
        return {f"download {i}": seeding.uniform(i, low, high) for i in range(tasks)}
    finally:
        seeding.seed(old)


@pytest.fixture(scope="module")
def trace():
    return run()


def io_times(trace) -> dict[str, float]:
    return {lane.name: trace.lane_states(lane).get("io", 0.0) for lane in trace.ordered_lanes()}


def test_it_finishes_cleanly(trace):
    assert trace.exit["status"] == 0 and trace.exit["reason"] == "finished"
    assert trace.error is None
    assert trace.ended is not None


def test_ten_thread_lanes_that_all_end(trace):
    lanes = trace.ordered_lanes()
    assert sorted(lane.name for lane in lanes) == sorted(f"download {i}" for i in range(10))
    for lane in lanes:
        assert lane.kind == "thread"
        assert lane.pid == trace.root_pid
        assert lane.tid > 0
        assert lane.end is not None and 0 <= lane.start <= lane.end <= trace.duration
    assert len({lane.tid for lane in lanes}) == 10  # one OS thread each


def test_each_task_sleeps_within_the_guides_range(trace):
    planned = planned_sleeps(SEED)
    for name, io in io_times(trace).items():
        assert 0.1 <= planned[name] <= 0.5 and planned[name] <= io, name  # the io stretch holds the whole sleep


def test_each_task_runs_sleeps_then_updates_under_the_lock(trace):
    for lane in trace.ordered_lanes():
        assert [seg.state for seg in lane.segments] == ["cpu", "io", "cpu"], lane.name
        spans = [o[2] for o in lane.overlays]  # a wait only where another thread held the lock (printing under it)
        assert spans in (["lock_hold"], ["lock_wait", "lock_hold"]), lane.name
        assert all(o[3] == "progress lock" for o in lane.overlays)
        assert len(lane.marks) == 1 and lane.segments[1].t1 <= lane.marks[0] <= lane.end


def test_ten_acquisitions_of_the_progress_lock(trace):
    (lock,) = trace.lock_stats()
    assert lock.name == "progress lock"
    assert lock.acquisitions == 10 and lock.timed == -1  # each of them timed: so few are never just counted
    assert lock.holder is None and lock.waiting == ()
    assert lock.hold_s > 0 and lock.wait_s >= 0 and lock.max_waiters >= 0


def test_a_hot_lock_is_counted_exactly():
    """Many updates per file: most acquisitions are counted in the child, none lost, their holds not timed."""
    trace = run(tasks=4, min_s=0.0, max_s=0.01, updates=5_000)
    (lock,) = trace.lock_stats()
    assert lock.acquisitions == 4 * 5_000
    assert 0 < lock.timed < lock.acquisitions and lock.hold_s > 0
    assert trace.counter("progress") == 4 * 5_000
    assert any("counted per thread and 50 ms" in note for note in trace.load_notes())
    assert "lock_tracing_us" in trace.info


def test_progress_counts_to_ten(trace):
    values = [v for _, v in trace.counters["progress"]]
    assert values[-1] == 10 and trace.counter("progress") == 10
    assert values == sorted(values)


def test_the_guides_lines_are_printed(trace):
    lines = [line for _, line in trace.output if line.startswith("Downloaded")]
    assert len(lines) == 10
    parsed = [re.fullmatch(r"Downloaded (\d+) progress: (\d+)", line) for line in lines]
    assert all(parsed), lines
    assert sorted(int(m[1]) for m in parsed) == list(range(10))
    assert [int(m[2]) for m in parsed] == list(range(1, 11))


def test_every_download_sleeps_at_least_what_its_seed_planned(trace):
    """The seed fixes each download's sleep (two runs plan the same); a sleep never returns early, however late a
    busy machine wakes the thread, so each lane's io is at least its planned sleep (less the microseconds between
    the probe's reading and the call). Which lane wakes first is the machine's business, and is not asserted."""
    again = run()
    planned = planned_sleeps(SEED)
    for measured in (io_times(trace), io_times(again)):
        assert set(measured) == set(planned)
        for name, seconds in planned.items():
            assert measured[name] >= seconds - 0.001, (name, measured[name], seconds)


def test_another_seed_plans_other_sleeps():
    assert planned_sleeps(SEED) != planned_sleeps(SEED + 1)
    assert planned_sleeps(SEED) == planned_sleeps(SEED)


def test_parameters_reach_the_child():
    trace = run(tasks=3, min_s=0.0, max_s=0.01)
    assert len(trace.ordered_lanes()) == 3
    (lock,) = trace.lock_stats()
    assert lock.acquisitions == 3
    assert trace.counter("progress") == 3
    assert trace.exit["status"] == 0


def test_summary_of_the_real_run(trace):
    summary = summarize(trace)
    json.dumps(summary)
    assert summary["scenario"] == "threads-download"
    assert summary["seed"] == SEED
    assert summary["params"] == catalog.get("threads-download").defaults()
    assert (summary["params"]["tasks"], summary["params"]["min_s"], summary["params"]["max_s"]) == (10, 0.1, 0.5)
    assert len(summary["tasks"]) == 10 and summary["locks"][0]["acquisitions"] == 10
    assert summary["counters"]["progress"] == 10
    assert summary["explanation"], "the lesson explains the run in its own figures"


# ---------------------------------------------------------------------------------------------- command line


def concviz(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([CONCVIZ, *args], capture_output=True, text=True, timeout=timeout)


def test_cli_headless_json_prints_one_object_with_the_contract():
    done = concviz("run", "threads-download", "--headless", "--json", "--seed", "5", "-p", "tasks=4",
                   "-p", "max_s=0.2")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1
    summary = json.loads(done.stdout)
    assert {"scenario", "params", "seed", "python", "machine", "wall_s", "tasks", "locks", "cores"} <= set(summary)
    assert summary["scenario"] == "threads-download" and summary["seed"] == 5
    assert summary["params"]["tasks"] == 4 and summary["params"]["max_s"] == 0.2
    assert set(summary["python"]) >= {"version", "gil"} and summary["python"]["gil"] in ("enabled", "disabled")
    assert isinstance(summary["machine"]["cores"], int) and summary["machine"]["cores"] >= 1
    assert isinstance(summary["wall_s"], float) and summary["wall_s"] > 0
    assert len(summary["tasks"]) == 4
    for task in summary["tasks"]:
        assert {"name", "kind", "pid", "start_s", "end_s", "states"} <= set(task)
        assert task["kind"] == "thread" and 0.1 <= task["states"]["io"]
    (lock,) = summary["locks"]
    assert {"name", "acquisitions", "wait_s", "hold_s", "max_waiters"} <= set(lock) and lock["acquisitions"] == 4
    assert summary["cores"]["count"] == summary["machine"]["cores"]
    assert isinstance(summary["cores"]["busy_pct_mean"], list)


@pytest.mark.parametrize("args, says", [
    (["run", "no-such-scenario", "--headless"], "unknown scenario 'no-such-scenario'"),
    (["run", "threads-download", "--headless", "-p", "threads=3"], "unknown parameter 'threads'"),
    (["run", "threads-download", "--headless", "-p", "tasks=0"], "out of range"),
    (["run", "threads-download", "--headless", "-p", "tasks=lots"], "is not valid"),
    (["run", "threads-download", "--headless", "-p", "tasks"], "-p takes KEY=VALUE"),
    (["run", "threads-download", "--headless", "-p", "=3"], "-p takes KEY=VALUE"),
    (["run", "threads-download", "--json"], "--json goes with --headless"),
    (["run", "threads-download", "--headless", "--seed", "abc"], "--seed"),
    (["run", "threads-download", "--headless", "--time-limit", "0"], "--time-limit"),
])
def test_cli_bad_input_is_one_line_and_exit_2(args, says):
    done = concviz(*args, timeout=30)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert says in lines[0] and "Traceback" not in done.stderr
    assert lines[0].startswith("concviz: ")


def test_cli_unknown_scenario_lists_the_ones_that_exist():
    done = concviz("run", "nope", "--headless", timeout=30)
    assert done.returncode == 2
    for name in catalog.scenarios():
        assert name in done.stderr


def test_cli_out_of_range_names_the_range():
    done = concviz("run", "threads-download", "--headless", "-p", "tasks=501", timeout=30)
    assert done.returncode == 2 and "tasks takes a whole number from 1 to 500" in done.stderr

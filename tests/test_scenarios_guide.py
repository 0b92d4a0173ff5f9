"""The guide's Sections 2-4 and the overview's mixed workloads, end to end: real child processes, measured.

async-dashboard, futures, cpu-processes and mixed-loop, each with small parameters: the lanes, their states, the
worker processes, the heartbeats, the printed results, and the lessons' figures on whole and partial traces.
Structure and sanity only: nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import ast
import json
import math
import os
import sys
import subprocess

import pytest

from scenarios import catalog, seeding
from scenarios.catalog import START_METHODS, ParamError
from scenarios.workers import default_start_method
from tui import lessons
from tui.model import Trace
from tui.session import run_headless
from tui.summary import summarize

CONCVIZ = os.path.join(os.path.dirname(sys.executable), "concviz")  # the one installed beside this Python
SEED = 1
GUIDE_SCENARIOS = ("async-dashboard", "futures", "cpu-processes", "mixed-loop")


def run(name: str, seed: int = SEED, **params) -> Trace:
    scenario = catalog.get(name)
    trace = run_headless(scenario, scenario.resolve(params), seed, time_limit_s=60)
    assert trace.exit["status"] == 0, trace.exit
    assert trace.error is None, trace.error
    return trace


def planned(seed: int, keys, low: float, high: float) -> dict:
    """The scenario's seeded draws for this seed (the same keyed draws it makes)."""
    old = seeding._seed
    seeding.seed(seed)
    try:
        return {key: seeding.uniform(key, low, high) for key in keys}
    finally:
        seeding.seed(old)


def states_seen(lane) -> list[str]:
    return [seg.state for seg in lane.segments]


def printed(trace) -> list[str]:
    return [line for _, line in trace.output if line]


def check_lessons_mid_run(trace: Trace) -> None:
    """The lesson answers for any moment of the run, lanes still open or not, and stays JSON-able."""
    for k in range(11):
        now = trace.duration * k / 10
        json.dumps(lessons.metrics(trace, now))
        lines = lessons.explain(trace, now)
        assert all(isinstance(line, str) and line for line in lines)
    own = len(lessons.explain(trace)) - len(lessons.busy_machine(trace))  # a busy machine adds its sentence: this
    assert 2 <= own <= 5  # suite runs on shared machines, under load too


# ------------------------------------------------------------------------------------------ async-dashboard


@pytest.fixture(scope="module")
def dashboard():
    return run("async-dashboard", min_s=0.1, max_s=0.2)


@pytest.mark.e2e
def test_dashboard_has_a_lane_per_asyncio_task(dashboard):
    lanes = dashboard.ordered_lanes()
    assert [lane.name for lane in lanes] == [
        "dashboard()", "fetch('profile')", "fetch('orders')", "fetch('notifications')"]
    assert {lane.kind for lane in lanes} == {"async"}
    assert {lane.pid for lane in lanes} == {dashboard.root_pid}
    assert len({lane.tid for lane in lanes}) == 1  # one thread: the loop's
    assert all(lane.end is not None for lane in lanes)


@pytest.mark.e2e
def test_dashboard_fetches_run_then_wait_then_finish(dashboard):
    delays = planned(SEED, ("profile", "orders", "notifications"), 0.1, 0.2)
    main, *fetches = dashboard.ordered_lanes()
    assert states_seen(main) == ["queued", "cpu", "wait", "cpu"]  # the dashboard awaits the gather
    for lane in fetches:
        assert states_seen(lane) == ["queued", "cpu", "io", "cpu"], lane.name
        name = lane.name[len("fetch('"):-2]
        assert dashboard.lane_states(lane)["io"] >= delays[name]  # the io stretch holds the whole sleep
    # the three waits overlap: every fetch was asleep before any woke
    io = [next(seg for seg in lane.segments if seg.state == "io") for lane in fetches]
    assert max(seg.t0 for seg in io) < min(seg.t1 for seg in io)
    gather = next(seg for seg in main.segments if seg.state == "wait")
    assert gather.t0 <= min(seg.t0 for seg in io) and gather.t1 >= max(seg.t1 for seg in io)


@pytest.mark.e2e
def test_dashboard_prints_the_guides_results(dashboard):
    expected = ["profile ready", "orders ready", "notifications ready"]
    assert [ast.literal_eval(line) for line in printed(dashboard)] == [expected]
    assert dashboard.info["results"] == expected


@pytest.mark.e2e
def test_dashboard_metrics_total_versus_slowest_and_sum(dashboard):
    delays = planned(SEED, ("profile", "orders", "notifications"), 0.1, 0.2)
    m = lessons.metrics(dashboard)
    assert m["tasks"] == 3 and m["finished"] == 3
    assert m["slowest_task_s"] >= max(delays.values())
    assert m["sum_delays_s"] >= sum(delays.values())
    assert max(delays.values()) <= m["wall_s"] and m["slowest_task_s"] <= m["wall_s"]
    lines = lessons.explain(dashboard)
    assert lessons.fmt_s(m["wall_s"]) in lines[0] and lessons.fmt_s(m["sum_delays_s"]) in lines[0]
    check_lessons_mid_run(dashboard)


# -------------------------------------------------------------------------------------------------- futures

MESSAGES = ("email", "sms", "push", "webhook")


@pytest.fixture(scope="module")
def futures_runs():
    """Each way of collecting, with a thread for every message; and submitted with only two pool threads."""
    params = dict(messages=4, min_s=0.05, max_s=0.3)
    runs = {collect: run("futures", collect=collect, **params) for collect in ("submitted", "as_completed")}
    runs["two threads"] = run("futures", workers=2, **params)
    return runs


def handled(trace) -> list[tuple]:
    from tui.lessons.futures import handling

    return handling(trace, trace.duration)


@pytest.mark.e2e
@pytest.mark.parametrize("collect", ["submitted", "as_completed", "two threads"])
def test_futures_each_future_is_queued_runs_and_is_done(futures_runs, collect):
    trace = futures_runs[collect]
    main, *sends = trace.ordered_lanes()
    assert main.name == "main" and main.kind == "main" and "wait" in states_seen(main)
    assert [lane.name for lane in sends] == [f"send({m!r})" for m in MESSAGES]
    for lane in sends:
        assert lane.kind == "thread" and lane.end is not None
        assert states_seen(lane)[:3] == ["queued", "cpu", "io"], lane.name
        assert lane.tid not in (0, main.tid)


@pytest.mark.e2e
def test_futures_beyond_the_pools_threads_wait_in_the_queue(futures_runs):
    trace = futures_runs["two threads"]
    main, *sends = trace.ordered_lanes()
    assert len({lane.tid for lane in sends}) == 2  # workers=2: two pool threads
    io = [next(seg for seg in lane.segments if seg.state == "io") for lane in sends]
    for seg in io:  # never more than two futures running at once
        assert sum(1 for other in io if other.t0 <= seg.t0 < other.t1) <= 2
    first_done = min(lane.end for lane in sends[:2])
    for lane in sends[2:]:  # the third and fourth were queued until a thread was free
        assert lane.segments[0].state == "queued" and lane.segments[0].t1 >= first_done - 1e-3


@pytest.mark.e2e
@pytest.mark.parametrize("collect", ["submitted", "as_completed", "two threads"])
def test_futures_results_are_handled_after_they_are_done(futures_runs, collect):
    trace = futures_runs[collect]
    steps = handled(trace)
    assert len(steps) == 4 and trace.counter("handled") == 4
    for lane, done, at in steps:
        assert at >= done, lane.name
    assert sorted(printed(trace)) == sorted(f"{m} sent" for m in MESSAGES)
    assert trace.info["results"] == printed(trace)
    check_lessons_mid_run(trace)


@pytest.mark.e2e
def test_futures_submitted_order_versus_as_completed(futures_runs):
    latency = planned(SEED, MESSAGES, 0.05, 0.3)
    assert min(latency, key=latency.get) != "email", "this seed must make a later future finish first"

    submitted = futures_runs["submitted"]
    assert [lane.name for lane, _, _ in handled(submitted)] == [f"send({m!r})" for m in MESSAGES]
    assert printed(submitted) == [f"{m} sent" for m in MESSAGES]  # the guide's loop: submission order
    done_email = next(done for lane, done, _ in handled(submitted) if lane.name == "send('email')")
    for lane, done, at in handled(submitted):
        assert at >= done_email  # every result waits for the first one to be handled

    completed = futures_runs["as_completed"]
    steps = handled(completed)
    assert [lane.name for lane, _, _ in steps] == [lane.name for lane, _, _ in sorted(steps, key=lambda s: s[1])]
    assert printed(completed)[0] != "email sent"

    m_sub, m_done = lessons.metrics(submitted), lessons.metrics(completed)
    assert m_sub["handled_order"] != m_sub["done_order"]
    assert m_done["handled_order"] == m_done["done_order"]
    late = max(steps, key=lambda s: s[1])  # the last to finish is handled last either way
    assert m_sub["handle_delay_max_s"] > 0 and late[0].name == m_done["handled_order"][-1]


# -------------------------------------------------------------------------------------------- cpu-processes

N = 20_000


@pytest.fixture(scope="module", params=START_METHODS)
def processes(request):
    """The guide's pool, its workers started each way: the same lanes whatever the method."""
    return run("cpu-processes", n=N, items=4, workers=2, start=request.param)


def heavy(n):
    return sum(math.sqrt(i) for i in range(n))


@pytest.mark.e2e
def test_processes_a_lane_per_worker_process_from_its_fork_to_its_exit(processes):
    lanes = processes.ordered_lanes()
    main = [lane for lane in lanes if lane.kind == "main"]
    workers = [lane for lane in lanes if lane.name.startswith("worker ")]
    assert len(main) == 1 and main[0].pid == processes.root_pid
    assert "startup" in states_seen(main[0]) and "wait" in states_seen(main[0])
    assert len(workers) == 2
    pids = {lane.pid for lane in workers}
    assert len(pids) == 2 and processes.root_pid not in pids
    for lane in workers:
        assert lane.kind == "process" and lane.name == f"worker {lane.pid}"
        assert states_seen(lane)[:2] == ["startup", "wait"], lane.name
        assert lane.end is not None and lane.end <= processes.duration  # ended as the process exited


@pytest.mark.e2e
def test_processes_a_lane_per_item_inside_the_worker_that_ran_it(processes):
    lanes = processes.ordered_lanes()
    workers = {lane.pid: lane for lane in lanes if lane.name.startswith("worker ")}
    items = [lane for lane in lanes if lane.name.startswith("heavy(")]
    assert len(items) == 4
    for lane in items:
        assert lane.name == f"heavy({N:_})" and lane.kind == "process"
        assert lane.pid in workers and lane.parent == workers[lane.pid].key[1]
        assert states_seen(lane)[0] == "cpu" and lane.end is not None
        assert workers[lane.pid].start <= lane.start and lane.end <= workers[lane.pid].end
    m = lessons.metrics(processes)
    assert m["items"] == 4 and m["workers"] == 2 and sum(m["items_per_worker"].values()) == 4
    assert set(m["items_per_worker"]) <= {str(pid) for pid in workers}
    assert m["cpu_s"] > 0 and m["cores_used"] > 0 and m["wall_s"] >= m["items_span_s"]
    check_lessons_mid_run(processes)


@pytest.mark.e2e
def test_processes_name_their_start_method(processes):
    method = processes.meta["params"]["start"]
    assert processes.info["start_method"] == method
    assert processes.info["default_start_method"] == default_start_method()
    assert summarize(processes)["start_method"] == {"used": method, "default": default_start_method()}
    startup = [processes.lane_states(lane).get("startup", 0.0) for lane in processes.ordered_lanes()
               if lane.name.startswith("worker ")]
    assert all(s > 0 for s in startup)  # from the pool's launch of each worker to the worker running


@pytest.mark.e2e
def test_processes_by_default_start_the_way_this_python_does():
    trace = run("cpu-processes", n=N, items=2, workers=2)
    assert trace.info["start_method"] == default_start_method()
    assert len([lane for lane in trace.ordered_lanes() if lane.name.startswith("worker ")]) == 2


@pytest.mark.e2e
def test_processes_print_the_guides_results(processes):
    (line,) = printed(processes)
    assert ast.literal_eval(line) == [heavy(N)] * 4
    assert processes.info["results"] == [heavy(N)] * 4


# ------------------------------------------------------------------------------------------------ mixed-loop


@pytest.fixture(scope="module")
def loops():
    return {model: run("mixed-loop", model=model, jobs=2, n=200_000, every_s=0.05)
            for model in ("loop", "threads", "processes")}


@pytest.mark.e2e
@pytest.mark.parametrize("model", ["loop", "threads", "processes"])
def test_mixed_loop_heartbeats_reach_the_parent(loops, model):
    trace = loops[model]
    lanes = trace.ordered_lanes()
    assert [lane.name for lane in lanes if lane.kind == "async"][:2] == [f"service({model!r})", "heartbeat()"]
    assert [lane.name for lane in lanes if lane.name.startswith("job(")] == ["job(1)", "job(2)"]
    lags = [lag for _, lag in trace.counters["loop_lag_us"]]
    assert lags and all(lag >= 0 for lag in lags)
    m = lessons.metrics(trace)
    assert m["model"] == model and m["beats"] == len(lags) and m["expected_beats"] >= 1
    assert 0 <= m["loop_lag_ms"]["p50"] <= m["loop_lag_ms"]["p99"] <= m["loop_lag_ms"]["max"]
    assert m["loop_lag_ms"]["max"] == max(lags) / 1000
    assert m["jobs"] == m["jobs_done"] == 2
    assert ast.literal_eval(printed(trace)[-1]) == [heavy(200_000)] * 2
    check_lessons_mid_run(trace)


@pytest.mark.e2e
def test_mixed_loop_in_the_loop_no_beat_lands_while_a_job_computes(loops):
    trace = loops["loop"]
    jobs = [lane for lane in trace.ordered_lanes() if lane.name.startswith("job(")]
    assert not [lane for lane in trace.ordered_lanes() if lane.name.startswith("heavy #")]
    beats = [t for t, _ in trace.counters["loop_lag_us"]]
    for lane in jobs:
        (running,) = [seg for seg in lane.segments if seg.state == "cpu"]  # the whole job, on the loop
        assert not [t for t in beats if running.t0 < t < running.t1], lane.name


@pytest.mark.e2e
@pytest.mark.parametrize("model, kind", [("threads", "thread"), ("processes", "process")])
def test_mixed_loop_executors_run_the_jobs_off_the_loop(loops, model, kind):
    trace = loops[model]
    lanes = trace.ordered_lanes()
    loop_tid = next(lane.tid for lane in lanes if lane.name == "heartbeat()")
    heavies = [lane for lane in lanes if lane.name.startswith("heavy #")]
    assert sorted(lane.name for lane in heavies) == ["heavy #1", "heavy #2"]
    for lane in heavies:
        assert lane.kind == kind and lane.end is not None
        if kind == "process":
            assert lane.pid != trace.root_pid
        else:
            assert lane.pid == trace.root_pid and lane.tid != loop_tid
    jobs = {lane.name: lane for lane in lanes if lane.name.startswith("job(")}
    for heavy in heavies:  # each job awaits its executor's future: it ends after its work item did, elsewhere
        job = jobs[f"job({heavy.name.removeprefix('heavy #')})"]
        assert job.end is not None and heavy.end <= job.end, (heavy.name, job.name)


@pytest.mark.e2e
@pytest.mark.parametrize("method", START_METHODS)
def test_mixed_loop_processes_run_the_jobs_in_workers_whatever_the_start_method(method):
    trace = run("mixed-loop", model="processes", start=method, jobs=2, n=50_000, every_s=0.02)
    heavies = [lane for lane in trace.ordered_lanes() if lane.name.startswith("heavy #")]
    assert sorted(lane.name for lane in heavies) == ["heavy #1", "heavy #2"]
    assert all(lane.kind == "process" and lane.pid != trace.root_pid and lane.end is not None for lane in heavies)
    assert trace.info["start_method"] == method


# ----------------------------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("name, param, text", [
    ("async-dashboard", "min_s", "-0.1"), ("async-dashboard", "max_s", "11"),
    ("futures", "messages", "0"), ("futures", "messages", "101"), ("futures", "workers", "65"),
    ("futures", "collect", "whenever"),
    ("cpu-processes", "n", "0"), ("cpu-processes", "n", "20_000_001"), ("cpu-processes", "items", "65"),
    ("cpu-processes", "workers", "-1"),
    ("mixed-loop", "model", "fibers"), ("mixed-loop", "jobs", "0"), ("mixed-loop", "every_s", "0"),
    ("mixed-loop", "n", "20_000_001"),
])
def test_out_of_range_parameters_are_refused_with_the_allowed_values(name, param, text):
    scenario = catalog.get(name)
    with pytest.raises(ParamError) as err:
        scenario.resolve({param: text})
    message = str(err.value)
    assert param in message and repr(text) in message and scenario.param(param).allowed() in message


@pytest.mark.parametrize("name", GUIDE_SCENARIOS)
def test_defaults_are_within_their_ranges_and_the_guides(name):
    scenario = catalog.get(name)
    assert scenario.resolve({}) == scenario.defaults()
    assert scenario.module == f"scenarios.{name.replace('-', '_')}"


def test_the_guides_numbers_are_the_defaults():
    assert catalog.get("async-dashboard").defaults() == {"min_s": 0.5, "max_s": 1.5}
    assert catalog.get("futures").defaults()["messages"] == 2
    assert catalog.get("futures").defaults()["collect"] == "submitted"
    assert {k: v for k, v in catalog.get("cpu-processes").defaults().items() if k != "workers"} == {
        "n": 1_000_000, "items": 4, "start": "default"}  # the guide's pool: this Python's own start method


@pytest.mark.parametrize("name", GUIDE_SCENARIOS)
def test_lessons_answer_for_an_empty_trace(name):
    trace = Trace({"scenario": name, "params": catalog.get(name).defaults()})
    json.dumps(lessons.metrics(trace, 0.0))
    assert lessons.explain(trace, 0.0) == []


@pytest.mark.e2e
def test_cli_refuses_an_out_of_range_value_in_one_line():
    done = subprocess.run([CONCVIZ, "run", "mixed-loop", "--headless", "-p", "jobs=51"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "jobs takes a whole number from 1 to 50" in done.stderr


# ------------------------------------------------------------------------------------- the child's entry point


def child(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CONCVIZ_EVENTS_FD"}
    return subprocess.run([sys.executable, "-m", "scenarios", *args], capture_output=True, text=True, timeout=60,
                          env=env)


@pytest.mark.parametrize("name", GUIDE_SCENARIOS + ("cpu-speedup", "threads-download"))
def test_the_child_imports_only_the_scenario_it_runs(name):
    """Not the whole catalog: the other scenarios' imports would cost every run's start-up and every fork."""
    code = ("import sys; from scenarios.__main__ import find; s = find(sys.argv[1]); "
            "print(s.name, s.module, *sorted(m for m in sys.modules if m.startswith('scenarios.')))")
    done = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found, module, *loaded = done.stdout.split()
    assert (found, module) == (name, catalog.get(name).module)
    others = {s.module for s in catalog.scenarios().values()} - {module}
    assert module in loaded and not others & set(loaded)


@pytest.mark.parametrize("args, says", [
    (("no-such-scenario",), "unknown scenario 'no-such-scenario': choose one of"),
    (("probe",), "unknown scenario 'probe'"),  # a module of the package, not a scenario
    (("a.b",), "unknown scenario 'a.b'"),
    (("cpu-processes", "--params", '{"n": 0}'), "n=0 is out of range"),
    (("cpu-processes", "--params", '{"size": 1}'), "unknown parameter 'size' for cpu-processes"),
    (("cpu-processes", "--params", "{n: 1}"), "--params is not JSON"),
    (("cpu-processes", "--params", "[1]"), "--params takes a JSON object"),
])
def test_the_child_refuses_bad_input_in_one_line(args, says):
    done = child(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and says in done.stderr and "Traceback" not in done.stderr


@pytest.mark.e2e
def test_a_run_without_traced_locks_is_not_calibrated_for_them(processes):
    """The lock-tracing calibration (after the run's end) is only for runs that made a traced lock."""
    assert "lock_tracing_us" not in processes.info


@pytest.mark.e2e
def test_a_run_with_a_traced_lock_is_calibrated_for_it():
    """What tracing adds inside the critical section, to a tenth of a microsecond (near none where the GIL is on:
    the probe runs no Python there)."""
    trace = run("threads-download", tasks=2, min_s=0.01, max_s=0.02)
    tracing_us = trace.info["lock_tracing_us"]
    assert tracing_us >= 0 and round(tracing_us, 1) == tracing_us

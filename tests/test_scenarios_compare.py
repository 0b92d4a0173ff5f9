"""The comparisons, end to end: cpu-speedup (Exercise 3), async-fetch (Exercise 2) and convoy.

Real child processes with small inputs; structure and sanity that hold on any machine (no timing thresholds):
the variants, their lanes and states, the worker processes, the HTTP server answering over a socket and gone
afterwards, thread counts that follow from the model; and the explanations checked against fixed figures.
"""

from __future__ import annotations

import json
import os
import sys
import subprocess
from concurrent import futures

import psutil
import pytest

from scenarios import catalog
from scenarios.catalog import START_METHODS
from scenarios.workers import default_start_method
from tui import lessons
from tui.lessons import async_fetch as fetch_lesson
from tui.lessons import convoy as convoy_lesson
from tui.lessons import cpu_speedup as speedup_lesson
from tui.model import Trace
from tui.session import run_headless
from tui.summary import summarize

CONCVIZ = os.path.join(os.path.dirname(sys.executable), "concviz")  # the one installed beside this Python
URLS = 30


def run(name: str, **params) -> Trace:
    scenario = catalog.get(name)
    trace = run_headless(scenario, scenario.resolve(params), 1, time_limit_s=90)
    assert trace.exit["status"] == 0, trace.exit
    assert trace.error is None, trace.error
    return trace


def left_behind(trace: Trace) -> list[psutil.Process]:
    """Live processes of the run's session (the child started one of its own), zombies aside."""
    found = []
    for p in psutil.process_iter(["status"]):
        try:
            if os.getsid(p.pid) == trace.root_pid and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(p)
        except (ProcessLookupError, PermissionError):
            pass
    return found


def overlap(a, b) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def assert_partial_views_work(trace: Trace) -> None:
    """Metrics and explanation at moments during the run (a live screen, a paused replay) never raise."""
    for i in range(11):
        now = trace.duration * i / 10
        json.dumps(lessons.metrics(trace, now))
        assert all(isinstance(line, str) for line in lessons.explain(trace, now))


# ----------------------------------------------------------------------------------------------- cpu-speedup


@pytest.fixture(scope="module", params=START_METHODS)
def speedup(request) -> Trace:
    """Every model, with the process pool's workers started each way (the interpreters model on 3.14+)."""
    return run("cpu-speedup", n=200_000, items=4, workers=2, start=request.param)


@pytest.mark.e2e
def test_speedup_runs_serial_threads_and_processes_in_one_child(speedup):
    summary = summarize(speedup)
    assert list(summary["variants"])[:3] == ["serial", "threads", "processes"]
    assert "variants" not in summary["metrics"]
    for name in ("serial", "threads", "processes"):
        v = summary["variants"][name]
        assert v["finished"] and v["wall_s"] > 0 and v["cores_used"] > 0 and v["speedup"] > 0
        assert v["lanes"] == 4
        assert len([t for t in summary["tasks"] if t["variant"] == name and t["name"].startswith("heavy #")]) == 4
    assert summary["variants"]["serial"]["speedup"] == 1.0
    if hasattr(futures, "InterpreterPoolExecutor"):  # Python 3.14+: a fourth model, with a speedup of its own
        assert summary["variants"]["interpreters"]["speedup"] > 0 and summary["exit"]["status"] == 0
    assert 0 <= summary["variants"]["threads"]["gil_wait_share"] <= 1
    if not hasattr(futures, "InterpreterPoolExecutor"):
        assert "3.14" in summary["metrics"]["interpreters"]
        assert any("InterpreterPoolExecutor" in line and "3.14" in line for line in summary["explanation"])


@pytest.mark.e2e
def test_speedup_threads_share_one_core_and_wait_for_the_gil(speedup):
    if not speedup.gil_enabled:
        pytest.skip("a free-threaded build has no GIL to wait for")
    threads = summarize(speedup)["variants"]["threads"]
    assert threads["cores_used"] < 1.5  # the GIL: one thread runs Python at a time, however fast the machine
    lanes = [lane for lane in speedup.ordered_lanes(variant="threads") if lane.kind == "thread"]
    assert len(lanes) == 4
    busy_together = [a for a in lanes if sum(overlap(a, b) for b in lanes if b is not a) > (a.end - a.start) / 2]
    assert busy_together, "two pool threads ran their items at the same time"
    # while one runs Python the others wait for the GIL; on a loaded machine a short lane may spend its wait in
    # the kernel's run queue instead (core_wait), so the GIL shows on at least one of them, not on every one
    assert any(speedup.lane_states(lane).get("gil_wait", 0.0) > 0 for lane in busy_together)


@pytest.mark.e2e
def test_speedup_process_items_run_in_worker_processes_after_a_measured_startup(speedup):
    lanes = speedup.ordered_lanes(variant="processes")
    items = [lane for lane in lanes if lane.name.startswith("heavy #")]
    assert {lane.kind for lane in items} == {"process"}
    assert all(lane.pid != speedup.root_pid for lane in items)
    assert all(lane.end is not None for lane in items)  # every worker's last events reached concviz
    assert all("gil_wait" not in speedup.lane_states(lane) for lane in items)  # a process has no GIL rival
    startup = [lane for lane in lanes if speedup.lane_states(lane).get("startup", 0) > 0]
    assert len(startup) == 1 and startup[0].pid == speedup.root_pid
    figures = summarize(speedup)["variants"]["processes"]
    assert figures["startup_s"] > 0 and figures["processes"] >= 1
    assert figures["startup_s"] == pytest.approx(startup[0].end - startup[0].start, abs=1e-3)
    assert speedup.info["start_method"] == speedup.meta["params"]["start"]
    assert not left_behind(speedup)


@pytest.mark.e2e
def test_speedup_names_this_pythons_own_start_method_by_default():
    trace = run("cpu-speedup", n=20_000, items=2, workers=2)
    assert trace.info["start_method"] == trace.info["default_start_method"] == default_start_method()
    assert {lane.kind for lane in trace.ordered_lanes(variant="processes") if lane.name.startswith("heavy")} == {
        "process"}


@pytest.mark.e2e
@pytest.mark.skipif(not hasattr(futures, "InterpreterPoolExecutor"), reason="InterpreterPoolExecutor: Python 3.14+")
def test_speedup_interpreters_each_measured_inside_itself(speedup):
    lanes = speedup.ordered_lanes(variant="interpreters")
    interpreters = {lane.key[1]: lane for lane in lanes if lane.name.startswith("interpreter ")}
    items = [lane for lane in lanes if lane.name.startswith("heavy #")]
    assert 1 <= len(interpreters) <= 2 and len(items) == 4
    assert {lane.pid for lane in lanes} == {speedup.root_pid}  # subinterpreters: one process
    for lane in items:
        assert lane.kind == "interpreter" and lane.parent in interpreters and lane.end is not None
        assert speedup.lane_states(lane).get("cpu", 0) > 0  # measured on its own thread, from inside
        assert "gil_wait" not in speedup.lane_states(lane)  # each interpreter has its own GIL
    for key, lane in interpreters.items():
        assert lane.kind == "interpreter" and lane.end is not None  # it closed with the pool
        ran_items = any(item.parent == key for item in items)
        assert ("cpu" in {seg.state for seg in lane.segments}) == ran_items  # running while it ran an item
    figures = summarize(speedup)["variants"]["interpreters"]
    assert figures["finished"] and figures["speedup"] > 0 and figures["lanes"] == 4


@pytest.mark.e2e
def test_speedup_partial_trace(speedup):
    assert_partial_views_work(speedup)
    first = speedup.variants["serial"]
    mid = lessons.metrics(speedup, (first.start + first.end) / 2)
    assert list(mid["variants"]) == ["serial"] and mid["variants"]["serial"]["finished"] is False


SPEEDUP = {
    "variants": {
        "serial": {"finished": True, "wall_s": 1.62, "startup_s": 0, "cores_used": 0.99, "lanes": 4, "threads": 1,
                   "processes": 1, "speedup": 1.0, "speedup_with_startup": 1.0},
        "threads": {"finished": True, "wall_s": 1.65, "startup_s": 0.0004, "cores_used": 1.01, "lanes": 4,
                    "threads": 4, "processes": 1, "gil_wait_share": 0.72, "gil_wait_s": 0.93, "speedup": 0.98,
                    "speedup_with_startup": 0.98},
        "processes": {"finished": True, "wall_s": 0.85, "startup_s": 0.012, "cores_used": 1.93, "lanes": 4,
                      "threads": 2, "processes": 2, "core_wait_share": 0.02, "speedup": 1.91,
                      "speedup_with_startup": 1.88},
    },
    "cores": 2, "workers": 4, "parallel_limit": 2, "interpreters": "needs Python 3.14 (this run: Python 3.11.7)",
}


def test_speedup_explanation_quotes_its_figures():
    text = "\n".join(speedup_lesson.describe(SPEEDUP, gil=True, n=1_000_000, items=4))
    for quoted in ("4 x heavy(1,000,000)", "1.62 s", "1.65 s", "speedup 0.98x", "1.01 cores", "72%", "930 ms",
                   "850 ms", "speedup 1.91x", "1.93 cores of the 2 possible", "2 cores and 4 workers",
                   "processes 12 ms", "1.88x", "needs Python 3.14"):
        assert quoted in text, quoted
    assert "waiting for the GIL" in text and "Why threads do not help" in text


def test_speedup_explanation_without_a_gil_claims_none():
    free = json.loads(json.dumps(SPEEDUP))
    free["variants"]["threads"].update(cores_used=1.9, gil_wait_share=0.0, gil_wait_s=0.0)
    text = "\n".join(speedup_lesson.describe(free, gil=False))
    assert "1.90 cores" in text and "without a GIL" in text
    assert "the GIL" not in text and "its own GIL" not in text


def test_speedup_explanation_does_not_credit_processes_they_did_not_earn():
    busy = json.loads(json.dumps(SPEEDUP))
    busy["variants"]["processes"].update(cores_used=0.95, core_wait_share=0.6)
    text = "\n".join(speedup_lesson.describe(busy, gil=True))
    assert "Why threads do not help" not in text
    assert "60% of its time for a free core" in text


# ----------------------------------------------------------------------------------------------- async-fetch


@pytest.fixture(scope="module")
def fetched() -> Trace:
    return run("async-fetch", model="compare", urls=URLS, min_ms=300, max_ms=400, workers=10)


@pytest.mark.e2e
def test_fetch_compare_runs_every_model_against_a_real_server(fetched):
    summary = summarize(fetched)
    assert list(summary["variants"]) == ["asyncio", "threads", "pool"]
    for name, v in summary["variants"].items():
        assert v["measured_by"] == "client"
        assert v["requests"] == URLS and v["ok"] == URLS  # every response 200 with its own number as the body
        assert v["wall_s"] > 0 and v["peak_rss_mb"] > 0 and v["ctx_switches"] > 0
        lanes = fetched.ordered_lanes(variant=name)
        assert len(lanes) == URLS and all(lane.name.startswith("fetch(") for lane in lanes)
        assert {lane.kind for lane in lanes} == ({"async"} if name == "asyncio" else {"thread"})
        assert all("io" in fetched.lane_states(lane) for lane in lanes)
    server = fetched.info["server"]
    assert summary["metrics"]["server_answered"] == server["answered"] == 3 * URLS  # counted by the server
    assert server["pid"] != fetched.root_pid and server["port"] > 0
    assert fetched.counter_peak("in_flight") >= 1 and fetched.counter("in_flight") == 0


@pytest.mark.e2e
def test_fetch_asyncio_needs_no_thread_per_url_and_threads_do(fetched):
    v = summarize(fetched)["variants"]
    before = fetched.info["threads_before"]
    assert v["asyncio"]["peak_threads"] <= before + 1 < URLS  # one loop on the thread that was already there
    assert v["asyncio"]["in_flight_max"] > 1
    # every request in flight holds its own thread: at the peak, all of them plus those already there
    assert v["threads"]["peak_threads"] >= before + v["threads"]["in_flight_max"]
    assert v["threads"]["in_flight_max"] >= URLS // 2
    assert v["pool"]["in_flight_max"] <= 10 and v["pool"]["peak_threads"] <= before + 10


@pytest.mark.e2e
def test_fetch_leaves_no_server_behind(fetched):
    pid = fetched.info["server"]["pid"]
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not left_behind(fetched)


@pytest.mark.e2e
def test_fetch_partial_trace(fetched):
    assert_partial_views_work(fetched)
    pool = fetched.variants["pool"]
    mid = lessons.metrics(fetched, (pool.start + pool.end) / 2)["variants"]
    assert mid["asyncio"]["measured_by"] == "client" and mid["pool"]["measured_by"] == "samples"


@pytest.mark.e2e
def test_fetch_single_model_reports_top_level_figures():
    trace = run("async-fetch", model="asyncio", urls=12, min_ms=20, max_ms=60)
    summary = summarize(trace)
    assert "variants" not in summary and not trace.variants
    m = summary["metrics"]
    for key in ("wall_s", "peak_threads", "peak_rss_mb", "ctx_switches", "in_flight_max"):
        assert m[key] > 0, key
    assert m["model"] == "asyncio" and m["ok"] == 12 and m["server_answered"] == 12
    assert m["peak_threads"] <= trace.info["threads_before"] + 1
    assert not left_behind(trace)


FETCH = {
    "variants": {
        "asyncio": {"wall_s": 0.51, "peak_threads": 3, "peak_rss_mb": 38.4, "ctx_switches": 231, "in_flight_max": 200,
                    "requests": 200, "ok": 200, "measured_by": "client"},
        "threads": {"wall_s": 0.57, "peak_threads": 156, "peak_rss_mb": 42.0, "ctx_switches": 2456,
                    "in_flight_max": 147, "requests": 200, "ok": 200, "measured_by": "client"},
        "pool": {"wall_s": 1.85, "peak_threads": 23, "peak_rss_mb": 40.2, "ctx_switches": 690, "in_flight_max": 20,
                 "requests": 200, "ok": 200, "measured_by": "client"},
    },
    "urls": 200, "workers": 20, "threads_before": 3, "latency_max_s": 0.299, "latency_sum_s": 33.865,
    "server_answered": 600,
}


def test_fetch_explanation_quotes_its_figures():
    text = "\n".join(fetch_lesson.describe(FETCH, {"pid": 4321, "port": 8080}))
    for quoted in ("asyncio: 510 ms, 3 OS threads", "156 OS threads at most", "2,456 context switches",
                   "200 requests in flight on 3 OS threads", "156 threads for 147", "4 MB more memory",
                   "2,225 times more", "1.85 s", "20 workers", "already had 3 OS threads", "299 ms", "33.87 s",
                   "pid 4321", "127.0.0.1:8080", "answered 600 requests"):
        assert quoted in text, quoted
    assert "GIL" not in text


def test_fetch_explanation_says_when_the_cpu_not_the_waiting_set_the_pace():
    assert not any("set the pace" in line for line in fetch_lesson.describe(FETCH))  # 510 ms: near the slowest
    big = json.loads(json.dumps(FETCH))
    big["variants"]["asyncio"].update(wall_s=2.14, cpu_s=1.6, in_flight_max=2000)
    text = "\n".join(fetch_lesson.describe(big))
    assert "asyncio took 2.14 s, well over its slowest URL (299 ms)" in text and "CPU for 1.60 s" in text


def test_fetch_explanation_of_one_model():
    single = {"model": "pool", **FETCH["variants"]["pool"], "urls": 200, "workers": 20}
    text = "\n".join(fetch_lesson.describe(single))
    assert "200 URLs in 1.85 s, 23 OS threads at most" in text and "at most 20 requests in flight" in text


# ---------------------------------------------------------------------------------------------------- convoy


@pytest.fixture(scope="module")
def convoy() -> Trace:
    return run("convoy", cpu_threads=1, requests=30)


@pytest.mark.e2e
def test_convoy_measures_the_responder_alone_then_beside_cpu_threads(convoy):
    summary = summarize(convoy)
    assert list(summary["variants"]) == ["0 CPU threads", "1 CPU thread"]
    for name, stage in summary["variants"].items():
        assert stage["finished"] and stage["requests"] == 30
        assert 2.0 <= stage["p50"] <= stage["p99"]  # each request sleeps 2 ms: no latency can be shorter
        names = sorted(lane.name for lane in convoy.ordered_lanes(variant=name))
        assert names == (["responder"] if stage["cpu_threads"] == 0 else ["cpu 0", "responder"])
    assert summary["metrics"]["latency_ms"] == {k: summary["variants"]["1 CPU thread"][k] for k in ("p50", "p99")}
    assert summary["metrics"]["baseline_latency_ms"]["p50"] == summary["variants"]["0 CPU threads"]["p50"]
    responder = next(lane for lane in convoy.ordered_lanes(variant="1 CPU thread") if lane.name == "responder")
    assert "io" in convoy.lane_states(responder)
    assert len(convoy.counters["latency_us"]) == 60


@pytest.mark.e2e
def test_convoy_partial_trace(convoy):
    assert_partial_views_work(convoy)
    stage = convoy.variants["1 CPU thread"]
    mid = lessons.metrics(convoy, (stage.start + stage.end) / 2)
    assert mid["variants"]["1 CPU thread"]["finished"] is False
    assert 0 < mid["variants"]["1 CPU thread"]["requests"] < 30


CONVOY = {
    "variants": {
        "0 CPU threads": {"cpu_threads": 0, "requests": 200, "p50": 2.147, "p99": 5.781, "finished": True},
        "1 CPU thread": {"cpu_threads": 1, "requests": 200, "p50": 7.193, "p99": 12.834, "finished": True},
        "2 CPU threads": {"cpu_threads": 2, "requests": 200, "p50": 12.475, "p99": 48.071, "finished": True},
    },
    "switch_interval_ms": 5.0, "io_ms": 2.0,
}


def test_convoy_explanation_quotes_its_figures():
    text = "\n".join(convoy_lesson.describe(CONVOY, gil=True))
    for quoted in ("2.1 ms at the median (p99 5.8 ms)", "Beside 1 CPU thread: p50 7.2 ms, p99 12.8 ms (3.4x",
                   "Beside 2 CPU threads: p50 12.5 ms, p99 48.1 ms (5.8x", "switch interval (5 ms)",
                   "from 2.1 to 12.5 ms"):
        assert quoted in text, quoted
    assert "GIL" in text


def test_convoy_explanation_without_a_gil_claims_none():
    text = "\n".join(convoy_lesson.describe(CONVOY, gil=False, cores=2))
    assert "without a GIL" in text and "sharing 2 cores" in text
    assert "the GIL" not in text


def test_bad_parameter_is_one_line_and_exit_2():
    done = subprocess.run([CONCVIZ, "run", "convoy", "--headless", "-p", "cpu_threads=99"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "cpu_threads" in done.stderr

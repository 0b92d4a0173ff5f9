"""Beyond the guide: the convoy effect. An I/O thread answers requests while CPU-bound threads run beside it.

The responder's work per request is tiny (2 ms of I/O, then a few microseconds of Python), yet its latency
grows with every CPU thread beside it: each time its I/O ends it must get the interpreter back from a thread
that only lets go every switch interval. The run answers ``requests`` requests alone, then beside 1, 2, ...
``cpu_threads`` CPU threads, one stage (variant) each, so the rise shows in one run.
"""

from __future__ import annotations

import math
import sys
import threading
import time

from scenarios import probe
from scenarios.catalog import Param, Scenario

IO_S = 0.002

SCENARIO = Scenario(
    name="convoy",
    module=__name__,
    title="The convoy effect: an I/O thread behind CPU threads",
    guide="Beyond the guide - the convoy effect",
    place=80,
    watch="with a GIL, the responder's latency climbs as CPU threads join: after each wait it queues for the GIL",
    lesson="Threads -> I/O overlap, until CPU work shares the process",
    params=(
        Param("cpu_threads", 2, "CPU-bound threads beside the responder (stages 0 to this)", min=0, max=8),
        Param("requests", 200, "requests answered in each stage", min=1, max=5000),
        Param("switch_interval_ms", 5.0, "sys.setswitchinterval in ms (CPython's default is 5)", min=0.1, max=100.0),
    ),
)


def heavy(n: int) -> float:
    return sum(math.sqrt(i) for i in range(n))


def respond(request: int) -> str:
    return f"answer {request}: " + ",".join(str(i) for i in range(20))  # a tiny bit of Python


def answer(requests: int, latencies: list[float]) -> None:
    with probe.task("responder"):
        for request in range(requests):
            start = time.perf_counter()
            with probe.waiting("io"):
                time.sleep(IO_S)  # the request's I/O
            respond(request)
            latency = time.perf_counter() - start
            latencies.append(latency)
            probe.count("latency_us", round(latency * 1e6))


def burn(k: int, stop: threading.Event) -> None:
    with probe.task(f"cpu {k}"):
        while not stop.is_set():
            heavy(10_000)


def stage(cpu_threads: int, requests: int) -> list[float]:
    """The responder's latencies with ``cpu_threads`` CPU threads running beside it."""
    stop = threading.Event()
    burners = [threading.Thread(target=burn, args=(k, stop)) for k in range(cpu_threads)]
    for t in burners:
        t.start()
    latencies: list[float] = []
    responder = threading.Thread(target=answer, args=(requests, latencies))
    responder.start()
    responder.join()
    stop.set()
    for t in burners:
        t.join()
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def run(cpu_threads: int = 2, requests: int = 200, switch_interval_ms: float = 5.0) -> None:
    sys.setswitchinterval(switch_interval_ms / 1000)
    names = [f"{k} CPU thread" + ("" if k == 1 else "s") for k in range(cpu_threads + 1)]
    probe.note(models={name: k + 1 for k, name in enumerate(names)})  # each stage's tasks, for concviz's layout
    for k, name in enumerate(names):
        with probe.variant(name):
            latencies = stage(k, requests)
        figures = {"cpu_threads": k, "requests": len(latencies),
                   "p50": round(percentile(latencies, 0.50) * 1000, 3),
                   "p99": round(percentile(latencies, 0.99) * 1000, 3)}
        probe.note(stages={name: figures})
        print(f"beside {k} CPU threads: p50 {figures['p50']:.2f} ms, p99 {figures['p99']:.2f} ms")

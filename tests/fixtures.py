"""Fixed traces for the app's tests: synthetic records, exactly the tuples the Decoder produces
(``(pid, type, a, b, id, x, y, z, text)``, see scenarios/wire.py), plus psutil-like samples.

Nothing here depends on the machine or the clock, so the screens drawn from these traces are the same every time.
"""

from __future__ import annotations

from scenarios import wire
from tui.model import Sample, Trace

PID = 4242
T0 = 1_000_000_000_000  # the run's start, monotonic ns
MS = 1_000_000
PYTHON = {"version": "3.11.7", "implementation": "CPython", "gil": "enabled", "free_threaded_build": False}


def ns(seconds: float) -> int:
    return T0 + round(seconds * 1e9)


class Script:
    """Records in time order, written the way a scenario's probe calls would send them."""

    def __init__(self, pid: int = PID) -> None:
        self.pid = pid
        self.events: list[tuple] = []
        self.cpu: dict[int, tuple[int, int]] = {}  # task -> (on-CPU ns, run-queue ns) read so far
        self.events.append((-1.0, (pid, wire.HELLO, 0, 0, 0, T0, wire.VERSION, 2, None)))

    def add(self, t: float, typ: int, a: int = 0, b: int = 0, ident: int = 0, y: int = 0, z: int = 0,
            text: str | None = None) -> None:
        self.events.append((t, (self.pid, typ, a, b, ident, ns(t), y, z, text)))

    def text(self, t: float, kind: int, target: int, text: str) -> None:
        self.add(t, wire.TEXT, kind, 1, target, len(text.encode()), 0, text)

    def task(self, t: float, ident: int, name: str, kind: str = "thread") -> None:
        self.text(t, wire.TEXT_TASK, ident, name)
        self.add(t, wire.TASK, wire.KIND_CODE[kind], 0, ident, 0, 0)
        self.add(t, wire.BIND, 0, 0, ident, 10_000 + ident, 0)
        self.cpu[ident] = (ident * 7 * MS, ident * MS)

    def state(self, t: float, ident: int, state: str, on_cpu_s: float = 0.0, queue_s: float = 0.0) -> None:
        """Switch state; ``on_cpu_s`` and ``queue_s``: CPU and run-queue time since the last switch."""
        on, queue = self._read(ident, on_cpu_s, queue_s)
        self.add(t, wire.STATE, wire.STATE_CODE[state], 0, ident, on, queue)

    def end(self, t: float, ident: int, on_cpu_s: float = 0.0, queue_s: float = 0.0) -> None:
        on, queue = self._read(ident, on_cpu_s, queue_s)
        self.add(t, wire.END, 0, 0, ident, on, queue)

    def _read(self, ident: int, on_cpu_s: float, queue_s: float) -> tuple[int, int]:
        on, queue = self.cpu[ident]
        on, queue = on + round(on_cpu_s * 1e9), queue + round(queue_s * 1e9)
        self.cpu[ident] = (on, queue)
        return on, queue

    def records(self) -> list[tuple]:
        return [rec for _, rec in sorted(self.events, key=lambda e: e[0])]


def _meta(scenario: str, params: dict) -> dict:
    return {"scenario": scenario, "params": params, "seed": 1, "python": dict(PYTHON), "machine": {"cores": 2},
            "started": "2026-01-01T00:00:00+0000"}


def _samples(trace: Trace, until: float, cores, proc_cores, threads) -> None:
    """A sample every 100 ms; the figures are functions of the sample's index."""
    i = 1
    while i * 0.1 <= until + 1e-9:
        t = i * 0.1
        trace.add_sample(Sample(round(t, 3), tuple(c(i) for c in cores), proc_cores(i), threads(i),
                                rss=24 * 2**20 + i * 4096, ctx_switches=100 + 37 * i, processes=1))
        i += 1


# the downloads' sleeps, seconds (the guide draws them from 0.1-0.5 s)
DOWNLOADS = (0.31, 0.18, 0.44, 0.26, 0.12, 0.39, 0.262, 0.48, 0.22, 0.35)  # 3 and 6 queue on the lock


def threads_download(crash_at: float | None = None) -> Trace:
    """The guide's Exercise 1: 10 threads sleep (io), then take the progress lock in turn and print.

    ``crash_at``: the scenario raises ZeroDivisionError at that time (the run screen of a crashed run)."""
    s = Script()
    s.text(0.0, wire.TEXT_LOCK, 1, "progress lock")
    s.add(0.0, wire.LOCK, 0, 1)
    s.text(0.0, wire.TEXT_COUNTER, 1, "progress")
    output = []
    starts = [0.002 + i * 0.0004 for i in range(len(DOWNLOADS))]
    woken = [start + 0.0002 + sleep for start, sleep in zip(starts, DOWNLOADS)]
    free_at = 0.0
    for progress, i in enumerate(sorted(range(len(DOWNLOADS)), key=woken.__getitem__), start=1):
        start, woke, ident = starts[i], woken[i], i + 1
        s.task(start, ident, f"download {i}")
        s.state(start, ident, "cpu")
        s.state(start + 0.0002, ident, "io", on_cpu_s=0.0001)
        if crash_at is not None and woke > crash_at:
            continue  # still sleeping when the run crashed
        s.state(woke, ident, "cpu")
        s.add(woke + 0.00001, wire.LOCK_REQUEST, 0, 1, ident)
        got = max(woke + 0.00002, free_at)
        s.add(got, wire.LOCK_ACQUIRED, 0, 1, ident)
        s.add(got + 0.00001, wire.COUNT, 0, 1, ident, progress)
        free_at = got + 0.004  # printing under the lock: long enough to see a queue form
        s.add(free_at, wire.LOCK_RELEASED, 0, 1, ident)
        s.end(free_at + 0.0001, ident, on_cpu_s=free_at - woke - 0.002, queue_s=0.0005)
        output.append((got + 0.002, f"Downloaded {i} progress: {progress}"))
    end = crash_at if crash_at is not None else free_at + 0.002
    if crash_at is not None:
        s.text(crash_at, wire.TEXT_ERROR, 0,
               '{"type": "ZeroDivisionError", "message": "division by zero", '
               '"where": "threads_download.py:38 in download", "traceback": "Traceback ..."}')
    s.add(end, wire.RUN_END)
    trace = Trace(_meta("threads-download", {"tasks": 10, "min_s": 0.1, "max_s": 0.5}))
    trace.apply(s.records())
    for t, line in output:
        trace.add_output(t, line)
    _samples(trace, end, cores=(lambda i: 8.0 + (i * 7) % 13, lambda i: 3.0 + (i * 5) % 9),
             proc_cores=lambda i: 0.02 + (i % 3) * 0.01, threads=lambda i: 11 if i < 5 else 6)
    if crash_at is None:
        trace.exit = {"status": 0, "signal": None, "reason": "finished"}
    else:
        trace.exit = {"status": 1, "signal": None, "reason": "the scenario raised an exception",
                      "stderr": "Traceback (most recent call last):\nZeroDivisionError: division by zero\n"}
    return trace


def crashed() -> Trace:
    return threads_download(crash_at=0.3)


# each thread's CPU stretches: (seconds of wall time, share on a CPU, share in the run queue); the rest is GIL wait
CHUNKS = ((0.25, 0.45, 0.05), (0.25, 0.30, 0.10), (0.25, 0.50, 0.02), (0.25, 0.25, 0.15), (0.25, 0.40, 0.05))


def cpu_threads(threads: int = 4) -> Trace:
    """CPU-bound work on threads: every thread runs Python, but one at a time holds the GIL, so most of each cpu
    stretch is split into gil_wait (and some core_wait) from the threads' scheduler counters."""
    s = Script()
    s.task(0.0, 1, "main", kind="main")
    s.state(0.0, 1, "cpu")
    s.state(0.01, 1, "wait", on_cpu_s=0.009)
    last = 0.0
    for n in range(threads):
        ident = n + 2
        t = 0.002 + n * 0.001
        s.task(t, ident, f"heavy {n}")
        s.state(t, ident, "cpu")
        for k in range(len(CHUNKS)):
            wall, on, queue = CHUNKS[(k + n) % len(CHUNKS)]
            t += wall
            s.state(t, ident, "cpu", on_cpu_s=wall * on, queue_s=wall * queue)
        s.end(t, ident)
        last = max(last, t)
    s.end(last + 0.001, 1)
    s.add(last + 0.002, wire.RUN_END)
    trace = Trace(_meta("cpu-threads", {"threads": threads}))
    trace.apply(s.records())
    trace.add_output(last + 0.0015, "[1000000.0, 1000000.0, 1000000.0, 1000000.0]")
    _samples(trace, last, cores=(lambda i: 55.0 + (i * 11) % 30, lambda i: 40.0 + (i * 7) % 35),
             proc_cores=lambda i: 0.9 + (i % 4) * 0.03, threads=lambda i: threads + 2)
    trace.exit = {"status": 0, "signal": None, "reason": "finished"}
    return trace


def many_tasks(count: int = 200) -> Trace:
    """Hundreds of asyncio tasks, each waiting on the network once: a trace for the dense view and scrolling."""
    s = Script()
    last = 0.0
    for n in range(count):
        ident = n + 1
        t = 0.001 + n * 0.0005
        s.task(t, ident, f"fetch({n})", kind="async")
        s.state(t, ident, "cpu")
        s.state(t + 0.0003, ident, "io")
        done = t + 0.05 + (n * 37 % 100) / 400
        s.state(done, ident, "cpu")
        s.end(done + 0.0004, ident)
        last = max(last, done + 0.0004)
    s.add(last, wire.RUN_END)
    trace = Trace(_meta("many-tasks", {"urls": count}))
    trace.apply(s.records())
    _samples(trace, last, cores=(lambda i: 20.0, lambda i: 10.0), proc_cores=lambda i: 0.2, threads=lambda i: 1)
    trace.exit = {"status": 0, "signal": None, "reason": "finished"}
    return trace


async def press_replay_keys(pilot, clock, duration: float, start: float) -> None:
    """Every replay key, checked on ``clock`` (a ReplayClock paused at ``start``): step, jump, speed, play."""
    import pytest

    await pilot.press("right")
    assert clock.now > start
    await pilot.press("left", "left")
    assert clock.now < start
    await pilot.press("end")
    assert clock.now == pytest.approx(duration)
    await pilot.press("home")
    assert clock.now == 0.0
    await pilot.press("plus")
    assert clock.speed == 2.0
    await pilot.press("minus", "minus")
    assert clock.speed == 0.5
    await pilot.press("space")
    assert clock.playing
    await pilot.press("space")
    await pilot.pause()
    assert not clock.playing

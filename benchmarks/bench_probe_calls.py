"""The probe's cost per call in the thread that makes it, with the probe active (events written to /dev/null by
the real flusher), the hot-lock case where that cost changes what is measured, and what an asyncio task's lane costs
per step of the task: the wrapper (3.11's way, and the way before) against sys.monitoring (3.12+), side by side.

"emitting thread" is the calling thread's own CPU time per call (``time.thread_time_ns``); "process" adds what
the flusher spends packing those events (process CPU per call). Medians of several repetitions.
"""

from __future__ import annotations

import os
import threading
import time

from benchmarks.common import Row, cli, fmt_num, fmt_ratio, median, skipped

SECTION = "1. probe per call"


def per_call(fn, n: int, reps: int) -> tuple[list[float], list[float]]:
    """Microseconds per call: (emitting thread CPU, whole process CPU)."""
    own, total = [], []
    for _ in range(reps):
        fn(n // 10)  # warm up
        from scenarios import probe

        probe.flush()
        t0, p0 = time.thread_time_ns(), time.process_time_ns()
        fn(n)
        own.append((time.thread_time_ns() - t0) / n / 1000)
        probe.flush()  # packing what is left: the rest of the events' cost, done by the flusher in a real run
        total.append((time.process_time_ns() - p0) / n / 1000)
    return own, total


def hot_lock(lock, threads: int, per_thread: int, traced: bool) -> float:
    """Seconds for ``threads`` threads each doing ``per_thread`` times ``with lock: x += 1``."""
    from scenarios import probe

    counter = [0]

    def work(i):
        if traced:
            with probe.task(f"worker {i}"):
                for _ in range(per_thread):
                    with lock:
                        counter[0] += 1
        else:
            for _ in range(per_thread):
                with lock:
                    counter[0] += 1

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    assert counter[0] == threads * per_thread
    probe.flush()
    return wall


# ----------------------------------------------------------------------------------------- asyncio lanes

ASYNC_WAYS = ("plain", "wrapped", "watched")  # no lanes; lanes by the wrapper; lanes by sys.monitoring


def asyncio_steps(way: str, tasks: int, steps: int, nested: bool = False) -> tuple[float, float]:
    """CPU microseconds per task step, (loop thread, whole process), of ``tasks`` tasks each awaiting
    ``asyncio.sleep(0)`` ``steps`` times, with lanes made ``way``. ``nested``: each task also awaits the same
    coroutine function directly (not as a task), so that a watched code object's events fire for frames that are
    no task's top frame, and are ignored."""
    import asyncio

    from scenarios import probe, probe_asyncio

    async def sleeper(n, inner=False):
        for _ in range(steps):
            await asyncio.sleep(0)
        if nested and not inner:
            await sleeper(n, inner=True)

    async def main():
        if way != "plain":
            probe_asyncio.trace_tasks(wrap=way == "wrapped")
        await asyncio.gather(*(sleeper(i) for i in range(tasks)))
        asyncio.get_running_loop().set_task_factory(None)

    probe.flush()
    t0, p0 = time.thread_time_ns(), time.process_time_ns()
    asyncio.run(main())
    own = time.thread_time_ns() - t0
    probe.flush()
    total = time.process_time_ns() - p0
    done = tasks * steps * (2 if nested else 1)
    return own / done / 1000, total / done / 1000


def asyncio_ways(quick: bool, nested: bool = False) -> dict[str, list[tuple[float, float]]]:
    """Each way's (thread, process) us per step over the repetitions, the order rotating each repetition."""
    from scenarios import probe_asyncio

    ways = ASYNC_WAYS if probe_asyncio.WATCHING else ASYNC_WAYS[:2]
    tasks, steps, reps = (50, 100, 5) if quick else (100, 200, 9)
    for way in ways:
        asyncio_steps(way, tasks, steps // 10, nested)  # warm up
    figures: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
    for rep in range(reps):
        for way in ways[rep % len(ways):] + ways[:rep % len(ways)]:
            figures[way].append(asyncio_steps(way, tasks, steps, nested))
    return figures


def asyncio_rows(figures: dict, probe_on: bool, what: str) -> list[Row]:
    """Rows: each way's cost per step beyond plain asyncio, and watched against wrapped, repetition by repetition:
    with the probe on, the ratio of their whole cost per step (what a run pays); with it off, the difference (the
    way of seeing alone, too small beside plain asyncio's own step for a ratio to mean much)."""
    plain = [own for own, _ in figures["plain"]]
    extra = {way: [own - p for (own, _), p in zip(runs, plain)] for way, runs in figures.items() if way != "plain"}
    label = "asyncio lane per task step" + ("" if probe_on else ", probe inactive (the way of seeing alone)") + what
    packing = [total - own for runs in list(figures.values())[1:] for own, total in runs]
    rows = [Row(SECTION, f"{label}: plain asyncio, no lanes", fmt_num(plain, "us"), "", "info",
                "the loop thread's CPU per step of a task: one `await asyncio.sleep(0)` and the loop's turn"
                + (f"; the flusher packs the lanes' records besides ({median(packing):.2f} us a step, either way)"
                   if probe_on else ""))]
    notes = {"wrapped": "a wrapper coroutine drives the task's with send/throw (3.11's way, and every Python's before)",
             "watched": "sys.monitoring events of the task's top frame (3.12+): the task runs the scenario's coroutine"}
    for way, values in extra.items():
        rows.append(Row(SECTION, f"{label}: {way}, beyond plain", fmt_num(values, "us"), "", "info", notes[way]))
    if "watched" not in extra:
        return rows + [skipped(SECTION, f"{label}: watched against wrapped", "no sys.monitoring before Python 3.12")]
    if probe_on:
        ratios = [(p + w) / (p + r) for p, w, r in zip(plain, extra["watched"], extra["wrapped"])]
        rows.append(Row(SECTION, f"{label}: watched / wrapped, whole step", fmt_ratio(ratios, 3), "<= 1 (issue 13)",
                        "pass" if median(ratios) <= 1.0 else "miss", "each repetition's two figures compared"))
    else:
        more = [w - r for w, r in zip(extra["watched"], extra["wrapped"])]
        rows.append(Row(SECTION, f"{label}: watched - wrapped", fmt_num(more, "us"), "", "info",
                        "two Python callbacks a step (PY_RESUME, PY_YIELD) against the wrapper's generator step"))
    return rows


def main(quick: bool = False) -> list[Row]:
    from scenarios import probe

    mechanism = asyncio_ways(quick)  # before the probe starts: lanes record nothing, the way of seeing is all
    probe.init(os.open(os.devnull, os.O_WRONLY))
    n, reps = (50_000, 3) if quick else (200_000, 7)
    lane = probe.Task("bench")
    traced, plain = probe.Lock("bench lock"), threading.Lock()

    def states(k):
        for _ in range(k // 2):
            lane.state("io")
            lane.state("cpu")

    def waits(k):  # between two waiting states: nothing to split, sent unmeasured
        lane.state("io")
        for _ in range(k // 2):
            lane.state("wait")
            lane.state("io")
        lane.state("cpu")

    def marks(k):
        for _ in range(k):
            lane.mark("io")

    def reading(k):
        read = probe._read_schedstat
        for _ in range(k):
            read()

    fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)

    def schedstat(k):
        pread = os.pread
        for _ in range(k):
            int(pread(fd, 64, 0).split()[1])

    def thread_time(k):
        read = time.thread_time_ns
        for _ in range(k):
            read()

    def lock_traced(k):
        for _ in range(k):
            with traced:
                pass

    def lock_by_hand(k):
        for _ in range(k):
            traced.acquire()
            traced.release()

    def lock_plain(k):
        for _ in range(k):
            with plain:
                pass

    def counts(k):
        for i in range(k):
            probe.count("progress", i)

    def empty(k):
        for _ in range(k):
            pass

    rows = []
    with lane:
        base, _ = per_call(empty, n, reps)
        loop = median(base)
        figures = {}
        for label, fn in (("task state change io <-> cpu (with a CPU reading)", states),
                          ("task state change io <-> wait (unmeasured: no cpu stretch starts or ends)", waits),
                          ("task mark (no CPU reading)", marks),
                          ("CPU reading (thread_time_ns, context switches; schedstat only after a switch)", reading),
                          ("schedstat read alone (pread of /proc/thread-self/schedstat)", schedstat),
                          ("time.thread_time_ns() alone, for comparison", thread_time),
                          ("traced lock, with (a busy lock: counted, no Python inside the lock)", lock_traced),
                          ("traced lock, its own acquire()+release() (3 events, as they happen)", lock_by_hand),
                          ("plain threading.Lock acquire+release", lock_plain),
                          ("count()", counts)):
            own, total = per_call(fn, n, reps)
            own = [max(v - loop, 0.0) for v in own]
            total = [max(v - loop, 0.0) for v in total]
            figures[label] = (own, total)
            rows.append(Row(SECTION, f"{label}, emitting thread", fmt_num(own, "us"), "", "info",
                            f"with the flusher's packing: {median(total):.2f} us (loop overhead subtracted)"))
        os.close(fd)
        plain = max(median(figures["plain threading.Lock acquire+release"][0]), 1e-9)
        ratio = median(figures["traced lock, with (a busy lock: counted, no Python inside the lock)"][0]) / plain
        rows.append(Row(SECTION, "traced (with) vs plain lock acquire+release (uncontended)", f"{ratio:.1f}x", "",
                        "info", "the added cost is the getter's, before the lock is taken: none inside it"))

    threads, per_thread = 10, (10_000 if quick else 50_000)
    ratios, plain_us, traced_us = [], [], []
    for _ in range(3):
        p = hot_lock(threading.Lock(), threads, per_thread, traced=False)
        t = hot_lock(probe.Lock("hot"), threads, per_thread, traced=True)
        ratios.append(t / p)
        plain_us.append(p / (threads * per_thread) * 1e6)
        traced_us.append(t / (threads * per_thread) * 1e6)
    rows.append(Row(SECTION, f"hot lock: {threads} threads x {per_thread:,} `with lock: x += 1`, traced / plain",
                    fmt_ratio(ratios, 1), "", "info",
                    f"plain {median(plain_us):.2f} us/op, traced {median(traced_us):.2f} us/op (measurements.md: "
                    "a wrapper with Python inside the lock, 0.65 -> 10 us/op: a convoy of the probe's making)"))

    rows += asyncio_rows(asyncio_ways(quick), probe_on=True, what="")
    rows += asyncio_rows(asyncio_ways(quick, nested=True), probe_on=True,
                         what=" (each task also awaits its coroutine function directly)")
    rows += asyncio_rows(mechanism, probe_on=False, what="")
    return rows


if __name__ == "__main__":
    cli(main)

"""A synthetic scenario child: emits N events through the real probe and flusher as fast as it can.

``python -m benchmarks.emitter KIND N`` with CONCVIZ_EVENTS_FD set (as the real child is started). KIND:
``state`` (a task switching io/cpu, each change reading schedstat), ``lock`` (a traced lock's own acquire and
release: 3 events each, sent as they happen), ``count`` (a counter), ``mixed`` (one of each in turn, the shape of the
guide's scenarios), ``hot`` (``with lock: pass``: a busy lock, counted in the child; N acquisitions, "events"
counts acquisitions, not records).
Prints ``EMIT {"events": .., "records": .., "thread_us": .., "process_us": ..}`` on stderr: CPU per event of the
emitting thread and of the whole child (with the flusher's packing and writing), and the records it sent.
"""

from __future__ import annotations

import json
import os
import sys
import time

from scenarios import probe


def emit(kind: str, n: int) -> int:
    lane = probe.Task("emitter")
    lock = probe.Lock("emitter lock")
    with lane:
        if kind == "state":
            for _ in range(n // 2):
                lane.state("io")
                lane.state("cpu")
            return n // 2 * 2
        if kind == "lock":
            for _ in range(n // 3):
                lock.acquire()
                lock.release()
            return n // 3 * 3
        if kind == "hot":
            for _ in range(n):
                with lock:
                    pass
            return n
        if kind == "count":
            for i in range(n):
                probe.count("progress", i)
            return n
        sent = 0
        for i in range(n // 6):  # mixed: 2 state changes, 3 lock events, 1 count
            lane.state("io")
            lane.state("cpu")
            lock.acquire()
            probe.count("progress", i)
            lock.release()
            sent += 6
        return sent


def main(argv: list[str]) -> int:
    kind, n = argv[0], int(argv[1])
    probe.init(int(os.environ["CONCVIZ_EVENTS_FD"]))
    probe.count("begin", 0)
    t0, p0 = time.thread_time_ns(), time.process_time_ns()
    sent = emit(kind, n)
    thread_ns = time.thread_time_ns() - t0
    probe.run_end()
    probe.flush()
    process_ns = time.process_time_ns() - p0
    print("EMIT " + json.dumps({"events": sent, "records": probe.records_written(), "thread_us": thread_ns / sent / 1000,
                                "process_us": process_ns / sent / 1000}), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

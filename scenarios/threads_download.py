"""Exercise 1: download files concurrently and track shared progress.

The guide's code; its only additions are a lane per thread, the sleep marked as I/O and a traced lock.
"""

from __future__ import annotations

import threading
import time

from scenarios import probe, seeding
from scenarios.catalog import Param, Scenario

SCENARIO = Scenario(
    name="threads-download",
    module=__name__,
    title="Threads overlap waiting",
    guide="Exercise 1 - Threads (I/O-bound Shared State)",
    place=10,
    watch="every download sleeps at once; the lock lets one thread at a time update progress",
    lesson="Threads -> simple I/O overlap",
    params=(
        Param("tasks", 10, "threads, one per file", min=1, max=500),
        Param("min_s", 0.1, "shortest download, seconds", min=0.0, max=10.0),
        Param("max_s", 0.5, "longest download, seconds", min=0.0, max=10.0),
        Param("updates", 1, "progress updates per file under the lock (many: a hot lock)", min=1, max=100_000),
    ),
)

progress = 0
lock = probe.Lock("progress lock")  # the guide: threading.Lock()


def download(file_id: int, min_s: float = 0.1, max_s: float = 0.5, updates: int = 1) -> None:
    global progress
    with probe.task(f"download {file_id}"):
        with probe.waiting("io"):
            time.sleep(seeding.uniform(file_id, min_s, max_s))  # the guide: random.uniform(0.1, 0.5)
        for _ in range(updates - 1):  # a progress update per chunk (the guide: one per file, updates=1)
            with lock:
                progress += 1
        with lock:
            progress += 1
            probe.count("progress", progress)
            print("Downloaded", file_id, "progress:", progress)


def run(tasks: int = 10, min_s: float = 0.1, max_s: float = 0.5, updates: int = 1) -> None:
    low, high = sorted((min_s, max_s))
    threads = [threading.Thread(target=download, args=(i, low, high, updates)) for i in range(tasks)]

    for t in threads:
        t.start()

    for t in threads:
        t.join()

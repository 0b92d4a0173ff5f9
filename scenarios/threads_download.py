"""Exercise 1: download files concurrently and track shared progress.

The guide's code; its only additions are a lane per thread, the sleep marked as I/O and a traced lock.
"""

import threading
import time

from scenarios import probe, seeding
from scenarios.catalog import Param, Scenario

SCENARIO = Scenario(
    name="threads-download",
    module=__name__,
    title="Threads overlap waiting",
    guide="Exercise 1 - Threads (I/O-bound Shared State)",
    watch="every download sleeps at once; the lock lets one thread at a time update progress",
    lesson="Threads -> simple I/O overlap",
    params=(
        Param("tasks", 10, "threads, one per file", min=1, max=500),
        Param("min_s", 0.1, "shortest download, seconds", min=0.0, max=10.0),
        Param("max_s", 0.5, "longest download, seconds", min=0.0, max=10.0),
    ),
)

progress = 0
lock = probe.Lock("progress lock")  # the guide: threading.Lock()


def download(file_id, min_s=0.1, max_s=0.5):
    global progress
    with probe.task(f"download {file_id}"):
        with probe.waiting("io"):
            time.sleep(seeding.uniform(file_id, min_s, max_s))  # the guide: random.uniform(0.1, 0.5)
        with lock:
            progress += 1
            probe.count("progress", progress)
            print("Downloaded", file_id, "progress:", progress)


def run(tasks=10, min_s=0.1, max_s=0.5):
    low, high = sorted((min_s, max_s))
    threads = [threading.Thread(target=download, args=(i, low, high)) for i in range(tasks)]

    for t in threads:
        t.start()

    for t in threads:
        t.join()

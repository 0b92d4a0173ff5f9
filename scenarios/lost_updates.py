"""Exercise 1's second claim: shared memory requires synchronization.

The guide's threads each add to a shared ``progress``. Here every thread does it ``updates`` times, three ways one
after another, and the run counts what ``progress`` should be (threads x updates) against what it is:

- ``no lock``: the guide's ``progress += 1`` without its lock. On a build with a GIL a thread is only switched out
  between bytecodes where the interpreter checks for a switch (a loop's jump back, a call), never inside the
  ``+=``: it may lose nothing at all. On a free-threaded build the threads really run at once, and it loses.
- ``no lock, a window``: the same update written as read, a pause, write (``value = progress``;
  ``time.sleep(0)``; ``progress = value + 1``). The pause lets another thread run between the read and the write:
  both write back the same value plus one, and one update is lost. Every such window is on the lanes (``wait``).
- ``lock``: the same window inside ``with lock:``, as the guide writes its update: nothing is lost, and the lanes
  show the threads queueing for the lock instead.
"""

from __future__ import annotations

import threading
import time

from scenarios import probe
from scenarios.catalog import Param, Scenario

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from collections.abc import Callable

SCENARIO = Scenario(
    name="lost-updates",
    module=__name__,
    title="Shared memory requires synchronization",
    guide="Exercise 1 - Threads (I/O-bound Shared State)",
    place=15,
    watch="progress should reach threads x updates: without the lock, a read-then-write window loses updates",
    lesson="Threads -> shared memory requires synchronization",
    params=(
        Param("threads", 10, "threads updating progress at once (the guide: 10)", min=2, max=32),
        Param("updates", 1000, "updates per thread in each model", min=1, max=10_000),
    ),
)

MODELS = ("no lock", "no lock, a window", "lock")

progress = 0
lock = probe.Lock("progress lock")  # the guide: threading.Lock()


def plain(updates: int) -> None:
    """The guide's update, without its lock."""
    global progress
    for _ in range(updates):
        progress += 1


def windowed(updates: int) -> None:
    """Read, pause, write: another thread may run in between."""
    global progress
    for _ in range(updates):
        value = progress
        with probe.waiting("wait"):  # the window between the read and the write, on the lane
            time.sleep(0)  # hands the GIL over: another thread may read the same value meanwhile
        progress = value + 1


def locked(updates: int) -> None:
    """The same window inside the lock, as the guide updates progress."""
    global progress
    for _ in range(updates):
        with lock:
            value = progress
            time.sleep(0)
            progress = value + 1


def worker(i: int, update: Callable[[int], None], updates: int, start: threading.Barrier) -> None:
    with probe.task(f"thread {i}"):
        with probe.waiting("wait"):
            start.wait()  # every thread begins at once, so that they overlap
        update(updates)


def run(threads: int = 10, updates: int = 1000) -> None:
    global progress
    probe.note(models={name: threads for name in MODELS})  # each model's lanes, for the screen's layout
    for name, update in zip(MODELS, (plain, windowed, locked)):
        progress = 0
        start = threading.Barrier(threads)
        with probe.variant(name):
            pool = [threading.Thread(target=worker, args=(i, update, updates, start)) for i in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            expected = threads * updates
            probe.count("progress", progress)
            probe.note(results={name: {"expected": expected, "actual": progress}})
        print(f"{name}: progress {progress:,} of {expected:,} ({expected - progress:,} lost)")

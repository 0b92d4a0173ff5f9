"""Section 4: CPU-bound work needs processes: each worker has its own interpreter, its own GIL, its own core.

The guide's code. concviz adds a lane per worker process (from its fork: ``startup``, then ``wait`` for work and
``cpu`` while it runs an item), a lane per work item inside the worker that runs it, and the main thread's lane
(``startup`` while the first submit starts the pool, ``wait`` for the results).
"""

import math
import os
from contextlib import contextmanager

from scenarios import probe
from scenarios.catalog import Param, Scenario

SCENARIO = Scenario(
    name="cpu-processes",
    module=__name__,
    title="Processes run Python on every core",
    guide="Section 4 - CPU-bound Work Needs Processes",
    watch="every core busy at once: one worker process per core, each item on its own lane",
    lesson="Processes -> CPU parallelism",
    params=(
        Param("n", 1_000_000, "heavy(n): square roots summed per work item", min=1, max=20_000_000),
        Param("items", 4, "work items (the guide: [1_000_000] * 4)", min=1, max=64),
        Param("workers", 0, "worker processes (0: the pool's default, os.cpu_count())", min=0, max=64),
    ),
)

worker = None  # in a worker process: its lane


def heavy(n):
    with work_item(n):
        return sum(math.sqrt(i) for i in range(n))


@contextmanager
def work_item(n):
    """This item's lane, in the worker process that runs it; the worker runs while the item does."""
    if worker is not None:
        worker.state("cpu")
    with probe.Task(f"heavy({n:_})", kind="process", parent=worker):
        yield
    if worker is not None:
        worker.state("wait")


def worker_forked():
    """In a new worker process, right after the fork: its lane starts up."""
    global worker
    worker = probe.Task(f"worker {os.getpid()}", kind="process", state="startup")


def worker_ready():
    """The pool's initializer: the worker is up and waits for work; its lane ends as the process exits."""
    from multiprocessing import util

    if worker is not None:
        worker.state("wait")
        util.Finalize(None, worker.end, exitpriority=101)  # before the probe's last flush (exitpriority 100)


def run(n=1_000_000, items=4, workers=0):
    from concurrent.futures import ProcessPoolExecutor

    os.register_at_fork(after_in_child=worker_forked)
    with probe.task("main", kind="main"), probe.waiting("wait"):
        with ProcessPoolExecutor(max_workers=workers or None, initializer=worker_ready) as pool:
            with probe.waiting("startup"):  # the first submit forks the workers
                results = pool.map(heavy, [n] * items)
            results = list(results)
            print(results)  # the guide: print(list(results))
    probe.note(results=results)

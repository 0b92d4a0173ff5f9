"""Exercise 3: measure the speedup of CPU-heavy work, and see why threads do not help.

The guide's ``heavy(n)`` over the same work items, three ways one after another: serial, ``ThreadPoolExecutor``
and ``ProcessPoolExecutor`` (its workers started by ``start``: this Python's default, fork, forkserver or spawn),
and ``InterpreterPoolExecutor`` where Python has it (3.14+): subinterpreters in this one process, each with its
own GIL, each with a lane of its own measured inside it. Every work item is a lane; each pool's start-up is a lane
of its own in state ``startup``, so the speedup reads with or without it.
"""

from __future__ import annotations

import math
import os
from concurrent import futures

from scenarios import probe
from scenarios.catalog import Param, Scenario, start_param

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

SCENARIO = Scenario(
    name="cpu-speedup",
    module=__name__,
    title="Speedup: serial, threads, processes",
    guide="Exercise 3 - Process Parallelism",
    place=60,
    watch="with a GIL, threads take turns on one core; processes fill every core",
    lesson="Processes -> CPU parallelism",
    params=(
        Param("n", 1_000_000, "heavy(n): square roots summed per work item", min=1, max=50_000_000),
        Param("items", 4, "work items (the guide: [1_000_000] * 4)", min=1, max=64),
        Param("workers", 0, "pool size, 0 = one per core", min=0, max=64),
        start_param("the process pool's workers"),
    ),
)


def heavy(n: int) -> float:
    return sum(math.sqrt(i) for i in range(n))


def work_item(i: int, n: int, kind: str) -> float:
    """One work item on its own lane, in whichever thread, process or interpreter runs it."""
    with probe.work_item(f"heavy #{i}", kind=kind):
        return heavy(n)


def worker_pid(_: object) -> int:
    return os.getpid()


def pooled(pool_class: Callable[..., futures.Executor], kind: str, n: int, items: int, workers: int,
           **options: Any) -> list[float]:
    """Start the pool (its own lane: start-up, until every worker has answered once), then map the work."""
    startup = probe.Task("pool start-up", kind="main", state="startup")
    with pool_class(workers, **options) as pool:
        list(pool.map(worker_pid, range(workers)))
        startup.end()
        return list(pool.map(work_item, range(items), [n] * items, [kind] * items))


def run(n: int = 1_000_000, items: int = 4, workers: int = 0, start: str = "default") -> None:
    from scenarios import workers as pools

    workers = workers or os.cpu_count() or 1
    method = pools.start_method(start)
    # every model and its tasks (a lane per work item, the pool's start-up, an interpreter's own), laid out at once
    models = {"serial": items, "threads": items + 1, "processes": items + 1}
    if hasattr(futures, "InterpreterPoolExecutor"):  # Python 3.14+
        models["interpreters"] = items + 1 + workers
    probe.note(workers=workers, models=models, start_method=method,
               default_start_method=pools.default_start_method())

    with probe.variant("serial"):
        results = [work_item(i, n, "main") for i in range(items)]
    print("serial:", results)

    with probe.variant("threads"):
        results = pooled(futures.ThreadPoolExecutor, "thread", n, items, workers)
    print("threads:", results)

    with probe.variant("processes"):
        mp_context = pools.context(method)  # multiprocessing.get_context(method), its workers reporting
        results = pooled(futures.ProcessPoolExecutor, "process", n, items, workers, mp_context=mp_context)
    print("processes:", results)

    if "interpreters" in models:
        with probe.variant("interpreters"):  # each interpreter reports from inside itself
            link = (probe.pipe(), probe.current_variant())
            pool_class = futures.InterpreterPoolExecutor  # type: ignore[attr-defined, unused-ignore]  # 3.14+
            results = pooled(pool_class, "interpreter", n, items, workers,
                             initializer=probe.attach_interpreter, initargs=link)
        print("interpreters:", results)

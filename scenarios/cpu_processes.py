"""Section 4: CPU-bound work needs processes: each worker has its own interpreter, its own GIL, its own core.

The guide's code, with the pool's start method as a parameter (``start``: this Python's default, ``fork``,
``forkserver`` or ``spawn``). concviz adds a lane per worker process (``startup`` from the moment the pool
launched it, then ``wait`` for work and ``cpu`` while it runs an item), a lane per work item inside the worker
that runs it, and the main thread's lane (``startup`` while the first submit starts the pool, ``wait`` for the
results). Under ``forkserver`` and ``spawn`` each worker imports the scenario's module afresh: that is why the
guide's code, a pool at the top of a script, needs ``if __name__ == "__main__":`` there.
"""

from __future__ import annotations

import math

from scenarios import probe
from scenarios.catalog import Param, Scenario, start_param

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from collections.abc import Iterable

SCENARIO = Scenario(
    name="cpu-processes",
    module=__name__,
    title="Processes run Python on every core",
    guide="Section 4 - CPU-bound Work Needs Processes",
    place=50,
    watch="every core busy at once: one worker process per core, each item on its own lane",
    lesson="Processes -> CPU parallelism",
    params=(
        Param("n", 1_000_000, "heavy(n): square roots summed per work item", min=1, max=20_000_000),
        Param("items", 4, "work items (the guide: [1_000_000] * 4)", min=1, max=64),
        Param("workers", 0, "worker processes (0: the pool's default, os.cpu_count())", min=0, max=64),
        start_param(),
    ),
)


def heavy(n: int) -> float:
    with probe.work_item(f"heavy({n:_})"):  # this item's lane, in the worker that runs it
        return sum(math.sqrt(i) for i in range(n))


def run(n: int = 1_000_000, items: int = 4, workers: int = 0, start: str = "default") -> None:
    from concurrent.futures import ProcessPoolExecutor

    from scenarios import workers as pools

    method = pools.start_method(start)
    probe.note(start_method=method, default_start_method=pools.default_start_method())
    mp_context = pools.context(method, lanes=True)  # multiprocessing.get_context(method), with a lane per worker
    with probe.task("main", kind="main"), probe.waiting("wait"):
        with ProcessPoolExecutor(max_workers=workers or None, mp_context=mp_context) as pool:
            with probe.waiting("startup"):  # the first submit starts the workers
                results: Iterable[float] = pool.map(heavy, [n] * items)
            results = list(results)
            print(results)  # the guide: print(list(results))
    probe.note(results=results)

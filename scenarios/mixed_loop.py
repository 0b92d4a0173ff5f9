"""The overview: mixed workloads -> futures + executors.

An asyncio service keeps a heartbeat (a task waking every 10 ms, measuring how late it woke) while CPU-bound jobs,
the guide's ``heavy(n)``, arrive every so often. ``model`` decides where the jobs run: in the loop itself
(``loop``), or handed to an executor with ``loop.run_in_executor`` on a thread pool (``threads``) or on a process
pool (``processes``). A late heartbeat is a service that answers late; a blocked loop misses beats entirely.
"""

from __future__ import annotations

import asyncio
import math

from scenarios import probe, probe_asyncio
from scenarios.catalog import Param, Scenario, start_param

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from concurrent.futures import Executor

SCENARIO = Scenario(
    name="mixed-loop",
    module=__name__,
    title="CPU work in an async service: loop, threads or processes",
    guide="Overview - mixed workloads -> futures + executors",
    place=70,
    watch="the heartbeat's lateness: it stops while a job blocks the loop (try model=threads, processes)",
    lesson="Futures + executors -> mixed workloads",
    params=(
        Param("model", "loop", "where the jobs run: in the loop, or via run_in_executor on threads or processes",
              choices=("loop", "threads", "processes")),
        Param("jobs", 4, "CPU-bound jobs arriving", min=1, max=50),
        Param("n", 1_000_000, "heavy(n): square roots summed per job", min=1, max=20_000_000),
        Param("every_s", 0.25, "seconds between job arrivals", min=0.01, max=5.0),
        start_param("the process pool's workers (model=processes)"),
    ),
)

HEARTBEAT_S = 0.01


def heavy(n: int) -> float:
    return sum(math.sqrt(i) for i in range(n))


def heavy_job(i: int, n: int, kind: str) -> float:
    """A job in a pool: a lane of its own, on the thread or in the process that runs it."""
    with probe.work_item(f"heavy #{i}", kind=kind):
        return heavy(n)


async def heartbeat() -> None:
    """The service's pulse: sleep 10 ms, note how late it woke, again."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + HEARTBEAT_S
        await asyncio.sleep(HEARTBEAT_S)
        probe.count("loop_lag_us", max(round((loop.time() - due) * 1e6), 0))


async def job(i: int, n: int, model: str, pool: Executor | None) -> float:
    if model == "loop":
        return heavy(n)  # runs on the loop's own thread: no other task runs until it returns
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(pool, heavy_job, i, n, "thread" if model == "threads" else "process")
    return await probe.waits(work)  # this task waits for a pool worker, not for I/O


async def service(model: str, jobs: int, n: int, every_s: float, pool: Executor | None) -> list[float]:
    beat = asyncio.create_task(heartbeat())
    work: list[asyncio.Task[float]] = []
    for i in range(1, jobs + 1):
        await asyncio.sleep(every_s)  # the next job arrives
        work.append(asyncio.create_task(job(i, n, model, pool)))
    results = await asyncio.gather(*work)
    beat.cancel()
    return results


def run(model: str = "loop", jobs: int = 4, n: int = 1_000_000, every_s: float = 0.25, start: str = "default") -> None:
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    from scenarios import workers as pools

    pool: Executor | None = None
    if model == "threads":
        pool = ThreadPoolExecutor()
    elif model == "processes":
        method = pools.start_method(start)
        probe.note(start_method=method, default_start_method=pools.default_start_method())
        pool = ProcessPoolExecutor(mp_context=pools.context(method))  # get_context(method), workers reporting
    try:
        with asyncio.Runner() as runner:  # asyncio.run(service(...)), with a lane for every task
            probe_asyncio.trace_tasks(runner.get_loop())
            results = runner.run(service(model, jobs, n, every_s, pool))
            runner.get_loop().set_task_factory(None)  # no lanes for asyncio's own clean-up tasks
    finally:
        if pool is not None:
            pool.shutdown()
    print(results)
    probe.note(results=results)

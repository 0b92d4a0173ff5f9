"""Section 2: one event loop coordinates many tasks; total time is about the slowest task, not the sum.

The guide's code; its only additions are a lane for every asyncio task (``probe_asyncio.trace_tasks``) and seeded delays.
"""

from __future__ import annotations

import asyncio

from scenarios import probe, probe_asyncio, seeding
from scenarios.catalog import Param, Scenario

SCENARIO = Scenario(
    name="async-dashboard",
    module=__name__,
    title="One event loop, three overlapping waits",
    guide="Section 2 - Async Event Loop",
    place=20,
    watch="the three fetches wait at the same time on one thread; the dashboard waits only as long as the slowest",
    lesson="Async -> waiting overlaps on one thread",
    params=(
        Param("min_s", 0.5, "shortest fetch, seconds", min=0.0, max=10.0),
        Param("max_s", 1.5, "longest fetch, seconds", min=0.0, max=10.0),
    ),
)


async def fetch(name: str, delays: tuple[float, ...] = (0.5, 1.5)) -> str:
    delay = seeding.uniform(name, *delays)  # the guide: random.uniform(0.5, 1.5)
    await asyncio.sleep(delay)
    return f"{name} ready"


async def dashboard(delays: tuple[float, ...] = (0.5, 1.5)) -> None:
    results = await asyncio.gather(
        fetch("profile", delays),
        fetch("orders", delays),
        fetch("notifications", delays),
    )
    print(results)
    probe.note(results=results)


def run(min_s: float = 0.5, max_s: float = 1.5) -> None:
    with asyncio.Runner() as runner:  # the guide: asyncio.run(dashboard()), with a lane for every task
        probe_asyncio.trace_tasks(runner.get_loop())
        runner.run(dashboard(tuple(sorted((min_s, max_s)))))
        runner.get_loop().set_task_factory(None)  # no lanes for asyncio's own clean-up tasks

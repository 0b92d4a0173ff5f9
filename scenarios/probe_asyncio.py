"""asyncio lanes: every task the scenario creates gets a lane, ``cpu`` while it runs on the loop, ``io`` while it
awaits a sleep or a socket, ``wait`` while it awaits other tasks (gather, a task, an executor's future)."""

from __future__ import annotations

import os

from scenarios import probe


def trace_tasks(loop=None) -> None:
    """Give every asyncio task created from now on a lane: ``cpu`` while it runs on the loop, ``io`` while it
    awaits a sleep or a socket, ``wait`` while it awaits other tasks (gather, a task, a future of an executor).

    Costs about two state records per resume (a few microseconds per step of each task).
    """
    import asyncio

    loop = loop or asyncio.get_running_loop()

    def factory(loop, coro, **kwargs):
        if _asyncio_own(coro):  # asyncio.run's shutdown tasks and the like: not the scenario's code
            return asyncio.Task(coro, loop=loop, **kwargs)
        lane = probe.Task(_coroutine_name(coro), kind="async", state="queued")
        return asyncio.Task(_traced(coro, lane), loop=loop, **kwargs)

    loop.set_task_factory(factory)


def _asyncio_own(coro) -> bool:
    import asyncio

    code = getattr(coro, "cr_code", None)
    return code is not None and code.co_filename.startswith(os.path.dirname(asyncio.__file__) + os.sep)


def _coroutine_name(coro) -> str:
    code = getattr(coro, "cr_code", None)
    if code is None:
        return repr(coro)
    frame = getattr(coro, "cr_frame", None)
    args = ""
    if frame is not None and code.co_argcount:
        first = frame.f_locals.get(code.co_varnames[0])
        if isinstance(first, (str, int, float)):
            args = repr(first)
    return f"{code.co_name}({args})"


async def _traced(coro, lane: probe.Task):
    return await _Driven(coro, lane)


class _Driven:
    __slots__ = ("coro", "lane")

    def __init__(self, coro, lane: probe.Task):
        self.coro, self.lane = coro, lane

    def __await__(self):
        coro, lane = self.coro, self.lane
        value, error = None, None
        try:
            while True:
                lane.state("cpu")
                try:
                    awaited = coro.send(value) if error is None else coro.throw(error)
                except StopIteration as stop:
                    return stop.value
                lane.state(_waiting_on(awaited))
                value, error = None, None
                try:
                    value = yield awaited
                except BaseException as exc:  # cancellation and errors go into the task's coroutine
                    error = exc
        finally:
            lane.end()




def _waiting_on(awaited) -> str:
    """``wait`` when a task awaits other tasks or executor futures, ``io`` for sleeps and sockets."""
    kind = type(awaited).__name__
    return "wait" if kind in ("Task", "_GatheringFuture") or getattr(awaited, "_concviz_wait", False) else "io"

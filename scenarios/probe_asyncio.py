"""asyncio lanes: every task the scenario creates gets a lane, ``cpu`` while it runs on the loop, ``io`` while it
awaits a sleep or a socket, ``wait`` while it awaits other tasks (gather, a task, an executor's future).

How a task's steps are seen depends on the Python:

- **3.12 and newer: watched.** The task runs the scenario's own coroutine, untouched; the probe watches the code
  of each coroutine the task factory is handed with ``sys.monitoring`` (a tool id of its own), and moves the lane
  on the events of the task's top frame, the coroutine the task runs:

  ====================  =================================================================================
  PY_START, PY_RESUME   the task runs a step: ``cpu``
  PY_YIELD              it gives the loop back; what it yields is the future it waits on: ``io`` or ``wait``
  PY_RETURN             it is done: the lane ends
  PY_THROW              an exception is thrown into it or into what it awaits (a cancellation, say): ``cpu``
  PY_UNWIND             an exception ends it: the lane ends, where it raises
  ====================  =================================================================================

  The first four are local events, set on those code objects only. PY_THROW and PY_UNWIND exist only as global
  events; they fire when an exception is thrown into a frame or leaves one, rare in a scenario, and their
  callback returns at once for every frame that is no task's. The same coroutine function can run in several
  tasks at once and be awaited directly inside another coroutine: events count for a lane only when they come
  from that task's own top frame (or, for an exception thrown into the task, from the frames it awaits: see
  ``_thrown_below``). It costs about 0.2 us a step more than the wrapper (benchmarks/bench_probe_calls.py): two
  calls into Python a step, where the wrapper has a generator step.

  So ``python -m asyncio ps`` and ``pstree`` (3.14+) show the scenario's coroutines, py-spy its functions, and
  each task is named as its lane (``fetch('profile')``), unless the scenario named the task itself: then the
  task keeps the scenario's name (the code may rely on it) and the lane is named by its coroutine, as always.

- **3.11 (no sys.monitoring), or every free tool id taken: wrapped.** The task runs a wrapper coroutine that drives
  the real one with send/throw and records the states around each step; Python's tools see the wrapper.
"""

from __future__ import annotations

import os
import sys
import weakref
from types import CodeType, CoroutineType, FrameType

from scenarios import probe

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from asyncio import AbstractEventLoop, Task
    from collections.abc import Callable, Coroutine, Generator
    from typing import Any, TypeAlias, TypeVar

    T = TypeVar("T")
    if sys.version_info >= (3, 12):  # what a task factory is handed
        CoroutineLike: TypeAlias = Coroutine[Any, Any, T]
    else:  # generator-based coroutines too
        CoroutineLike: TypeAlias = Coroutine[Any, Any, T] | Generator[Any, None, T]

if sys.version_info >= (3, 12):
    from sys import monitoring
else:  # Python 3.11: no sys.monitoring; nothing is watched (WATCHING is False), every task gets the wrapper
    monitoring: Any = None

TOOL_NAME = "concviz"
FREE_TOOL_IDS = (3, 4)  # ids sys.monitoring names for no kind of tool (0 debugger, 1 coverage, 2 profiler, 5 optimizer)
WATCHING = sys.version_info >= (3, 12)


def trace_tasks(loop: AbstractEventLoop | None = None, *, wrap: bool = False) -> None:
    """Give every asyncio task created from now on a lane: ``cpu`` while it runs on the loop, ``io`` while it
    awaits a sleep or a socket, ``wait`` while it awaits other tasks (gather, a task, a future of an executor).

    Watched with sys.monitoring where Python has it and a tool id is free; ``wrap`` asks for the wrapper anyway
    (the benchmarks compare the two). Either way it costs about two state records per step of each task (a few
    microseconds), most of it the CPU readings where a ``cpu`` stretch starts and ends.
    """
    import asyncio

    loop = loop or asyncio.get_running_loop()
    watched = not wrap and WATCHING and _watcher.start(loop)
    loop.set_task_factory(_watched_task if watched else _wrapped_task)


# ------------------------------------------------------------------------------------------ task factories


def _watched_task(loop: AbstractEventLoop, coro: CoroutineLike[T], **kwargs: Any) -> Task[T]:
    """The task factory: the scenario's coroutine as the task's own, its top frame watched."""
    return _task(loop, coro, kwargs, watched=True)


def _wrapped_task(loop: AbstractEventLoop, coro: CoroutineLike[T], **kwargs: Any) -> Task[T]:
    """The task factory: the wrapper as the task's coroutine, driving the scenario's."""
    return _task(loop, coro, kwargs, watched=False)


def _task(loop: AbstractEventLoop, coro: CoroutineLike[T], kwargs: dict[str, Any], watched: bool) -> Task[T]:
    from asyncio import Task

    if _asyncio_own(coro):  # asyncio.run's shutdown tasks and the like: not the scenario's code
        return Task(coro, loop=loop, **kwargs)
    lane = probe.Task(name := _coroutine_name(coro), kind="async", state="queued")
    kwargs["name"] = kwargs.get("name") or name  # a name the scenario gave the task stays the task's
    if watched and _watcher.watch(coro, lane):  # before the task is made: an eager task runs its first step in it
        return Task(coro, loop=loop, **kwargs)
    # the wrapper, also for what sys.monitoring cannot watch (Cython's coroutines, generator-based ones) and once
    # the tool id is lost
    return Task(_traced(coro, lane), loop=loop, **kwargs)


def _asyncio_own(coro: object) -> bool:
    import asyncio

    code = getattr(coro, "cr_code", None)
    return code is not None and code.co_filename.startswith(os.path.dirname(asyncio.__file__) + os.sep)


def _coroutine_name(coro: object) -> str:
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


def _waiting_on(awaited: object) -> str:
    """``wait`` when a task awaits other tasks or executor futures, ``io`` for sleeps and sockets (and for the
    bare yield of ``asyncio.sleep(0)``, the commonest and cheapest to tell)."""
    if awaited is None:
        return "io"
    kind = type(awaited).__name__
    return "wait" if kind in ("Task", "_GatheringFuture") or getattr(awaited, "_concviz_wait", False) else "io"


# ----------------------------------------------------------------------------------- watched: sys.monitoring

_lanes: dict[FrameType, probe.Task] = {}  # a task's top frame (its coroutine's frame) -> its lane, while it runs
_below: dict[FrameType, probe.Task] = {}  # frames handling an exception thrown into the task awaiting them -> its lane
_frame = sys._getframe  # in a callback, _frame(1) is the frame the event came from

# The callbacks run twice a step of every watched task (PY_RESUME, PY_YIELD), once for every frame of a watched
# code object that is no task's top frame too: they look the frame up and return.


def _runs(code: CodeType, offset: int) -> None:
    """PY_START, PY_RESUME: a step begins."""
    lane = _lanes.get(_frame(1))
    if lane is not None:
        lane.state("cpu")


def _yields(code: CodeType, offset: int, awaited: object) -> None:
    """PY_YIELD: the step ends, waiting on ``awaited``."""
    frame = _frame(1)
    lane = _lanes.get(frame)
    if lane is not None:
        lane.state(_waiting_on(awaited))
    elif _below:
        _yields_below(frame, awaited)


def _returns(code: CodeType, offset: int, value: object) -> None:
    """PY_RETURN: the task's coroutine is done."""
    frame = _frame(1)
    lane = _lanes.pop(frame, None)
    if lane is not None:
        lane.end()
    elif _below:
        _done_below(frame)


def _thrown_into(code: CodeType, offset: int, exc: BaseException) -> None:
    """PY_THROW (global): an exception thrown into a frame; in a task's top frame, a step begins with it."""
    frame = _frame(1)
    lane = _lanes.get(frame)
    if lane is None:
        _thrown_below(frame)
    elif lane.state_name != "cpu":  # running already when the exception came up through the frames it awaits
        lane.state("cpu")


def _unwinds(code: CodeType, offset: int, exc: BaseException) -> None:
    """PY_UNWIND (global): an exception leaves a frame; leaving a task's top frame, it ends the task."""
    frame = _frame(1)
    lane = _lanes.pop(frame, None)
    if lane is not None:
        lane.end()
    elif _below:
        _done_below(frame)


# An exception thrown into a task (a cancellation) goes first to the frames the task awaits, deepest first, and
# comes up through them to the task's own frame. If one of them catches it and awaits again (a TaskGroup's
# __aexit__ does, when a child fails), CPython hands the new future to the task from C: the task's own frame
# neither resumes nor yields. So the step is seen where it begins, at the first frame thrown into, and the frames
# between are watched (PY_YIELD, PY_RETURN) until they are done: where one of them yields, the step ends.
# The frames are found through f_back, which links them while the exception goes down; 3.12 and 3.13 do not link
# an async generator's frame (``async for``): a cancellation it catches and then awaits again is not seen there,
# and its lane stays waiting over that short stretch of handling.


def _thrown_below(frame: FrameType | None) -> None:
    """PY_THROW in a frame that is no task's own: a step of the task above it, if it was not running."""
    path = []
    while frame is not None and frame not in _lanes:
        path.append(frame)
        frame = frame.f_back
    if frame is None:  # in no task: a generator's throw outside asyncio's tasks
        return
    lane = _lanes[frame]
    if lane.state_name == "cpu":  # the task is running: its own code throws into a generator, or the
        return  # exception is on its way up from a frame thrown into before
    lane.state("cpu")
    for below in path:
        _below[below] = lane
        _watcher.watch_below(below.f_code)


def _yields_below(frame: FrameType | None, awaited: object) -> None:
    """A frame that is no task's own yields: where a step begun below a task's frame ends, if the frame is one of
    those handling the exception or is awaited by one of them (otherwise the task's own frame yields next)."""
    while frame is not None and frame not in _lanes:
        lane = _below.get(frame)
        if lane is not None:
            lane.state(_waiting_on(awaited))
            for below in [below for below, its in _below.items() if its is lane]:
                _done_below(below)
            return
        frame = frame.f_back


def _done_below(frame: FrameType) -> None:
    if _below.pop(frame, None) is not None and not _below:
        _watcher.unwatch_below()


class _Watcher:
    """The probe's sys.monitoring tool: a free tool id, taken when a loop's tasks are first traced and given back
    when no traced loop is left (a loop is gone when it is collected, or at exit); code objects watched on the way.

    Another tool may take the id from under it (free it and use it again): the next task created notices, and the
    watcher takes a free id again, or the task gets the wrapper."""

    def __init__(self) -> None:
        self.tool: int | None = None
        self.codes: set[CodeType] = set()  # the tasks' coroutines' code objects, with local events set
        self.codes_below: set[CodeType] = set()  # other code objects watched for a while (_thrown_below)
        self.loops: weakref.WeakSet[AbstractEventLoop] = weakref.WeakSet()
        self.live_loops = 0

    def start(self, loop: AbstractEventLoop) -> bool:
        """Watch this loop's tasks from now on; False when no tool id is free."""
        if not self._ours() and not self._take_a_tool_id():
            return False
        if loop not in self.loops:
            try:
                weakref.finalize(loop, self._loop_gone, os.getpid())
            except TypeError:  # a loop that takes no weak references: watched until the process ends
                pass
            else:
                self.loops.add(loop)
                self.live_loops += 1
        return True

    def watch(self, coro: object, lane: probe.Task) -> bool:
        """Move ``lane`` on the events of ``coro``'s frame; False when that cannot be done."""
        if type(coro) is not CoroutineType or coro.cr_frame is None:  # not a plain coroutine, or one that is done
            return False
        if not (self._ours() or self._take_a_tool_id()) or self.tool is None:
            return False
        code = coro.cr_code
        if code not in self.codes:
            monitoring.set_local_events(self.tool, code, _LOCAL_EVENTS)
            self.codes.add(code)
        _lanes[coro.cr_frame] = lane
        return True

    def watch_below(self, code: CodeType) -> None:
        """Watch where a frame of ``code`` yields and returns, while it handles an exception thrown into a task."""
        if code not in self.codes and code not in self.codes_below and self._ours() and self.tool is not None:
            self.codes_below.add(code)
            monitoring.set_local_events(self.tool, code, _BELOW_EVENTS)

    def unwatch_below(self) -> None:
        if self._ours() and self.tool is not None:
            for code in self.codes_below - self.codes:
                monitoring.set_local_events(self.tool, code, 0)
        self.codes_below.clear()

    def stop(self) -> None:
        """Give the tool id back, with every event and callback cleared (3.12 and 3.13 keep them past
        ``free_tool_id``); lanes not ended stay as they are."""
        if self.tool is not None and self._ours():
            for code in self.codes | self.codes_below:
                monitoring.set_local_events(self.tool, code, 0)
            monitoring.set_events(self.tool, 0)
            for event in _CALLBACKS:
                monitoring.register_callback(self.tool, event, None)
            monitoring.free_tool_id(self.tool)
        elif self.tool is not None:
            self._let_go_of(self.tool)
        self.tool = None
        self.codes.clear()
        self.codes_below.clear()
        _lanes.clear()
        _below.clear()

    def forget(self) -> None:
        """In a forked child: the loop's tasks stay in the parent, and so does the watching."""
        if self.tool is not None:
            self.stop()
        self.loops = weakref.WeakSet()
        self.live_loops = 0

    def _ours(self) -> bool:
        if self.tool is None:
            return False
        name: str | None = monitoring.get_tool(self.tool)
        return name == TOOL_NAME

    def _take_a_tool_id(self) -> bool:
        mon = monitoring
        if self.tool is not None:  # lost to another tool
            self._let_go_of(self.tool)
        self.tool = None
        self.codes.clear()  # set under an id that is no longer ours
        self.codes_below.clear()
        _below.clear()
        for tool in FREE_TOOL_IDS:
            try:
                mon.use_tool_id(tool, TOOL_NAME)
            except ValueError:  # in use by another tool
                continue
            self.tool = tool
            for event, callback in _CALLBACKS.items():
                mon.register_callback(tool, event, callback)
            mon.set_events(tool, _GLOBAL_EVENTS)
            for frame in list(_lanes):  # tasks still running when the id was lost: watched again
                self.codes.add(frame.f_code)
                mon.set_local_events(tool, frame.f_code, _LOCAL_EVENTS)
            return True
        return False

    @staticmethod
    def _let_go_of(tool: int) -> None:
        """Take the probe's callbacks off a tool id another tool has taken (3.12 and 3.13 leave them registered
        past ``free_tool_id``), leaving the other tool's own in place."""
        mon = monitoring
        for event, callback in _CALLBACKS.items():
            theirs = mon.register_callback(tool, event, None)
            if theirs is not callback:
                mon.register_callback(tool, event, theirs)

    def _loop_gone(self, pid: int) -> None:
        if pid != os.getpid():  # a forked child's copy of its parent's loop: forgotten at the fork already
            return
        self.live_loops -= 1
        if self.live_loops <= 0:
            self.stop()


_watcher = _Watcher()

if WATCHING:
    _E = monitoring.events
    _LOCAL_EVENTS = _E.PY_START | _E.PY_RESUME | _E.PY_YIELD | _E.PY_RETURN
    _GLOBAL_EVENTS = _E.PY_THROW | _E.PY_UNWIND
    _BELOW_EVENTS = _E.PY_YIELD | _E.PY_RETURN
    _CALLBACKS: dict[int, Callable[..., object]] = {
        _E.PY_START: _runs, _E.PY_RESUME: _runs, _E.PY_YIELD: _yields, _E.PY_RETURN: _returns,
        _E.PY_THROW: _thrown_into, _E.PY_UNWIND: _unwinds,
    }
    os.register_at_fork(after_in_child=_watcher.forget)


# --------------------------------------------------------------------------------- wrapped: send and throw


async def _traced(coro: CoroutineLike[T], lane: probe.Task) -> T:
    result: T = await _Driven(coro, lane)
    return result


class _Driven:
    __slots__ = ("coro", "lane")

    def __init__(self, coro: CoroutineLike[Any], lane: probe.Task) -> None:
        self.coro, self.lane = coro, lane

    def __await__(self) -> Generator[Any, Any, Any]:
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

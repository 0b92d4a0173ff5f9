"""Worker processes that report to concviz themselves, whatever the start method.

A pool's workers are started in one of three ways (``multiprocessing`` start methods):

- ``fork``: a copy of the scenario's process (Linux's default before Python 3.14). The copy inherits the event pipe.
- ``forkserver``: a copy of a small server process started once (Linux's default from 3.14). It inherits nothing
  of the scenario's process; the pipe must be sent to it.
- ``spawn``: a new interpreter (the default on macOS and Windows); it imports the scenario's modules afresh, and
  the pipe must be passed to it as well.

So no hook on ``fork`` can reach every worker. Instead :func:`context` gives the pool a
``multiprocessing`` context whose ``Process`` carries a link to concviz (the pipe, as a file descriptor that each
start method knows how to hand over, see ``multiprocessing.reduction.DupFd``) and attaches itself to it as the
worker begins to run: the same code for all three methods.
"""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing import context as _mp, reduction

from scenarios import probe
from scenarios.catalog import START_METHODS  # noqa: F401 - the names these contexts know

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.process import BaseProcess
    from typing import Any, Protocol

    class _Handed(Protocol):
        """The pipe as a start method hands it to a new process (``reduction.DupFd``'s object)."""

        def detach(self) -> int: ...

    _ProcessBase = BaseProcess  # what _Reporting is mixed into
else:
    _ProcessBase = object


def default_start_method() -> str:
    """This Python's own start method for a pool given no context."""
    return multiprocessing.get_start_method(allow_none=False)


def start_method(start: str = "default") -> str:
    """The method ``start`` names (``default``: this Python's own)."""
    return default_start_method() if start == "default" else start


def context(start: str = "default", lanes: bool = False) -> _mp.BaseContext:
    """``multiprocessing.get_context(start)`` (``default``: this Python's own), whose worker processes report to
    concviz: their work items get lanes (``probe.work_item``), and with ``lanes`` each worker has a lane of its
    own, ``startup`` from the moment the pool launched it, then ``wait`` for work and ``cpu`` while it runs an
    item, to its exit. Without concviz watching it is the plain context."""
    method = start_method(start)
    if not probe.active() or method not in _CONTEXTS:
        return multiprocessing.get_context(method)
    return _CONTEXTS[method](lanes)


class _Link:
    """What a worker needs to reach concviz: the event pipe, when the pool launched the worker, the comparison
    model it works for, and whether it has a lane of its own. Pickled (spawn, forkserver) the pipe goes as a
    ``DupFd``, which the start method passes to the new process; forked, the object is simply copied."""

    def __init__(self, fd: int | _Handed, launched: int, variant: int, lanes: bool) -> None:
        self.fd, self.launched, self.variant, self.lanes = fd, launched, variant, lanes

    def __reduce__(self) -> tuple[type[_Link], tuple[Any, int, int, bool]]:
        assert isinstance(self.fd, int)  # pickled by the pool that made it, in the scenario's process
        return _Link, (reduction.DupFd(self.fd), self.launched, self.variant, self.lanes)

    def pipe(self) -> int:
        return self.fd if isinstance(self.fd, int) else self.fd.detach()


class _Reporting(_ProcessBase):
    """A ``multiprocessing`` Process that attaches itself to concviz as it begins to run, and says goodbye."""

    _concviz_lanes = False
    _concviz: _Link

    def start(self) -> None:
        fd = probe.pipe()
        assert fd is not None  # context() makes a reporting context only while concviz watches
        self._concviz = _Link(fd, probe.now(), probe.current_variant(), self._concviz_lanes)
        probe.flush()  # what the scenario recorded so far (its locks' names) reaches concviz before the worker's
        super().start()

    def run(self) -> None:
        probe.attach_worker(self._concviz.pipe(), self._concviz.launched, self._concviz.variant,
                            lane=self._concviz.lanes)
        try:
            super().run()
        finally:
            probe.detach_worker()


def _reporting_context(base_context: type[_mp.BaseContext],
                       base_process: type[BaseProcess]) -> Callable[[bool], _mp.BaseContext]:
    """A context of ``base_context``'s start method whose processes are ``base_process`` made reporting."""
    process_class = type(base_process.__name__, (_Reporting, base_process), {"__module__": __name__})
    globals()[process_class.__name__] = process_class  # spawn pickles the process: its class must be importable

    class Reporting(base_context):  # type: ignore[valid-type, misc]  # a class made for each start method
        def __init__(self, lanes: bool) -> None:
            self._lanes = lanes

        def Process(self, *args: Any, **kwargs: Any) -> BaseProcess:  # noqa: N802 - multiprocessing's name
            process: _Reporting = process_class(*args, **kwargs)
            process._concviz_lanes = self._lanes
            return process

    return Reporting


_CONTEXTS: dict[str, Callable[[bool], _mp.BaseContext]] = {}
if sys.platform != "win32":
    _CONTEXTS["fork"] = _reporting_context(_mp.ForkContext, _mp.ForkProcess)
    _CONTEXTS["forkserver"] = _reporting_context(_mp.ForkServerContext, _mp.ForkServerProcess)
_CONTEXTS["spawn"] = _reporting_context(_mp.SpawnContext, _mp.SpawnProcess)

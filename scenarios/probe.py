"""The probe: the few calls a scenario makes so concviz can see it run.

    with probe.task("download 3"):          # a lane: starts running Python (state "cpu")
        with probe.waiting("io"):           # sleeping or on the network, GIL released
            time.sleep(0.2)
        with lock:                          # lock = probe.Lock("progress"): request, acquire, release
            ...

Per event the calling thread appends one tuple to a list (well under a microsecond); a flusher thread packs
them into binary frames (scenarios.wire) every 20 ms (every 5 ms while more than 20,000 come a second) and writes
them to the pipe concviz gave the child. Where a ``cpu`` stretch starts or ends the thread reads its own
scheduler counters (on-CPU time from ``time.thread_time_ns()``, run-queue wait from /proc/thread-self/schedstat),
so concviz can tell time spent running from time spent waiting for the GIL or for a core.

Without a pipe (``init`` never called, e.g. running a scenario module by hand) every call is a cheap no-op.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from contextlib import contextmanager
from itertools import starmap

from scenarios import wire

TYPE_CHECKING = False  # typing itself is never imported here: the child's start-up stays as small as it was
if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any, Protocol, TypeAlias, TypeVar

    # a record as the flusher packs it (scenarios.wire.RECORD), a TEXT record with its payload after it
    Record: TypeAlias = (tuple[int, int, int, int, int, int, int]
                         | tuple[int, int, int, int, int, int, int, bytes])
    _Future = TypeVar("_Future", bound=asyncio.Future[Any])

    class _Sink(Protocol):
        """Where a lock's events go: the buffer, nowhere, or the buffer once the lock is announced."""

        def append(self, rec: Record, /) -> None: ...

_now = time.monotonic_ns
_tls = threading.local()
_ids = itertools.count(1)
_buf: list[Record] = []
_fd: int | None = None
_flusher: threading.Thread | None = None
_wake = threading.Event()
_flush_lock = threading.Lock()
_FLUSH_S = 0.02  # what the screen waits for an event at most, on top of its frame: ~50 wake-ups a second
_FLUSH_BUSY_S = 0.005  # while events come faster than _BUSY_EVENTS_PER_S: concviz sees them sooner
_BUSY_EVENTS_PER_S = 20_000
_PIPE_BYTES = 1 << 20
_NO_CPU = (-1, -1)
_thread_time = time.thread_time_ns
_native_id = threading.get_native_id
_STATE, _STATE_CODE = wire.STATE, wire.STATE_CODE  # the names state changes use, looked up once


# ---------------------------------------------------------------------------------------------- the writer


def init(fd: int) -> None:
    """Send events to ``fd`` (called once by the child entry point)."""
    global _fd
    _fd = fd
    _widen_pipe(fd)
    _start_flusher()
    _emit((wire.HELLO, 0, 0, 0, _now(), wire.VERSION, os.cpu_count() or 1))
    for lock in _unannounced:  # locks made at import time, before the pipe was known: announced on first use,
        lock._out = _AnnounceFirst(lock)  # so the child's other imported modules never show their locks
    _unannounced.clear()


def _widen_pipe(fd: int) -> None:
    """Let the pipe hold up to 1 MiB (Linux allows that much without privileges; 64 KiB is the default): a burst
    of events then goes out in one go, instead of the flusher waiting on concviz at every 64 KiB and then again
    for the GIL before it can write the next piece."""
    try:
        import fcntl

        if fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) < _PIPE_BYTES:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # not a pipe (a file in tests), not Linux, or over the limit
        pass


def active() -> bool:
    return _fd is not None


def flush() -> int:
    """Write out everything recorded so far (the flusher also does this every 20 ms, or 5). Returns once written,
    even if the flusher thread was writing a batch of its own at the time: how many records it wrote."""
    if _fd is None:
        _buf.clear()
        return 0
    with _flush_lock:
        n = len(_buf)
        if not n:
            return 0
        batch = _buf[:n]  # take a prefix: other threads may be appending right now
        del _buf[:n]
        _write(batch)
        return n


def _write(batch: list[Record]) -> None:
    """Pack records into frames of at most MAX_BODY bytes, each filled as far as it goes, and write them. Runs of
    plain records are packed in one call each (``starmap``); a TEXT record carries its payload after it."""
    pack, size, pid = wire.RECORD.pack, wire.RECORD.size, os.getpid()
    lengths = list(map(len, batch))  # 8: a TEXT record with its payload, else 7
    lengths.append(8)  # the end: as if a TEXT record followed
    body = bytearray()
    i, n = 0, len(batch)
    while i < n:
        text = lengths.index(8, i)
        while i < text:
            room = (wire.MAX_BODY - len(body)) // size
            if not room:
                _send(body, pid)
                body = bytearray()
                continue
            body += b"".join(starmap(pack, batch[i : min(text, i + room)]))
            i = min(text, i + room)
        if i < n:
            rec = batch[i]
            chunk = pack(*rec[:7]) + rec[7]  # type: ignore[misc]  # len 8 (lengths): a TEXT record and its payload
            if len(body) + len(chunk) > wire.MAX_BODY:
                _send(body, pid)
                body = bytearray()
            body += chunk
            i += 1
    if body:
        _send(body, pid)


def _send(body: bytearray, pid: int) -> None:
    assert _fd is not None  # only flush() writes, once it has seen a pipe
    os.write(_fd, wire.FRAME_HEAD.pack(len(body), pid) + body)


def _flush_forever() -> None:
    wait, last = _FLUSH_BUSY_S, time.monotonic()
    while True:
        _wake.wait(wait)
        _wake.clear()
        try:
            sent = flush()
        except OSError:  # the parent is gone: nobody is watching, stop the whole run
            os._exit(3)
        now = time.monotonic()
        wait = _FLUSH_BUSY_S if sent >= _BUSY_EVENTS_PER_S * (now - last) else _FLUSH_S
        last = now


def _start_flusher() -> None:
    global _flusher
    _flusher = threading.Thread(target=_flush_forever, name="concviz-flusher", daemon=True)
    _flusher.start()


def _emit(rec: Record) -> None:
    _buf.append(rec)


def _text(kind: int, target: int, text: str) -> None:
    """Send a string in parts that each fit in one frame."""
    data = text.encode("utf-8", "replace")
    step = wire.MAX_BODY - wire.RECORD.size
    parts = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    t = _now()
    for i, part in enumerate(parts):
        _buf.append((wire.TEXT, kind, int(i == len(parts) - 1), target, t, len(part), 0, part))


# ------------------------------------------------------------------------------------------- CPU readings


class _ThreadClock:
    """One thread's scheduler counters: its /proc/thread-self/schedstat kept open, and the run-queue wait it read
    last with the thread's context switches counted just before. Run-queue wait grows only when the thread comes
    back onto a core after waiting for one, which takes a context switch: while the count has not moved, the wait
    read last is still exact and the file (about 1.4 us a read) need not be read again (the count: 0.5 us)."""

    __slots__ = ("fd", "switches", "run_queue")

    def __init__(self) -> None:
        try:
            self.fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:
            self.fd = -1
        self.switches = -1
        self.run_queue = -1

    def __del__(self, close: Callable[[int], None] = os.close) -> None:
        # the thread ended (its thread-local data goes): close its file
        if self.fd >= 0:
            try:
                close(self.fd)
            except OSError:
                pass


try:
    from resource import RUSAGE_THREAD, getrusage
except ImportError:  # pragma: no cover - not Linux, where schedstat is missing too
    RUSAGE_THREAD, getrusage = None, None  # type: ignore[misc, assignment]  # never read: no schedstat either


def _this_thread() -> int:
    """The calling thread's native id, kept in its thread-local data: asking the kernel is a system call (~0.3 us)
    each time, and a state change asks every time. A forked worker starts with none (_WorkerLink.attach)."""
    tid = _tls.tid = _native_id()
    return tid


def _read_schedstat() -> tuple[int, int]:
    """(on-CPU ns, run-queue ns) of the calling thread. On-CPU comes from ``time.thread_time_ns()``, which is
    exact; the kernel's schedstat lags by up to a tick for a running thread, but its run-queue wait is exact
    (it grows only while the thread is not running), and is read again only after a context switch (see
    _ThreadClock). Run-queue is -1 where schedstat does not exist."""
    on_cpu = _thread_time()
    clock = getattr(_tls, "clock", None)
    if clock is None:
        clock = _tls.clock = _ThreadClock()
    if clock.fd < 0:
        return on_cpu, -1
    use = getrusage(RUSAGE_THREAD)  # counted before reading: a switch in between makes the next reading read again
    switches = use.ru_nvcsw + use.ru_nivcsw
    if switches != clock.switches:
        clock.run_queue = int(os.pread(clock.fd, 64, 0).split()[1])
        clock.switches = switches
    return on_cpu, clock.run_queue


def cpu_reading() -> tuple[int, int]:
    """This thread's (on-CPU ns, run-queue wait ns) so far; run-queue is -1 where unknown."""
    if _fd is None:
        return _NO_CPU
    return _read_schedstat()


# -------------------------------------------------------------------------------------------------- tasks


class Task:
    """A lane on concviz's timeline: a thread, a process's work item or an asyncio task."""

    __slots__ = ("id", "tid", "state_name", "_outer")

    def __init__(self, name: str, kind: str = "thread", state: str = "cpu", parent: "Task | None" = None,
                 since: int | None = None) -> None:
        self.id = next(_ids)
        self.tid = 0
        self.state_name = state
        if _fd is None:
            return
        _text(wire.TEXT_TASK, self.id, name)
        t = _now() if since is None else since  # since: a start measured elsewhere (a worker's launch)
        _emit((wire.TASK, wire.KIND_CODE[kind], _variant, self.id, t, 0, parent.id if parent else 0))
        if state == "cpu":
            self.state(state)  # running here, on this thread: measure from now
        else:
            self.mark(state, t)  # e.g. "queued": it will run on another thread, which measures from then

    def state(self, name: str) -> None:
        """Switch this task to state ``name``, measured on the calling thread where a ``cpu`` stretch starts or
        ends (concviz splits only those stretches; a change between two waiting states is sent unmeasured)."""
        before, self.state_name = self.state_name, name
        if _fd is None:
            return
        tid = getattr(_tls, "tid", 0) or _this_thread()
        if tid != self.tid:
            self.tid = tid
            _emit((wire.BIND, 0, 0, self.id, _now(), tid, 0))
        on_cpu, run_queue = _read_schedstat() if name == "cpu" or before == "cpu" else _NO_CPU
        _buf.append((_STATE, _STATE_CODE[name], 0, self.id, _now(), on_cpu, run_queue))

    def mark(self, name: str, at: int | None = None) -> None:
        """Switch state without reading the CPU counters (for a task that runs on another thread)."""
        self.state_name = name
        if _fd is not None:
            _emit((wire.STATE, wire.STATE_CODE[name], 0, self.id, _now() if at is None else at, -1, -1))

    def end(self) -> None:
        if _fd is None:
            return
        measured = self.state_name == "cpu" and (getattr(_tls, "tid", 0) or _this_thread()) == self.tid  # cpu ends
        on_cpu, run_queue = _read_schedstat() if measured else _NO_CPU
        _emit((wire.END, 0, 0, self.id, _now(), on_cpu, run_queue))

    # used as "with probe.task(...)": the task is the current one of this thread while inside
    def __enter__(self) -> "Task":
        self._outer = getattr(_tls, "task", None)
        _tls.task = self
        return self

    def __exit__(self, *exc: object) -> None:
        _tls.task = self._outer
        self.end()



def task(name: str, kind: str = "thread", state: str = "cpu") -> Task:
    """Start a lane named ``name``; use it as a context manager to end it."""
    return Task(name, kind, state)


@contextmanager
def waiting(state: str = "io") -> Iterator[None]:
    """The current task waits (``io`` for sleep or network, ``wait`` for another task), then runs again."""
    t = getattr(_tls, "task", None)
    if t is None:
        yield
        return
    before = t.state_name
    t.state(state)
    try:
        yield
    finally:
        t.state(before)


# -------------------------------------------------------------------------------------------------- locks

_lock_ids = itertools.count(1)
_locks_made = 0
_unannounced: list["Lock"] = []
_counter_ids: dict[str, int] = {}
_small_base = 0  # where this interpreter's lock and counter ids start (attach_interpreter)


class _Discard:
    """Where an inactive probe's lock events go: nowhere."""

    @staticmethod
    def append(rec: Record, /) -> None:
        pass


_DISCARD = _Discard()


class _AnnounceFirst:
    """A lock made before the probe started: the first event announces the lock, then goes to the buffer."""

    __slots__ = ("lock",)

    def __init__(self, lock: Lock) -> None:
        self.lock = lock

    def append(self, rec: Record, /) -> None:
        if self.lock._out is self:
            self.lock._announce()
        _buf.append(rec)


class Lock:
    """A ``threading.Lock`` that records request, acquire and release (about 1.5 us per acquire/release)."""

    __slots__ = ("_lock", "_out", "id", "name")
    _out: _Sink

    def __init__(self, name: str = "lock") -> None:
        global _locks_made
        _locks_made += 1
        self._lock = threading.Lock()
        self._out = _DISCARD
        self.id = next(_lock_ids)
        self.name = name
        if _fd is not None:
            self._announce()
        else:
            _unannounced.append(self)

    def _announce(self) -> None:
        self._out = _buf
        _text(wire.TEXT_LOCK, self.id, self.name)
        _emit((wire.LOCK, 0, self.id, 0, _now(), 0, 0))

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        t = getattr(_tls, "task", None)
        tid = t.id if t else 0
        out = self._out
        out.append((wire.LOCK_REQUEST, 0, self.id, tid, _now(), 0, 0))
        got = self._lock.acquire(blocking, timeout)
        if got:
            out.append((wire.LOCK_ACQUIRED, 0, self.id, tid, _now(), 0, 0))
        else:
            out.append((wire.LOCK_RELEASED, 0, self.id, tid, _now(), 0, 1))  # gave up waiting
        return got

    def release(self) -> None:
        t = getattr(_tls, "task", None)
        self._out.append((wire.LOCK_RELEASED, 0, self.id, t.id if t else 0, _now(), 0, 0))
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()


def locks_made() -> int:
    return _locks_made


def lock_tracing_cost_us(rounds: int = 5000) -> float:
    """What tracing adds to one uncontended acquire and release on this machine, in microseconds
    (best of three rounds, traced minus plain). concviz uses it to label runs the tracing itself distorts."""
    plain = threading.Lock()
    traced = Lock.__new__(Lock)
    out: list[Record] = []
    traced._lock, traced._out, traced.id, traced.name = threading.Lock(), out, 0, "calibration"

    def best(lock: Lock | threading.Lock) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter_ns()
            for _ in range(rounds):
                with lock:
                    pass
            times.append(time.perf_counter_ns() - start)
            if isinstance(lock, Lock):
                out.clear()  # the traced lock's records
        return min(times) / rounds

    return max(best(traced) - best(plain), 0.0) / 1000


# ----------------------------------------------------------------------------------------------- variants

_variant = 0
_variant_ids = itertools.count(1)


@contextmanager
def variant(name: str) -> Iterator[None]:
    """Run one model of a comparison (``serial``, ``threads``, ``processes``): lanes started inside belong to it."""
    global _variant
    vid = next(_variant_ids)
    if _fd is not None:
        _text(wire.TEXT_VARIANT, vid, name)
        _emit((wire.VARIANT, 0, vid, 0, _now(), 0, 0))
    outer, _variant = _variant, vid
    try:
        yield
    finally:
        _variant = outer
        if _fd is not None:
            _emit((wire.VARIANT, 1, vid, 0, _now(), 0, 0))


# ------------------------------------------------------------------------------ workers and interpreters

_worker: Task | None = None  # in a worker process or interpreter that has a lane of its own: that lane
_at_once = False  # in a subinterpreter: no flusher thread, work items write their events as they start and end


def pipe() -> int | None:
    """The event pipe's file descriptor (None while nobody watches)."""
    return _fd


def now() -> int:
    return _now()


def current_variant() -> int:
    return _variant


def attach_worker(fd: int, launched: int, variant: int, lane: bool = False) -> None:
    """In a worker process as it begins to run (scenarios.workers): send this process's events to ``fd``, for
    comparison model ``variant``; with ``lane``, the worker's own lane, in ``startup`` since ``launched``.

    A forked worker inherited the scenario's probe as it was at the fork: its buffer holds the scenario's events
    (which the scenario sends itself), its flush lock may have been held by the scenario's flusher, and the
    forking thread's task and names belong to the scenario. All of that starts afresh here."""
    global _fd, _flush_lock, _variant, _worker
    _flush_lock = threading.Lock()
    _buf.clear()
    _tls.__dict__.clear()
    _counter_ids.clear()  # names are per process on the wire: send them again under this pid
    _fd, _variant = fd, variant
    _start_flusher()
    if lane:
        _worker = Task(f"worker {os.getpid()}", kind="process", state="startup", since=launched)
        _worker.mark("wait")


def detach_worker() -> None:
    """In a worker process about to exit: its lane ends, and what it recorded goes out."""
    if _worker is not None:
        _worker.end()
    flush()


def attach_interpreter(fd: int, variant: int) -> None:
    """An ``InterpreterPoolExecutor``'s initializer, run inside each new subinterpreter (``initargs``: this
    process's ``pipe()`` and ``current_variant()``). The subinterpreter has a probe of its own (modules are per
    interpreter) but shares the process, its pid and its pipe: its ids start at a range of their own, and as
    isolated interpreters may not run daemon threads it has no flusher: ``work_item`` writes at once."""
    global _fd, _variant, _worker, _at_once, _ids, _lock_ids, _small_base
    from concurrent import interpreters  # type: ignore[attr-defined, unused-ignore]  # 3.14+: its pool calls this

    number = interpreters.get_current().id
    _ids = itertools.count((number << 20) + 1)  # task ids: u32 on the wire, a million a subinterpreter
    _small_base = 1000 * (number % 60)  # lock and counter ids: u16 on the wire
    _lock_ids = itertools.count(_small_base + 1)
    _fd, _variant, _at_once = fd, variant, True
    _worker = Task(f"interpreter {number}", kind="interpreter", state="wait")
    flush()
    import atexit

    atexit.register(detach_worker)  # atexit is per interpreter: run as the pool closes this one


@contextmanager
def work_item(name: str, kind: str = "process") -> Iterator[Task]:
    """One work item's lane, inside the worker (process, thread or interpreter) that runs it; the worker's own
    lane, where it has one, runs while the item does."""
    worker = _worker
    if worker is not None:
        worker.state("cpu")
    try:
        with Task(name, kind=kind, parent=worker) as item:
            if _at_once:
                flush()
            yield item
    finally:
        if worker is not None:
            worker.state("wait")
        if _at_once:
            flush()


# ------------------------------------------------------------------------------------- counters and notes


def count(name: str, value: int) -> None:
    """A named counter took ``value`` (the guide's ``progress``, requests in flight, ...)."""
    if _fd is None:
        return
    cid = _counter_ids.get(name)
    if cid is None:
        cid = _counter_ids[name] = len(_counter_ids) + 1 + _small_base
        _text(wire.TEXT_COUNTER, cid, name)
    t = getattr(_tls, "task", None)
    _buf.append((wire.COUNT, 0, cid, t.id if t else 0, _now(), int(value), 0))


def note(**info: object) -> None:
    """Report results and figures (JSON-able values) that concviz shows and puts in its summary."""
    if _fd is not None:
        _text(wire.TEXT_INFO, 0, json.dumps(info, default=str))


def error(info: Mapping[str, object]) -> None:
    if _fd is not None:
        _text(wire.TEXT_ERROR, 0, json.dumps(info, default=str))


def run_end() -> None:
    if _fd is not None:
        _emit((wire.RUN_END, 0, 0, 0, _now(), 0, 0))


# ------------------------------------------------------------------------------------------------ asyncio


def waits(future: _Future) -> _Future:
    """Mark a future as another task's work (e.g. ``run_in_executor``): awaiting it shows as ``wait``, not ``io``."""
    future._concviz_wait = True  # type: ignore[attr-defined]  # a mark on asyncio's future, read by probe_asyncio
    return future

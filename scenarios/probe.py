"""The probe: the few calls a scenario makes so concviz can see it run.

    with probe.task("download 3"):          # a lane: starts running Python (state "cpu")
        with probe.waiting("io"):           # sleeping or on the network, GIL released
            time.sleep(0.2)
        with lock:                          # lock = probe.Lock("progress"): who took it, waited how long
            ...

Per event the calling thread appends one tuple to a list (well under a microsecond); a flusher thread packs
them into binary frames (scenarios.wire) every 20 ms (every 5 ms while more than 20,000 come a second) and writes
them to the pipe concviz gave the child. Where a ``cpu`` stretch starts or ends the thread reads its own
scheduler counters (on-CPU time from ``time.thread_time_ns()``, run-queue wait from /proc/thread-self/schedstat),
so concviz can tell time spent running from time spent waiting for the GIL or for a core. A busy traced lock's
acquisitions are counted per thread rather than sent one by one, with none of the probe's Python inside the lock
(see "locks" below). The buffer is bounded: past ``_SOFT_LIMIT`` records busy locks send counts only, and at
``_HARD_LIMIT`` a recording thread waits for the flusher (concviz reading slowly holds the scenario back; the run's
notes say how often).

Without a pipe (``init`` never called, e.g. running a scenario module by hand) every call is a cheap no-op.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import os
import sys
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
_idle = False  # the flusher sleeps until a record comes: nothing to write, no traced lock to look at (_rest)
_flush_lock = threading.Lock()
_FLUSH_S = 0.02  # what the screen waits for an event at most, on top of its frame: ~50 wake-ups a second
_FLUSH_BUSY_S = 0.005  # while events come faster than _BUSY_EVENTS_PER_S: concviz sees them sooner
_BUSY_EVENTS_PER_S = 20_000
_PIPE_BYTES = 1 << 20
_SOFT_LIMIT = 50_000  # records waiting in the buffer past which busy locks send sums only, no detail
_HARD_LIMIT = 200_000  # ... past which a recording thread waits for the flusher (_make_room)
_room = threading.Event()  # set by the flusher once it has written some out
_waits = 0  # how often a recording thread waited for room in the buffer
_waited_ns = 0  # ... and how long in all
_written = 0  # records written so far
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
    # locks made at import time, before the pipe was known, are announced on their first use: the child's other
    # imported modules never show theirs


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
    """Write out everything recorded so far, busy locks' sums included (the flusher writes the rest every 20 ms,
    or 5). Returns once written, even if the flusher thread was writing a batch of its own at the time: how many
    records it wrote."""
    if _fd is None:
        _buf.clear()
        return 0
    _send_all_counts()
    return _flush_buffer()


def _flush_buffer() -> int:
    global _written
    with _flush_lock:
        n = len(_buf)
        if not n:
            return 0
        batch = _buf[:n]  # take a prefix: other threads may be appending right now
        del _buf[:n]
        _write(batch)
        _written += n
    _room.set()
    return n


def records_written() -> int:
    """Records this process has written to the pipe so far."""
    return _written


def _make_room() -> None:
    """The buffer holds _HARD_LIMIT records: concviz has not read for a while (the pipe is full). The recording
    thread waits until the flusher has written some out, rather than the buffer growing without bound; the run's
    notes say how often and how long (``run_end``). Busy locks send sums instead of detail long before this."""
    global _waits, _waited_ns
    if _at_once or _flusher is None or threading.current_thread() is _flusher:
        _flush_buffer()
        return
    t = _now()
    while len(_buf) >= _HARD_LIMIT:
        _room.clear()
        _wake.set()
        _room.wait(0.05)
    _waits += 1
    _waited_ns += _now() - t


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
        if not _buf and not _looking():
            _rest()
            last = time.monotonic()
        _wake.wait(wait)
        _wake.clear()
        _look_at_locks()
        try:
            sent = _flush_buffer()
        except OSError:  # the parent is gone: nobody is watching, stop the whole run
            os._exit(3)
        now = time.monotonic()
        wait = _FLUSH_BUSY_S if sent >= _BUSY_EVENTS_PER_S * (now - last) else _FLUSH_S
        last = now


def _rest() -> None:
    """(The flusher) nothing to write and no lock to look at: sleep until a record comes (_woken), then the period,
    so that the records that follow it go out with it. Waking every 20 ms regardless took the GIL from a process busy
    on the CPU 50 times a second: with 64 such workers, every other program on the machine (concviz's own screen
    too) waited seconds for a core."""
    global _idle
    _wake.clear()
    _idle = True
    if not _buf:  # a record that came before _idle was set did not wake us: look again
        _wake.wait()
    _idle = False
    _wake.clear()


def _woken() -> None:
    """A record came while the flusher rested: wake it (the first record only)."""
    global _idle
    _idle = False
    _wake.set()


def _start_flusher() -> None:
    global _flusher
    _flusher = threading.Thread(target=_flush_forever, name="concviz-flusher", daemon=True)
    _flusher.start()


def _emit(rec: Record) -> None:
    if len(_buf) >= _HARD_LIMIT:
        _make_room()
    _buf.append(rec)
    if _idle:
        _woken()


def _text(kind: int, target: int, text: str) -> None:
    """Send a string in parts that each fit in one frame."""
    if len(_buf) >= _HARD_LIMIT:
        _make_room()
    data = text.encode("utf-8", "replace")
    step = wire.MAX_BODY - wire.RECORD.size
    parts = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    t = _now()
    for i, part in enumerate(parts):
        _buf.append((wire.TEXT, kind, int(i == len(parts) - 1), target, t, len(part), 0, part))
    if _idle:
        _woken()


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
        if before == "cpu" and _counted_waits and _ident() in _counted_waits:  # a cpu stretch ends: the waits
            _locks_counts_out()  # counted in it go out with it (the model leaves them out of its GIL wait)
        on_cpu, run_queue = _read_schedstat() if name == "cpu" or before == "cpu" else _NO_CPU
        if len(_buf) >= _HARD_LIMIT:
            _make_room()
        _buf.append((_STATE, _STATE_CODE[name], 0, self.id, _now(), on_cpu, run_queue))
        if _idle:
            _woken()

    def mark(self, name: str, at: int | None = None) -> None:
        """Switch state without reading the CPU counters (for a task that runs on another thread)."""
        self.state_name = name
        if _fd is not None:
            _emit((wire.STATE, wire.STATE_CODE[name], 0, self.id, _now() if at is None else at, -1, -1))

    def end(self) -> None:
        if _fd is None:
            return
        _locks_task_changed()
        measured = self.state_name == "cpu" and (getattr(_tls, "tid", 0) or _this_thread()) == self.tid  # cpu ends
        on_cpu, run_queue = _read_schedstat() if measured else _NO_CPU
        _emit((wire.END, 0, 0, self.id, _now(), on_cpu, run_queue))

    # used as "with probe.task(...)": the task is the current one of this thread while inside
    def __enter__(self) -> "Task":
        self._outer = getattr(_tls, "task", None)
        if _fd is not None:
            _locks_task_changed()
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
#
# How a traced lock stays out of the way. A thread hands the GIL over only at certain points of the bytecode: a
# Python function's start, a loop's jump back, the return from a call into C. Plain ``with lock: x += 1`` has
# none between taking the lock and letting it go, so no thread ever waits for the GIL while holding the lock. A
# wrapper whose __enter__ or __exit__ is a Python function has one inside (at least at its __exit__'s start): a
# thread that loses the GIL there keeps the lock, the others block on it, and from then on every acquisition hands
# the lock over with two context switches (a convoy: 0.2 us an acquisition becomes 7 to 10 us).
#
# So no Python code of the probe runs while the real lock is held:
# - a with statement looks up both __enter__ and __exit__ before it calls __enter__ (__enter__ first up to 3.13,
#   __exit__ first from 3.14). __exit__ is a property whose getter (``_prepare``) does the probe's work before the
#   lock is taken, its last call asking whether the lock is free; it returns what __exit__ calls and leaves what
#   __enter__ calls in ``_enter_now``. __enter__ is a property whose getter is C: it returns ``_dispatch``, a C
#   callable (functools.partial of operator.methodcaller) calling ``_enter_now``. From the getter's last call to
#   the acquire there is no point where the GIL could change hands: no other thread can take the lock or change
#   ``_enter_now`` meanwhile, and a lock found free is taken without waiting.
# - most acquisitions of a busy lock are counted: __enter__ and __exit__ are then the real lock's own acquire and
#   __exit__; the getter adds one to the thread's count. Their waits are exact (none: the lock was free) and their
#   holds are not timed: no C in the standard library reads the clock as cheaply as that count costs.
# - the first acquisitions of each 50 ms span of a thread are timed, in C: __enter__ is ``_Thread.enter``, the
#   real acquire then the clock into ``times[1]`` (a ``map`` of ``times.__setitem__`` over ``iter(acquire, None)``
#   and ``iter(monotonic_ns, None)``: acquire returns True, which indexes 1); __exit__ is a fresh
#   ``_Thread.release``, whose call is the real lock's own __exit__ and whose __del__, run as the with statement
#   drops it right after, puts the clock into ``times[2]`` (C as well). The thread's next acquisition, its task's
#   end or the flusher sends it whole (LOCK_TAKEN).
# - where the lock is not free the getter notes the time it was asked for and leaves __enter__ ``_Thread.enter``,
#   which waits for it in C and reads the clock in C (``_contended``): the waits that matter. The thread's next
#   acquisition settles it: a wait of a millisecond or more is sent whole, the others summed. (The getter used to
#   wait itself, in Python: its code ran on after the acquire, a thread lost the GIL there holding the lock, and
#   the lock became a convoy for good.)
# Counts and waits go out per thread at the end of each span (LOCK_SUM, LOCK_SUM_WAITS). Without a GIL (a
# free-threaded build with the GIL off) none of this is needed: _LockWithoutGIL uses plain methods.

_lock_ids = itertools.count(1)
_locks_made = 0
_locks: list[Lock] = []  # the traced locks made in this process: their threads' counts go out at a task's end
_counter_ids: dict[str, int] = {}
_small_base = 0  # where this interpreter's lock and counter ids start (attach_interpreter)
_ident = threading.get_ident
_counted_waits: set[int] = set()  # threads (ident) with counted waits not sent yet

_SPAN_NS = 50_000_000  # a thread's counts of one lock are sent every 50 ms of its use (the model's buckets)
_TIMED = 4  # the first acquisitions of each span, per thread and lock, are timed and sent whole
_TIMED_PER_LOCK = 64  # ... and no more than this many a lock every 50 ms over all its threads (hundreds of them)
_LOOK_EVERY = 64  # the getter reads the clock (has the span ended?) every this many counted acquisitions
_LONG_NS = 1_000_000  # a wait this long is sent whole, not summed
_HELD_LIVE_NS = 10_000_000  # a timed acquisition held this long is shown as held (its release to follow)
_NOTHING: Callable[[], None] = type(None)  # called with no arguments, does nothing: __enter__ where the getter
# took the lock itself
_CALL_ENTER_NOW = operator.methodcaller("_enter_now")

# _Thread.pending: what is owed for the thread's latest acquisition
_NONE, _WHOLE, _RELEASE, _WAITED = 0, 1, 2, 3  # nothing; all of it, once released (LOCK_TAKEN); its release
# (LOCK_RELEASED); its wait, summed (or all of it if it waited long), once released


class _Thread:
    """One thread's use of one traced lock: its counts in the current span, and the C callables that time its
    acquisitions (see the comment above)."""

    __slots__ = ("look", "until", "left", "task", "n", "first", "last", "waited", "wait", "longest", "pending",
                 "requested", "times", "enter", "release")

    def __init__(self, lock: Lock) -> None:
        self.look = 0  # the count at which the getter next reads the clock (0: at once)
        self.until = 0  # when the current span ends (ns; 0: none started)
        self.left = 0  # acquisitions still to time in this span
        self.task = 0  # the task the span counts for (its lane)
        self.n = 0  # acquisitions counted in this span
        self.first = self.last = 0  # the span's start, the latest clock reading in it
        self.waited = self.wait = self.longest = 0  # how many of them waited, their waits, the longest (ns)
        self.pending = _NONE  # what is owed for the latest acquisition
        self.requested = 0  # ... when it was requested
        times = self.times = [0, 0, 0]  # [-, acquired, released] of the latest timed acquisition
        self.enter: Callable[[], object] = map(times.__setitem__, iter(lock._acquire, None), iter(_now, None)).__next__
        self.release: Callable[[], Callable[..., object]] = type("_Release", (), {
            "__slots__": (), "__call__": lock._exit,
            "__del__": map(times.__setitem__, itertools.repeat(2), iter(_now, None)).__next__,
        })


def _count_wait(thread: _Thread, waited: int, ident: int) -> None:
    """An acquisition that waited ``waited`` ns, counted and summed (not sent whole) for thread ``ident``."""
    thread.n += 1
    thread.waited += 1
    thread.wait += waited
    if waited > thread.longest:
        thread.longest = waited
    _counted_waits.add(ident)


def _pressed() -> bool:
    """The buffer is past its soft limit (concviz reads slower than events come): send counts, not detail."""
    return len(_buf) >= _SOFT_LIMIT


class Lock:
    """A ``threading.Lock`` that records its acquisitions: who took it, how long they waited, when. Use it as
    ``with lock:`` or with ``acquire()`` and ``release()`` (not ``lock.__enter__()`` by hand: __enter__ and
    __exit__ are properties, see the comment above)."""

    __slots__ = ("id", "name", "_lock", "_acquire", "_locked", "_exit", "_threads", "_enter_now", "_dispatch",
                 "_out", "_announced", "_timed", "_budget", "_budget_until")

    def __new__(cls, name: str = "lock", _real: threading.Lock | _Stamped | None = None) -> Lock:
        if cls is Lock and not _gil_on():
            cls = _LockWithoutGIL
        return object.__new__(cls)

    def __init__(self, name: str = "lock", _real: threading.Lock | _Stamped | None = None) -> None:
        global _locks_made
        real = self._lock = threading.Lock() if _real is None else _real
        self._acquire: Callable[..., bool] = real.acquire
        self._locked: Callable[[], bool] = real.locked
        self._exit: Callable[..., object] = real.__exit__
        self._threads: dict[int, _Thread] = {}  # by thread ident
        self._enter_now: Callable[[], object] = _NOTHING  # what __enter__ calls next, left by __exit__'s getter
        self._dispatch = functools.partial(_CALL_ENTER_NOW, self)  # C: calls self._enter_now()
        self._out: list[Record] = _buf
        self._announced = False
        self._timed = _TIMED
        self._budget, self._budget_until = 0, 0  # timed acquisitions left to its threads until then (ns)
        self.id = next(_lock_ids)
        self.name = name
        if _real is not None:  # calibration (lock_tracing_cost_us): records of its own, kept out of the run's
            self._out, self._timed = [], 0
            return
        _locks_made += 1
        _locks.append(self)
        if _fd is not None:
            self._announce()

    def _announce(self) -> None:
        self._announced = True
        if self._out is _buf:
            _text(wire.TEXT_LOCK, self.id, self.name)
            _emit((wire.LOCK, 0, self.id, 0, _now(), 0, 0))

    # ---- the with statement (see the comment above the class)

    def _prepare(self) -> Callable[..., object]:
        """__exit__'s getter, run before the lock is taken: what __exit__ calls; what __enter__ calls is left in
        ``_enter_now``, the last thing done."""
        thread = self._threads.get(_ident())
        if thread is None or thread.n >= thread.look:
            return self._slowly(thread)
        thread.n += 1
        if self._locked():  # the last call: from here to __enter__'s acquire the GIL cannot change hands
            thread.n -= 1
            return self._contended(thread, _now())
        self._enter_now = self._acquire
        return self._exit

    __exit__ = property(_prepare)
    __enter__ = property(operator.attrgetter("_dispatch"))

    def _slowly(self, thread: _Thread | None) -> Callable[..., object]:
        """The getter's rarer cases: a thread's first acquisition, a look at the clock (a new span?), a timed
        acquisition, the one before it to send; and any while nobody watches (the plain lock)."""
        if thread is None:
            if _fd is None:
                self._enter_now = self._acquire
                return self._exit
            thread = self._threads[_ident()] = _Thread(self)
        if thread.pending:
            self._settle(thread, _now())
        t = thread.last = _now()
        if t >= thread.until:
            self._new_span(thread, t)
        thread.look = thread.n + _LOOK_EVERY
        if thread.left:  # timed and sent whole
            thread.left -= 1
            thread.look = thread.n  # the next acquisition settles this one
            release = thread.release()
            if self._locked():
                return self._contended(thread, t, release)
            thread.pending = _WHOLE
            thread.requested = 0
            self._enter_now = thread.enter
            return release
        thread.n += 1
        if self._locked():
            thread.n -= 1
            return self._contended(thread, t)
        self._enter_now = self._acquire
        return self._exit

    def _contended(self, thread: _Thread, t: int, release: Callable[..., object] | None = None
                   ) -> Callable[..., object]:
        """Another thread holds the lock: this acquisition waits for it in C, as a timed one does (__enter__ is
        ``_Thread.enter``), requested at ``t``; ``release``: it is timed (sent whole). An untimed one is settled by
        the thread's next acquisition (``_WAITED``: its wait summed, or sent whole if long). Waiting for it here, in
        Python, left Python code to run between the acquire and the body: a thread that lost the GIL there held
        the lock, every other one waited for it, and the lock became a convoy for good (threads-download
        updates=20000: median +65% against the plain code, best +4%)."""
        thread.requested = t
        thread.times[1] = 0  # not acquired yet: the flusher leaves it alone until it is
        if release is None:
            release = thread.release()
            thread.pending = _WAITED
            thread.look = thread.n  # the next acquisition settles this one
        else:
            thread.pending = _WHOLE
        self._enter_now = thread.enter
        return release

    def _settle(self, thread: _Thread, t: int, released_only: bool = False, ident: int | None = None) -> None:
        """What is owed for the thread's latest timed acquisition, once released (``released_only``: else skip it,
        it is held right now). An exit object kept alive (by an exception's traceback) counts as released at ``t``."""
        how, acquired, released = thread.pending, thread.times[1], thread.times[2]
        if not how or not acquired or released < acquired and released_only:  # (not acquired yet: still waiting)
            return
        thread.pending = _NONE  # before any call: the flusher settles too
        if released < acquired:
            released = t
        if how == _WAITED:
            waited = acquired - thread.requested
            if waited < _LONG_NS or self._out is _buf and _pressed():
                _count_wait(thread, waited, _ident() if ident is None else ident)
                return
            how = _WHOLE  # a long wait: sent whole, timed to its release
        if how == _RELEASE:
            self._out.append((wire.LOCK_RELEASED, 0, self.id, thread.task, released, 0, 0))
        else:
            self._out.append((wire.LOCK_TAKEN, 0, self.id, thread.task, thread.requested or acquired, acquired,
                              released))

    def _new_span(self, thread: _Thread, t: int) -> None:
        """The thread's counts of the span that ended go out, and a new span starts. While concviz reads slower
        than events come the span goes on instead (its counts cover a longer time) and nothing is timed."""
        pressed = self._out is _buf and _pressed()
        if thread.n:
            if pressed:
                thread.until, thread.left = t + _SPAN_NS, 0
                return
            self._send(thread)
        if not self._announced and _fd is not None:
            self._announce()
        thread.first = t
        thread.until = t + _SPAN_NS
        if t >= self._budget_until:
            self._budget, self._budget_until = _TIMED_PER_LOCK, t + _SPAN_NS
        thread.left = 0 if pressed else min(self._timed, self._budget)
        self._budget -= thread.left
        task = getattr(_tls, "task", None)
        thread.task = task.id if task else 0

    def _send(self, thread: _Thread) -> None:
        n, first, last, waited, wait, longest = thread.n, thread.first, thread.last, thread.waited, thread.wait, \
            thread.longest
        thread.n = thread.waited = thread.wait = thread.longest = 0  # before any call: nothing counted in between
        thread.look = 0
        self._out.append((wire.LOCK_SUM, 0, self.id, thread.task, first, last, n))
        if waited:
            self._out.append((wire.LOCK_SUM_WAITS, 0, self.id, thread.task, longest, wait, waited))

    def _send_thread(self, ident: int, new_span: bool) -> None:
        """A thread's counts so far and its latest timed acquisition if released (its task ends, the run ends);
        ``new_span``: its next acquisition starts a span (for the task current then)."""
        thread = self._threads.get(ident)
        if thread is None:
            return
        t = thread.last = _now()
        self._settle(thread, t, released_only=True, ident=ident)
        if thread.n:
            self._send(thread)
        if new_span:
            thread.until = thread.look = 0

    def _look(self, cutoff: int) -> None:
        """(The flusher) each thread's latest timed acquisition: sent whole once released, not kept waiting for the
        thread's next one; one held since before ``cutoff`` goes out as acquired, live, its release to follow."""
        for thread in list(self._threads.values()):
            how = thread.pending
            if not how or how == _WAITED:  # a wait summed: its own thread settles it (the sums are its own)
                continue
            acquired, released = thread.times[1], thread.times[2]
            if released >= acquired:
                self._settle(thread, 0, released_only=True)
            elif how == _WHOLE and acquired < cutoff:
                thread.pending = _RELEASE  # before any call: the thread settles too
                if thread.requested:
                    self._out.append((wire.LOCK_REQUEST, 0, self.id, thread.task, thread.requested, 0, 0))
                self._out.append((wire.LOCK_ACQUIRED, 0, self.id, thread.task, acquired, 0, 0))

    # ---- the lock's own methods: each acquisition sent as it happens

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if _fd is None:
            return self._lock.acquire(blocking, timeout)
        if not self._announced:
            self._announce()
        if len(_buf) >= _HARD_LIMIT:
            _make_room()
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
        if _fd is not None:
            t = getattr(_tls, "task", None)
            self._out.append((wire.LOCK_RELEASED, 0, self.id, t.id if t else 0, _now(), 0, 0))
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()


class _LockWithoutGIL(Lock):
    """A traced lock where threads run Python at once (a free-threaded build with the GIL off): there is no GIL to
    lose inside the lock, so __enter__ and __exit__ are plain methods (try the lock, else wait for it, timed); the
    same counts and records."""

    __slots__ = ()

    def __enter__(self) -> bool:
        thread = self._threads.get(_ident())
        if thread is None:
            if _fd is None:
                return self._acquire()
            thread = self._threads[_ident()] = _Thread(self)
        t = thread.last = _now()
        if t >= thread.until:
            self._new_span(thread, t)
        timed = thread.left > 0
        if timed:
            thread.left -= 1
        if self._acquire(False):
            if timed:
                thread.times[1], thread.pending, thread.requested = t, _WHOLE, 0
            else:
                thread.n += 1
        else:
            self._contended(thread, t, _NOTHING if timed else None)
        return True

    def _contended(self, thread: _Thread, t: int, release: Callable[..., object] | None = None
                   ) -> Callable[..., object]:
        """Another thread holds the lock: wait for it here, from ``t`` (no GIL to lose while holding it).
        ``release``: this acquisition is timed (its request and acquisition go out now, live, its release once
        done)."""
        out = self._out
        if release is not None:
            out.append((wire.LOCK_REQUEST, 0, self.id, thread.task, t, 0, 0))
        self._acquire()
        acquired = _now()
        waited = acquired - t
        self._enter_now = _NOTHING
        if release is not None:
            out.append((wire.LOCK_ACQUIRED, 0, self.id, thread.task, acquired, 0, 0))
            thread.times[1], thread.pending = acquired, _RELEASE
            return release
        if waited >= _LONG_NS and (out is not _buf or not _pressed()):  # sent whole, timed to its release
            thread.times[1], thread.pending, thread.requested = acquired, _WHOLE, t
            thread.look = thread.n
            return thread.release()
        _count_wait(thread, waited, _ident())
        return self._exit

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
        thread = self._threads.get(_ident())
        if thread is not None and thread.pending:
            thread.times[2] = _now()
            self._settle(thread, 0)


def _gil_on() -> bool:
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return bool(is_enabled()) if is_enabled is not None else True


def _locks_task_changed() -> None:
    """This thread's task changes (a task starts or ends on it): its counts of every traced lock go out, and its
    next acquisitions start a new span, counted for the task then current."""
    if not _locks:
        return
    ident = _ident()
    for lock in _locks:
        lock._send_thread(ident, new_span=True)


def _look_at_locks() -> None:
    """(The flusher) timed acquisitions released since go out now rather than at their thread's next one, and one
    held for a while goes out as acquired (see Lock._look)."""
    cutoff = _now() - _HELD_LIVE_NS
    for lock in _locks:
        if lock._threads and type(lock) is Lock:
            lock._look(cutoff)


def _looking() -> bool:
    """Whether a traced lock has threads whose acquisitions _look_at_locks may send (the flusher looks every
    period while one has: its records are appended where _woken is not called)."""
    return any(lock._threads and type(lock) is Lock for lock in _locks)


def _locks_counts_out() -> None:
    """This thread's counts of every traced lock go out (its cpu stretch ends: the model splits it with them)."""
    ident = _ident()
    _counted_waits.discard(ident)
    for lock in _locks:
        lock._send_thread(ident, new_span=False)


def _send_all_counts() -> None:
    """Every thread's counts of every lock (the run's end, a worker's exit)."""
    for lock in _locks:
        for ident in list(lock._threads):
            lock._send_thread(ident, new_span=False)


def locks_made() -> int:
    return _locks_made


class _Stamped:
    """A lock that notes how long it was held, from its acquire returning to its release (calibration only)."""

    __slots__ = ("_real", "_since", "held")

    def __init__(self) -> None:
        self._real = threading.Lock()
        self._since = 0
        self.held = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._real.acquire(blocking, timeout)
        self._since = time.perf_counter_ns()
        return got

    def release(self) -> None:
        self.held += time.perf_counter_ns() - self._since
        self._real.release()

    def locked(self) -> bool:
        return self._real.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_tracing_cost_us(rounds: int = 5000) -> float:
    """What tracing adds inside the critical section of a busy traced lock's acquisition, in microseconds, where it
    can change what is measured. concviz labels runs the tracing distorts with it (tui.lessons.measurement_warnings):
    time added inside the lock makes its threads contend more than they would untraced.

    With the GIL on, that is 0.0: a thread can lose the GIL only in Python code, and the probe runs none of its own
    while the real lock is held (its Python runs before the lock is taken, its C right after it is let go: see the
    comment above Lock; tests/test_probe.py checks it), so the lock is contended exactly as often as untraced. Without
    a GIL (threads run at once, and any time inside the lock counts) it is measured: how much longer the real lock
    stays held than a plain one around the same code, best of three rounds, to a tenth of a microsecond."""
    if _gil_on():
        return 0.0

    def held(traced: bool) -> float:
        times = []
        for _ in range(3):
            stamped = _Stamped()
            lock: Lock | _Stamped = Lock("calibration", _real=stamped) if traced else stamped
            for _ in range(rounds):
                with lock:
                    pass
            times.append(stamped.held / rounds)
        return min(times)

    return round(max(held(True) - held(False), 0.0) / 1000, 1)


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
    global _fd, _flush_lock, _variant, _worker, _waits, _waited_ns, _written, _wake, _room, _idle
    _flush_lock = threading.Lock()
    _wake, _room, _idle = threading.Event(), threading.Event(), False  # the scenario's flusher may have held theirs
    _buf.clear()
    _tls.__dict__.clear()
    _counter_ids.clear()  # names are per process on the wire: send them again under this pid
    _waits = _waited_ns = _written = 0
    _counted_waits.clear()
    for lock in _locks:  # the counts of the scenario's threads, at the fork
        lock._threads.clear()
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
    if len(_buf) >= _HARD_LIMIT:
        _make_room()
    _buf.append((wire.COUNT, 0, cid, t.id if t else 0, _now(), int(value), 0))
    if _idle:
        _woken()


def note(**info: object) -> None:
    """Report results and figures (JSON-able values) that concviz shows and puts in its summary."""
    if _fd is not None:
        _text(wire.TEXT_INFO, 0, json.dumps(info, default=str))


def error(info: Mapping[str, object]) -> None:
    if _fd is not None:
        _text(wire.TEXT_ERROR, 0, json.dumps(info, default=str))


def run_end() -> None:
    if _fd is not None:
        _send_all_counts()
        if _waits:
            note(probe={"waited_for_room": _waits, "waited_s": round(_waited_ns / 1e9, 6)})
        _emit((wire.RUN_END, 0, 0, 0, _now(), 0, 0))


# ------------------------------------------------------------------------------------------------ asyncio


def waits(future: _Future) -> _Future:
    """Mark a future as another task's work (e.g. ``run_in_executor``): awaiting it shows as ``wait``, not ``io``."""
    future._concviz_wait = True  # type: ignore[attr-defined]  # a mark on asyncio's future, read by probe_asyncio
    return future

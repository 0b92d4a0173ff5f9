"""The session: start a scenario's child process, read its events, sample the machine, feed a trace model.

One thread runs ``Session.pump``: a selector over the event pipe and the child's stdout and stderr, with a look
at the machine every 100 ms in between. What it gathers goes to ``sink`` as a ``Batch``: events and output as
soon as they arrive (at most every ``DELIVER_S``, so that the screen can show them at once), samples with the
next batch or every 100 ms. The UI applies batches to its model on its own thread, headless mode directly.

Back-pressure: once a sink has applied a batch (``Batch.apply_to``), the pump hands nothing over and stops reading
events while ``MAX_IN_FLIGHT`` batches it handed over are still waiting to be applied (the machine's samples wait in
the next batch meanwhile; threads' scheduler counters are not read). Events then wait in the pipe, and once the
pipe is full in the child's buffer, where the probe sends counts instead of detail (scenarios/probe.py): a flood
slows the detail, not the app. (A sink that never applies a batch, e.g. one that only records, is never held up.)

The child runs on concviz's own interpreter, or on another one (``python``: tui.pythons.Interpreter, ``--python``),
which sees only concviz's ``scenarios`` package beside its own site-packages; ``meta()["python"]`` describes the
interpreter the child runs on. ``run_each`` runs a scenario under several interpreters, one after another.

The child runs in a session (process group) of its own. Its stdin is a lifeline: closing it, or this process
dying, makes the child end its whole group. Whatever remains after the child exits is killed with the group.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import subprocess
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Callable

import psutil

from scenarios import wire
from scenarios.catalog import Scenario
from tui.interpreter import python_info
from tui.model import Sample, Trace
from tui.pythons import Interpreter, child_command, child_env
from tui.stream import Decoder, StreamError

_WATCHED = frozenset((wire.STATE, wire.END, wire.BIND))  # the records _watch_threads looks at
TICK_S = 0.1
DELIVER_S = 0.01  # events and output go to the sink at most this often
THREADS_PER_TICK = 64  # threads in a cpu stretch whose scheduler counters are read each tick, in turn
MAX_IN_FLIGHT = 4  # batches of events handed over and not applied yet, past which the pump stops reading events
PAUSED_POLL_S = 0.005  # while it has stopped, it looks this often whether the sink has caught up
AFTER_EXIT_S = 2.0  # a pipe still open this long after the child's exit (and read meanwhile) is left unread
GIVE_BACK_S = 1.0  # while a run goes, the memory the app freed is given back to the system this often (give_back)
DEFAULT_TIME_LIMIT_S = 120.0
_live: "weakref.WeakSet[Session]" = weakref.WeakSet()


@dataclass
class Batch:
    """What one tick gathered."""

    records: list = field(default_factory=list)
    samples: list = field(default_factory=list)  # tui.model.Sample's fields, t in monotonic ns (_Sampler.sample)
    thread_samples: list = field(default_factory=list)  # (pid, tid, t_ns, on_cpu_ns, run_queue_ns)
    output: list = field(default_factory=list)  # (t_ns, line)
    exit: dict | None = None
    on_applied: Callable[[], None] | None = field(default=None, repr=False, compare=False)  # the session counts

    def apply_to(self, trace: Trace) -> None:
        trace.apply(self.records)
        for s in self.samples:
            trace.add_sample(_sample_seconds(trace, s))
        for pid, tid, t_ns, on_cpu, run_queue in self.thread_samples:
            trace.thread_sample(pid, tid, t_ns, on_cpu, run_queue)
        for t_ns, line in self.output:
            trace.add_output(trace.seconds(t_ns), line)
        if self.exit is not None:
            trace.exit = self.exit
            if trace.ended is None:
                trace.ended = trace.last
        if self.on_applied is not None:
            self.on_applied()

    def __bool__(self) -> bool:
        return bool(self.records or self.samples or self.output or self.exit is not None)


def _sample_seconds(trace: Trace, s: tuple) -> Sample:
    t_ns, *rest = s
    return Sample(trace.seconds(t_ns), *rest)


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's malloc_trim(0), or None where there is none (another C library, not Linux)."""
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (ImportError, OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


_trim = _malloc_trim()


def give_back() -> None:
    """Give the memory the app has freed back to the system. A run's model and timeline grow in large lists that
    move as they grow, and glibc keeps what they leave behind in its heap: at threads-download tasks=500
    updates=100000, 140 MB of the live app's RSS was free memory it still held (malloc_trim gave it back; a call
    with nothing to give back costs ~10 us, and ctypes lets go of the GIL meanwhile)."""
    if _trim is not None:
        _trim()


class Session:
    """One run of one scenario in its own child process."""

    def __init__(
        self,
        scenario: Scenario,
        params: dict,
        seed: int,
        sink: Callable[[Batch], None],
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
        python: Interpreter | None = None,
    ) -> None:
        self.scenario = scenario
        self.python = python  # None: the app's own interpreter (sys.executable)
        self.params = params
        self.seed = seed
        self.sink = sink
        self.time_limit_s = time_limit_s
        self.deliver_s = DELIVER_S  # events go to the sink at most this often (see hand_over_every)
        self.proc: subprocess.Popen | None = None
        self._cancel_reason: str | None = None
        self._stderr_tail = bytearray()
        self._tid_of: dict[tuple[int, int], int] = {}  # (pid, task) -> the thread it runs on (BIND records)
        self._running: set[tuple[int, int]] = set()  # (pid, tid) of threads inside a cpu stretch right now
        self._sampler: _Sampler | None = None
        self.handed = 0  # batches of events handed to the sink (the pump's thread counts)
        self.applied = 0  # ... and applied (the applying thread counts: Batch.apply_to)
        self.paused = 0  # times the pump stopped reading events to let the sink catch up
        self._sampled_from = 0  # where the next tick's look at running threads starts (in turn)

    def meta(self) -> dict:
        return {
            "scenario": self.scenario.name,
            "params": self.params,
            "seed": self.seed,
            "python": dict(self.python.info) if self.python is not None else python_info(),
            "machine": {"cores": psutil.cpu_count() or 1},
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    # ------------------------------------------------------------------------------------- life cycle

    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        env = dict(os.environ if self.python is None else child_env(), CONCVIZ_EVENTS_FD=str(write_fd),
                   PYTHONUNBUFFERED="1")
        cmd = child_command(self.python, [self.scenario.name, "--seed", str(self.seed),
                                          "--params", json.dumps(self.params)])
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(write_fd,), env=env, start_new_session=True,
            )
        finally:
            os.close(write_fd)
        self._events = os.fdopen(read_fd, "rb", buffering=0)
        self._sampler = _Sampler(self.proc.pid)
        _live.add(self)

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the run to stop (any thread): the pump ends the child's whole tree and returns."""
        if self._cancel_reason is None:
            self._cancel_reason = reason

    def kill_tree(self) -> None:
        """End the child and everything it started, now."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass

    def hand_over_every(self, seconds: float | None) -> None:
        """Hand events to the sink at most every ``seconds`` (None: every ``DELIVER_S``): a screen that draws less
        often asks for them less often."""
        self.deliver_s = DELIVER_S if seconds is None else seconds

    def pump(self) -> None:
        """Run until the child's tree has ended and every event is read; deliver batches to the sink."""
        if self.proc is None:
            self.start()
        proc = self.proc
        decoder = Decoder()
        sel = selectors.DefaultSelector()
        sel.register(self._events, selectors.EVENT_READ, "events")
        sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
        sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
        line_buf = bytearray()
        batch = Batch()
        started = time.monotonic()
        next_tick = started
        next_give_back = started + GIVE_BACK_S
        delivered = 0.0
        exited_at: float | None = None
        broken: str | None = None
        events_open, reading = True, True
        try:
            while sel.get_map() or events_open:
                now = time.monotonic()
                behind = self.applied and self.handed - self.applied >= MAX_IN_FLIGHT
                if now >= next_tick:
                    next_tick = now + TICK_S
                    self._sample(batch, threads=not behind)
                if now >= next_give_back:
                    next_give_back = now + GIVE_BACK_S
                    give_back()
                if batch and not behind and (now - delivered >= self.deliver_s or not (batch.records or batch.output)):
                    self._hand_over(batch)
                    batch, delivered = Batch(), now
                if self._cancel_reason is None and now - started > self.time_limit_s:
                    self.cancel("time limit")
                if self._cancel_reason is not None and exited_at is None:
                    self._close_lifeline()
                    self.kill_tree()
                if exited_at is None and proc.poll() is not None:
                    exited_at = now
                    self.kill_tree()  # anything the scenario left behind (a stray worker, a server)
                if events_open and reading == bool(behind):  # stop reading events while the sink is behind
                    reading = not behind
                    if reading:
                        sel.register(self._events, selectors.EVENT_READ, "events")
                    else:
                        sel.unregister(self._events)
                        self.paused += 1
                if exited_at is not None and not reading:
                    if self._cancel_reason is not None:
                        break  # cancelled: what is left unread is not wanted
                    exited_at = now  # the rest is read once the sink has caught up
                if exited_at is not None and now - exited_at > AFTER_EXIT_S:
                    break  # a descendant outside the group holds a pipe open: stop reading it
                due = delivered + self.deliver_s if batch.records or batch.output else next_tick
                timeout = max(0.0, min(next_tick, due) - time.monotonic())
                for key, _ in sel.select(timeout=timeout if reading else min(timeout, PAUSED_POLL_S)):
                    data = os.read(key.fd, 65536)
                    if not data:
                        sel.unregister(key.fileobj)
                        if key.data == "events":
                            events_open = False
                        continue
                    if key.data == "events":
                        try:
                            records = decoder.feed(data)
                        except StreamError as exc:
                            broken = str(exc)
                            sel.unregister(key.fileobj)
                            events_open = False
                            continue
                        batch.records.extend(records)
                        self._watch_threads(records)
                    elif key.data == "stdout":
                        line_buf += data
                        *lines, rest = line_buf.split(b"\n")
                        line_buf = bytearray(rest)
                        t = time.monotonic_ns()
                        batch.output.extend((t, ln.decode("utf-8", "replace")) for ln in lines)
                    else:
                        self._stderr_tail = (self._stderr_tail + data)[-16384:]
            status = proc.wait()
        finally:
            sel.close()
            self.kill_tree()
            self._close_all()
        if line_buf:
            batch.output.append((time.monotonic_ns(), line_buf.decode("utf-8", "replace")))
        batch.exit = self._exit_info(status, broken)
        self._hand_over(batch)

    def _hand_over(self, batch: Batch) -> None:
        """To the sink; every batch is counted until it is applied (back-pressure: see the module doc)."""
        self.handed += 1
        batch.on_applied = self._applied_one
        self.sink(batch)

    def _applied_one(self) -> None:
        self.applied += 1

    def _exit_info(self, status: int, broken: str | None) -> dict:
        info: dict = {"status": status, "signal": None}
        if status < 0:
            info["signal"] = signal.Signals(-status).name
        if self._cancel_reason is not None:
            info["reason"] = self._cancel_reason
        elif status == 0:
            info["reason"] = "finished"
        elif status < 0:
            info["reason"] = f"killed by {info['signal']}"
        elif status == 1:
            info["reason"] = "the scenario raised an exception"
        else:
            info["reason"] = f"exited with status {status}"
        if broken:
            info["stream_error"] = broken
        if status != 0 and self._stderr_tail:
            info["stderr"] = self._stderr_tail.decode("utf-8", "replace")[-4000:]
        return info

    def _close_lifeline(self) -> None:
        if self.proc and self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def _close_all(self) -> None:
        self._close_lifeline()
        for f in (self._events, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        if self._sampler:
            self._sampler.close()
        _live.discard(self)

    # -------------------------------------------------------------------------------------- sampling

    def _watch_threads(self, records: list) -> None:
        """Which threads are inside a cpu stretch now (only those are worth a look at their scheduler counters:
        the model splits nothing else live), and processes to sample, as soon as the stream names them. Only each
        task's last change in these records counts; comprehensions, not a loop with branches: this sees every
        record the child sends."""
        state, end = wire.STATE, wire.END
        tid_of, latest = self._tid_of, {}
        for r in [r for r in records if r[1] in _WATCHED]:
            if r[1] == state:
                latest[r[0], r[4]] = r[2]
            elif r[1] == end:
                latest[r[0], r[4]] = -1
            else:  # BIND
                tid_of[r[0], r[4]] = r[6]
        if self._sampler is not None:
            for pid in {r[0] for r in records}:
                self._sampler.watch(pid)
        cpu = wire.STATE_CODE["cpu"]
        for key, code in latest.items():
            tid = tid_of.get(key)
            if tid is not None:
                if code == cpu:
                    self._running.add((key[0], tid))
                else:
                    self._running.discard((key[0], tid))

    def _sample(self, batch: Batch, threads: bool = True) -> None:
        """A look at the machine, and (``threads``) at the scheduler counters of threads in a cpu stretch: at most
        ``THREADS_PER_TICK`` of them a tick, in turn (hundreds of threads would take the pump's thread, and the GIL,
        from the UI every tick; a stretch's live split can wait a few ticks)."""
        if self._sampler is None:
            return
        t_ns = time.monotonic_ns()
        sample = self._sampler.sample(t_ns)
        if sample is not None:
            batch.samples.append(sample)
        if not threads or not self._running:
            return
        running = sorted(self._running)
        start = self._sampled_from % len(running)
        turn = (running[start:] + running[:start])[:THREADS_PER_TICK]
        self._sampled_from = start + len(turn)
        gone = []
        for pid, tid in turn:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                    on_cpu, run_queue, _ = f.read().split()
            except (OSError, ValueError):
                gone.append((pid, tid))
                continue
            batch.thread_samples.append((pid, tid, t_ns, int(on_cpu), int(run_queue)))
        self._running.difference_update(gone)


class _Sampler:
    """Per-core load (psutil), the scenario tree's CPU, threads, memory and context switches (/proc), and concviz's
    own CPU (``time.process_time``: this process, all its threads), so that the model can tell other programs' load
    from the run's (``Trace.others_load``).

    Processes join the tree as soon as the event stream names them (pool workers send events from their first
    moments); a look for children catches the silent ones, such as a server: every tick for the first two seconds,
    then every half second. Linux lists each thread's children in /proc/PID/task/TID/children, so the look reads
    only the tree's own threads (tens of microseconds); without those files psutil scans every pid (2-7 ms). A
    process that started since the last look counts all its CPU in this one (a worker's start-up is the scenario's,
    not other programs'); one found later counts from when it was found.
    """

    CHILDREN_EVERY_S = 0.5
    EAGER_S = 2.0

    def __init__(self, root_pid: int) -> None:
        self.root = psutil.Process(root_pid)
        self.procs: dict[int, _ProcFiles] = {}
        self.cpu_seen: dict[int, float] = {}
        self.ctx_done = 0  # context switches of processes that ended
        self.ctx_seen: dict[int, int] = {}
        self.last_t: int | None = None
        self.last_look: float | None = None  # when the last sample began, seconds since boot (as /proc's start times)
        self.own_seen = time.process_time()  # this process's CPU seconds at the last sample
        self.children_at = 0.0
        self.started = time.monotonic()
        self.children_files = os.path.exists(f"/proc/{os.getpid()}/task/{threading.get_native_id()}/children")
        self.watch(root_pid)
        psutil.cpu_percent(percpu=True)  # the first call only primes the counters

    def watch(self, pid: int) -> None:
        if pid not in self.procs:
            try:
                self.procs[pid] = _ProcFiles(pid)
            except (OSError, ValueError, IndexError):
                pass  # it ended already

    def _find_children(self) -> None:
        found = descendants(self.root.pid) if self.children_files else None
        if found is None:  # no such files, or too many threads to read each one's (psutil reads each pid once)
            try:
                found = [child.pid for child in self.root.children(recursive=True)]
            except psutil.Error:
                found = []
        for pid in found:
            self.watch(pid)

    def sample(self, t_ns: int) -> tuple | None:
        look = time.clock_gettime(time.CLOCK_BOOTTIME)
        now = time.monotonic()
        eager = now - self.started < self.EAGER_S
        if eager or now - self.children_at > self.CHILDREN_EVERY_S:
            self.children_at = now
            self._find_children()
        cpu = threads = rss = ctx = 0
        used = 0.0
        for pid, files in list(self.procs.items()):
            try:
                total, its_threads, its_rss, ctx_now = files.read()
            except (OSError, ValueError, IndexError):
                files.close()
                del self.procs[pid]
                self.ctx_done += self.ctx_seen.pop(pid, 0)
                self.cpu_seen.pop(pid, None)
                continue
            threads += its_threads
            rss += its_rss
            seen = self.cpu_seen.get(pid)
            if seen is None:  # found now: started since the last look (to a clock tick), it counts from its start
                since = self.last_look is None or files.started >= self.last_look - files.TICK_S
                seen = 0.0 if since or not self.last_t else total
            used += max(total - seen, 0.0)
            self.cpu_seen[pid] = total
            self.ctx_seen[pid] = ctx_now
            ctx += ctx_now
            cpu += 1
        self.last_look = look
        cores = tuple(psutil.cpu_percent(percpu=True))
        own = time.process_time()
        own_used, self.own_seen = max(own - self.own_seen, 0.0), own
        dt = (t_ns - self.last_t) / 1e9 if self.last_t else None
        self.last_t = t_ns
        if not dt:
            return None
        return (t_ns, cores, used / dt, threads, rss, ctx + self.ctx_done, cpu, own_used / dt)

    def close(self) -> None:
        for files in self.procs.values():
            files.close()
        self.procs.clear()


class _ProcFiles:
    """One process's /proc/PID/stat, statm and status, opened once and read again at each tick: the figures psutil
    reads, without opening each file anew ten times a second. The files stay bound to that process: once it has
    gone, reading them fails, even if its pid is given to another."""

    TICK_S = 1 / os.sysconf("SC_CLK_TCK")
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self, pid: int) -> None:
        self.fds: list[int] = []
        try:
            for name in ("stat", "statm", "status"):
                self.fds.append(os.open(f"/proc/{pid}/{name}", os.O_RDONLY))
            self.started = int(self._stat()[19]) * self.TICK_S  # seconds since boot, to a clock tick
        except (OSError, ValueError, IndexError):
            self.close()
            raise

    def _stat(self) -> list[bytes]:
        """/proc/PID/stat's fields from the third (its state) on: after the name, which may hold spaces."""
        stat = os.pread(self.fds[0], 4096, 0)
        return stat[stat.rindex(b")") + 2 :].split()

    def read(self) -> tuple[float, int, int, int]:
        """(CPU seconds, user and system; threads; resident bytes; context switches, voluntary and not)."""
        _, statm_fd, status_fd = self.fds
        fields = self._stat()  # fields[0] is the file's field 3 (state)
        cpu_s = (int(fields[11]) + int(fields[12])) * self.TICK_S
        resident = int(os.pread(statm_fd, 4096, 0).split()[1]) * self.PAGE
        switches = 0
        for line in os.pread(status_fd, 16384, 0).splitlines():
            if line.startswith((b"voluntary_ctxt_switches:", b"nonvoluntary_ctxt_switches:")):
                switches += int(line.split()[1])
        return cpu_s, int(fields[17]), resident, switches

    def close(self) -> None:
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []


def descendants(root: int, most_threads: int = 256) -> list[int] | None:
    """Every living descendant of process ``root``, from its threads' /proc/PID/task/TID/children (Linux); None
    when the tree has more than ``most_threads`` threads (reading every thread's file would cost more than
    psutil's scan of every pid)."""
    found, todo, seen = [], [root], 0
    while todo:
        pid = todo.pop()
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # it ended
        seen += len(threads)
        if seen > most_threads:
            return None
        for tid in threads:
            try:
                fd = os.open(f"/proc/{pid}/task/{tid}/children", os.O_RDONLY)
                try:
                    children = [int(child) for child in os.read(fd, 65536).split()]
                finally:
                    os.close(fd)
            except (OSError, ValueError):
                continue  # the thread ended
            found += children
            todo += children
    return found


def end_all_runs(reason: str = "concviz ended") -> None:
    """End every run still alive (as the app ends, on SIGTERM or SIGHUP, at exit): each is cancelled, so that its
    pump returns even if no one applies its batches any more (a pump held back by a sink that has gone would wait
    for it for ever, and Python joins such threads at exit before its atexit hooks run), and its tree is killed."""
    for session in list(_live):
        session.cancel(reason)
        session.kill_tree()


atexit.register(end_all_runs)


def run_headless(scenario: Scenario, params: dict, seed: int, time_limit_s: float = DEFAULT_TIME_LIMIT_S,
                 on_batch: Callable[[Batch], None] | None = None, python: Interpreter | None = None) -> Trace:
    """Run a scenario to its end with no UI (under ``python``, default the app's own) and return its trace."""
    session = Session(scenario, params, seed, sink=lambda b: None, time_limit_s=time_limit_s, python=python)
    trace = Trace(session.meta())

    def sink(batch: Batch) -> None:
        batch.apply_to(trace)
        if on_batch is not None:
            on_batch(batch)

    session.sink = sink
    session.pump()
    return trace


def run_each(scenario: Scenario, params: dict, seed: int, pythons: list[Interpreter],
             time_limit_s: float = DEFAULT_TIME_LIMIT_S, on_batch: Callable[[int, Batch], None] | None = None):
    """Run a scenario under each interpreter in turn, with no UI, and return the runs (tui.runs.Runs). One at a
    time: the next starts once the last one's whole process tree has ended (they would compete for the cores).
    ``on_batch(run index, batch)`` sees every batch. An interrupt ends the running child and starts no more."""
    from tui.runs import Runs

    sessions = [Session(scenario, params, seed, sink=lambda b: None, time_limit_s=time_limit_s, python=python)
                for python in pythons]
    runs = Runs.for_sessions(sessions)
    for i, session in enumerate(sessions):
        runs.current = i
        trace = runs[i]
        trace.meta["started"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")  # when it started, not when planned

        def sink(batch: Batch, trace: Trace = trace, i: int = i) -> None:
            batch.apply_to(trace)
            if on_batch is not None:
                on_batch(i, batch)

        session.sink = sink
        session.pump()
    return runs

"""The probe, as a scenario uses it: each case runs in a fresh child Python writing to a pipe, decoded here."""

from __future__ import annotations

import json
import os
import textwrap
from collections import defaultdict

import pytest

from scenarios import wire
from conftest import TraceBuilder, run_probe
from tui.model import Trace


def _names(run, kind=wire.TEXT_TASK) -> dict[int, str]:
    return {r[4]: r[8] for r in run.texts(kind)}


def _task_id(run, name: str) -> int:
    return next(ident for ident, text in _names(run).items() if text == name)


def _states(run, ident: int) -> list[str]:
    return [wire.STATES[r[2]] for r in run.of(wire.STATE) if r[4] == ident]


# ------------------------------------------------------------------------------------------ tasks and states


def test_init_sends_hello_first():
    run = run_probe("pass")
    pid, typ, a, b, ident, t0, version, cores, text = run.records[0]
    assert typ == wire.HELLO
    assert version == wire.VERSION
    assert cores >= 1 and t0 > 0
    assert len(run.of(wire.HELLO)) == 1


def test_task_sends_name_task_bind_state_and_end():
    run = run_probe("""
        import threading
        with probe.task("download 1", kind="thread"):
            pass
        print(threading.get_native_id())
    """)
    tid = int(run.proc.stdout.split()[0])
    ident = _task_id(run, "download 1")
    kinds = [r[1] for r in run.records if r[4] == ident and r[1] != wire.TEXT]
    assert kinds == [wire.TASK, wire.BIND, wire.STATE, wire.END]
    (task,) = [r for r in run.of(wire.TASK) if r[4] == ident]
    assert wire.TASK_KINDS[task[2]] == "thread"
    (bind,) = [r for r in run.of(wire.BIND) if r[4] == ident]
    assert bind[6] == tid
    (state,) = [r for r in run.of(wire.STATE) if r[4] == ident]
    assert wire.STATES[state[2]] == "cpu"
    (end,) = run.of(wire.END)
    assert end[6] >= state[6] >= 0  # on-CPU ns measured at both ends, never going back
    assert task[5] <= state[5] <= end[5]


def test_each_kind_is_sent():
    run = run_probe("""
        for kind in ("thread", "process", "async", "main"):
            with probe.task(kind, kind=kind):
                pass
    """)
    kinds = {_names(run)[r[4]]: wire.TASK_KINDS[r[2]] for r in run.of(wire.TASK)}
    assert kinds == {"thread": "thread", "process": "process", "async": "async", "main": "main"}


def test_on_cpu_readings_never_decrease_per_thread():
    run = run_probe("""
        import threading, time
        def work(i):
            with probe.task(f"worker {i}"):
                for _ in range(5):
                    sum(range(20_000))
                    with probe.waiting("io"):
                        time.sleep(0.001)
                    with probe.waiting("wait"):
                        pass
        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads: t.start()
        for t in threads: t.join()
    """)
    readings = defaultdict(list)
    for r in run.of(wire.STATE, wire.END):
        readings[r[4]].append((r[5], r[6], r[7]))
    assert len(readings) == 3
    for ident, seq in readings.items():
        assert len(seq) == 1 + 5 * 4 + 1
        on_cpu = [y for _, y, _ in seq]
        run_queue = [z for _, _, z in seq if z >= 0]
        assert all(y >= 0 for y in on_cpu), "every state change on the task's own thread is measured"
        assert on_cpu == sorted(on_cpu)
        assert run_queue == sorted(run_queue)
        assert [t for t, _, _ in seq] == sorted(t for t, _, _ in seq)
        assert on_cpu[-1] > on_cpu[0]  # the sums above ran on this thread


def test_waiting_switches_then_resumes_the_previous_state():
    run = run_probe("""
        import time
        with probe.task("t"):
            with probe.waiting("io"):
                time.sleep(0.001)
            with probe.waiting("wait"):
                with probe.waiting("io"):
                    pass
    """)
    assert _states(run, _task_id(run, "t")) == ["cpu", "io", "cpu", "wait", "io", "wait", "cpu"]


def test_waiting_without_a_current_task_sends_nothing():
    run = run_probe("""
        with probe.waiting("io"):
            pass
    """)
    assert run.of(wire.STATE, wire.TASK) == []


def test_mark_is_unmeasured_and_end_from_another_thread_is_unmeasured():
    run = run_probe("""
        import threading
        t = probe.Task("queued one", kind="thread", state="queued")
        t.mark("startup")
        def finish():
            t.mark("io")
            t.end()
        th = threading.Thread(target=finish); th.start(); th.join()
    """)
    ident = _task_id(run, "queued one")
    states = [r for r in run.of(wire.STATE) if r[4] == ident]
    assert [wire.STATES[r[2]] for r in states] == ["queued", "startup", "io"]
    assert all(r[6] == -1 and r[7] == -1 for r in states)
    (end,) = run.of(wire.END)
    assert (end[6], end[7]) == (-1, -1)
    assert run.of(wire.BIND) == []  # never measured on a thread, so never bound to one


def test_explicit_task_state_binds_to_the_thread_that_runs_it():
    run = run_probe("""
        import threading
        t = probe.Task("job", state="queued")
        def body():
            with t:
                t.state("cpu")
                print(threading.get_native_id())
        th = threading.Thread(target=body); th.start(); th.join()
    """)
    ident = _task_id(run, "job")
    (bind,) = run.of(wire.BIND)
    assert bind[4] == ident and bind[6] == int(run.proc.stdout.split()[0])
    states = [r for r in run.of(wire.STATE) if r[4] == ident]
    assert states[0][6] == -1 and states[1][6] >= 0  # queued: marked; cpu: measured on its thread
    (end,) = run.of(wire.END)
    assert end[6] >= states[1][6]  # ended on the same thread: measured



def test_only_changes_that_start_or_end_a_cpu_stretch_are_measured():
    """concviz splits only cpu stretches, so a change between two waiting states carries no CPU reading."""
    run = run_probe("""
        with probe.task("t"):
            with probe.waiting("io"):
                with probe.waiting("wait"):
                    pass
        waiter = probe.Task("ends waiting")
        waiter.state("io")
        waiter.end()
    """)
    ident = _task_id(run, "t")
    measured = [(wire.STATES[r[2]], r[6] >= 0 and r[7] >= 0) for r in run.of(wire.STATE) if r[4] == ident]
    assert measured == [("cpu", True), ("io", True), ("wait", False), ("io", False), ("cpu", True)]
    unmeasured = [r for r in run.of(wire.STATE) if r[4] == ident and r[6] < 0]
    assert all(r[7] == -1 for r in unmeasured)
    ends = {r[4]: (r[6], r[7]) for r in run.of(wire.END)}
    assert ends[ident][0] >= 0  # its cpu stretch ends with it
    assert ends[_task_id(run, "ends waiting")] == (-1, -1)  # it ended waiting: nothing to split


def test_run_queue_wait_is_read_again_only_after_a_context_switch():
    """The run-queue wait only grows while a thread is off its core, so without a context switch since the last
    reading the probe sends that reading again instead of reading schedstat (a stand-in file and count here)."""
    run = run_probe("""
        import json, tempfile, types
        switches = {"n": 5}
        probe.getrusage = lambda who: types.SimpleNamespace(ru_nvcsw=switches["n"], ru_nivcsw=2)
        stand_in = tempfile.TemporaryFile()
        os.pwrite(stand_in.fileno(), b"100 222 3\\n", 0)
        clock = probe._ThreadClock()
        os.close(clock.fd)
        clock.fd = os.dup(stand_in.fileno())
        probe._tls.clock = clock
        seen = [probe._read_schedstat()[1]]
        os.pwrite(stand_in.fileno(), b"100 333 4\\n", 0)
        seen.append(probe._read_schedstat()[1])  # no switch counted: the wait read last still holds
        switches["n"] += 1
        seen.append(probe._read_schedstat()[1])  # switched: read again
        seen.append(probe._read_schedstat()[1])
        print(json.dumps(seen))
    """)
    assert json.loads(run.proc.stdout) == [222, 222, 333, 333]


def test_with_nothing_to_write_the_flusher_sleeps_until_a_record_comes():
    """A flusher that woke every 20 ms took the GIL from a process busy on the CPU 50 times a second, and 64 such
    workers left every other program on the machine (concviz's screen too) waiting seconds for a core. With nothing
    to write and no traced lock to look at, it waits for a record with no time out, and the first record wakes
    it: the record goes out without a flush."""
    run = run_probe("""
        import json, threading
        waits, rested = [], threading.Event()
        class Watched(threading.Event):
            def wait(self, timeout=None):
                waits.append(timeout)
                if timeout is None:
                    rested.set()
                return super().wait(timeout)
        probe._wake = Watched()
        has_rested = rested.wait(30)
        probe._room.clear()
        probe.count("requests", 1)
        written = probe._room.wait(30)
        print(json.dumps({"rested": has_rested, "written": written, "records": probe.records_written()}))
    """)
    seen = json.loads(run.proc.stdout)
    assert seen["rested"] and seen["written"]
    assert len(run.of(wire.COUNT)) == 1 and seen["records"] >= 3  # hello, the name and the count, written


def test_init_lets_the_pipe_hold_a_burst_of_events():
    """1 MiB instead of the default 64 KiB: the flusher writes a burst in one go instead of waiting on concviz."""
    with open("/proc/sys/fs/pipe-max-size") as f:
        if int(f.read()) < 1 << 20:
            pytest.skip("this system caps pipes below 1 MiB")
    run = run_probe("""
        import fcntl
        print(fcntl.fcntl(FD, fcntl.F_GETPIPE_SZ))
    """)
    assert int(run.proc.stdout) >= 1 << 20


def test_frames_are_filled_in_turn_and_keep_records_in_order(tmp_path):
    """The flusher packs runs of records at once; the frames are what packing one record at a time gives: each
    filled until the next record would not fit, a TEXT record with its payload in place."""
    from scenarios import probe
    from tui.stream import Decoder

    batch, expected = [], []
    for i in range(900):
        if i % 97 == 5:
            text = ("name %d " % i) * (1 + i % 600)
            part = text.encode()[: wire.MAX_BODY - wire.RECORD.size]
            batch.append((wire.TEXT, wire.TEXT_TASK, 1, i, 1000 + i, len(part), 0, part))
            expected.append((wire.TEXT, wire.TEXT_TASK, 1, i, 1000 + i, len(part), 0, part.decode()))
        else:
            rec = (wire.STATE, wire.STATE_CODE["io"], 0, i, 1000 + i, -1 if i % 2 else i * 7, -1)
            batch.append(rec)
            expected.append((*rec, None))
    with open(tmp_path / "frames", "w+b") as out:
        before, probe._fd = probe._fd, out.fileno()
        try:
            probe._write(batch)
        finally:
            probe._fd = before
        out.seek(0)
        raw = out.read()
    records = Decoder().feed(raw)
    assert [r[1:] for r in records] == expected and {r[0] for r in records} == {os.getpid()}
    lengths, pos = [], 0
    while pos < len(raw):
        length, _ = wire.FRAME_HEAD.unpack_from(raw, pos)
        lengths.append(length)
        pos += wire.FRAME_HEAD.size + length
    one_by_one, body = [], 0
    for rec in batch:
        size = wire.RECORD.size + (len(rec[7]) if len(rec) == 8 else 0)
        if body + size > wire.MAX_BODY:
            one_by_one.append(body)
            body = 0
        body += size
    assert lengths == one_by_one + [body]


# ------------------------------------------------------------------------------------------------- locks


def _acquisitions(run, lock_id=None) -> dict[int, int]:
    """Acquisitions per task, however they were sent: whole (LOCK_TAKEN), live (LOCK_ACQUIRED) or counted."""
    found: dict[int, int] = defaultdict(int)
    for r in run.of(wire.LOCK_TAKEN, wire.LOCK_ACQUIRED, wire.LOCK_SUM):
        if lock_id is None or r[3] == lock_id:
            found[r[4]] += r[7] if r[1] == wire.LOCK_SUM else 1
    return dict(found)


def _timed_holds(run) -> list[tuple[int, int]]:
    """(acquired, released) of every timed acquisition: whole ones, and live ones paired per task."""
    holds = [(r[6], r[7]) for r in run.of(wire.LOCK_TAKEN)]
    live: dict[int, int] = {}
    for r in run.of(wire.LOCK_ACQUIRED, wire.LOCK_RELEASED):
        if r[1] == wire.LOCK_ACQUIRED:
            live[r[4]] = r[5]
        elif r[4] in live:
            holds.append((live.pop(r[4]), r[5]))
    return sorted(holds)


HOT_LOOP = """
    import threading
    lock = probe.Lock("shared")
    total = 0
    def work(i):
        global total
        with probe.task(f"w{i}"):
            for _ in range(N):
                with lock:
                    total += 1
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(total)
"""


@pytest.mark.parametrize("n", [50, 20_000])
def test_every_acquisition_is_sent_once_whole_live_or_counted(n):
    run = run_probe(f"N = {n}\n" + textwrap.dedent(HOT_LOOP))
    assert run.proc.stdout.split() == [str(4 * n)]
    (lock_rec,) = run.of(wire.LOCK)
    assert _names(run, wire.TEXT_LOCK) == {lock_rec[3]: "shared"}
    assert _acquisitions(run) == {_task_id(run, f"w{i}"): n for i in range(4)}
    holds = _timed_holds(run)
    assert holds, "the first acquisitions of each span are timed"
    for acquired, released in holds:
        assert acquired <= released
    for (_, released), (acquired, _) in zip(holds, holds[1:]):
        assert acquired >= released, "two holders of one lock at once"
    counted = sum(r[7] for r in run.of(wire.LOCK_SUM))
    assert (counted > 0) == (n > probe_timed_per_span())


def probe_timed_per_span() -> int:
    from scenarios import probe

    return probe._TIMED


MAIN_HOLDS_IT = """
with probe.task("main"):
    with lock:
        t = threading.Thread(target=other)
        t.start()
        waiting.wait()  # until ``other`` is about to wait for the lock (its wrapped acquire sets it)
    t.join()
"""


def test_a_contended_acquisition_is_timed_from_its_request():
    """The main thread holds the lock until the other thread, finding it taken, is about to wait for it (the lock's
    acquire, wrapped here, says so): events, not sleeps, order the two. The other thread's acquisition goes out
    whole (or live, if the flusher saw it held for a while) from its request."""
    run = run_probe(textwrap.dedent("""
        import threading
        lock = probe.Lock("busy")
        waiting = threading.Event()
        real_acquire = lock._acquire
        def acquire(*args):
            if threading.current_thread() is not threading.main_thread():
                waiting.set()
            return real_acquire(*args)
        lock._acquire = acquire
        def other():
            with probe.task("other"):
                with lock:
                    pass
    """) + MAIN_HOLDS_IT)
    other, main = _task_id(run, "other"), _task_id(run, "main")
    whole = [(r[5], r[6], r[7]) for r in run.of(wire.LOCK_TAKEN) if r[4] == other]
    live = [(r[1], r[5]) for r in run.of(wire.LOCK_REQUEST, wire.LOCK_ACQUIRED, wire.LOCK_RELEASED) if r[4] == other]
    if whole:
        ((requested, acquired, released),) = whole
        assert not live
    else:
        assert [typ for typ, _ in live] == [wire.LOCK_REQUEST, wire.LOCK_ACQUIRED, wire.LOCK_RELEASED]
        requested, acquired, released = (t for _, t in live)
    ((main_acquired, main_released),) = [(r[6], r[7]) for r in run.of(wire.LOCK_TAKEN) if r[4] == main]
    assert main_acquired < requested < main_released <= acquired <= released


@pytest.mark.parametrize("timed", [True, False])
def test_no_python_of_the_probe_runs_while_a_contended_lock_is_held(timed):
    """A thread that found the lock taken waits for it in C too, timed or counted: once it has the lock, none of
    the probe's Python runs until it lets go. (Waiting in Python, the probe ran on after the acquire: a thread
    could lose the GIL there holding the lock, and the hot lock turned into a convoy.) The counted wait is summed
    at the thread's next acquisition."""
    run = run_probe(textwrap.dedent(f"""
        import sys, threading
        lock = probe.Lock("watched")
        lock._timed = {4 if timed else 0}
        probe._LONG_NS = 10**15  # however long it waits here, a counted wait is summed, not sent whole
        real, mine, inside, got = lock._lock, probe.__file__, [], [False]
        waiting = threading.Event()
        real_acquire = lock._acquire
        def acquire(*args):
            other = threading.current_thread() is not threading.main_thread()
            if other and real.locked():
                waiting.set()
            taken = real_acquire(*args)
            got[0] = other
            return taken
        lock._acquire = acquire
        def profile(frame, event, arg):
            if got[0] and event in ("call", "return") and frame.f_code.co_filename == mine and real.locked():
                inside.append((event, frame.f_code.co_name))
        def other():
            with probe.task("other"):
                sys.setprofile(profile)
                with lock:
                    pass
                sys.setprofile(None)
                with lock:  # settles the wait before
                    pass
    """) + MAIN_HOLDS_IT + "print(inside)\n")
    assert run.proc.stdout.strip() == "[]"
    other = _task_id(run, "other")
    if timed:
        assert [r for r in run.of(wire.LOCK_TAKEN) if r[4] == other and r[5] < r[6]]  # from its request
    else:
        ((waited, wait),) = [(r[7], r[6]) for r in run.of(wire.LOCK_SUM_WAITS) if r[4] == other]
        assert waited == 1 and wait > 0
        assert _acquisitions(run)[other] == 2


def test_no_python_of_the_probe_runs_while_the_real_lock_is_held():
    """Where the GIL is on, a thread could lose it at any Python function's start: none of the probe's may start
    while its real lock is held, timed acquisitions (the first of a span) and counted ones alike. A profile
    function sees every Python call; the one-by-one path of a lock another thread holds is the only exception."""
    run = run_probe("""
        import sys
        lock = probe.Lock("watched")
        real, mine, inside = lock._lock, probe.__file__, []
        def profile(frame, event, arg):
            if event == "call" and frame.f_code.co_filename == mine and real.locked():
                inside.append(frame.f_code.co_name)
        with probe.task("t"):
            sys.setprofile(profile)
            for _ in range(500):
                with lock:
                    pass
            sys.setprofile(None)
        print(inside)
    """)
    assert run.proc.stdout.strip() == "[]"
    assert _acquisitions(run) == {_task_id(run, "t"): 500}
    assert run.of(wire.LOCK_TAKEN) and run.of(wire.LOCK_SUM)  # both paths were taken


def test_a_lock_without_a_gil_to_lose_counts_the_same():
    run = run_probe("N = 3000\n" + textwrap.dedent(HOT_LOOP).replace('probe.Lock("shared")',
                                                                        'probe._LockWithoutGIL("shared")'))
    assert run.proc.stdout.split() == ["12000"]
    assert _acquisitions(run) == {_task_id(run, f"w{i}"): 3000 for i in range(4)}


def test_an_exception_inside_the_lock_releases_it_and_is_counted():
    run = run_probe("""
        lock = probe.Lock("l")
        with probe.task("t"):
            for i in range(100):
                try:
                    with lock:
                        if i % 7 == 0:
                            raise ValueError(i)
                except ValueError:
                    pass
            print(lock.locked())
    """)
    assert run.proc.stdout.split() == ["False"]
    assert _acquisitions(run) == {_task_id(run, "t"): 100}


def test_while_concviz_reads_slowly_a_busy_lock_sends_one_count_per_task():
    """Past the buffer's soft limit (0 here: always past it) nothing is timed or sent one by one, and a span's
    count waits for the buffer to empty: the task's end sends its one count, whatever the number of acquisitions."""
    run = run_probe("""
        probe._SOFT_LIMIT = 0
        lock = probe.Lock("flooded")
        with probe.task("t"):
            for _ in range(30_000):
                with lock:
                    pass
    """)
    (count,) = run.of(wire.LOCK_SUM)
    assert count[7] == 30_000 and count[4] == _task_id(run, "t")
    assert not run.of(wire.LOCK_TAKEN, wire.LOCK_REQUEST, wire.LOCK_ACQUIRED, wire.LOCK_RELEASED)


def test_the_buffer_stays_bounded_while_concviz_does_not_read():
    """A pipe of one page nobody reads until the probe has had to wait for room: the recording thread waits at
    the buffer's hard limit instead of the buffer growing; once concviz reads again everything arrives."""
    run = run_probe("""
        import fcntl, threading
        from tui.stream import Decoder

        class Watched(list):
            most = 0

            def append(self, rec):
                list.append(self, rec)
                Watched.most = max(Watched.most, len(self))

        probe._buf = Watched()
        probe._HARD_LIMIT = 1000
        fd_r, fd_w = os.pipe()
        probe.init(fd_w)
        fcntl.fcntl(fd_w, fcntl.F_SETPIPE_SZ, 4096)
        stalled, make_room = threading.Event(), probe._make_room

        def waiting_for_room():
            stalled.set()
            make_room()

        probe._make_room = waiting_for_room
        states = []

        def concviz():
            stalled.wait()  # reads nothing until the probe had to wait
            decoder = Decoder()
            while True:
                records = decoder.feed(os.read(fd_r, 65536))
                states.extend(r for r in records if r[1] == wire.STATE)
                if any(r[1] == wire.RUN_END for r in records):
                    return

        reader = threading.Thread(target=concviz)
        reader.start()
        with probe.task("t") as task:
            for _ in range(5_000):
                task.state("io")
                task.state("cpu")
        probe.run_end()
        probe.flush()
        reader.join()
        print(Watched.most, probe._waits, len(states))
    """, init=False)
    most, waits, states = map(int, run.proc.stdout.split())
    assert most <= 1000 and waits > 0
    assert states == 1 + 10_000  # the task's first and every change: none lost


def test_failed_non_blocking_acquire_is_a_give_up_not_an_acquisition():
    run = run_probe("""
        lock = probe.Lock("busy")
        with probe.task("t"):
            lock.acquire()
            print(lock.acquire(blocking=False), lock.locked())
            lock.release()
    """)
    assert run.proc.stdout.split() == ["False", "True"]
    seq = [(r[1], r[7]) for r in run.of(wire.LOCK_REQUEST, wire.LOCK_ACQUIRED, wire.LOCK_RELEASED)]
    assert seq == [
        (wire.LOCK_REQUEST, 0), (wire.LOCK_ACQUIRED, 0),  # the first acquire
        (wire.LOCK_REQUEST, 0), (wire.LOCK_RELEASED, 1),  # the attempt that gave up
        (wire.LOCK_RELEASED, 0),  # the real release
    ]


def test_locks_made_before_init_are_announced_at_init():
    run = run_probe("""
        early = probe.Lock("made at import")
        probe.init(FD)
        late = probe.Lock("made later")
        with probe.task("t"):
            with early:
                pass
    """, init=False)
    assert run.records[0][1] == wire.HELLO
    names = _names(run, wire.TEXT_LOCK)
    assert sorted(names.values()) == ["made at import", "made later"]
    announced = {r[3] for r in run.of(wire.LOCK)}
    assert announced == set(names)
    early_id = next(i for i, n in names.items() if n == "made at import")
    assert _acquisitions(run) == {_task_id(run, "t"): 1} and _acquisitions(run, early_id) == {_task_id(run, "t"): 1}


# ------------------------------------------------------------------------------ counters, notes, errors, text


def test_count_names_the_counter_once():
    run = run_probe("""
        with probe.task("t"):
            for i in range(1, 4):
                probe.count("progress", i)
        probe.count("in_flight", 7)
    """)
    names = _names(run, wire.TEXT_COUNTER)
    assert sorted(names.values()) == ["in_flight", "progress"]
    progress = next(i for i, n in names.items() if n == "progress")
    counts = [(r[3], r[4], r[6]) for r in run.of(wire.COUNT)]
    task = _task_id(run, "t")
    assert counts[:3] == [(progress, task, 1), (progress, task, 2), (progress, task, 3)]
    assert counts[3][1:] == (0, 7)  # outside any task


def test_note_and_error_carry_json():
    run = run_probe("""
        probe.note(results=[1, 2], metrics={"speedup": 1.9})
        probe.error({"type": "ValueError", "message": "bad"})
    """)
    (info,) = run.texts(wire.TEXT_INFO)
    assert json.loads(info[8]) == {"results": [1, 2], "metrics": {"speedup": 1.9}}
    (err,) = run.texts(wire.TEXT_ERROR)
    assert json.loads(err[8]) == {"type": "ValueError", "message": "bad"}


def test_run_end_is_sent():
    run = run_probe("probe.run_end()")
    assert run.records[-1][1] == wire.RUN_END


def test_variant_marks_its_span_and_the_tasks_inside():
    run = run_probe("""
        with probe.variant("threads"):
            with probe.task("inside"):
                pass
        with probe.task("outside"):
            pass
    """)
    (name,) = run.texts(wire.TEXT_VARIANT)
    assert name[8] == "threads"
    begin, end = run.of(wire.VARIANT)
    assert (begin[2], begin[3]) == (0, name[4]) and (end[2], end[3]) == (1, name[4])
    tasks = {_names(run)[r[4]]: r[3] for r in run.of(wire.TASK)}
    assert tasks == {"inside": name[4], "outside": 0}


def test_long_text_is_split_into_parts_and_rejoined():
    text = "é" * 5000 + "x" * 4001 + "€" * 3000  # multi-byte characters straddle the part boundaries
    run = run_probe(f"probe.note(results={text!r})")
    (info,) = run.texts(wire.TEXT_INFO)
    assert json.loads(info[8]) == {"results": text}
    assert len(run.frames()) >= 1 + len(json.dumps({"results": text}).encode()) // wire.MAX_BODY


def test_frames_never_exceed_pipe_buf():
    run = run_probe("""
        with probe.task("busy"):
            for i in range(20_000):
                probe.count("n", i)
        probe.note(results="y" * 20_000)
    """)
    frames = run.frames()
    assert len(frames) > 10
    assert all(wire.FRAME_HEAD.size + length <= wire.PIPE_BUF for length, _ in frames)
    assert sum(wire.FRAME_HEAD.size + length for length, _ in frames) == len(run.raw)
    assert [r[6] for r in run.of(wire.COUNT)] == list(range(20_000))


# ------------------------------------------------------------------------------------------ without a pipe


def _unprobed(body: str) -> dict:
    run = run_probe(textwrap.dedent(body) + "\nimport json; print(json.dumps({'buf': len(probe._buf), 'active': probe.active()}))",
                    init=False)
    assert run.records == []
    return json.loads(run.proc.stdout.splitlines()[-1])


def test_without_init_tasks_counts_notes_and_variants_record_nothing():
    seen = _unprobed("""
        import time
        with probe.variant("v"):
            for i in range(1000):
                with probe.task(f"t{i}") as t:
                    with probe.waiting("io"):
                        pass
                    t.mark("wait")
                    probe.count("n", i)
                    probe.note(results=i)
        probe.error({"x": 1})
        probe.run_end()
        assert probe.cpu_reading() == (-1, -1)
    """)
    assert seen == {"buf": 0, "active": False}


def test_without_init_a_traced_lock_records_nothing():
    seen = _unprobed("""
        lock = probe.Lock("l")
        for i in range(1000):
            with lock:
                pass
        lock.acquire(blocking=False) and lock.release()
    """)
    assert seen == {"buf": 0, "active": False}


# ------------------------------------------------------------------------------------------ pool workers

POOL_SCRIPT = """
    sys.path.insert(0, "tests")
    from concurrent.futures import ProcessPoolExecutor
    from scenarios import workers
    import pool_work

    if __name__ == "__main__":
        with probe.task("before the pool"):
            pass
        with ProcessPoolExecutor(2, mp_context=workers.context({method!r}, lanes={lanes})) as pool:
            pids = set(pool.map(pool_work.item, range(6)))
        print(" ".join(map(str, sorted(pids))))
"""


def _pool_run(method: str, lanes: bool = True):
    run = run_probe(POOL_SCRIPT.format(method=method, lanes=lanes))
    return run, {int(p) for p in run.proc.stdout.split()}


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_pool_workers_report_under_their_own_pid_whatever_the_start_method(method):
    run, worker_pids = _pool_run(method)
    names = {(r[0], r[4]): r[8] for r in run.texts(wire.TEXT_TASK)}
    tasks = {(r[0], r[4]) for r in run.of(wire.TASK)}
    items = {key for key in tasks if names[key].startswith("item ")}
    assert sorted(names[key] for key in items) == [f"item {i}" for i in range(6)]
    assert {pid for pid, _ in items} == worker_pids and run.pid not in worker_pids
    assert [pid for pid, _ in tasks if names[(pid, _)] == "before the pool"] == [run.pid]
    assert len(run.of(wire.HELLO)) == 1  # a forked worker does not send the scenario's events again
    ends = {(r[0], r[4]) for r in run.of(wire.END)}
    assert items <= ends  # every item ended, and reached the pipe before its worker exited


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_a_pool_worker_has_a_lane_from_its_launch_to_its_exit(method):
    run, worker_pids = _pool_run(method)
    trace = Trace()
    trace.apply(run.records)
    lanes = trace.ordered_lanes()
    workers = {lane.pid: lane for lane in lanes if lane.name.startswith("worker ")}
    assert worker_pids <= set(workers) and trace.root_pid not in workers  # a worker may have had no item to run
    for pid, lane in workers.items():
        assert lane.name == f"worker {pid}" and lane.kind == "process" and lane.end is not None
        seen = [seg.state for seg in lane.segments]
        assert seen[:2] == ["startup", "wait"]  # from its launch, then up and waiting for work
        assert ("cpu" in seen) == (pid in worker_pids)  # running while it ran items
    for lane in lanes:
        if lane.name.startswith("item "):
            worker = workers[lane.pid]
            assert lane.parent == worker.key[1] and worker.start <= lane.start <= lane.end <= worker.end


def test_a_pool_worker_without_a_lane_still_reports_its_items():
    run, worker_pids = _pool_run("spawn", lanes=False)
    names = {(r[0], r[4]): r[8] for r in run.texts(wire.TEXT_TASK)}
    assert not [name for name in names.values() if name.startswith("worker ")]
    assert {r[0] for r in run.of(wire.TASK) if names[(r[0], r[4])].startswith("item ")} == worker_pids


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_counters_and_locks_used_in_pool_workers_keep_their_names(method):
    run, _ = _pool_run(method)
    trace = Trace()
    trace.apply(run.records)
    assert set(trace.counters) == {"progress"}
    assert trace.counter_peak("progress") == 5
    assert {s.name for s in trace.lock_stats()} == {"shared state"}  # each worker's own copy, or its own lock
    assert sum(s.acquisitions for s in trace.lock_stats()) == 6


def test_without_a_watcher_the_context_is_multiprocessings_own():
    seen = _unprobed("""
        import multiprocessing
        from scenarios import workers
        assert type(workers.context("spawn")) is type(multiprocessing.get_context("spawn"))
        assert workers.start_method("default") == multiprocessing.get_start_method()
    """)
    assert seen == {"buf": 0, "active": False}


# ---------------------------------------------------------------------------------------------- asyncio


ASYNC_SCRIPT = """
    import asyncio
    from scenarios import probe_asyncio

    async def sleeper(n):
        await asyncio.sleep(0.001)
        return n

    async def spin(n):
        return sum(range(10_000))

    async def waiter(n):
        return await asyncio.create_task(sleeper(n + 1))

    async def main():
        probe_asyncio.trace_tasks()
        results = await asyncio.gather(sleeper(1), spin(2), waiter(3))
        print(results[0], results[2])
        asyncio.get_running_loop().set_task_factory(None)  # as the scenarios do: no lanes for asyncio's clean-up

    asyncio.run(main())
"""
USER_TASKS = {"sleeper(1)", "spin(2)", "waiter(3)", "sleeper(4)"}


def test_trace_tasks_gives_asyncio_tasks_lanes_with_cpu_io_and_wait():
    run = run_probe(ASYNC_SCRIPT)
    assert run.proc.stdout.split() == ["1", "4"]  # results come through the traced tasks unchanged
    names = _names(run)
    kinds = {names[r[4]]: wire.TASK_KINDS[r[2]] for r in run.of(wire.TASK)}
    assert USER_TASKS <= set(kinds)
    assert {kinds[name] for name in USER_TASKS} == {"async"}
    ids = {name: ident for ident, name in names.items()}
    assert _states(run, ids["sleeper(1)"]) == ["queued", "cpu", "io", "cpu"]
    assert _states(run, ids["spin(2)"]) == ["queued", "cpu"]
    assert _states(run, ids["waiter(3)"]) == ["queued", "cpu", "wait", "cpu"]
    assert {ids[name] for name in USER_TASKS} <= {r[4] for r in run.of(wire.END)}
    measured = [r for r in run.of(wire.STATE) if wire.STATES[r[2]] != "queued"]
    assert all(r[6] >= 0 for r in measured)  # states on the loop's thread are measured


def test_trace_tasks_lanes_are_the_scenarios_tasks_only():
    run = run_probe(ASYNC_SCRIPT)
    assert set(_names(run).values()) == USER_TASKS


def test_trace_tasks_lanes_build_a_model():
    run = run_probe("""
        import asyncio
        from scenarios import probe_asyncio
        async def sleeper(n):
            await asyncio.sleep(0.001)
        async def main():
            probe_asyncio.trace_tasks()
            await asyncio.gather(*(sleeper(i) for i in range(3)))
            asyncio.get_running_loop().set_task_factory(None)
        asyncio.run(main())
    """)
    trace = Trace()
    trace.apply(run.records)
    lanes = trace.ordered_lanes()
    assert [lane.name for lane in lanes] == ["sleeper(0)", "sleeper(1)", "sleeper(2)"]
    for lane in lanes:
        assert lane.kind == "async" and lane.end is not None
        assert trace.lane_states(lane)["io"] > 0


def test_builder_matches_probe_record_shapes():
    """The conftest builder (used by the model tests) makes records shaped like the probe's."""
    run = run_probe("""
        with probe.task("t"):
            probe.count("c", 1)
    """)
    built = TraceBuilder(pid=run.pid).hello().task(1, "t", 0.0).count("c", 1, 0.1, ident=1).records
    real = [r for r in run.records if r[1] in (wire.HELLO, wire.TASK, wire.COUNT, wire.TEXT)]
    assert [(r[1], r[2], r[3], r[4], r[8]) for r in built[1:]] == [(r[1], r[2], r[3], r[4], r[8]) for r in real[1:]]


def test_the_lock_tracing_cost_is_what_tracing_adds_inside_the_lock():
    """None where the GIL is on (no Python of the probe's inside the lock); measured where it is off."""
    run = run_probe("""
        print(probe.lock_tracing_cost_us(rounds=200))
        probe._gil_on = lambda: False  # as on a free-threaded build with the GIL off
        print(probe.lock_tracing_cost_us(rounds=200) >= 0)
    """)
    assert run.proc.stdout.split() == ["0.0", "True"]


def test_a_lock_times_at_most_its_share_per_span_however_many_threads_take_it():
    """100 threads each taking the lock 20 times within one span (the clock held still here): 4 timed each would
    be 400; the lock times at most _TIMED_PER_LOCK of them in a span, and counts every one."""
    run = run_probe("""
        import threading
        still = probe._now()
        probe._now = lambda: still
        lock = probe.Lock("busy")
        def work(i):
            with probe.task(f"w{i}"):
                for _ in range(20):
                    with lock:
                        pass
        threads = [threading.Thread(target=work, args=(i,)) for i in range(100)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(probe._TIMED_PER_LOCK)
    """)
    (budget,) = map(int, run.proc.stdout.split())
    timed = len(run.of(wire.LOCK_TAKEN)) + len(run.of(wire.LOCK_ACQUIRED))
    assert 0 < timed <= budget
    assert sum(_acquisitions(run).values()) == 100 * 20

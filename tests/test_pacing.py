"""Pacing (tui/pacing.py): the tasks computing now, counted as the cores they can use, kept up to date from the
lanes records changed; the screens draw less often while they can use every core, and say so."""

from __future__ import annotations

from conftest import TraceBuilder
from tui.model import Trace
from tui.pacing import BUSY_FRAME_S, CoreUse
from tui.widgets.status import BUSY_WORDS

GIL_ON = {"python": {"version": "3.11.7", "gil": "enabled"}}
GIL_OFF = {"python": {"version": "3.13.0", "gil": "disabled"}}
WORKER_A, WORKER_B = 201, 202


def feed(trace: Trace, build: TraceBuilder) -> None:
    trace.apply(build.records)
    build.records.clear()


def test_processes_computing_on_every_core_are_busy_and_stop_being_so_when_one_waits():
    b = TraceBuilder()
    b.hello(cores=2).task(1, "main", 0.0, kind="main").state(1, "wait", 0.0)
    trace, use = Trace(GIL_ON), CoreUse()
    feed(trace, b)
    assert use.parallel(trace) == 0 and not use.every_core(trace)
    b.task(1, "heavy #0", 0.1, kind="process", pid=WORKER_A).state(1, "cpu", 0.1, pid=WORKER_A)
    feed(trace, b)
    assert use.parallel(trace) == 1 and not use.every_core(trace)
    b.task(1, "heavy #1", 0.1, kind="process", pid=WORKER_B).state(1, "cpu", 0.1, pid=WORKER_B)
    feed(trace, b)
    assert use.parallel(trace) == 2 and use.every_core(trace)
    b.state(1, "io", 0.2, pid=WORKER_B)
    feed(trace, b)
    assert use.parallel(trace) == 1 and not use.every_core(trace)
    b.state(1, "cpu", 0.3, pid=WORKER_B)
    feed(trace, b)
    assert use.every_core(trace)
    b.end(1, 0.4, pid=WORKER_A)
    feed(trace, b)
    assert use.parallel(trace) == 1


def test_threads_count_as_one_core_per_process_while_the_gil_is_on_and_each_without_it():
    def two_threads(meta) -> Trace:
        b = TraceBuilder()
        b.hello(cores=2)
        for ident in (1, 2):
            b.task(ident, f"thread {ident}", 0.0).state(ident, "cpu", 0.0)
        return b.trace(meta)

    assert CoreUse().parallel(two_threads(GIL_ON)) == 1
    assert CoreUse().parallel(two_threads(GIL_OFF)) == 2
    assert CoreUse().every_core(two_threads(GIL_OFF))


def test_a_run_that_ended_is_never_busy():
    b = TraceBuilder()
    b.hello(cores=1).task(1, "worker", 0.0).state(1, "cpu", 0.0)
    trace, use = Trace(GIL_ON), CoreUse()
    feed(trace, b)
    assert use.every_core(trace)
    b.run_end(0.5)
    feed(trace, b)
    assert not use.every_core(trace)


def test_a_log_started_afresh_or_another_trace_is_read_whole():
    b = TraceBuilder()
    b.hello(cores=1).task(1, "worker", 0.0).state(1, "cpu", 0.0)
    trace, use = b.trace(GIL_ON), CoreUse()
    assert use.parallel(trace) == 1
    trace.changes.epoch += 1  # what touched_since does when it starts its log afresh
    assert use.parallel(trace) == 1
    other = TraceBuilder()
    other.hello(cores=1).task(1, "worker", 0.0).state(1, "io", 0.0)
    assert use.parallel(other.trace(GIL_ON)) == 0


def test_the_status_words_name_the_rate_they_draw_at():
    assert all(f"{BUSY_FRAME_S:g} s" in words for words in BUSY_WORDS)

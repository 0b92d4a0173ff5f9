"""The trace model (tui.model) fed with synthetic decoded records: lanes, states, the CPU split, locks, counters,
samples, variants and the headless summary."""

from __future__ import annotations

import json

import pytest

from conftest import TraceBuilder, ns
from scenarios import wire
from tui.model import Sample, Trace
from tui.summary import summarize

GIL_ON = {"python": {"version": "3.11.7", "gil": "enabled"}}
GIL_OFF = {"python": {"version": "3.13.0", "gil": "disabled"}}


def approx(value):
    return pytest.approx(value, abs=1e-6)


def approx_dict(d):
    return {k: approx(v) for k, v in d.items()}


# ------------------------------------------------------------------------------------------- feeding basics


def test_records_before_hello_are_ignored(build):
    build.task(1, "too early", 0.0).state(1, "cpu", 0.0)
    trace = build.trace()
    assert trace.lanes == {} and trace.events == 0 and trace.t0_ns is None
    build.hello(0.0).task(2, "on time", 0.1)
    trace = build.trace()
    assert [lane.name for lane in trace.ordered_lanes()] == ["on time"]
    assert trace.ordered_lanes()[0].start == approx(0.1)


def test_hello_sets_the_start_and_the_core_count_unless_known(build):
    build.hello(0.0, cores=2)
    assert build.trace().meta["machine"]["cores"] == 2
    assert build.trace({"machine": {"cores": 8}}).meta["machine"]["cores"] == 8
    trace = build.trace()
    assert trace.t0_ns == ns(0.0) and trace.root_pid == build.pid


def test_a_second_hello_does_not_move_the_start(build):
    build.hello(0.0).hello(5.0, pid=999).task(1, "t", 1.0)
    trace = build.trace()
    assert trace.t0_ns == ns(0.0) and trace.root_pid == build.pid
    assert trace.lanes[(build.pid, 1)].start == approx(1.0)


def test_unknown_lane_ids_are_ignored(build):
    build.hello().task(1, "known", 0.1)
    build.state(99, "io", 0.2).bind(99, 1234, 0.2).end(99, 0.3).state(1, "io", 0.2)
    trace = build.trace()
    assert list(trace.lanes) == [(build.pid, 1)]
    assert trace.lanes[(build.pid, 1)].state_at(0.25) == "io"


def test_a_lane_without_a_name_is_named_by_its_id(build):
    build.hello()._add(2, 0, 0, 5, 0.1)  # a TASK with no TEXT before it
    trace = build.trace()
    assert trace.lanes[(build.pid, 5)].name == "task 5"


# -------------------------------------------------------------------------------------------- lanes, states


def make_lanes() -> Trace:
    b = TraceBuilder()
    b.hello()
    b.task(3, "third", 0.3, kind="process").state(3, "cpu", 0.3)
    b.task(1, "first", 0.1).state(1, "cpu", 0.1)
    b.task(2, "second", 0.2, kind="async").state(2, "cpu", 0.2)
    b.state(1, "io", 0.2).state(1, "cpu", 0.5).end(1, 0.6)
    b.state(2, "wait", 0.25).state(2, "cpu", 0.45).end(2, 0.7)
    b.end(3, 0.9)
    return b.trace()


def test_lanes_are_ordered_by_start_and_filtered_by_now():
    trace = make_lanes()
    assert [lane.name for lane in trace.ordered_lanes()] == ["first", "second", "third"]
    assert [lane.name for lane in trace.ordered_lanes(now=0.25)] == ["first", "second"]
    assert trace.ordered_lanes(now=0.05) == []
    kinds = {lane.name: (lane.kind, lane.pid) for lane in trace.ordered_lanes()}
    assert kinds == {"first": ("thread", 100), "second": ("async", 100), "third": ("process", 100)}


def test_lanes_starting_together_keep_a_stable_order(build):
    build.hello()
    for ident in (4, 2, 3):
        build.task(ident, f"t{ident}", 0.1)
    assert [lane.name for lane in build.trace().ordered_lanes()] == ["t2", "t3", "t4"]


def test_state_intervals_add_up_per_state():
    trace = make_lanes()
    first = trace.lanes[(100, 1)]
    assert approx_dict(trace.lane_states(first)) == {"cpu": 0.2, "io": 0.3}
    assert approx_dict(trace.lane_states(first, now=0.3)) == {"cpu": 0.1, "io": 0.1}
    second = trace.lanes[(100, 2)]
    assert approx_dict(trace.lane_states(second)) == {"cpu": 0.3, "wait": 0.2}
    assert first.end == approx(0.6)


def test_state_at_follows_the_states_and_ends_in_done():
    first = make_lanes().lanes[(100, 1)]
    assert first.state_at(0.05) == ""  # not started yet
    assert first.state_at(0.15) == "cpu"
    assert first.state_at(0.2) == "io"
    assert first.state_at(0.49) == "io"
    assert first.state_at(0.55) == "cpu"
    assert first.state_at(0.6) == "done"
    assert first.state_at(5.0) == "done"


def test_an_open_lane_lasts_until_now(build):
    build.hello().task(1, "running", 0.0).state(1, "io", 0.0)
    trace = build.trace()
    lane = trace.lanes[(build.pid, 1)]
    assert lane.end is None
    assert approx_dict(trace.lane_states(lane, now=2.0)) == {"io": 2.0}
    assert lane.state_at(2.0) == "io"


# ---------------------------------------------------------------------------------------------- cpu split


def one_cpu_stretch(meta=GIL_ON, kind="thread", end_cpu=(10.3, 2.1), start_cpu=(10.0, 2.0)) -> tuple[Trace, object]:
    b = TraceBuilder()
    b.hello().task(1, "worker", 1.0, kind=kind).state(1, "cpu", 1.0, *start_cpu).end(1, 2.0, *end_cpu)
    trace = b.trace(meta)
    return trace, trace.lanes[(b.pid, 1)]


def test_cpu_stretch_splits_into_cpu_core_wait_and_gil_wait():
    trace, lane = one_cpu_stretch()
    assert approx_dict(trace.lane_states(lane)) == {"cpu": 0.3, "core_wait": 0.1, "gil_wait": 0.6}
    assert lane.state_at(1.5) == "gil_wait"  # the largest share


def test_cpu_stretch_mostly_on_cpu_reads_cpu():
    trace, lane = one_cpu_stretch(end_cpu=(10.9, 2.05))
    assert approx_dict(trace.lane_states(lane)) == {"cpu": 0.9, "core_wait": 0.05, "gil_wait": 0.05}
    assert lane.state_at(1.5) == "cpu"


def test_process_lanes_report_the_rest_as_wait_not_gil_wait():
    trace, lane = one_cpu_stretch(kind="process")
    assert approx_dict(trace.lane_states(lane)) == {"cpu": 0.3, "core_wait": 0.1, "wait": 0.6}


def test_without_a_gil_the_rest_is_wait():
    trace, lane = one_cpu_stretch(meta=GIL_OFF)
    assert not trace.gil_enabled
    assert approx_dict(trace.lane_states(lane)) == {"cpu": 0.3, "core_wait": 0.1, "wait": 0.6}


def test_unknown_run_queue_counts_no_core_wait():
    trace, lane = one_cpu_stretch(start_cpu=(10.0, -1), end_cpu=(10.3, -1))
    assert approx_dict(trace.lane_states(lane)) == {"cpu": 0.3, "gil_wait": 0.7}


def test_an_unmeasured_cpu_stretch_stays_cpu():
    trace, lane = one_cpu_stretch(start_cpu=(-1, -1), end_cpu=(10.3, 2.1))
    assert approx_dict(trace.lane_states(lane)) == {"cpu": 1.0}
    trace, lane = one_cpu_stretch(end_cpu=(-1, -1))  # ended from another thread
    assert approx_dict(trace.lane_states(lane)) == {"cpu": 1.0}


def test_readings_are_clamped_to_the_wall_time():
    trace, lane = one_cpu_stretch(end_cpu=(15.0, 9.0))  # counters beyond the stretch: never more than its wall
    states = trace.lane_states(lane)
    assert states["cpu"] == approx(1.0)
    assert sum(states.values()) == approx(1.0)


def test_only_cpu_stretches_are_split(build):
    build.hello().task(1, "sleeper", 0.0).state(1, "io", 0.0, 1.0, 1.0).end(1, 1.0, 1.0, 1.0)
    trace = build.trace(GIL_ON)
    assert approx_dict(trace.lane_states(trace.lanes[(build.pid, 1)])) == {"io": 1.0}


def test_cpu_split_leaves_out_lock_waits_inside_the_stretch(build):
    """On-CPU 0.1 s of a 1 s stretch, 0.5 s of it waiting for a traced lock: cpu is the measured 0.1 s, gil_wait the
    rest minus the lock wait (0.4 s), and the lock wait is counted once, as lock_wait."""
    build.hello().lock(1, "progress lock")
    build.task(1, "worker", 1.0).state(1, "cpu", 1.0, 10.0, 2.0)
    build.request(1, 1, 1.2).acquired(1, 1, 1.7).released(1, 1, 1.8)
    build.end(1, 2.0, 10.1, 2.0)
    trace = build.trace(GIL_ON)
    states = trace.lane_states(trace.lanes[(build.pid, 1)])
    assert states["cpu"] == approx(0.1)  # the measured on-CPU time, nothing more
    assert states["lock_wait"] == approx(0.5)
    assert states.get("gil_wait", 0.0) == approx(0.4)
    assert states["lock_hold"] == approx(0.1)


def test_thread_sample_splits_a_stretch_while_it_is_open(build):
    build.hello().task(1, "spinner", 1.0).bind(1, 555, 1.0).state(1, "cpu", 1.0, 10.0, 2.0)
    trace = build.trace(GIL_ON)
    lane = trace.lanes[(build.pid, 1)]
    assert approx_dict(trace.lane_states(lane, now=1.5)) == {"cpu": 0.5}  # no reading yet: all cpu
    trace.thread_sample(build.pid, 555, ns(1.5), round(10.1e9), round(2.1e9))
    assert approx_dict(trace.lane_states(lane, now=1.5)) == {"cpu": 0.1, "core_wait": 0.1, "gil_wait": 0.3}
    assert lane.state_at(1.4) == "gil_wait"


def test_thread_sample_for_an_unknown_thread_or_a_closed_stretch_changes_nothing(build):
    build.hello().task(1, "sleeper", 1.0).bind(1, 555, 1.0).state(1, "cpu", 1.0, 10.0, 2.0).state(1, "io", 1.5)
    trace = build.trace(GIL_ON)
    lane = trace.lanes[(build.pid, 1)]
    before = trace.lane_states(lane, now=2.0)
    trace.thread_sample(build.pid, 999, ns(1.8), round(10.1e9), round(2.1e9))
    trace.thread_sample(build.pid, 555, ns(1.8), round(10.1e9), round(2.1e9))  # its cpu stretch is closed
    assert trace.lane_states(lane, now=2.0) == before
    assert approx_dict(before) == {"cpu": 0.5, "io": 0.5}


# -------------------------------------------------------------------------------------------------- cells


def cells_trace() -> tuple[Trace, object]:
    b = TraceBuilder()
    b.hello().lock(1, "l")
    b.task(1, "t", 0.1).state(1, "cpu", 0.1).state(1, "io", 0.3).state(1, "cpu", 0.7)
    b.request(1, 1, 0.75).acquired(1, 1, 0.75).released(1, 1, 0.76)
    b.end(1, 0.9)
    trace = b.trace(GIL_ON)
    return trace, trace.lanes[(b.pid, 1)]


def test_cells_show_the_dominant_state_and_none_outside_the_lane():
    trace, lane = cells_trace()
    states, marked = trace.cells(lane, 0.0, 1.0, 10, now=1.0)
    assert states == [None, "cpu", "cpu", "io", "io", "io", "io", "cpu", "cpu", None]
    assert marked == [False] * 7 + [True] + [False] * 2


def test_cells_stop_at_now():
    trace, lane = cells_trace()
    states, marked = trace.cells(lane, 0.0, 1.0, 10, now=0.5)
    assert states == [None, "cpu", "cpu", "io", "io"] + [None] * 5
    assert marked == [False] * 10  # the lock was taken after now


def test_cells_pick_the_larger_share_in_a_mixed_cell(build):
    build.hello().task(1, "t", 0.0).state(1, "cpu", 0.0).state(1, "io", 0.07).end(1, 0.1)
    trace = build.trace()
    states, _ = trace.cells(trace.lanes[(build.pid, 1)], 0.0, 0.1, 1, now=1.0)
    assert states == ["cpu"]
    states, _ = trace.cells(trace.lanes[(build.pid, 1)], 0.0, 0.2, 2, now=1.0)
    assert states == ["cpu", None]


def test_cells_follow_a_measured_split(build):
    build.hello().task(1, "t", 0.0).state(1, "cpu", 0.0, 0.0, 0.0).end(1, 1.0, 0.2, 0.0)
    trace = build.trace(GIL_ON)
    states, _ = trace.cells(trace.lanes[(build.pid, 1)], 0.0, 1.0, 10, now=1.0)
    # 20% on a CPU, 80% waiting for the GIL: drawn in proportion, not all in the larger part
    assert (states.count("cpu"), states.count("gil_wait")) == (2, 8)


def test_a_cell_inside_a_lock_span_shows_the_lock_state_like_the_label(build):
    build.hello().lock(1, "l")
    build.task(1, "t", 0.0).state(1, "cpu", 0.0)
    build.request(1, 1, 0.1).acquired(1, 1, 0.4).released(1, 1, 0.7).end(1, 1.0)
    trace = build.trace(GIL_ON)
    lane = trace.lanes[(build.pid, 1)]
    states, _ = trace.cells(lane, 0.0, 1.0, 10, now=1.0)
    assert [lane.state_at(0.05 + i / 10) for i in range(10)] == \
        ["cpu"] + ["lock_wait"] * 3 + ["lock_hold"] * 3 + ["cpu"] * 3
    assert states == [lane.state_at(0.05 + i / 10) for i in range(10)]


# --------------------------------------------------------------------------------------------------- locks


def contended() -> TraceBuilder:
    b = TraceBuilder()
    b.hello().lock(1, "progress lock")
    for i in (1, 2, 3, 4):
        b.task(i, f"download {i}", 0.0).state(i, "cpu", 0.0)
    b.request(1, 1, 0.1).acquired(1, 1, 0.1)
    b.request(1, 2, 0.2)
    b.request(1, 3, 0.3)
    b.released(1, 1, 0.4).acquired(1, 2, 0.4)
    b.released(1, 2, 0.5).acquired(1, 3, 0.5)
    b.released(1, 3, 0.6)
    b.request(1, 4, 0.7).released(1, 4, 0.8, gave_up=True)  # a non-blocking attempt that gave up
    return b


def stats_at(trace, now):
    (s,) = trace.lock_stats(now)
    return s


def test_lock_stats_before_any_request():
    s = stats_at(contended().trace(), 0.05)
    assert (s.name, s.acquisitions, s.wait_s, s.hold_s, s.max_waiters, s.holder, s.waiting) == \
        ("progress lock", 0, 0.0, 0.0, 0, None, ())


def test_lock_stats_while_one_holds_and_two_wait():
    s = stats_at(contended().trace(), 0.35)
    assert s.acquisitions == 1
    assert s.holder == "download 1"
    assert s.waiting == ("download 2", "download 3")
    assert s.wait_s == approx(0.15 + 0.05)
    assert s.longest_wait_s == approx(0.15)
    assert s.hold_s == approx(0.25)
    assert s.max_waiters == 2


def test_lock_stats_after_a_hand_off():
    s = stats_at(contended().trace(), 0.45)
    assert s.acquisitions == 2
    assert s.holder == "download 2"
    assert s.waiting == ("download 3",)
    assert s.wait_s == approx(0.2 + 0.15)
    assert s.longest_wait_s == approx(0.2)
    assert s.hold_s == approx(0.3 + 0.05)
    assert s.max_waiters == 2


def test_lock_stats_at_the_end_count_a_give_up_as_wait_not_acquisition():
    trace = contended().trace()
    s = stats_at(trace, 1.0)
    assert s.acquisitions == 3
    assert s.holder is None and s.waiting == ()
    assert s.wait_s == approx(0.2 + 0.2 + 0.1)
    assert s.longest_wait_s == approx(0.2)
    assert s.hold_s == approx(0.3 + 0.1 + 0.1)
    assert s.max_waiters == 2
    assert stats_at(trace, None) == stats_at(trace, trace.duration)


def test_lock_stats_never_go_backwards_in_time():
    trace = contended().trace()
    before = None
    for i in range(0, 101):
        s = stats_at(trace, i / 100)
        if before is not None:
            assert s.acquisitions >= before.acquisitions
            assert s.wait_s >= before.wait_s - 1e-9 and s.hold_s >= before.hold_s - 1e-9
            assert s.max_waiters >= before.max_waiters
        before = s


def test_lock_spans_overlay_the_lane_state():
    trace = contended().trace(GIL_ON)
    lane2 = trace.lanes[(100, 2)]
    assert [lane2.state_at(t) for t in (0.15, 0.25, 0.45, 0.55)] == ["cpu", "lock_wait", "lock_hold", "cpu"]
    lane4 = trace.lanes[(100, 4)]
    assert [lane4.state_at(t) for t in (0.75, 0.85)] == ["lock_wait", "cpu"]
    # blocked on the lock is not running: the wait replaces cpu, the hold overlays it; cpu + lock_wait = wall
    assert approx_dict(trace.lane_states(lane2, now=1.0)) == {"cpu": 0.8, "lock_wait": 0.2, "lock_hold": 0.1}


def test_nested_locks_keep_the_outer_hold(build):
    build.hello().lock(1, "outer").lock(2, "inner")
    build.task(1, "t", 0.0).state(1, "cpu", 0.0)
    build.request(1, 1, 0.1).acquired(1, 1, 0.1)
    build.request(2, 1, 0.2).acquired(2, 1, 0.3).released(2, 1, 0.4)
    build.released(1, 1, 0.5).end(1, 0.6)
    trace = build.trace(GIL_ON)
    lane = trace.lanes[(build.pid, 1)]
    assert [lane.state_at(t) for t in (0.15, 0.25, 0.35, 0.45, 0.55)] == \
        ["lock_hold", "lock_wait", "lock_hold", "lock_hold", "cpu"]
    states = trace.lane_states(lane)
    assert states["lock_hold"] == approx(0.4 + 0.1)
    assert states["lock_wait"] == approx(0.1)
    assert {s.name: s.hold_s for s in trace.lock_stats()} == {"outer": approx(0.4), "inner": approx(0.1)}


def test_locks_of_different_processes_are_kept_apart(build):
    build.hello().lock(1, "parent lock").lock(1, "worker lock", pid=200)
    build.task(1, "p", 0.0).task(1, "w", 0.0, pid=200)
    build.request(1, 1, 0.1).acquired(1, 1, 0.1).released(1, 1, 0.2)
    build.request(1, 1, 0.1, pid=200).acquired(1, 1, 0.15, pid=200).released(1, 1, 0.3, pid=200)
    stats = {s.name: s for s in build.trace().lock_stats(1.0)}
    assert set(stats) == {"parent lock", "worker lock"}
    assert stats["parent lock"].hold_s == approx(0.1) and stats["worker lock"].hold_s == approx(0.15)


# ------------------------------------------------------------------------------------------------ counters


def test_counter_at_now(build):
    build.hello()
    for i, t in enumerate((0.1, 0.2, 0.3), start=1):
        build.count("progress", i, t)
    trace = build.trace()
    assert trace.counter("progress", 0.05) is None
    assert trace.counter("progress", 0.1) == 1
    assert trace.counter("progress", 0.15) == 1
    assert trace.counter("progress", 0.25) == 2
    assert trace.counter("progress", 9.0) == 3
    assert trace.counter("progress") == 3
    assert trace.counter("missing", 1.0) is None


def test_counters_from_a_worker_process_use_its_own_names(build):
    build.hello().count("progress", 1, 0.1).count("in_flight", 5, 0.2)
    build._counters.clear()
    build.count("items", 7, 0.3, pid=200)  # the worker's counter 1 is not the parent's counter 1
    trace = build.trace()
    assert trace.counter("progress") == 1 and trace.counter("in_flight") == 5 and trace.counter("items") == 7


def test_counter_values_arriving_late_from_another_process_keep_time_order(build):
    """Frames from two processes arrive in any order (each flushes every 50 ms): a value sent later but
    measured earlier must not replace the newer one."""
    build.hello().count("done", 1, 0.1)
    build._counters.clear()  # each process names its own counters
    build.count("done", 3, 0.3, pid=200)
    build._counters.clear()
    build.count("done", 2, 0.2)  # the parent's own, measured before the worker's but flushed after
    trace = build.trace()
    assert trace.counter("done", 0.15) == 1
    assert trace.counter("done", 0.25) == 2
    assert trace.counter("done", 0.35) == 3
    assert trace.counter("done") == 3
    assert summarize(trace)["counters"] == {"done": 3}


# ------------------------------------------------------------------------------------------------- samples


def with_samples() -> Trace:
    trace = TraceBuilder().hello().trace()
    for i, t in enumerate((0.1, 0.2, 0.3, 0.4, 0.5)):
        trace.add_sample(Sample(t, (10.0 * i, 100.0 - 10.0 * i), 0.5 + i / 10, 3 + i, 1000 * (i + 1), 50 * i, 1))
    return trace


def test_samples_between_and_sample_at():
    trace = with_samples()
    assert [s.t for s in trace.samples_between(0.2, 0.4)] == [0.2, 0.3, 0.4]
    assert trace.samples_between(0.6, 1.0) == []
    assert trace.sample_at(0.05) is None
    assert trace.sample_at(0.25).t == 0.2
    assert trace.sample_at(9.0).t == 0.5
    assert trace.duration == approx(0.5)  # no end yet: the latest sample


def test_core_means_and_peak():
    trace = with_samples()
    assert trace.core_means(0.1, 0.3) == [approx(10.0), approx(90.0)]
    assert trace.core_means() == [approx(20.0), approx(80.0)]
    assert trace.core_means(2.0, 3.0) == []
    assert trace.peak("threads", now=0.3) == 5
    assert trace.peak("proc_cores") == approx(0.9)
    assert trace.peak("rss", now=0.05) == 0


# ------------------------------------------------------------------------------------------------ variants


def test_variants_and_the_lanes_inside_them(build):
    build.hello()
    build.variant(1, "serial", 0.1).task(1, "s1", 0.1, variant=1).end(1, 0.4).variant_end(1, 0.5)
    build.variant(2, "threads", 0.6).task(2, "t1", 0.6, variant=2).task(3, "t2", 0.6, variant=2)
    build.end(2, 0.8).end(3, 0.9).variant_end(2, 1.0)
    build.task(4, "after", 1.1)
    trace = build.trace()
    assert list(trace.variants) == ["serial", "threads"]
    serial, threads = trace.variants["serial"], trace.variants["threads"]
    assert (serial.start, serial.end) == (approx(0.1), approx(0.5))
    assert (threads.start, threads.end) == (approx(0.6), approx(1.0))
    assert {lane.name: lane.variant for lane in trace.ordered_lanes()} == \
        {"s1": "serial", "t1": "threads", "t2": "threads", "after": ""}
    assert [lane.name for lane in trace.ordered_lanes(variant="threads")] == ["t1", "t2"]


def test_a_worker_lane_belongs_to_the_variant_its_parent_started(build):
    build.hello().variant(1, "processes", 0.1)
    build.task(1, "item 0", 0.2, kind="process", variant=1, pid=200)
    trace = build.trace()
    assert trace.lanes[(200, 1)].variant == "processes"


# ----------------------------------------------------------------------------------------- info, error, end


def test_notes_merge_into_info_and_errors_are_kept(build):
    build.hello().info('{"metrics": {"a": 1}}').info('{"metrics": {"b": 2}, "results": [3]}')
    build.error('{"type": "ValueError", "message": "boom"}')
    trace = build.trace()
    assert trace.info == {"metrics": {"a": 1, "b": 2}, "results": [3]}
    assert trace.error == {"type": "ValueError", "message": "boom"}


def test_run_end_only_from_the_root_process(build):
    build.hello().task(1, "t", 0.0).run_end(0.5, pid=200)
    trace = build.trace()
    assert trace.ended is None
    build.run_end(0.7)
    trace = build.trace()
    assert trace.ended == approx(0.7) and trace.duration == approx(0.7)


# ------------------------------------------------------------------------------------------------- summary


def summary_trace() -> Trace:
    b = contended()
    b.count("progress", 3, 0.6)
    for i in (1, 2, 3, 4):
        b.state(i, "io", 0.85).end(i, 0.9)
    b.run_end(1.0)
    meta = {
        "scenario": "threads-download", "params": {"tasks": 4}, "seed": 7,
        "python": {"version": "3.11.7", "gil": "enabled"}, "machine": {"cores": 2},
    }
    trace = b.trace(meta)
    for t in (0.2, 0.5, 0.8):
        trace.add_sample(Sample(t, (40.0, 60.0), 1.0, 5, 10_000, 10, 1))
    trace.exit = {"status": 0, "signal": None, "reason": "finished"}
    return trace


def test_summary_has_the_json_contract():
    summary = summarize(summary_trace())
    json.dumps(summary)  # JSON-able as is
    assert summary["scenario"] == "threads-download"
    assert summary["params"] == {"tasks": 4}
    assert summary["seed"] == 7
    assert summary["python"]["version"] == "3.11.7" and summary["python"]["gil"] in ("enabled", "disabled")
    assert summary["machine"] == {"cores": 2}
    assert summary["wall_s"] == approx(1.0)
    assert summary["cores"] == {"count": 2, "busy_pct_mean": [40.0, 60.0]}

    assert len(summary["tasks"]) == 4
    for task in summary["tasks"]:
        assert {"name", "kind", "pid", "start_s", "end_s", "states"} <= set(task)
        assert isinstance(task["name"], str) and task["kind"] == "thread" and task["pid"] == 100
        assert isinstance(task["start_s"], float) and isinstance(task["end_s"], float)
        assert 0.0 <= task["start_s"] <= task["end_s"] <= summary["wall_s"]
        assert all(isinstance(v, float) and v > 0 for v in task["states"].values())
    assert [t["name"] for t in summary["tasks"]] == [f"download {i}" for i in (1, 2, 3, 4)]

    (lock,) = summary["locks"]
    assert set(lock) >= {"name", "acquisitions", "wait_s", "hold_s", "max_waiters"}
    assert lock["name"] == "progress lock" and lock["acquisitions"] == 3 and lock["max_waiters"] == 2
    assert isinstance(lock["wait_s"], float) and isinstance(lock["hold_s"], float)
    assert lock["hold_s"] == approx(0.5)
    assert summary["counters"] == {"progress": 3}
    assert summary["exit"]["status"] == 0


def test_summary_of_an_open_lane_has_no_end(build):
    build.hello().task(1, "still running", 0.0).state(1, "io", 0.0).count("n", 1, 0.5)
    summary = summarize(build.trace({"scenario": "none"}))
    (task,) = summary["tasks"]
    assert task["end_s"] is None and task["states"] == {"io": approx(0.5)}
    assert summary["locks"] == [] and summary["cores"]["busy_pct_mean"] == []


def test_lane_states_kept_totals_answer_like_a_fresh_count_forwards_and_back():
    """lane_states keeps the totals of what can no longer change; asked at any moment, in any order, it must
    answer exactly what counting the whole lane again would."""
    from pathlib import Path

    from tui import tracefile
    from tui.model import lanes

    traces = Path(__file__).parent / "traces"
    for name in ("threads-download", "mixed-loop", "cpu-speedup"):
        trace = tracefile.load(traces / f"{name}.cvz")
        moments = [trace.duration * i / 37 for i in range(38)]
        for now in moments + moments[::-3] + moments:  # forwards, jumping back, forwards again
            for lane in trace.ordered_lanes(now):
                fresh = lanes.with_folded(lane, lanes.state_times(lane, lane.start, now, now), now)
                kept = trace.lane_states(lane, now)
                assert kept.keys() == fresh.keys(), (name, lane.name, now)
                for state, seconds in fresh.items():
                    assert kept[state] == pytest.approx(seconds, abs=1e-9), (name, lane.name, now, state)


def test_touched_since_lists_each_changed_lane_once_per_read():
    b = TraceBuilder().hello().task(1, "a", 0.0).task(2, "b", 0.0).state(1, "io", 0.1).state(1, "cpu", 0.2)
    trace = Trace()
    trace.apply(b.records)
    lanes, index, epoch = trace.touched_since(0, 0)
    assert [lane.name for lane in lanes] == ["a", "b"]  # lane a changed three times: listed once
    assert trace.touched_since(index, epoch)[0] == []
    trace.apply(TraceBuilder().state(2, "io", 0.3).state(2, "cpu", 0.4).end(1, 0.5).records)
    lanes, index, epoch = trace.touched_since(index, epoch)
    assert [lane.name for lane in lanes] == ["b", "a"]


def test_touched_since_says_when_the_log_started_afresh():
    trace = Trace()
    trace.apply(TraceBuilder().hello().task(1, "a", 0.0).records)
    _, index, epoch = trace.touched_since(0, 0)
    builder = TraceBuilder()
    for k in range(100_010):  # one lane read after every change: more entries than the log keeps
        builder.state(1, "io" if k % 2 else "cpu", 0.001 * k)
    for record in builder.records:
        trace.apply([record])
        lanes, index, new_epoch = trace.touched_since(index, epoch)
        if lanes is None:
            break
    assert lanes is None and new_epoch == epoch + 1
    trace.apply(TraceBuilder().state(1, "io", 200.0).records)
    assert trace.touched_since(index, new_epoch)[0] == [trace.lanes[(100, 1)]]


# ------------------------------------------------------------------------------------------- feeding, fast path


def test_changes_between_waiting_states_need_no_cpu_reading():
    """The probe sends a change between two waiting states unmeasured (-1): nothing it could split changes."""
    def run(reading):
        b = TraceBuilder()
        b.hello().task(1, "t", 0.0).state(1, "cpu", 0.0, on_cpu=0.0, run_queue=0.0)
        b.state(1, "io", 0.3, on_cpu=0.1, run_queue=0.05)
        b.state(1, "wait", 0.5, *reading(0.1, 0.05)).state(1, "io", 0.6, *reading(0.1, 0.05))
        b.state(1, "cpu", 0.7, on_cpu=0.1, run_queue=0.05).end(1, 1.0, on_cpu=0.3, run_queue=0.06)
        return b.trace(GIL_ON)

    measured, unmeasured = run(lambda on, queue: (on, queue)), run(lambda on, queue: (None, None))
    lane, other = measured.ordered_lanes()[0], unmeasured.ordered_lanes()[0]
    assert [(s.t0, s.state, s.split) for s in lane.segments] == [(s.t0, s.state, s.split) for s in other.segments]
    assert measured.lane_states(lane, 1.0) == unmeasured.lane_states(other, 1.0)
    assert measured.cells(lane, 0.0, 1.0, 20, 1.0) == unmeasured.cells(other, 0.0, 1.0, 20, 1.0)
    assert approx_dict(measured.lane_states(lane, 1.0)) == {"cpu": 0.3, "core_wait": 0.06, "gil_wait": 0.24,
                                                            "io": 0.3, "wait": 0.1}


def test_a_lock_span_over_a_bucket_edge_that_rounds_down_is_folded():
    """2.15 / 0.05 is 42.99...: a span crossing 2.15 s used to fold forever. It goes half to each bucket."""
    b = TraceBuilder()
    b.hello().task(1, "t", 0.0).lock(1, "L")
    b.request(1, 1, 2.14).acquired(1, 1, 2.14).released(1, 1, 2.16)
    for i in range(2600):  # more spans than a lane keeps: the oldest thousand, 2.14..2.16 among them, fold
        t = 3.0 + i * 1e-4
        b.request(1, 1, t).acquired(1, 1, t).released(1, 1, t + 5e-5)
    trace = b.trace()
    lane = trace.ordered_lanes()[0]
    assert trace.folded_spans >= 1000 and lane.overlays[0][0] > 2.16
    assert lane.folded[42][1] == approx(0.01) and lane.folded[43][1] == approx(0.01)
    assert trace.lane_states(lane, 4.0)["lock_hold"] == approx(0.02 + 2600 * 5e-5)


def test_a_counter_takes_the_name_that_arrives_after_its_first_values(build):
    build.hello()
    build._add(wire.COUNT, 0, 1, 0, 0.1, 5)  # counter 1, not named yet
    build._add(wire.TEXT, wire.TEXT_COUNTER, 1, 1, 0.2, text="progress")
    build._add(wire.COUNT, 0, 1, 0, 0.3, 6)
    build._add(wire.COUNT, 0, 1, 0, 0.4, 7, pid=200)  # a forked worker: the root's name for counter 1
    build._add(wire.TEXT, wire.TEXT_COUNTER, 1, 1, 0.5, text="items", pid=200)  # until it names its own
    build._add(wire.COUNT, 0, 1, 0, 0.6, 8, pid=200)
    trace = build.trace()
    assert trace.counters == {"counter 1": [(approx(0.1), 5)], "progress": [(approx(0.3), 6), (approx(0.4), 7)],
                              "items": [(approx(0.6), 8)]}


def test_records_fed_in_pieces_give_the_model_fed_at_once(build):
    build.hello().task(1, "a", 0.0).task(2, "b", 0.0).lock(1, "L")
    t = 0.0
    for i in range(300):
        t += 0.0004 * (1 + i % 7)
        lane = 1 + i % 2
        build.state(lane, "cpu", t, on_cpu=t / 2, run_queue=t / 9).request(1, lane, t).acquired(1, lane, t + 1e-4)
        build.count("n", i, t).released(1, lane, t + 2e-4).state(lane, "io", t + 3e-4, on_cpu=t / 2 + 1e-4,
                                                                  run_queue=t / 9)
    whole = build.trace()
    pieces = Trace()
    for i in range(0, len(build.records), 37):
        pieces.apply(build.records[i : i + 37])
    assert summarize(pieces) == summarize(whole) and pieces.events == whole.events and pieces.last == whole.last
    for mine, theirs in zip(pieces.ordered_lanes(), whole.ordered_lanes()):
        assert mine.segments == theirs.segments and mine.overlays == theirs.overlays and mine.marks == theirs.marks


def test_apply_leaves_the_cycle_collector_as_it_found_it(build):
    import gc

    build.hello().task(1, "t", 0.0).state(1, "io", 0.1)
    assert gc.isenabled()
    trace = build.trace()
    assert gc.isenabled() and trace.lanes
    with pytest.raises(ValueError):
        trace.apply([(build.pid, wire.STATE, 0, 0, 1)])  # a malformed record: the error comes through
    assert gc.isenabled()
    gc.disable()
    try:
        trace.apply(TraceBuilder().state(1, "cpu", 0.2).records)
        assert not gc.isenabled()  # paused by someone else: left paused
    finally:
        gc.enable()

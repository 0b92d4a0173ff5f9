"""Counted lock acquisitions in the model, and the bounds on what the model keeps (plain pytest, synthetic records)."""

from __future__ import annotations

from pytest import approx

from conftest import TraceBuilder
from tui.model import MAX_HOLDS, Trace
from tui.model.locks import MAX_CHECKPOINTS, MAX_MARKS, MAX_SPANS, MIN_LANE_MARKS

GIL_ON = {"python": {"version": "3.11.7", "gil": "enabled"}}


def hot_lock(build: TraceBuilder) -> Trace:
    """Two threads of a busy lock: each a few timed acquisitions, then counts, one with waits."""
    build.hello().lock(1, "progress lock")
    build.task(1, "w1", 0.0).state(1, "cpu", 0.0, 10.0, 2.0)
    build.task(2, "w2", 0.0).state(2, "cpu", 0.0, 20.0, 3.0)
    build.taken(1, 1, 0.010, 0.010, 0.011)
    build.taken(1, 2, 0.020, 0.025, 0.026)  # waited 5 ms for w1's... (whole: sent after its release)
    build.counted(1, 1, 0.030, 0.080, 1000)
    build.counted(1, 2, 0.100, 0.140, 500).counted_waits(1, 2, 0.004, 0.010, 7)
    build.end(1, 0.2, 10.15, 2.0).end(2, 0.2, 20.05, 3.0)
    return build.trace(GIL_ON)


def test_counts_add_up_exactly_with_the_timed_acquisitions(build):
    trace = hot_lock(build)
    (stats,) = trace.lock_stats()
    assert stats.acquisitions == 2 + 1000 + 500
    assert stats.timed == 2  # the counted ones' holds are not timed
    assert stats.hold_s == approx(0.001 + 0.001)
    assert stats.wait_s == approx(0.005 + 0.010)
    assert stats.longest_wait_s == approx(0.005)
    assert stats.max_waiters == 1  # at least one waited; counted waits say no more
    assert any("1,500 of its 1,502 acquisitions were counted" in note for note in trace.load_notes())


def test_a_lock_whose_every_acquisition_was_timed_says_so(build):
    build.hello().lock(1, "l").task(1, "t", 0.0).taken(1, 1, 0.1, 0.1, 0.2)
    (stats,) = build.trace(GIL_ON).lock_stats()
    assert stats.acquisitions == 1 and stats.timed == -1


def test_counted_waits_go_to_the_lane_and_out_of_its_gil_wait(build):
    """w2's cpu stretch: 0.2 s wall, 0.05 s on a core, no run-queue wait; 10 ms of it waiting for the lock, counted:
    its GIL wait is the rest less those 10 ms, and the lock wait is counted once."""
    trace = hot_lock(build)
    lane = trace.lanes[(build.pid, 2)]
    assert sum(waited for waited, _ in lane.folded.values()) == approx(0.010)
    states = trace.lane_states(lane)
    assert states["lock_wait"] == approx(0.010 + 0.005)  # the counted waits and the whole one's
    assert states["cpu"] == approx(0.05)
    assert states["gil_wait"] == approx(0.2 - 0.05 - 0.015)
    assert sum(v for k, v in states.items() if k != "lock_hold") == approx(0.2)


def test_a_whole_acquisition_puts_its_wait_and_hold_on_its_lane_with_a_mark(build):
    trace = hot_lock(build)
    lane = trace.lanes[(build.pid, 2)]
    assert [o[:3] for o in lane.overlays] == [[0.020, 0.025, "lock_wait"], [0.025, 0.026, "lock_hold"]]
    assert 0.025 in lane.marks


def test_counts_show_in_the_past_only_from_their_end(build):
    trace = hot_lock(build)
    assert trace.lock_stats(0.05)[0].acquisitions == 2
    assert trace.lock_stats(0.09)[0].acquisitions == 1002
    assert trace.lock_stats(0.19)[0].acquisitions == 1502


def test_an_acquired_event_without_a_request_is_an_acquisition_that_did_not_wait(build):
    """The probe shows a timed acquisition held a while as acquired, its release to follow."""
    build.hello().lock(1, "l").task(1, "t", 0.0)
    build.acquired(1, 1, 0.5)
    trace = build.trace(GIL_ON)
    (stats,) = trace.lock_stats(0.6)
    assert stats.acquisitions == 1 and stats.holder == "t" and stats.waiting == () and stats.wait_s == 0
    build.released(1, 1, 0.7)
    (stats,) = build.trace(GIL_ON).lock_stats()
    assert stats.hold_s == approx(0.2) and stats.max_waiters == 0


def test_what_the_model_keeps_of_a_lock_flood_is_bounded_by_counts(build):
    """600 lanes, each 400 timed acquisitions 3 ms apart and counts in between: the exact spans over all lanes stay
    within their budget, the marks per lane, the holds and checkpoints per lock within theirs; the totals exact."""
    lanes, each = 600, 400
    build.hello().lock(1, "flooded")
    for lane in range(1, lanes + 1):
        build.task(lane, f"w{lane}", 0.0)
    for i in range(each):
        for lane in range(1, lanes + 1):
            t = i * 0.003 + lane * 1e-6
            build.taken(1, lane, t, t, t + 1e-6)
        build.counted(1, 1, i * 0.003, i * 0.003 + 0.002, 10)
    trace = build.trace(GIL_ON)
    (stats,) = trace.lock_stats()
    assert stats.acquisitions == lanes * each + each * 10
    spans = sum(len(lane.overlays) for lane in trace.lanes.values())
    book = trace.lock_book
    assert spans <= MAX_SPANS + lanes * book.fold_batch
    assert trace.folded_spans == lanes * each - spans
    lock = next(iter(trace.locks.values()))
    assert len(lock.holds) == MAX_HOLDS and lock.dropped == lanes * each - MAX_HOLDS
    assert len(lock.checkpoints) <= MAX_CHECKPOINTS
    assert sum(len(lane.marks) for lane in trace.lanes.values()) <= MAX_MARKS + lanes * MIN_LANE_MARKS


def test_a_lanes_marks_are_thinned_past_its_share(build):
    build.hello().lock(1, "l")
    for lane in range(1, 201):  # 200 lanes: each keeps its share of the marks, 1,000
        build.task(lane, f"w{lane}", 0.0)
    for i in range(MAX_MARKS // 200 + 10):
        build.taken(1, 1, i * 0.003, i * 0.003, i * 0.003 + 1e-6)
    trace = build.trace(GIL_ON)
    lane = trace.lanes[(build.pid, 1)]
    assert len(lane.marks) <= MAX_MARKS // 200 and lane.mark_scale == 2
    assert all(b - a >= 0.004 - 1e-9 for a, b in zip(lane.marks, lane.marks[1:]))
    assert any("marks on 1 lanes are thinned" in note for note in trace.load_notes())


def test_a_long_open_stretchs_spans_are_counted_like_a_fresh_count_as_they_arrive(build):
    """A busy lock's thread: one cpu stretch, still open, holding thousands of spans (some waits, folded ones, an
    open one), applied in pieces: lane_states, which keeps the spans' seconds as they end, answers what counting
    the lane again would, forwards, back and forwards, at every step."""
    from tui.model import lanes

    build.hello().lock(1, "l").task(1, "t", 0.0).task(2, "other", 0.0).state(1, "cpu", 0.0, 10.0, 2.0)
    trace = build.trace(GIL_ON)
    lane = trace.lanes[(build.pid, 1)]
    t = 0.001
    for piece in range(12):
        more = TraceBuilder()
        for _ in range(500):
            more.request(1, 1, t)
            if piece % 3 == 0:
                t += 0.0002  # waited
            more.acquired(1, 1, t).released(1, 1, t + 0.0001)
            t += 0.0003
        if piece == 5:
            more.counted(1, 1, t, t + 0.01, 100).counted_waits(1, 1, 0.001, 0.002, 3)
            t += 0.01
        more.request(1, 1, t)  # an open wait at the end of each piece
        trace.apply(more.records)
        trace.apply(TraceBuilder().acquired(1, 1, t + 0.0001).released(1, 1, t + 0.0002).records)
        t += 0.0003
        moments = [t * i / 9 for i in range(10)]
        for now in moments + moments[::-2] + moments:
            fresh = lanes.with_folded(lane, lanes.state_times(lane, lane.start, now, now), now)
            kept = trace.lane_states(lane, now)
            assert kept.keys() == fresh.keys(), (piece, now)
            for state, seconds in fresh.items():
                assert kept[state] == approx(seconds, abs=1e-9), (piece, now, state)
    assert trace.folded_spans > 0 and len(lane.overlays) > 1000

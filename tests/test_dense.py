"""Dense rows (tui/dense.py): kept up to date by what changed, they must draw exactly what adding up their lanes
afresh draws, whether records arrive bit by bit (live), the play head moves back (replay) or the axis rescales."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TraceBuilder
from tui import tracefile
from tui.dense import Density
from tui.model import LANE_OVERLAYS, Trace
from tui.model.cells import cell_states

TRACES = Path(__file__).parent / "traces"


def expected(trace: Trace, lanes, t0: float, t1: float, n: int, now: float) -> tuple[list, list]:
    """A dense row computed afresh: every lane's seconds per state in each cell, added up, then drawn."""
    total: list[dict | None] = [None] * n
    marks = [False] * n
    for lane in lanes:
        for c, cell in enumerate(trace.cell_times(lane, t0, t1, n, now)):
            if cell:
                column = total[c] = total[c] or {}
                for state, seconds in cell.items():
                    column[state] = column.get(state, 0.0) + seconds
        marks = [a or b for a, b in zip(marks, trace.cells(lane, t0, t1, n, now)[1])]
    return cell_states(total), marks


def check_rows(trace: Trace, density: Density, lanes, windows, now: float) -> None:
    per_row = density.per_row
    for t0, t1, n in windows:
        for i, row in enumerate(density.rows[: (len(lanes) + per_row - 1) // per_row]):
            group = lanes[i * per_row:(i + 1) * per_row]
            assert row.cells(t0, t1, n, now) == expected(trace, group, t0, t1, n, now), (group[0].name, now)


@pytest.mark.parametrize("name", ["threads-download", "convoy", "cpu-speedup", "async-fetch"])
def test_one_lane_per_row_draws_what_the_lane_draws(name):
    trace = tracefile.load(TRACES / f"{name}.cvz")
    lanes = trace.ordered_lanes()
    density = Density(trace, 1)
    assert density.sync(lanes)
    end = trace.duration
    for now in (end * 0.4, end):
        for t0, t1, n in ((0.0, max(end, 0.5), 88), (end * 0.2, end * 0.9, 61)):
            for lane, row in zip(lanes, density.rows):
                assert row.cells(t0, t1, n, now) == trace.cells(lane, t0, t1, n, now), (lane.name, now)


@pytest.mark.parametrize("name,per_row", [("convoy", 3), ("cpu-speedup", 2), ("async-fetch", 7),
                                          ("threads-download", 4)])
def test_rows_fed_bit_by_bit_draw_what_their_lanes_draw_afresh(name, per_row):
    meta, batches, _ = tracefile.read_batches((TRACES / f"{name}.cvz").read_bytes())
    trace = Trace(meta)
    density = Density(trace, per_row)
    for k, batch in enumerate(batches):
        batch.apply_to(trace)
        now = trace.last
        lanes = trace.ordered_lanes(now)
        if not density.sync(lanes):  # a lane that arrived late but started earlier: regrouped, as Timeline does
            density = Density(trace, per_row)
            assert density.sync(lanes)
        if k % 3 == 0 or k == len(batches) - 1:  # the cells are asked every few batches, as frames are
            check_rows(trace, density, lanes, [(0.0, max(trace.duration, 0.5), 60)], now)


def test_a_play_head_moving_back_and_the_axis_rescaling_change_nothing_held():
    trace = tracefile.load(TRACES / "async-fetch.cvz")
    lanes = trace.ordered_lanes()
    density = Density(trace, 5)
    density.sync(lanes)
    end = trace.duration
    for now in (end, end * 0.8, end * 0.25, end * 0.6):
        for window in ((0.0, end, 70), (0.0, end * 2, 70), (end * 0.1, end * 0.7, 33)):
            check_rows(trace, density, lanes, [window], now)


def test_lock_spans_folded_into_buckets_are_swapped_for_the_buckets():
    b = TraceBuilder().hello().lock(1, "hot").task(1, "a", 0.0).task(2, "b", 0.0)
    t = 0.0
    for k in range(LANE_OVERLAYS + 1_200):
        lane = 1 + k % 2
        b.request(1, lane, t).acquired(1, lane, t + 0.0002).released(1, lane, t + 0.0005)
        t += 0.001
    trace = Trace()
    density = Density(trace, 2)
    step = 600
    for i in range(0, len(b.records), step):
        trace.apply(b.records[i:i + step])
        assert density.sync(trace.ordered_lanes())
    assert trace.folded_spans > 0
    lanes = trace.ordered_lanes()
    check_rows(trace, density, lanes, [(0.0, t, 90), (t - 1.0, t, 40)], t)


def test_the_label_names_the_state_most_lanes_are_in():
    b = TraceBuilder().hello()
    for ident, state in ((1, "io"), (2, "io"), (3, "cpu")):
        b.task(ident, f"t{ident}", 0.0).state(ident, state, 0.1)
    b.end(3, 0.5).end(1, 0.6).end(2, 0.7)
    trace = Trace()
    trace.apply(b.records)
    density = Density(trace, 3)
    density.sync(trace.ordered_lanes())
    row = density.rows[0]
    assert [row.state_at(t) for t in (0.2, 0.65, 0.8)] == ["io", "done", "done"]


def test_lanes_given_in_another_order_ask_for_a_regroup():
    trace = Trace()
    trace.apply(TraceBuilder().hello().task(1, "a", 0.2).task(2, "b", 0.3).records)
    density = Density(trace, 2)
    assert density.sync(trace.ordered_lanes())
    trace.apply(TraceBuilder().task(3, "c", 0.1).records)  # started earlier, arrived later
    assert not density.sync(trace.ordered_lanes())


def test_a_frame_with_nothing_new_answers_the_same_cells_without_a_new_version():
    trace = tracefile.load(TRACES / "async-fetch.cvz")
    density = Density(trace, 10)
    density.sync(trace.ordered_lanes())
    row = density.rows[0]
    first = row.cells(0.0, 2.0, 50, 1.0)
    version = row.version
    assert row.cells(0.0, 2.0, 50, 1.0) is not None and row.version == version
    assert row.cells(0.0, 2.0, 50, 1.0) == first

"""The cell rule (tui/model/cells.py): a lane's cells kept up to date frame after frame (``LaneCells``, what the
timeline draws) must be exactly the cells computed afresh (``cells``), however records arrive and ``now`` moves;
and the rule's pieces and names are what the dense rows and the export take from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TraceBuilder
from tui import tracefile
from tui.model import OVERLAY_WEIGHT, Trace
from tui.model.cells import LaneCells, bucket_pieces, cell_states, cells, span_piece, stretch_pieces, stretch_state

TRACES = Path(__file__).parent / "traces"


def frames(start: float, stop: float, count: int) -> list[float]:
    return [start + (stop - start) * (k + 1) / count for k in range(count)]


def follow(kept: dict, trace: Trace, window: tuple[float, float, int], now: float) -> None:
    """One frame: every lane's kept cells brought to ``now`` (made afresh for another window, as the timeline
    does), each equal to its cells computed afresh."""
    t0, t1, n = window
    for lane in trace.ordered_lanes(now):
        held = kept.get(lane.key)
        if held is None or not held.update(lane, t0, t1, n, now):
            held = kept[lane.key] = LaneCells(lane, t0, t1, n, now)
        assert held.cells == cells(lane, t0, t1, n, now), (lane.name, now)


@pytest.mark.parametrize("name", ["threads-download", "async-fetch", "cpu-speedup", "convoy", "mixed-loop"])
def test_cells_kept_up_to_date_live_are_the_cells_computed_afresh(name):
    meta, batches, _ = tracefile.read_batches((TRACES / f"{name}.cvz").read_bytes())
    trace = Trace(meta)
    kept: dict = {}
    shown = 0.0
    for batch in batches:
        batch.apply_to(trace)
        window = (0.0, max(trace.duration * 1.5, 0.5), 88)  # the axis rescales as the run grows
        for now in frames(shown, trace.last, 3):  # frames come between batches: now moves on without records
            follow(kept, trace, window, now)
        shown = trace.last


@pytest.mark.parametrize("name", ["threads-download", "futures", "cpu-processes"])
def test_cells_kept_up_to_date_in_a_replay_forwards_and_back_are_the_cells_computed_afresh(name):
    trace = tracefile.load(TRACES / f"{name}.cvz")
    end = trace.duration
    kept: dict = {}
    for window in ((0.0, end, 61), (end * 0.2, end * 0.8, 40)):
        for now in frames(0.0, end, 40) + frames(end, end * 0.3, 7):
            follow(kept, trace, window, now)


def test_an_open_stretch_fills_its_cells_as_now_moves_on_without_a_new_version_between():
    trace = TraceBuilder().hello().task(1, "a", 0.0).state(1, "io", 0.0).trace()
    lane = trace.ordered_lanes()[0]
    held = LaneCells(lane, 0.0, 1.0, 10, 0.25)
    assert held.cells[0] == ["io"] * 3 + [None] * 7
    version = held.version
    assert held.update(lane, 0.0, 1.0, 10, 0.25) and held.version == version  # nothing new: the same cells
    assert held.update(lane, 0.0, 1.0, 10, 0.55) and held.cells[0] == ["io"] * 6 + [None] * 4
    assert held.version == version + 1 and (held.lo, held.hi) == (3, 6)
    assert not held.update(lane, 0.0, 2.0, 10, 0.6)  # another window: the timeline makes new cells


def test_the_pieces_a_dense_row_adds_are_the_cell_rules():
    b = TraceBuilder().hello().lock(1, "L").task(1, "a", 0.0)
    b.state(1, "io", 0.0).request(1, 1, 0.1).acquired(1, 1, 0.2).released(1, 1, 0.3)
    lane = b.trace().ordered_lanes()[0]
    (seg,) = lane.segments
    assert stretch_pieces(seg) == [("io", 0.0, None, 1.0)]
    wait, hold = lane.overlays
    assert span_piece(wait) == ("lock_wait", wait[0], wait[1], OVERLAY_WEIGHT)
    assert span_piece(hold) == ("lock_hold", hold[0], hold[1], OVERLAY_WEIGHT)
    assert bucket_pieces(3, 0.01, 0.02) == (("lock_wait", 0.15000000000000002, 0.2, pytest.approx(0.2)),
                                            ("lock_hold", 0.15000000000000002, 0.2, pytest.approx(0.4)))


def test_a_cpu_stretch_is_drawn_by_its_parts_and_named_by_its_largest():
    trace = tracefile.load(TRACES / "cpu-speedup.cvz")
    split = [seg for lane in trace.ordered_lanes() for seg in lane.segments if seg.split]
    assert split
    for seg in split:
        assert stretch_state(seg) == max(seg.split, key=seg.split.get)
    # a third running, two thirds waiting for the GIL, over three cells: one cell of each part, not three of one
    third = {"cpu": 1 / 3, "gil_wait": 2 / 3}
    assert sorted(cell_states([dict(third), dict(third), dict(third)])) == ["cpu", "gil_wait", "gil_wait"]

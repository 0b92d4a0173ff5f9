"""The cell rule: how a lane's states fill the cells of a timeline. No Textual here.

A timeline cuts its window t0..t1 into n equal cells. In each cell a lane has seconds per state (``cell_times``):
- a base stretch adds its seconds, divided as its time divides among states (``lanes.shares``: a measured cpu
  stretch by its split into running, waiting for the GIL, waiting for a core);
- a lock span adds its seconds times ``OVERLAY_WEIGHT``: a little more than the base state under it, so that a
  lock wait or hold covering as much of a cell as the base state wins it (as in the lane's label);
- a 50 ms bucket of folded lock spans (a hot lock's older spans) adds its waited and held seconds spread evenly
  over the bucket.
Each cell is drawn in the state with the most seconds; where that is a part of a cpu stretch, consecutive cells
share the parts in proportion (``cell_states``). A cell is marked where a traced lock was acquired in it
(``lock_marks``). Drawn whole, as one slice (an export), a stretch is its largest part (``stretch_state``).

Who uses it:
    cells(lane, ...)       one lane's cells, afresh (Trace.cells)
    LaneCells              one lane's cells kept up to date as ``now`` moves on (the timeline's rows)
    *_pieces, span_piece   what each lane adds to a dense row, as weighted pieces of time (tui/dense.py, which
                           then draws the row's summed cell times with cell_states and lock_marks)
    stretch_state          the name of a stretch's slice (tui/export.py)
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable

from tui.model.lanes import (FOLD_S, Lane, Segment, Span, alive_until, buckets_in, ends_by, shares, span_start,
                             spans_in, stretches_in)

OVERLAY_WEIGHT = 1.001  # a lock span covering as much of a cell as the base state wins it (as in the label)
SPLIT_STATES = frozenset(("cpu", "gil_wait", "core_wait", "wait"))

Piece = tuple[str, float, float | None, float]  # (state, from, to (None: still), weight): seconds x weight
Closed = tuple[str, float, float, float]  # a piece that has ended
Cells = tuple[list[str | None], list[bool]]  # each cell's state (None: the lane was not alive), and lock marks
Times = list[dict[str, float] | None]  # each cell's seconds per state (None: the lane was not alive)


# ------------------------------------------------------------------------------------ what a lane adds


def stretch_pieces(seg: Segment) -> list[Piece]:
    """A base stretch as pieces, one per state its time divides into (``lanes.shares``)."""
    return [(state, seg.t0, seg.t1, share) for state, share in shares(seg)]


def span_piece(span: Span) -> Piece:
    """A lock span ([t0, t1, state, lock]) as a piece: it weighs ``OVERLAY_WEIGHT``."""
    return (span[2], span[0], span[1], OVERLAY_WEIGHT)


def bucket_pieces(bucket: int, waited: float, held: float) -> tuple[Closed, Closed]:
    """A 50 ms bucket of folded lock spans as pieces: its waited and held seconds spread evenly over it."""
    t0, t1 = bucket * FOLD_S, (bucket + 1) * FOLD_S
    return ("lock_wait", t0, t1, waited / FOLD_S), ("lock_hold", t0, t1, held / FOLD_S)


def stretch_state(seg: Segment) -> str:
    """The one state a stretch is shown as when drawn whole: its base state, or a cpu stretch's largest part."""
    if seg.split:
        return max(seg.split, key=seg.split.__getitem__)
    return seg.state


# ------------------------------------------------------------------------------------ a lane's cells


def cells(lane: Lane, t0: float, t1: float, n: int, now: float) -> Cells:
    """The dominant state in each of ``n`` equal cells from ``t0`` to ``t1`` (None: the lane was not alive),
    and for each cell whether a traced lock was acquired in it."""
    return cell_states(cell_times(lane, t0, t1, n, now)), lock_marks(lane.marks, t0, t1, n, now)


def cell_times(lane: Lane, t0: float, t1: float, n: int, now: float) -> Times:
    """Seconds per state in each of ``n`` equal cells from ``t0`` to ``t1`` (None: the lane was not alive);
    a lock span weighs a little more than the base state under it, so that it wins a cell it fills."""
    width = (t1 - t0) / n
    times: Times = [None] * n  # a cell's times by state, made only where the lane has some
    end = alive_until(lane, now)
    for seg, s0, s1 in stretches_in(lane, t0, t1, end):
        spread(times, t0, width, s0, s1, shares(seg))
    for o0, o1, state, _ in spans_in(lane, t0, t1):  # each as its span_piece, unpacked here: a hot loop
        o1 = min(o1 if o1 is not None else end, end, t1)
        spread(times, t0, width, max(o0, t0), o1, ((state, 1.0),), OVERLAY_WEIGHT)
    for b in buckets_in(lane.folded, t0, t1):
        for state, b0, b1, rate in bucket_pieces(b, *lane.folded[b]):
            spread(times, t0, width, b0, b1, ((state, rate),))
    return times


def spread(times: Times, t0: float, width: float, s0: float, s1: float, parts: Iterable[tuple[str, float]],
           weight: float = 1.0) -> None:
    """Add the stretch s0..s1, divided by ``parts`` ((state, share), ...), to the cells it covers."""
    if s1 <= s0:
        return
    n = len(times)
    first = max(int((s0 - t0) / width), 0)
    last = min(int((s1 - t0) / width), n - 1)
    for c in range(first, last + 1):
        c0 = t0 + c * width
        covered = min(s1, c0 + width) - max(s0, c0)
        if covered <= 0:
            continue
        cell = times[c]
        if cell is None:
            cell = times[c] = {}
        for state, share in parts:
            cell[state] = cell.get(state, 0.0) + covered * share * weight


def cell_states(times: Times, carry: dict[str, float] | None = None,
                carries: list[dict[str, float] | None] | None = None) -> list[str | None]:
    """The state to draw in each cell. A cell goes to its dominant state; where that is one of a cpu stretch's
    parts (running, waiting for the GIL or for a core), consecutive cells share those parts in proportion to
    their times (error diffusion), so a thread that ran a third of the time is drawn a third in ``cpu``, not
    all in its largest part. At this resolution that is the truth: the GIL changes hands every 5 ms.

    ``carry``: what the cells before ``times`` left over (to go on from a cell); ``carries``: a list to which the
    leftover after each cell is appended (None where nothing is left over)."""
    out: list[str | None] = []
    carry = dict(carry) if carry else {}
    for cell in times:
        if not cell:
            out.append(None)
            carry.clear()
        else:
            top = max(cell, key=cell.__getitem__)
            parts = {k: v for k, v in cell.items() if k in SPLIT_STATES}
            total = sum(parts.values())
            if top not in SPLIT_STATES or len(parts) < 2 or total <= 0:
                out.append(top)
                carry.clear()
            else:
                for k, v in parts.items():
                    carry[k] = carry.get(k, 0.0) + v / total
                pick = max(carry, key=carry.__getitem__)
                carry[pick] -= 1.0
                out.append(pick)
        if carries is not None:
            carries.append(dict(carry) if carry else None)
    return out


def lock_marks(marks: list[float], t0: float, t1: float, n: int, now: float) -> list[bool]:
    """For each of ``n`` equal cells from ``t0`` to ``t1``: whether a lock was acquired in it by ``now``
    (``marks``: the acquisition times, ascending)."""
    width = (t1 - t0) / n
    marked = [False] * n
    for m in marks[bisect.bisect_left(marks, t0):bisect.bisect_left(marks, min(t1, now))]:
        marked[min(int((m - t0) / width), n - 1)] = True
    return marked


# ------------------------------------------------------------------------------------ kept up to date

# what a lane's cells depend on besides ``now`` (``_lane_key``): the window t0, t1, n; how many segments, lock spans
# (and the last one's end) and marks had begun; folded buckets; nested; the lane's end
CellsKey = tuple[float, float, int, int, int, float | None, int, int, bool, float | None]
OpenStretch = tuple[int, str, Segment]  # (its first cell, its state, the segment): ``_open_stretch``


class LaneCells:
    """One lane's cells (``cells``) for a window, kept up to date as ``now`` moves on.

    Between two frames a live lane usually only goes on in the state it is in: the cells up to the one where that
    state began stay exactly as they were, and every cell after it holds that state alone, so it is drawn in it (a
    cell holding one state shows it, whatever the cells before it held). Those cells are filled in as ``spread``
    would fill them, without computing the lane's cells again. Anything else (a new state, a lock span, a mark, a
    cpu stretch split by the scheduler's counters, another window) computes the whole lane again. A lane that ended
    does not change at all. ``version`` counts changes; ``lo``..``hi`` are the cells the last change touched."""

    __slots__ = ("cells", "serial", "version", "lo", "hi", "_key", "_open", "_now", "_last")
    _serials = itertools.count()
    cells: Cells
    _key: CellsKey
    _open: OpenStretch | None
    _now: float
    _last: int  # the last cell the open stretch reached (read only while there is one)

    def __init__(self, lane: Lane, t0: float, t1: float, n: int, now: float) -> None:
        self.serial = next(self._serials)  # with ``version``: these very cells (an id() may be reused)
        self.version, self.lo, self.hi = 0, 0, n
        self._compute(lane, t0, t1, n, now)

    def _compute(self, lane: Lane, t0: float, t1: float, n: int, now: float) -> None:
        self.cells = cells(lane, t0, t1, n, now)
        self._key = _lane_key(lane, t0, t1, n, now)
        self._open = _open_stretch(lane, self._key)
        self._now = now
        self._last = _stretch_last(self._open[2], self._open[0], lane, t0, t1, n, now) if self._open else 0

    def update(self, lane: Lane, t0: float, t1: float, n: int, now: float) -> bool:
        """Bring the cells to ``now``; False if they are for another window (make a new one)."""
        key = self._key
        if lane.end is not None and lane.end == key[-1] and lane.end <= min(now, self._now) \
                and key[:3] == (t0, t1, n):
            return True  # a lane that had ended when its cells were drawn: they cannot change any more
        key = _lane_key(lane, t0, t1, n, now)
        if key[:3] != self._key[:3]:
            return False
        stretch = _open_stretch(lane, key) if key == self._key and now >= self._now else None
        if stretch is None or self._open is None or stretch[0] != self._open[0] or stretch[2] is not self._open[2]:
            self._redo(lane, t0, t1, n, now)
            return True
        first, state, seg = stretch
        width = (t1 - t0) / n
        s0 = max(seg.t0, t0)
        s1_then = min(ends_by(seg.t1, self._now), t1)
        s1 = min(ends_by(seg.t1, alive_until(lane, now)), t1)
        c0 = t0 + first * width
        if min(s1_then, c0 + width) != min(s1, c0 + width):  # the state's first cell was still filling
            self._redo(lane, t0, t1, n, now)
            return True
        last = _stretch_last(seg, first, lane, t0, t1, n, now)
        lo, hi = max(first + 1, self._last), max(last, self._last) + 1  # only these cells can differ
        old = self.cells[0]
        states = None
        for c in range(lo, min(hi, n)):  # as spread fills the stretch in: the cells it covers at all
            c0 = t0 + c * width
            value = state if c <= last and min(s1, c0 + width) - max(s0, c0) > 0 else None
            if value != old[c]:
                if states is None:
                    states = list(old)
                    self.lo = c
                states[c] = value
                self.hi = c + 1
        self._now, self._last = now, last
        if states is not None:
            self.cells = (states, self.cells[1])
            self.version += 1
        return True

    def _redo(self, lane: Lane, t0: float, t1: float, n: int, now: float) -> None:
        old_states, old_marks = self.cells
        self._compute(lane, t0, t1, n, now)
        states, marks = self.cells
        if marks != old_marks or len(states) != len(old_states):
            self.version, self.lo, self.hi = self.version + 1, 0, len(states)
            return
        changed = [i for i, (a, b) in enumerate(zip(old_states, states)) if a != b]
        if changed:
            self.version, self.lo, self.hi = self.version + 1, changed[0], changed[-1] + 1


def _stretch_last(seg: Segment, first: int, lane: Lane, t0: float, t1: float, n: int, now: float) -> int:
    """The last cell the open stretch reaches at ``now`` (as spread fills it in)."""
    width = (t1 - t0) / n
    s0 = max(seg.t0, t0)
    s1 = min(ends_by(seg.t1, alive_until(lane, now)), t1)
    return min(int((s1 - t0) / width), n - 1) if s1 > s0 else first


def _lane_key(lane: Lane, t0: float, t1: float, n: int, now: float) -> CellsKey:
    """What a lane's cells depend on besides ``now``: the window, and what of the lane had begun by ``now``."""
    end = alive_until(lane, now)
    limit = min(t1, end)
    starts, marks, overlays = lane.starts, lane.marks, lane.overlays
    segments = len(starts) if not starts or starts[-1] < limit else bisect.bisect_left(starts, limit)
    marked = len(marks) if not marks or marks[-1] < min(t1, now) else bisect.bisect_left(marks, min(t1, now))
    spans = len(overlays) if not overlays or overlays[-1][0] < end else \
        bisect.bisect_left(overlays, end, key=span_start)
    last_span = overlays[spans - 1][1] if spans else 0.0
    return (t0, t1, n, segments, spans, last_span, marked, len(lane.folded), lane.nested, lane.end)


def _open_stretch(lane: Lane, key: CellsKey) -> OpenStretch | None:
    """(its first cell, its state, the segment) when the lane's last begun segment is a plain stretch of one state
    (no cpu split) that no lock span reaches past its first cell; else None (the lane's cells are computed again)."""
    t0, t1, n, segments, spans, last_span = key[:6]
    if not segments or lane.folded or lane.nested:
        return None
    seg = lane.segments[segments - 1]
    if seg.split:
        return None
    width = (t1 - t0) / n
    first = max(int((max(seg.t0, t0) - t0) / width), 0)
    if spans and (last_span is None or last_span > t0 + (first + 1) * width):
        return None
    return first, seg.state, seg

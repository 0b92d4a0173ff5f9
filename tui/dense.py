"""Dense rows: many lanes drawn in one row of the timeline, kept up to date by what changed. No Textual here.

A dense row shows in each cell the state its lanes spent the most time in during that cell (task-seconds: a cell
of ten lanes, seven of them waiting on I/O all along, is drawn ``io``). That is the cell rule of one lane
(tui/model/cells.py) summed over the row's lanes: what each lane adds are the rule's pieces (``stretch_pieces``,
``span_piece``, ``bucket_pieces``), and the summed cells are drawn as one lane's are (``cell_states``,
``lock_marks``).

For each state a row keeps how many of its lanes are in that state as a step function of time (each piece's
weight): up where a lane's piece of the state begins, down where it ends (a piece still open has no end yet: a
question stops at ``now``). A cell's time in a state is the area under that function over the cell. So

- a record changes a few steps of one row, and a frame recomputes only the cells after the earliest change:
  drawing costs what changed and what is visible, not how many lanes or events the run has;
- rescaling or sliding the axis, and a replay's play head moving either way, change no step at all.

    density = Density(trace, per_row=50)
    density.sync(trace.ordered_lanes(now))      # once per frame: takes in what records changed
    states, marks = density.rows[0].cells(t0, t1, ncols, now)
"""

from __future__ import annotations

import bisect
import itertools
import math
from array import array

from tui.model import BASE_STATES, Lane, Trace
from tui.model.cells import bucket_pieces, cell_states, lock_marks, span_piece, stretch_pieces

_TINY = 1e-9  # task-seconds below this are rounding, not time spent
_RANK = {s: i for i, s in enumerate((*BASE_STATES, "done"))}


class Steps:
    """A step function of time made of (time, change) steps: its level and the area under it up to any time."""

    __slots__ = ("ts", "levels", "areas", "pending")

    def __init__(self) -> None:
        self.ts = array("d")  # the times where it steps, ascending (arrays of doubles: 8 bytes a step, not 32)
        self.levels = array("d")  # its level from ts[i] on
        self.areas = array("d")  # the area under it up to ts[i]
        self.pending: list[tuple[float, float]] = []

    def add(self, t: float, change: float) -> None:
        self.pending.append((t, change))

    def settle(self) -> float:
        """Take in the pending steps; the earliest time they change (inf: none). Steps come mostly at the end,
        so this redoes only the tail from the earliest one."""
        if not self.pending:
            return math.inf
        pending, self.pending = self.pending, []
        first = min(t for t, _ in pending)
        ts, levels, areas = self.ts, self.levels, self.areas
        i = bisect.bisect_left(ts, first)
        changes: dict[float, float] = {}
        before = levels[i - 1] if i else 0.0
        for k in range(i, len(ts)):
            changes[ts[k]] = levels[k] - (levels[k - 1] if k else 0.0)
        for t, change in pending:
            changes[t] = changes.get(t, 0.0) + change
        del ts[i:], levels[i:], areas[i:]
        level, area, last = before, areas[i - 1] if i else 0.0, ts[i - 1] if i else None
        for t in sorted(changes):
            change = changes[t]
            if -_TINY < change < _TINY:
                continue
            if last is not None:
                area += level * (t - last)
            level += change
            if -_TINY < level < _TINY:
                level = 0.0
            ts.append(t)
            levels.append(level)
            areas.append(area)
            last = t
        return first

    def level_at(self, t: float) -> float:
        i = bisect.bisect_right(self.ts, t) - 1
        return self.levels[i] if i >= 0 else 0.0

    def areas_at(self, xs: list[float]) -> list[float]:
        """The area under the function up to each of ``xs`` (ascending)."""
        ts, levels, areas = self.ts, self.levels, self.areas
        n = len(ts)
        i = bisect.bisect_right(ts, xs[0]) - 1 if xs else 0
        out = []
        for x in xs:
            while i + 1 < n and ts[i + 1] <= x:
                i += 1
            out.append(areas[i] + levels[i] * (x - ts[i]) if i >= 0 else 0.0)
        return out


class DenseRow:
    """Several lanes drawn as one row: their states as step functions, their lock marks, the cells last asked."""

    __slots__ = ("steps", "ended", "marks", "version", "_marks_new", "_cache")

    def __init__(self) -> None:
        self.steps: dict[str, Steps] = {}
        self.ended = Steps()  # how many of its lanes had ended (for the label's "done")
        self.marks = array("d")  # times a traced lock was acquired, ascending
        self.version = 0  # bumped whenever the cells it answers change
        self._marks_new = False  # a mark was added since the cells were last asked
        self._cache: tuple | None = None  # (window, now, times, carries, states, marks)

    def add(self, state: str, t0: float, t1: float | None, weight: float) -> None:
        """``weight`` lanes in ``state`` from t0 to t1 (None: still)."""
        steps = self.steps.get(state)
        if steps is None:
            steps = self.steps[state] = Steps()
        pending = steps.pending
        pending.append((t0, weight))
        if t1 is not None:
            pending.append((t1, -weight))

    def add_mark(self, t: float) -> None:
        bisect.insort(self.marks, t)
        self._marks_new = True

    def state_at(self, now: float) -> str:
        """The state most of its lanes are in at ``now`` ("done" if most ended), for the row's label."""
        for steps in self.steps.values():
            steps.settle()
        self.ended.settle()
        levels = {s: steps.level_at(now) for s, steps in self.steps.items()}
        levels["done"] = self.ended.level_at(now)
        levels = {s: v for s, v in levels.items() if v > _TINY}
        if not levels:
            return ""
        return max(levels, key=lambda s: (levels[s], -_RANK.get(s, 99)))

    def cells(self, t0: float, t1: float, n: int, now: float) -> tuple[list, list]:
        """As ``cells`` for one lane (tui/model/cells.py): each cell's state (None: no lane alive in it) and whether
        a lock was taken in it. Only cells from the earliest change on (a new step, or ``now`` having moved) are
        recomputed."""
        changed = min((steps.settle() for steps in self.steps.values()), default=math.inf)
        window = (t0, t1, n)
        cache = self._cache
        if cache is not None and cache[0] == window and cache[1] == now and changed == math.inf \
                and not self._marks_new:
            return cache[4], cache[5]
        width = (t1 - t0) / n
        if cache is not None and cache[0] == window:  # cells before the earliest change keep their values
            start = max(min(int((min(changed, cache[1], now) - t0) / width), n), 0)
            times, carries, states = cache[2][:start], cache[3][:start], cache[4][:start]
        else:
            start, times, carries, states = 0, [], [], []
        stop = max(min(int((min(now, t1) - t0) / width) + 1, n), start)  # cells after now's stay empty
        xs = [min(t0 + k * width, now) for k in range(start, stop + 1)]
        columns: list[dict | None] = [None] * (n - start)
        for state, steps in self.steps.items():
            areas = steps.areas_at(xs)
            for c in range(stop - start):
                v = areas[c + 1] - areas[c]
                if v > _TINY:
                    column = columns[c]
                    if column is None:
                        columns[c] = {state: v}
                    else:
                        column[state] = v
        times.extend(columns)
        states.extend(cell_states(columns, carries[-1] if carries else None, carries))
        marks = lock_marks(self.marks, t0, t1, n, now)
        if cache is None or states != cache[4] or marks != cache[5]:
            self.version += 1
        else:
            states, marks = cache[4], cache[5]
        self._cache = (window, now, times, carries, states, marks)
        self._marks_new = False
        return states, marks


class _Ink:
    """What a row holds of one lane, so that a change is added as a change."""

    __slots__ = ("row", "segments", "tail", "spans", "open_ends", "open_from", "folded", "marks", "end")

    def __init__(self, row: DenseRow) -> None:
        self.row = row
        self.segments = 0  # segments[:segments] are held for good (they ended)
        self.tail: list[tuple] = []  # pieces held for the segment still open
        self.spans: list[list] = []  # the lock spans held, as in lane.overlays (spans[:open_from] closed when held:
        # their pieces are span_piece(span), a closed span never changes)
        self.open_ends: list = []  # for spans[open_from:], each one's end as held (None: it was open)
        self.open_from = 0  # spans[open_from:] may still change
        self.folded: dict[int, tuple[float, float]] = {}  # 50 ms bucket -> (wait, hold) held
        self.marks = 0
        self.end: float | None = None


class Density:
    """The dense rows of one view: the lanes in the order given, ``per_row`` to a row."""

    _serials = itertools.count()

    def __init__(self, trace: Trace, per_row: int, variant: str | None = None) -> None:
        self.serial = next(self._serials)  # with a row's index and version: these very cells (an id() is reused)
        self.trace = trace
        self.per_row = per_row
        self.variant = variant  # the lanes' variant (a comparison's view), to tell views apart
        self.rows: list[DenseRow] = []
        self._lanes: list[Lane] = []  # the lanes held, in order
        self._ink: dict[tuple, _Ink] = {}
        self._read = (0, 0)  # where this view is in the trace's log of changed lanes (touched_since)

    def sync(self, lanes: list[Lane]) -> bool:
        """Take in the lanes given (the view's lanes, in order) and what records changed since the last call.
        False if the lanes are no longer in the order held (regroup: make a new Density)."""
        held = self._lanes
        k = min(len(lanes), len(held))
        if k and lanes[k - 1] is not held[k - 1]:
            return False
        touched, index, epoch = self.trace.touched_since(*self._read)
        self._read = (index, epoch)
        if touched is None:  # the trace's log started afresh: look at every lane held again
            touched = held
        ink = self._ink
        for lane in touched:
            held_ink = ink.get(lane.key)
            if held_ink is not None:
                _take(lane, held_ink)
        for lane in lanes[len(held):]:
            i = len(held)
            if i % self.per_row == 0:
                self.rows.append(DenseRow())
            held.append(lane)
            ink[lane.key] = lane_ink = _Ink(self.rows[i // self.per_row])
            _take(lane, lane_ink)
        return True


def _take(lane: Lane, ink: _Ink) -> None:
    """Bring what ``ink``'s row holds of ``lane`` up to the lane as it is now."""
    row = ink.row
    segments = lane.segments
    n = len(segments)
    if ink.segments < n or ink.tail:  # new segments, or the one held open ended or its cpu split moved on
        open_last = segments[-1].t1 is None
        closed = n - 1 if open_last else n
        fresh = [piece for seg in segments[ink.segments:closed] for piece in stretch_pieces(seg)]
        tail = stretch_pieces(segments[-1]) if open_last else []
        _swap(row, ink.tail, fresh + tail)
        ink.segments, ink.tail = closed, tail
    if lane.overlays or ink.spans or lane.folded:
        _take_spans(lane, ink, row)
    marks = lane.marks
    if len(marks) > ink.marks:
        for m in marks[ink.marks:]:
            row.add_mark(m)
        ink.marks = len(marks)
    if lane.end is not None and ink.end is None:
        row.ended.add(lane.end, 1.0)
        ink.end = lane.end


def _swap(row: DenseRow, old: list[tuple], new: list[tuple]) -> None:
    """Replace the pieces ``old`` by ``new`` in the row (what is in both stays as it is)."""
    new = list(new)
    for piece in old:
        if piece in new:
            new.remove(piece)
        else:
            state, t0, t1, weight = piece
            row.add(state, t0, t1, -weight)
    for state, t0, t1, weight in new:
        row.add(state, t0, t1, weight)


def _held_piece(span: list, end) -> tuple:
    """The piece held for ``span`` when it ended at ``end`` (None: open): span_piece as it was then."""
    state, t0, _, weight = span_piece(span)
    return state, t0, end, weight


def _take_spans(lane: Lane, ink: _Ink, row: DenseRow) -> None:
    """Lock spans: new ones added, ended ones closed; spans the model folded into 50 ms buckets swapped for the
    buckets. Only the spans are held (references to the model's); a piece is rebuilt from its span when needed:
    closed when held, it is span_piece(span); in the open tail, from the end held (``ink.open_ends``)."""
    spans, held = lane.overlays, ink.spans
    open_from, ends = ink.open_from, ink.open_ends
    folded_now = bool(held) and (len(spans) < len(held) or spans[len(held) - 1] is not held[-1])
    if folded_now:  # the model folded its oldest spans into buckets: swap them out
        alive = {id(span) for span in spans}
        kept, kept_ends = [], []
        for j, span in enumerate(held):
            end = span[1] if j < open_from else ends[j - open_from]
            if id(span) not in alive:
                _swap(row, [_held_piece(span, end)], [])
            else:
                kept.append(span)
                kept_ends.append(end)
        held[:] = kept
        ends = kept_ends  # every span held is in the tail now (open_from 0)
        open_from = 0
    if folded_now or len(lane.folded) != len(ink.folded):
        _take_folded(lane, ink, row)
    for j in range(open_from, len(held)):  # spans that were open when last held (closed ones never change)
        span, end = held[j], ends[j - open_from]
        if span[1] != end:
            _swap(row, [_held_piece(span, end)], [span_piece(span)])
            ends[j - open_from] = span[1]
    for span in spans[len(held):]:
        row.add(*span_piece(span))
        held.append(span)
        ends.append(span[1])
    first_open = next((j for j in range(open_from, len(held)) if ends[j - open_from] is None), len(held))
    ink.open_ends = ends[first_open - open_from:]
    ink.open_from = first_open


def _take_folded(lane: Lane, ink: _Ink, row: DenseRow) -> None:
    for b, (waited, holding) in lane.folded.items():
        old = ink.folded.get(b, (0.0, 0.0))
        if old == (waited, holding):
            continue
        for piece in bucket_pieces(b, waited - old[0], holding - old[1]):
            if piece[3]:  # what changed in the bucket
                row.add(*piece)
        ink.folded[b] = (waited, holding)

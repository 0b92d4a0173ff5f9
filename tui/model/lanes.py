"""Lanes: one per task, a run of stretches of state, and how a lane's time is split among the states.

How a lane's time is split. The probe marks base states (cpu, io, wait, queued, startup) and, at each boundary,
the thread's own scheduler counters: time on a CPU and time in the run queue. For a ``cpu`` stretch of wall
time W with on-CPU time C and run-queue wait Q, and traced-lock waits L inside it:
    cpu = C,  core_wait = Q,  gil_wait = W - C - Q - L   (a thread ready to run Python but not holding the GIL)
On a build without a GIL, or in a single-threaded worker process, that remainder is reported as ``wait``.
Lock waits and holds come from the traced lock (tui/model/locks.py) and overlay the base states.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

BASE_STATES = ("queued", "startup", "cpu", "gil_wait", "core_wait", "io", "wait", "lock_wait", "lock_hold")
STATE_HELP = {
    "queued": "submitted, not started yet",
    "startup": "a process or pool starting",
    "cpu": "running Python on a core",
    "gil_wait": "ready to run Python, waiting for the GIL",
    "core_wait": "ready to run, waiting for a free core",
    "io": "sleeping or waiting on I/O (GIL released)",
    "wait": "blocked: waiting for another task or result",
    "lock_wait": "waiting to acquire a lock",
    "lock_hold": "holding a lock",
}
LANE_OVERLAYS = 4_000  # lock spans kept exactly per lane; older ones fold into buckets
FOLD_S = 0.05  # the bucket width of folded lock spans
OWN_GIL = frozenset(("process", "interpreter"))  # lanes that never wait for another lane's GIL

# A lock span: [t0, t1 | None, "lock_wait" | "lock_hold", lock name]. A list, as its end is set in place when the
# lock is released; a list's items have one type, so they are Any here (unpacked as t0, t1, state, name).
Span = list[Any]
LaneKey = tuple[int, int]  # (pid, task id): a lane's key


@dataclass(slots=True)
class Segment:
    """One stretch of a base state on a lane; ``t1`` is None while it lasts."""

    t0: float
    state: str
    t1: float | None = None
    start_cpu: tuple[int, int] | None = None  # (on-CPU ns, run-queue ns) read at the start, same thread
    split: dict[str, float] | None = None  # for cpu stretches: seconds in cpu / gil_wait / core_wait / wait
    split_wall: float = 0.0  # the wall seconds the split was taken over (it leaves out traced-lock waits)
    waited_before: float = 0.0  # its lane's finished lock waits when it began (Lane.waited; split_cpu)


@dataclass(slots=True)
class Lane:
    key: LaneKey
    name: str
    kind: str
    pid: int
    start: float
    end: float | None = None
    tid: int = 0
    parent: int = 0
    variant: str = ""  # the comparison variant it ran in ("" outside comparisons)
    segments: list[Segment] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)  # segment start times, for bisect
    overlays: list[Span] = field(default_factory=list)  # lock spans, in order of start
    marks: list[float] = field(default_factory=list)  # times a traced lock was acquired (at most one per 2 ms)
    folded: dict[int, list[float]] = field(default_factory=dict)  # older lock detail: bucket -> [wait s, hold s]
    nested: bool = False  # took a traced lock while holding another: its lock spans overlap
    mark_scale: int = 1  # its marks are at least MARK_GAP_S times this apart (doubled when thinned)
    waited: float = 0.0  # seconds of its finished traced-lock waits so far, counted ones included
    span_version: int = 0  # bumped when its lock spans change other than by one added at the end
    # _span_sums' cache: (from, span_version, up to, next span, seconds per state)
    span_sums: tuple[float, int, float, int, dict[str, float]] | None = None
    # (t, state seconds up to t): what lane_states need not add up again
    prefix: tuple[float, dict[str, float]] | None = None
    touch: int = -1  # its latest place in Changes.touched (-1: none)

    def state_at(self, now: float) -> str:
        """The state shown in the lane's label at ``now``."""
        if now < self.start:
            return ""
        if self.end is not None and now >= self.end:
            return "done"
        state: str
        for t0, t1, state, _ in reversed(self.overlays):
            if t0 <= now and (t1 is None or now < t1):
                return state
            if t1 is not None and t1 < now and not self.nested:
                break
        i = bisect.bisect_right(self.starts, now) - 1
        if i < 0:
            return ""
        seg = self.segments[i]
        split = seg.split
        if seg.state == "cpu" and split:
            return max(("cpu", "gil_wait", "core_wait"), key=lambda s: split.get(s, 0.0))
        return seg.state


@dataclass(slots=True)
class Variant:
    """One model of a comparison run, from its start to its end."""

    name: str
    start: float
    end: float | None = None


class Changes:
    """The lanes in the order records changed them, for readers that redo only what changed (``since``)."""

    __slots__ = ("touched", "epoch", "mark")

    def __init__(self) -> None:
        self.touched: list[Lane] = []
        self.epoch = 0  # bumped when ``touched`` is started afresh: readers start again too
        self.mark = 0  # len(touched) at the latest read: a lane already listed after it is not listed again

    def touch(self, lane: Lane) -> None:
        if lane.touch < self.mark:
            lane.touch = len(self.touched)
            self.touched.append(lane)

    def since(self, index: int, epoch: int, lanes: int) -> tuple[list[Lane] | None, int, int]:
        """The lanes changed since a reader's last call (``index``, ``epoch``: what that call returned; 0, 0 at
        first): ``(lanes, index, epoch)``, lanes None when the log was started afresh meanwhile (read everything
        again). A lane changed several times between two reads is listed once or a few times. ``lanes``: how many
        lanes the run has (the log is kept to a few times that)."""
        if epoch != self.epoch:
            return None, len(self.touched), self.epoch
        if len(self.touched) > 4 * lanes + 100_000:  # long live runs: keep the log bounded
            for lane in self.touched:
                lane.touch = -1
            self.touched.clear()
            self.epoch += 1
            self.mark = 0
            return None, 0, self.epoch
        n = self.mark = len(self.touched)
        return self.touched[index:n], n, epoch


def split_cpu(lane: Lane, seg: Segment, start: tuple[int, int], t: float, on_cpu: int, run_queue: int,
              gil: bool) -> dict[str, float]:
    """Divide a cpu stretch into running, waiting for a core, waiting for the GIL (see the module doc); ``start``:
    the counters read at its start (``seg.start_cpu``), ``gil``: whether the run's Python had its GIL on.
    (Comparisons instead of min and max: the same numbers, for less per state change.)"""
    s0 = seg.t0
    wall = t - s0
    if wall < 0.0:
        wall = 0.0
    start_on, start_queue = start
    on = (on_cpu - start_on) / 1e9
    if on < 0.0:
        on = 0.0
    if on > wall:
        on = wall
    queue = (run_queue - start_queue) / 1e9 if run_queue >= 0 and start_queue >= 0 else 0.0
    if queue < 0.0:
        queue = 0.0
    if queue > wall - on:
        queue = wall - on
    # Traced-lock waits inside the stretch: the lane's waits that ended since it began, and one going on now. A
    # thread blocked on a lock changes no state, so no wait straddles a stretch's start or end: the difference of
    # the lane's running total is exact, and costs the same however many spans the stretch holds.
    lock_wait = lane.waited - seg.waited_before
    overlays = lane.overlays
    if overlays:
        o0, o1, state, _ = overlays[-1]
        if o1 is None and state == "lock_wait":
            lock_wait += t - (o0 if o0 >= s0 else s0)
    rest = wall - on - queue - lock_wait
    if rest < 0.0:
        rest = 0.0
    waiting = "gil_wait" if (lane.kind not in OWN_GIL and gil) else "wait"
    seg.split_wall = wall
    return {"cpu": on, "core_wait": queue, waiting: rest}


# ------------------------------------------------------------------------------------ seconds per state


def alive_until(lane: Lane, now: float) -> float:
    """Up to when the lane's time counts, asked at ``now``: its end, or ``now`` while it runs."""
    return min(lane.end if lane.end is not None else now, now)


def ends_by(t1: float | None, end: float) -> float:
    """Where a stretch or lock span ending at ``t1`` ends, seen up to ``end``: one still open (None) reaches it."""
    return min(t1 if t1 is not None else end, end)


def shares(seg: Segment) -> tuple[tuple[str, float], ...]:
    """How a stretch's time divides among states: a measured cpu stretch by its split, any other all its own."""
    if seg.split:
        total = seg.split_wall or sum(seg.split.values())
        if total > 0:
            return tuple((k, v / total) for k, v in seg.split.items() if v > 0)
    return ((seg.state, 1.0),)


def lane_states(lane: Lane, now: float) -> dict[str, float]:
    """Seconds the lane spent in each state up to ``now``.

    Everything before the lane's last closed stretch is final, so its totals are kept (``lane.prefix``) and
    a later question only adds what came since: a frame costs the same early and late in a long run."""
    final = _final_until(lane)
    if lane.prefix is None or now < lane.prefix[0] or final < lane.prefix[0]:
        if final <= lane.start or now < final:
            return with_folded(lane, state_times(lane, lane.start, now, now), now)
        lane.prefix = (final, state_times(lane, lane.start, final, final))
    elif final > lane.prefix[0]:
        lane.prefix = (final, _added(lane.prefix[1], state_times(lane, lane.prefix[0], final, final)))
    cut, before = lane.prefix
    return with_folded(lane, _added(before, _open_times(lane, cut, now)), now)


def _open_times(lane: Lane, cut: float, now: float) -> dict[str, float]:
    """``state_times(lane, cut, now, now)`` after the lane's last closed stretch (there, one stretch still open, or
    none), with its lock spans' seconds from ``_span_sums``: the same numbers, at a cost that does not grow with the
    spans the open stretch holds (a busy lock's thread in one long cpu stretch)."""
    end = alive_until(lane, now)
    stretches = list(stretches_in(lane, cut, now, end))
    if lane.nested or len(stretches) > 1 or stretches and stretches[0][1] != cut:
        return state_times(lane, cut, now, now)
    spans = _span_sums(lane, cut, now, end)
    totals: dict[str, float] = {}
    for seg, s0, s1 in stretches:
        for state, share in shares(seg):
            totals[state] = totals.get(state, 0.0) + (s1 - s0) * share
        if not seg.split:
            totals[seg.state] -= min(spans.get("lock_wait", 0), s1 - s0)
    for state, seconds in spans.items():
        totals[state] = totals.get(state, 0.0) + seconds
    return totals


def _span_sums(lane: Lane, t0: float, t1: float, end: float) -> dict[str, float]:
    """Seconds per lock state of the lane's spans within t0..t1, seen up to ``end`` (as ``state_times`` adds them,
    in the same order). Those of spans that ended by then are kept (``lane.span_sums``, for this ``t0``): the next
    question from the same ``t0`` adds only the spans after them."""
    overlays = lane.overlays
    limit = min(t1, end)
    cache = lane.span_sums
    if cache is not None and cache[0] == t0 and cache[1] == lane.span_version and limit >= cache[2]:
        i, sums = cache[3], dict(cache[4])
    else:
        i, sums = max(bisect.bisect_right(overlays, t0, key=span_start) - 1, 0), {}
    n = len(overlays)
    while i < n:  # spans ended by ``limit``: final, kept
        o0, o1, state, _ = overlays[i]
        if o0 >= t1 or o1 is None or o1 > limit:
            break
        start = o0 if o0 >= t0 else t0
        if o1 > start:
            sums[state] = sums.get(state, 0) + (o1 - start)
        i += 1
    lane.span_sums = (t0, lane.span_version, limit, i, dict(sums))
    for j in range(i, n):  # the rest: still open, or ending later
        o0, o1, state, _ = overlays[j]
        if o0 >= t1:
            break
        o1 = min(ends_by(o1, end), t1)
        start = o0 if o0 >= t0 else t0
        if o1 > start:
            sums[state] = sums.get(state, 0) + (o1 - start)
    return sums


def state_times(lane: Lane, t0: float, t1: float, now: float) -> dict[str, float]:
    """Seconds per state in t0..t1, lock spans folded into buckets left out (``with_folded`` adds them).
    A lock wait is time blocked, not running: it replaces the base state it falls in (a measured cpu stretch
    leaves it out of its split already); a lock hold overlays the base state. Windows add up: the seconds of
    a..b and b..c are those of a..c."""
    totals: dict[str, float] = {}
    end = alive_until(lane, now)
    for seg, s0, s1 in stretches_in(lane, t0, t1, end):
        for state, share in shares(seg):
            totals[state] = totals.get(state, 0.0) + (s1 - s0) * share
        if not seg.split:
            blocked = sum(_overlap(o[0], ends_by(o[1], end), s0, s1)
                          for o in spans_in(lane, s0, s1) if o[2] == "lock_wait")
            totals[seg.state] -= min(blocked, s1 - s0)
    for o0, o1, state, _ in spans_in(lane, t0, t1):
        o1 = min(ends_by(o1, end), t1)
        if o1 > max(o0, t0):
            totals[state] = totals.get(state, 0.0) + o1 - max(o0, t0)
    return totals


def with_folded(lane: Lane, totals: dict[str, float], now: float) -> dict[str, float]:
    """Add the lock spans folded into 50 ms buckets (hot locks), each bucket counted once, up to ``now``."""
    if lane.folded:
        for b in buckets_in(lane.folded, lane.start, alive_until(lane, now)):
            waited, held = lane.folded[b]
            totals["lock_wait"] = totals.get("lock_wait", 0.0) + waited
            totals["lock_hold"] = totals.get("lock_hold", 0.0) + held
    return totals


def stretches_in(lane: Lane, t0: float, t1: float, end: float) -> Iterator[tuple[Segment, float, float]]:
    """The lane's base stretches reaching into t0..t1, seen up to ``end``: (segment, from, to), the part of each
    that lies in the window."""
    for seg in lane.segments[max(bisect.bisect_right(lane.starts, t0) - 1, 0):]:
        if seg.t0 >= t1 or seg.t0 >= end:
            return
        s1 = min(seg.t1 if seg.t1 is not None else end, end, t1)  # min(ends_by(seg.t1, end), t1): a hot loop
        s0 = max(seg.t0, t0)
        if s1 > s0:
            yield seg, s0, s1


span_start = operator.itemgetter(0)  # a lock span's start: what its lane's spans are ordered by


def spans_in(lane: Lane, t0: float, t1: float) -> Iterator[Span]:
    """The lane's lock spans reaching into t0..t1 (spans are kept in order and never overlap: bisect to the first)."""
    overlays = lane.overlays
    first = 0 if lane.nested else max(bisect.bisect_right(overlays, t0, key=span_start) - 1, 0)
    for i in range(first, len(overlays)):
        o = overlays[i]
        if o[0] >= t1:
            break
        if o[1] is None or o[1] > t0:
            yield o


def buckets_in(folded: dict[int, list[float]], t0: float, t1: float) -> Iterable[int]:
    """The 50 ms buckets of folded lock spans from t0 to t1, in order."""
    if not folded:
        return ()
    first, last = int(t0 / FOLD_S), int(t1 / FOLD_S)
    if last - first > len(folded):
        return sorted(b for b in folded if first <= b <= last)
    return [b for b in range(first, last + 1) if b in folded]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _final_until(lane: Lane) -> float:
    """Up to when the lane's base states can no longer change: the end of its last closed stretch."""
    for seg in reversed(lane.segments[-2:]):
        if seg.t1 is not None:
            return seg.t1
    return lane.start


def _added(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + v
    return out

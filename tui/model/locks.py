"""Traced locks: each lock's totals as its events arrive, and what its waits and holds put on the lanes.

A traced lock sends its acquisitions in three ways (scenarios/probe.py, Lock):
- live, three events: requested, acquired, released (or released without having been acquired: the waiter gave up),
  ``LockBook.event``; an acquisition shown as held before its request arrives is one that did not wait;
- whole, after its release (LOCK_TAKEN: requested, acquired, released), ``LockBook.taken``;
- counted, a busy lock's most: per thread and 50 ms span, how many (LOCK_SUM), and how many of them waited, how
  long in all and at most (LOCK_SUM_WAITS), ``LockBook.counted`` and ``counted_waits``. Their holds are not timed:
  the lock's hold total covers its timed acquisitions (``LockStats.timed``), and ``notes`` says so.
The book keeps each lock's running totals and checkpoints of them (so a replay paused in the past sees the totals
as they stood then), and puts ``lock_wait`` and ``lock_hold`` spans on the lane that took it, with a mark where it
was acquired. A lane keeping more spans than it needs exactly folds its oldest into 50 ms buckets of waited and held
seconds, and counted waits go into those buckets too (see ``Trace.load_notes``). What the book keeps is bounded by
counts, not by the run's length: ``MAX_SPANS`` exact spans over all lanes, ``MAX_HOLDS`` acquisitions per lock,
``MAX_CHECKPOINTS`` checkpoints per lock, ``MAX_MARKS`` marks over all lanes.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from scenarios import wire
from tui.model.lanes import FOLD_S, LANE_OVERLAYS, Changes, Lane, LaneKey, Span, span_start

MAX_HOLDS = 20_000  # acquisitions kept one by one per lock; the rest only in the totals
CHECKPOINTS_EXACT = 2_000  # lock checkpoints taken at every event before thinning to one per 50 ms
CHECKPOINT_EVERY_S = 0.05
MAX_CHECKPOINTS = 20_000  # past this many a lock's older checkpoints are thinned (every other one kept)
MARK_GAP_S = 0.002  # lock-acquired marks closer than this collapse into one (a cell is never this narrow)
MAX_MARKS = 200_000  # marks over all lanes; a lane past its share (at least MIN_LANE_MARKS) thins its marks
MIN_LANE_MARKS = 1_000  # (one per twice the gap: a lane's marks tell cells apart, not acquisitions)
MAX_SPANS = 200_000  # exact lock spans kept over all lanes; each lane keeps its share (at least MIN_LANE_SPANS)
MIN_LANE_SPANS = 200

_LOCK_REQUEST, _LOCK_ACQUIRED = wire.LOCK_REQUEST, wire.LOCK_ACQUIRED

# A lock's running totals at a moment (``LockTrace.totals``): acquisitions, seconds waited, the longest wait,
# seconds held, most waiters at once, the acquisitions not yet released (lane, requested, acquired or None), and
# how many acquisitions were counted
Totals = tuple[int, float, float, float, int, tuple[tuple[LaneKey, float, float | None], ...], int]


@dataclass(slots=True)
class Hold:
    lane: LaneKey
    requested: float
    acquired: float | None = None
    released: float | None = None
    span: Span | None = None  # its lock_wait or lock_hold span on the lane


@dataclass(slots=True)
class LockTrace:
    """A traced lock: running totals updated per event, and checkpoints of them for questions about the past."""

    name: str
    holds: list[Hold] = field(default_factory=list)  # the first MAX_HOLDS acquisitions, exact (export, hand-offs)
    dropped: int = 0  # acquisitions past MAX_HOLDS, counted in the totals only
    open: dict[LaneKey, Hold] = field(default_factory=dict)  # lane -> its Hold not yet released
    acquisitions: int = 0
    wait_s: float = 0.0  # finished waits
    longest_wait_s: float = 0.0
    hold_s: float = 0.0  # finished holds
    waiters: int = 0
    max_waiters: int = 0
    checkpoints: list[Totals] = field(default_factory=list)
    checkpoint_times: list[float] = field(default_factory=list)
    checkpoint_every: float = CHECKPOINT_EVERY_S  # past the exact ones (doubled each time they are thinned)
    last_t: float = float("-inf")  # the time of its latest event
    counted: int = 0  # acquisitions counted in the child (LOCK_SUM): in the totals, their holds not timed
    counted_waits: int = 0  # of those, how many waited (their waits are in the totals, summed)

    def checkpoint(self, t: float) -> None:
        """After an event at ``t``: the running totals answer for any moment from ``t`` on; for the past, keep a
        snapshot of them after every event at first, then at most one per 50 ms."""
        self.last_t = t
        if len(self.checkpoints) >= CHECKPOINTS_EXACT and t - self.checkpoint_times[-1] < self.checkpoint_every:
            return
        if self.checkpoint_times and t < self.checkpoint_times[-1]:  # sent after the fact: counted from then on
            t = self.checkpoint_times[-1]
        self.checkpoints.append(self.totals())
        self.checkpoint_times.append(t)
        if len(self.checkpoints) > MAX_CHECKPOINTS:  # keep the exact ones, every other one after them
            keep = range(CHECKPOINTS_EXACT, len(self.checkpoints), 2)
            self.checkpoints[CHECKPOINTS_EXACT:] = [self.checkpoints[i] for i in keep]
            self.checkpoint_times[CHECKPOINTS_EXACT:] = [self.checkpoint_times[i] for i in keep]
            self.checkpoint_every *= 2

    def totals(self) -> Totals:
        open_holds = tuple([(h.lane, h.requested, h.acquired) for h in self.open.values()])
        return (self.acquisitions, self.wait_s, self.longest_wait_s, self.hold_s, self.max_waiters, open_holds,
                self.counted)

    def waited(self, seconds: float) -> None:
        self.wait_s += seconds
        self.longest_wait_s = max(self.longest_wait_s, seconds)


@dataclass(frozen=True, slots=True)
class LockStats:
    name: str
    acquisitions: int
    wait_s: float
    longest_wait_s: float
    hold_s: float
    max_waiters: int
    holder: str | None
    waiting: tuple[str, ...]
    timed: int = -1  # acquisitions whose holds were timed (hold_s is theirs); -1: all of them


class LockBook:
    """The run's traced locks (``locks``), kept up to date by their events, and their spans on the lanes."""

    def __init__(self, lanes: dict[tuple[int, int], Lane], changes: Changes) -> None:
        self.locks: dict[tuple[int, int], LockTrace] = {}
        self.lanes = lanes  # the run's lanes, by key (the trace's own dict)
        self.changes = changes
        self.root_pid = -1  # the run's first process (-1 until the HELLO): its locks are shared by those it forks
        self.folded_spans = 0  # lock spans folded into 50 ms buckets (load: see notes)
        self.thinned_marks = 0  # lanes whose lock marks were thinned (MAX_MARKS)
        self.counted_span_s = 0.0  # the longest span a count covered (the child summed longer under pressure)
        self._sums: dict[tuple[int, int, int], tuple[float, float]] = {}  # the latest count's span, per thread
        self.fold_past = LANE_OVERLAYS + 1000  # a lane keeping more lock spans than this folds its oldest
        self.fold_batch = 1000
        self.lane_marks = MAX_MARKS  # a lane keeping more marks than this thins them

    def lanes_changed(self) -> None:
        """A lane was added: each lane's share of ``MAX_SPANS`` exact spans and ``MAX_MARKS`` marks."""
        lanes = max(len(self.lanes), 1)
        keep = min(max(MAX_SPANS // lanes, MIN_LANE_SPANS), LANE_OVERLAYS)
        self.fold_batch = min(1000, keep)
        self.fold_past = keep + self.fold_batch
        self.lane_marks = max(MAX_MARKS // lanes, MIN_LANE_MARKS)

    def _lock(self, pid: int, lock_id: int) -> LockTrace:
        locks = self.locks
        lock = locks.get((pid, lock_id)) or locks.get((self.root_pid, lock_id))
        if lock is None:  # a lock never announced (its events outlived the run's start)
            lock = locks[(pid, lock_id)] = LockTrace(f"lock {lock_id}")
        return lock

    def event(self, pid: int, typ: int, lock_id: int, task: int, t: float, gave_up: int) -> None:
        """A lock's request, acquisition or release by the lane ``(pid, task)`` at ``t`` (about a microsecond:
        it runs on the UI's thread, for every one)."""
        hold: Hold | None
        span: Span | None
        locks = self.locks
        lock = locks.get((pid, lock_id)) or locks.get((self.root_pid, lock_id))
        if lock is None:  # a lock never announced (its events outlived the run's start)
            lock = locks[(pid, lock_id)] = LockTrace(f"lock {lock_id}")
        key = (pid, task)
        lane = self.lanes.get(key)
        if lane is not None and lane.touch < self.changes.mark:
            self.changes.touch(lane)
        if typ == _LOCK_REQUEST:
            hold = Hold(key, t)
            if len(lock.holds) < MAX_HOLDS:
                lock.holds.append(hold)
            else:
                lock.dropped += 1
            lock.open[key] = hold
            waiters = lock.waiters = lock.waiters + 1
            if waiters > lock.max_waiters:
                lock.max_waiters = waiters
            if lane is not None:
                overlays = lane.overlays
                if overlays and overlays[-1][1] is None:
                    lane.nested = True
                if overlays and t < overlays[-1][0]:  # after a span sent after the fact: in order (_span)
                    hold.span = self._span(lane, [t, None, "lock_wait", lock.name])
                else:
                    overlays.append(span := [t, None, "lock_wait", lock.name])
                    hold.span = span
                    if len(overlays) > self.fold_past:
                        self._fold_oldest(lane)
        else:
            hold = lock.open.get(key)
            if hold is None:
                if typ != _LOCK_ACQUIRED:
                    return
                hold = lock.open[key] = Hold(key, t)  # held, sent as it is held: it did not wait
                if len(lock.holds) < MAX_HOLDS:
                    lock.holds.append(hold)
                else:
                    lock.dropped += 1
                lock.waiters += 1
            span = hold.span
            if span is not None:
                span[1] = t
                if span[2] == "lock_wait" and lane is not None:  # a wait ends: its lane's total (split_cpu)
                    lane.waited += t - span[0]
            if typ == _LOCK_ACQUIRED:
                hold.acquired = t
                lock.waiters -= 1
                lock.acquisitions += 1
                waited = t - hold.requested
                lock.wait_s += waited
                if waited > lock.longest_wait_s:
                    lock.longest_wait_s = waited
                if lane is not None:
                    overlays = lane.overlays
                    if overlays and t < overlays[-1][0]:
                        hold.span = self._span(lane, [t, None, "lock_hold", lock.name])
                    else:
                        overlays.append(span := [t, None, "lock_hold", lock.name])
                        hold.span = span
                        if len(overlays) > self.fold_past:
                            self._fold_oldest(lane)
                    marks = lane.marks
                    if not marks or t - marks[-1] >= MARK_GAP_S * lane.mark_scale:
                        if marks and t < marks[-1] or len(marks) >= self.lane_marks:
                            self._mark(lane, t)
                        else:
                            marks.append(t)
            else:
                hold.released = t
                if hold.acquired is not None:
                    lock.hold_s += t - hold.acquired
                else:  # gave up waiting
                    lock.waiters -= 1
                    lock.waited(t - hold.requested)
                del lock.open[key]
        lock.last_t = t  # lock.checkpoint(t), its common case inlined
        if len(lock.checkpoints) < CHECKPOINTS_EXACT or t - lock.checkpoint_times[-1] >= lock.checkpoint_every:
            lock.checkpoint(t)

    def taken(self, pid: int, lock_id: int, task: int, requested: float, acquired: float, released: float) -> None:
        """One whole acquisition, sent after its release (LOCK_TAKEN): a busy lock's timed ones, a few a thread
        every 50 ms, so kept cheap as the live events are."""
        lock = self.locks.get((pid, lock_id)) or self._lock(pid, lock_id)
        key = (pid, task)
        if len(lock.holds) < MAX_HOLDS:
            hold = Hold(key, requested, acquired, released)
            lock.holds.append(hold)
        else:
            hold = None
            lock.dropped += 1
        lock.acquisitions += 1
        waited = acquired - requested
        lock.wait_s += waited
        if waited > lock.longest_wait_s:
            lock.longest_wait_s = waited
        lock.hold_s += released - acquired
        lane = self.lanes.get(key)
        if lane is not None:
            if lane.touch < self.changes.mark:
                self.changes.touch(lane)
            overlays = lane.overlays
            if waited > 0:
                self._span(lane, [requested, acquired, "lock_wait", lock.name])
                lane.waited += waited
            if overlays and acquired < overlays[-1][0]:
                span = self._span(lane, [acquired, released, "lock_hold", lock.name])
            else:
                overlays.append(span := [acquired, released, "lock_hold", lock.name])
                if len(overlays) > self.fold_past:
                    self._fold_oldest(lane)
            if hold is not None:
                hold.span = span
            marks = lane.marks
            if not marks or acquired - marks[-1] >= MARK_GAP_S * lane.mark_scale:
                if marks and acquired < marks[-1] or len(marks) >= self.lane_marks:
                    self._mark(lane, acquired)
                else:
                    marks.append(acquired)
        t = released if released > lock.last_t else lock.last_t
        lock.last_t = t  # lock.checkpoint(t), its common case inlined
        if len(lock.checkpoints) < CHECKPOINTS_EXACT or t - lock.checkpoint_times[-1] >= lock.checkpoint_every:
            lock.checkpoint(t)

    def counted(self, pid: int, lock_id: int, task: int, t_from: float, t_to: float, n: int) -> None:
        """``n`` acquisitions counted in the child between ``t_from`` and ``t_to`` (LOCK_SUM): none of them waited
        unless a LOCK_SUM_WAITS follows; their holds are not timed."""
        lock = self._lock(pid, lock_id)
        lock.acquisitions += n
        lock.counted += n
        self._sums[(pid, lock_id, task)] = (t_from, t_to)
        if t_to - t_from > self.counted_span_s:
            self.counted_span_s = t_to - t_from
        lane = self.lanes.get((pid, task))
        if lane is not None:
            self.changes.touch(lane)
            self._mark(lane, t_from)
            self._mark(lane, t_to)
        lock.checkpoint(max(t_to, lock.last_t))

    def counted_waits(self, pid: int, lock_id: int, task: int, longest: float, wait: float, waited: int) -> None:
        """Of the latest count of this thread, ``waited`` waited: ``wait`` seconds in all, ``longest`` at most
        (LOCK_SUM_WAITS). Their waits go into the lane's 50 ms buckets, spread over the count's span."""
        lock = self._lock(pid, lock_id)
        t_from, t_to = self._sums.get((pid, lock_id, task), (lock.last_t, lock.last_t))
        lock.counted_waits += waited
        lock.wait_s += wait
        if longest > lock.longest_wait_s:
            lock.longest_wait_s = longest
        if waited and not lock.max_waiters:
            lock.max_waiters = 1  # at least one waited (how many at once, counted waits do not say)
        lane = self.lanes.get((pid, task))
        if lane is not None and wait > 0:
            self.changes.touch(lane)
            spread_into_buckets(lane.folded, t_from, t_to, wait, 0)
            lane.waited += wait
        lock.checkpoint(max(t_to, lock.last_t))

    def _span(self, lane: Lane, span: Span) -> Span:
        """Add a lock span to the lane, in order of start (one sent after the fact may start before the last)."""
        overlays = lane.overlays
        if overlays and span[0] < overlays[-1][0]:
            bisect.insort(overlays, span, key=span_start)
            lane.nested = True
            lane.span_version += 1
        else:
            overlays.append(span)
        if len(overlays) > self.fold_past:
            self._fold_oldest(lane)
        return span

    def _mark(self, lane: Lane, t: float) -> None:
        """A lock acquired on the lane at ``t``: a mark, unless one is closer than the lane's gap (past its share of
        MAX_MARKS the lane's gap doubles and its marks are thinned to it)."""
        marks = lane.marks
        if marks and abs(t - marks[-1]) < MARK_GAP_S * lane.mark_scale:
            return
        if marks and t < marks[-1]:
            bisect.insort(marks, t)
        else:
            marks.append(t)
        if len(marks) > self.lane_marks:
            if lane.mark_scale == 1:
                self.thinned_marks += 1
            lane.mark_scale *= 2
            gap, kept = MARK_GAP_S * lane.mark_scale, [marks[0]]
            for m in marks:
                if m - kept[-1] >= gap:
                    kept.append(m)
            lane.marks[:] = kept

    def _fold_oldest(self, lane: Lane) -> None:
        """Fold the lane's oldest thousand lock spans into 50 ms buckets (it keeps more than it needs exactly).
        Each span past the first few thousand of a lane passes through here once, so this loop is kept tight."""
        batch = self.fold_batch
        oldest = lane.overlays[:batch]
        folded, held, n = lane.folded, [], 0
        for span in oldest:
            t0, t1, state, _ = span
            if t1 is None:
                held.append(span)  # an outer lock still held stays exact
                continue
            n += 1
            which = 0 if state == "lock_wait" else 1
            while t1 > t0:
                b = int(t0 / FOLD_S)
                end = (b + 1) * FOLD_S
                if end <= t0:  # t0 sits on a boundary that t0 / FOLD_S rounds below (2.15 s, ...): the next bucket
                    b += 1
                    end = (b + 1) * FOLD_S
                if end >= t1:
                    end = t1
                bucket = folded.get(b)
                if bucket is None:
                    bucket = folded[b] = [0.0, 0.0]
                bucket[which] += end - t0
                t0 = end
        lane.overlays[:batch] = held
        lane.span_version += 1
        self.folded_spans += n

    def stats(self, now: float) -> list[LockStats]:
        """Each lock's statistics as they stood at ``now``."""
        out = []
        for lock in self.locks.values():
            if now >= lock.last_t:  # live, or a replay past the lock's last event: the running totals
                totals = lock.totals()
            else:
                i = bisect.bisect_right(lock.checkpoint_times, now) - 1
                if i < 0:
                    out.append(LockStats(lock.name, 0, 0.0, 0.0, 0.0, 0, None, ()))
                    continue
                totals = lock.checkpoints[i]
            acquisitions, wait, longest, hold, max_waiters, open_holds, counted = totals
            holder, waiting = None, []
            for lane, requested, acquired in open_holds:
                if acquired is not None and acquired <= now:
                    hold += now - acquired
                    holder = self._lane_name(lane)
                else:
                    wait += now - requested
                    longest = max(longest, now - requested)
                    waiting.append(self._lane_name(lane))
            out.append(LockStats(lock.name, acquisitions, wait, longest, hold, max_waiters, holder, tuple(waiting),
                                 acquisitions - counted if counted else -1))
        return out

    def _lane_name(self, key: LaneKey) -> str:
        lane = self.lanes.get(key)
        return lane.name if lane else f"task {key[1]}"

    def notes(self) -> list[str]:
        """What was aggregated rather than kept one by one (see ``Trace.load_notes``)."""
        notes = []
        for lock in self.locks.values():
            if lock.counted:
                span = (f" (over spans up to {self.counted_span_s:.1f} s while its events waited to be sent)"
                        if self.counted_span_s > 2 * FOLD_S else "")
                waits = (f"; the {lock.counted_waits:,} of them that waited are in the wait totals, drawn from 50 ms "
                         "buckets" if lock.counted_waits else "")
                notes.append(f"'{lock.name}': {lock.counted:,} of its {lock.acquisitions:,} acquisitions were counted "
                             f"per thread and 50 ms{span}, their holds not timed: its hold total is its "
                             f"{lock.acquisitions - lock.counted:,} timed ones'{waits}")
        if self.folded_spans:
            notes.append(f"{self.folded_spans:,} older lock spans are drawn from 50 ms buckets")
        dropped = sum(lock.dropped for lock in self.locks.values())
        if dropped:
            notes.append(f"{dropped:,} lock acquisitions are counted in the totals but not kept one by one")
        if self.thinned_marks:
            notes.append(f"lock marks on {self.thinned_marks:,} lanes are thinned to keep memory bounded")
        return notes


def spread_into_buckets(folded: dict[int, list[float]], t0: float, t1: float, waited: float, held: float) -> None:
    """Add ``waited`` and ``held`` seconds spread evenly over t0..t1 to the 50 ms buckets (all into t0's bucket if
    the span is an instant)."""
    if t1 <= t0:
        bucket = folded.setdefault(int(t0 / FOLD_S), [0.0, 0.0])
        bucket[0] += waited
        bucket[1] += held
        return
    length, t = t1 - t0, t0
    while t < t1:
        b = int(t / FOLD_S)
        end = (b + 1) * FOLD_S
        if end <= t:  # t sits on a boundary that t / FOLD_S rounds below: the next bucket
            b += 1
            end = (b + 1) * FOLD_S
        end = min(end, t1)
        share = (end - t) / length
        bucket = folded.setdefault(b, [0.0, 0.0])
        bucket[0] += waited * share
        bucket[1] += held * share
        t = end

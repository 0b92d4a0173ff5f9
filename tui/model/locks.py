"""Traced locks: each lock's totals as its events arrive, and what its waits and holds put on the lanes.

A traced lock sends three events per acquisition: requested, acquired, released (or released without having been
acquired: the waiter gave up). ``LockBook.event`` keeps each lock's running totals and checkpoints of them (so a
replay paused in the past sees the totals as they stood then), and puts a ``lock_wait`` then a ``lock_hold`` span
on the lane that took it, with a mark where it was acquired. A lane keeping more spans than it needs exactly
folds its oldest into 50 ms buckets of waited and held seconds (hot locks: see ``Trace.load_notes``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from scenarios import wire
from tui.model.lanes import FOLD_S, LANE_OVERLAYS, Changes, Lane

MAX_HOLDS = 20_000  # acquisitions kept one by one per lock; the rest only in the totals
CHECKPOINTS_EXACT = 2_000  # lock checkpoints taken at every event before thinning to one per 50 ms
CHECKPOINT_EVERY_S = 0.05
MARK_GAP_S = 0.002  # lock-acquired marks closer than this collapse into one (a cell is never this narrow)

_LOCK_REQUEST, _LOCK_ACQUIRED = wire.LOCK_REQUEST, wire.LOCK_ACQUIRED
_FOLD_PAST = LANE_OVERLAYS + 1000  # a lane keeping more lock spans than this folds its oldest thousand


@dataclass(slots=True)
class Hold:
    lane: tuple[int, int]
    requested: float
    acquired: float | None = None
    released: float | None = None
    span: list | None = None  # its lock_wait or lock_hold span on the lane


@dataclass(slots=True)
class LockTrace:
    """A traced lock: running totals updated per event, and checkpoints of them for questions about the past."""

    name: str
    holds: list[Hold] = field(default_factory=list)  # the first MAX_HOLDS acquisitions, exact (export, hand-offs)
    dropped: int = 0  # acquisitions past MAX_HOLDS, counted in the totals only
    open: dict = field(default_factory=dict)  # lane -> its Hold not yet released
    acquisitions: int = 0
    wait_s: float = 0.0  # finished waits
    longest_wait_s: float = 0.0
    hold_s: float = 0.0  # finished holds
    waiters: int = 0
    max_waiters: int = 0
    checkpoints: list[tuple] = field(default_factory=list)
    checkpoint_times: list[float] = field(default_factory=list)
    last_t: float = float("-inf")  # the time of its latest event

    def checkpoint(self, t: float) -> None:
        """After an event at ``t``: the running totals answer for any moment from ``t`` on; for the past, keep a
        snapshot of them after every event at first, then at most one per 50 ms."""
        self.last_t = t
        if len(self.checkpoints) >= CHECKPOINTS_EXACT and t - self.checkpoint_times[-1] < CHECKPOINT_EVERY_S:
            return
        self.checkpoints.append(self.totals())
        self.checkpoint_times.append(t)

    def totals(self) -> tuple:
        open_holds = tuple([(h.lane, h.requested, h.acquired) for h in self.open.values()])
        return (self.acquisitions, self.wait_s, self.longest_wait_s, self.hold_s, self.max_waiters, open_holds)

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


class LockBook:
    """The run's traced locks (``locks``), kept up to date by their events, and their spans on the lanes."""

    def __init__(self, lanes: dict[tuple[int, int], Lane], changes: Changes) -> None:
        self.locks: dict[tuple[int, int], LockTrace] = {}
        self.lanes = lanes  # the run's lanes, by key (the trace's own dict)
        self.changes = changes
        self.root_pid: int | None = None  # the run's first process: its locks are shared by the processes it forks
        self.folded_spans = 0  # lock spans folded into 50 ms buckets (load: see notes)

    def event(self, pid: int, typ: int, lock_id: int, task: int, t: float, gave_up: int) -> None:
        """A lock's request, acquisition or release by the lane ``(pid, task)`` at ``t`` (about a microsecond:
        it runs on the UI's thread, for every one)."""
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
                overlays.append(span := [t, None, "lock_wait", lock.name])
                hold.span = span
                if len(overlays) > _FOLD_PAST:
                    self._fold_oldest(lane)
        else:
            hold = lock.open.get(key)
            if hold is None:
                return
            if hold.span is not None:
                hold.span[1] = t
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
                    overlays.append(span := [t, None, "lock_hold", lock.name])
                    hold.span = span
                    if len(overlays) > _FOLD_PAST:
                        self._fold_oldest(lane)
                    marks = lane.marks
                    if not marks or t - marks[-1] >= MARK_GAP_S:
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
        if len(lock.checkpoints) < CHECKPOINTS_EXACT or t - lock.checkpoint_times[-1] >= CHECKPOINT_EVERY_S:
            lock.checkpoint(t)

    def _fold_oldest(self, lane: Lane) -> None:
        """Fold the lane's oldest thousand lock spans into 50 ms buckets (it keeps more than it needs exactly).
        Each span past the first few thousand of a lane passes through here once, so this loop is kept tight."""
        oldest = lane.overlays[:1000]
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
        lane.overlays[:1000] = held
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
            acquisitions, wait, longest, hold, max_waiters, open_holds = totals
            holder, waiting = None, []
            for lane, requested, acquired in open_holds:
                if acquired is not None and acquired <= now:
                    hold += now - acquired
                    holder = self._lane_name(lane)
                else:
                    wait += now - requested
                    longest = max(longest, now - requested)
                    waiting.append(self._lane_name(lane))
            out.append(LockStats(lock.name, acquisitions, wait, longest, hold, max_waiters, holder, tuple(waiting)))
        return out

    def _lane_name(self, key) -> str:
        lane = self.lanes.get(key)
        return lane.name if lane else f"task {key[1]}"

    def notes(self) -> list[str]:
        """What was aggregated rather than kept one by one (see ``Trace.load_notes``)."""
        notes = []
        if self.folded_spans:
            notes.append(f"{self.folded_spans:,} older lock spans are drawn from 50 ms buckets")
        dropped = sum(lock.dropped for lock in self.locks.values())
        if dropped:
            notes.append(f"{dropped:,} lock acquisitions are counted in the totals but not kept one by one")
        return notes

"""The trace model: events and samples in; lanes, states and statistics out. No Textual here.

Live runs, replays, exports and headless summaries all read this one model. Every query takes the time ``now``
(seconds from the run's start) it should answer for, so a replay paused mid-run and a frozen snapshot clock see
exactly what a live run saw at that moment.

How a lane's time is split. The probe marks base states (cpu, io, wait, queued, startup) and, at each boundary,
the thread's own scheduler counters: time on a CPU and time in the run queue. For a ``cpu`` stretch of wall
time W with on-CPU time C and run-queue wait Q, and traced-lock waits L inside it:
    cpu = C,  core_wait = Q,  gil_wait = W - C - Q - L   (a thread ready to run Python but not holding the GIL)
On a build without a GIL, or in a single-threaded worker process, that remainder is reported as ``wait``.
Lock waits and holds come from the traced lock and overlay the base states.
"""

from __future__ import annotations

import bisect
import gc
import operator
from dataclasses import dataclass, field

from scenarios import wire
from tui import lessons

MAX_HOLDS = 20_000  # acquisitions kept one by one per lock; the rest only in the totals
CHECKPOINTS_EXACT = 2_000  # lock checkpoints taken at every event before thinning to one per 50 ms
CHECKPOINT_EVERY_S = 0.05
LANE_OVERLAYS = 4_000  # lock spans kept exactly per lane; older ones fold into buckets
FOLD_S = 0.05  # the bucket width of folded lock spans
MARK_GAP_S = 0.002  # lock-acquired marks closer than this collapse into one (a cell is never this narrow)
COUNTER_GAP_S = 0.001  # counter values closer than this replace each other (peaks are kept exactly)
MAX_OUTPUT_LINES = 2_000

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


@dataclass(slots=True)
class Segment:
    """One stretch of a base state on a lane; ``t1`` is None while it lasts."""

    t0: float
    state: str
    t1: float | None = None
    start_cpu: tuple[int, int] | None = None  # (on-CPU ns, run-queue ns) read at the start, same thread
    split: dict | None = None  # for cpu stretches: seconds in cpu / gil_wait / core_wait / wait
    split_wall: float = 0.0  # the wall seconds the split was taken over (it leaves out traced-lock waits)


@dataclass(slots=True)
class Lane:
    key: tuple[int, int]  # (pid, task id)
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
    overlays: list[list] = field(default_factory=list)  # [t0, t1|None, "lock_wait"|"lock_hold", lock name]
    marks: list[float] = field(default_factory=list)  # times a traced lock was acquired (at most one per 2 ms)
    folded: dict[int, list[float]] = field(default_factory=dict)  # older lock detail: bucket -> [wait s, hold s]
    nested: bool = False  # took a traced lock while holding another: its lock spans overlap
    prefix: tuple | None = None  # (t, state seconds up to t): what lane_states need not add up again
    touch: int = -1  # its latest place in Trace.touched (-1: none)

    def state_at(self, now: float) -> str:
        """The state shown in the lane's label at ``now``."""
        if now < self.start:
            return ""
        if self.end is not None and now >= self.end:
            return "done"
        for t0, t1, state, _ in reversed(self.overlays):
            if t0 <= now and (t1 is None or now < t1):
                return state
            if t1 is not None and t1 < now and not self.nested:
                break
        i = bisect.bisect_right(self.starts, now) - 1
        if i < 0:
            return ""
        seg = self.segments[i]
        if seg.state == "cpu" and seg.split:
            return max(("cpu", "gil_wait", "core_wait"), key=lambda s: seg.split.get(s, 0.0))
        return seg.state


@dataclass(slots=True)
class Variant:
    """One model of a comparison run, from its start to its end."""

    name: str
    start: float
    end: float | None = None


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


@dataclass(frozen=True, slots=True)
class Sample:
    """One look at the machine and the scenario's process tree (the parent's psutil sampler)."""

    t: float
    cores: tuple[float, ...]  # busy % per core
    proc_cores: float  # the scenario tree's CPU use, in cores
    threads: int  # OS threads in the scenario tree
    rss: int  # bytes, summed over the tree
    ctx_switches: int  # cumulative, over the tree
    processes: int = 1


class Trace:
    """Everything measured in one run."""

    def __init__(self, meta: dict | None = None) -> None:
        self.meta: dict = dict(meta or {})
        self.t0_ns: int | None = None
        self.lanes: dict[tuple[int, int], Lane] = {}
        self.locks: dict[tuple[int, int], LockTrace] = {}
        self.variants: dict[str, Variant] = {}  # in the order they ran
        self._variant_ids: dict[tuple[int, int], str] = {}
        self.counters: dict[str, list[tuple[float, int]]] = {}
        self.counter_peaks: dict[str, int] = {}
        self.folded_spans = 0  # lock spans folded into 50 ms buckets (load: see load_notes)
        self.output_dropped = 0
        self.samples: list[Sample] = []
        self._peaks: dict[str, list] = {"proc_cores": [], "threads": [], "rss": [], "processes": []}
        self._order: list[Lane] = []  # ordered_lanes' cache
        self._order_starts: list[float] = []
        self.sample_times: list[float] = []
        self.output: list[tuple[float, str]] = []
        self.info: dict = {}
        self.error: dict | None = None
        self.exit: dict | None = None  # {"status": int, "signal": name|None, "reason": str}
        self.ended: float | None = None  # the scenario's own end (RUN_END), seconds
        self.last: float = 0.0  # the latest time seen in any event or sample
        self.events = 0
        self.root_pid: int | None = None
        self._names: dict[tuple[int, int, int], str] = {}
        self._counter_names: dict[tuple[int, int], str] = {}
        self._series: dict[tuple[int, int], tuple[str, list]] = {}  # (pid, counter id) -> (name, its values)
        self._gil = True  # gil_enabled, as of the latest batch (what _split calls the rest of a cpu stretch)
        self._lane_by_tid: dict[tuple[int, int], Lane] = {}
        self.touched: list[Lane] = []  # lanes in the order records changed them (read with ``touched_since``)
        self.touch_epoch = 0  # bumped when ``touched`` is started afresh: readers start again too
        self._touch_mark = 0  # len(touched) at the latest read: a lane already listed after it is not listed again

    # ------------------------------------------------------------------------------------------ feeding

    def seconds(self, t_ns: int) -> float:
        return (t_ns - self.t0_ns) / 1e9 if self.t0_ns is not None else 0.0

    def apply(self, records) -> None:
        """Take decoded records (tui.stream): ``(pid, type, a, b, id, x, y, z, text)``.

        Per event this is about a microsecond: it runs on the UI's thread. Python's cycle collector is paused
        meanwhile: a batch only adds objects that live as long as the model and form no cycles (segments, lock
        spans, holds), which the collector would otherwise scan again and again as the model grows (a fifth of
        the time of a large batch), finding nothing to free. It runs as usual between batches."""
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            self._apply_records(records)
        finally:
            if collecting:
                gc.enable()

    def _apply_records(self, records) -> None:
        """The frequent kinds (state changes, lock events, counters) are handled here with local names; the rest
        go through ``_apply``."""
        lanes, states, split, lock_event, count = self.lanes, wire.STATES, self._split, self._lock_event, self._count
        hot, last, t0 = 0, self.last, self.t0_ns
        self._gil = self.gil_enabled  # for _split: read once per batch, not per cpu stretch
        for pid, typ, a, b, ident, x, y, z, text in records:
            if typ not in _HOT or t0 is None:
                self._apply(pid, typ, a, b, ident, x, y, z, text)
                t0 = self.t0_ns  # a HELLO starts the run
                continue
            t = (x - t0) / 1e9
            hot += 1
            if t > last:
                last = t
            if typ == _STATE:  # the most frequent record, handled right here: a lane's stretch ends, the next starts
                lane = lanes.get((pid, ident))
                if lane is None:
                    continue
                if lane.touch < self._touch_mark:
                    self._touch(lane)
                segments = lane.segments
                if segments:  # as _close
                    seg = segments[-1]
                    if seg.t1 is None:
                        seg.t1 = t
                        if seg.start_cpu is not None and y >= 0 and seg.state == "cpu":
                            seg.split = split(lane, seg, t, y, z)
                segments.append(Segment(t, states[a], None, (y, z) if y >= 0 else None))
                lane.starts.append(t)
            elif typ == _COUNT:
                count(pid, b, t, y)
            else:
                lock_event(pid, typ, b, ident, t, z)
        self.events += hot
        if last > self.last:
            self.last = last

    def _apply(self, pid, typ, a, b, ident, x, y, z, text) -> None:
        if typ == wire.HELLO:
            if self.t0_ns is None:
                self.t0_ns = x
                self.root_pid = pid
                self.meta.setdefault("machine", {}).setdefault("cores", z)
            return
        if self.t0_ns is None:
            return  # nothing before the run's start is meaningful
        self.events += 1
        t = (x - self.t0_ns) / 1e9
        if t > self.last:
            self.last = t
        if typ == wire.TASK:  # (state changes, lock events and counters: in apply)
            name = self._names.pop((pid, wire.TEXT_TASK, ident), f"task {ident}")
            lane = Lane((pid, ident), name, wire.TASK_KINDS[a], pid, t, parent=z,
                        variant=self._variant_ids.get((self.root_pid, b), "") if b else "")
            self.lanes[lane.key] = lane
            self._touch(lane)
        elif typ == wire.BIND:
            lane = self.lanes.get((pid, ident))
            if lane is not None:
                lane.tid = y
                self._lane_by_tid[(pid, y)] = lane
        elif typ == wire.END:
            lane = self.lanes.get((pid, ident))
            if lane is not None:
                self._touch(lane)
                self._close(lane, t, y, z)
                lane.end = t
        elif typ == wire.LOCK:
            name = self._names.pop((pid, wire.TEXT_LOCK, b), f"lock {b}")
            self.locks[(pid, b)] = LockTrace(name)
        elif typ == wire.TEXT:
            if a == wire.TEXT_INFO:
                self._merge_info(text)
            elif a == wire.TEXT_ERROR:
                self.error = _json_object(text)
            elif a == wire.TEXT_COUNTER:
                self._counter_names[(pid, ident)] = text
                self._series.clear()  # a counter's name may have changed: look each up again
            else:
                self._names[(pid, a, ident)] = text
        elif typ == wire.VARIANT:
            name = self._names.pop((pid, wire.TEXT_VARIANT, b), None) if a == 0 else self._variant_ids.get((pid, b))
            if a == 0:
                name = name or f"variant {b}"
                self._variant_ids[(pid, b)] = name
                self.variants[name] = Variant(name, t)
            elif name in self.variants:
                self.variants[name].end = t
        elif typ == wire.RUN_END:
            if pid == self.root_pid:
                self.ended = t

    def _name_of(self, names: dict, pid: int, ident: int, kind: str) -> str:
        """A name sent by this process, or by the root before this process was forked from it."""
        return names.get((pid, ident)) or names.get((self.root_pid, ident)) or f"{kind} {ident}"

    def _merge_info(self, text: str) -> None:
        for key, value in _json_object(text).items():
            if isinstance(value, dict) and isinstance(self.info.get(key), dict):
                self.info[key].update(value)
            else:
                self.info[key] = value

    def _touch(self, lane: Lane) -> None:
        if lane.touch < self._touch_mark:
            lane.touch = len(self.touched)
            self.touched.append(lane)

    def touched_since(self, index: int, epoch: int) -> tuple[list[Lane] | None, int, int]:
        """The lanes records changed since a reader's last call (``index``, ``epoch``: what that call returned;
        0, 0 at first): ``(lanes, index, epoch)``, lanes None when the log was started afresh meanwhile (read
        everything again). A lane changed several times between two reads is listed once or a few times."""
        if epoch != self.touch_epoch:
            return None, len(self.touched), self.touch_epoch
        if len(self.touched) > 4 * len(self.lanes) + 100_000:  # long live runs: keep the log bounded
            for lane in self.touched:
                lane.touch = -1
            self.touched.clear()
            self.touch_epoch += 1
            self._touch_mark = 0
            return None, 0, self.touch_epoch
        n = self._touch_mark = len(self.touched)
        return self.touched[index:n], n, epoch

    def _close(self, lane: Lane, t: float, on_cpu: int, run_queue: int) -> None:
        if not lane.segments:
            return
        seg = lane.segments[-1]
        if seg.t1 is not None:
            return
        seg.t1 = t
        if seg.state == "cpu" and seg.start_cpu is not None and on_cpu >= 0:
            seg.split = self._split(lane, seg, t, on_cpu, run_queue)

    def _split(self, lane: Lane, seg: Segment, t: float, on_cpu: int, run_queue: int) -> dict:
        """Divide a cpu stretch into running, waiting for a core, waiting for the GIL (see the module doc).
        (Comparisons instead of min and max: the same numbers, for less per state change.)"""
        s0 = seg.t0
        wall = t - s0
        if wall < 0.0:
            wall = 0.0
        start_on, start_queue = seg.start_cpu
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
        lock_wait = 0.0
        nested = lane.nested
        for o0, o1, state, _ in reversed(lane.overlays):  # newest first: spans are in order and never overlap,
            end = t if o1 is None else o1  # so none before one that ended by seg.t0 reaches into this stretch
            if end <= s0:
                if nested:  # nested locks: an outer span may start earlier and still reach in
                    continue
                break
            if state == "lock_wait":  # its overlap with the stretch (_overlap, inlined)
                overlap = (end if end <= t else t) - (o0 if o0 >= s0 else s0)
                if overlap > 0.0:
                    lock_wait += overlap
        rest = wall - on - queue - lock_wait
        if rest < 0.0:
            rest = 0.0
        waiting = "gil_wait" if (lane.kind not in _OWN_GIL and self._gil) else "wait"
        seg.split_wall = wall
        return {"cpu": on, "core_wait": queue, waiting: rest}

    def thread_sample(self, pid: int, tid: int, t_ns: int, on_cpu: int, run_queue: int) -> None:
        """A parent-side reading of a thread's scheduler counters: splits a cpu stretch while it is still open."""
        lane = self._lane_by_tid.get((pid, tid))
        if lane is None or not lane.segments or self.t0_ns is None:
            return
        seg = lane.segments[-1]
        if seg.t1 is None and seg.state == "cpu" and seg.start_cpu is not None:
            self._gil = self.gil_enabled
            seg.split = self._split(lane, seg, self.seconds(t_ns), on_cpu, run_queue)
            self._touch(lane)

    def _lock_event(self, pid: int, typ: int, lock_id: int, task: int, t: float, gave_up: int) -> None:
        locks = self.locks
        lock = locks.get((pid, lock_id)) or locks.get((self.root_pid, lock_id))
        if lock is None:  # a lock never announced (its events outlived the run's start)
            lock = locks[(pid, lock_id)] = LockTrace(f"lock {lock_id}")
        key = (pid, task)
        lane = self.lanes.get(key)
        if lane is not None and lane.touch < self._touch_mark:
            self._touch(lane)
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
                    self._waited(lock, t - hold.requested)
                del lock.open[key]
        lock.last_t = t  # lock.checkpoint(t), its common case inlined
        if len(lock.checkpoints) < CHECKPOINTS_EXACT or t - lock.checkpoint_times[-1] >= CHECKPOINT_EVERY_S:
            lock.checkpoint(t)

    @staticmethod
    def _waited(lock: LockTrace, seconds: float) -> None:
        lock.wait_s += seconds
        lock.longest_wait_s = max(lock.longest_wait_s, seconds)

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

    def _count(self, pid: int, ident: int, t: float, value: int) -> None:
        series = self._series.get((pid, ident))
        if series is None:
            name = self._name_of(self._counter_names, pid, ident, "counter")
            series = self._series[(pid, ident)] = (name, self.counters.setdefault(name, []))
        name, values = series
        if not values:
            values.append((t, value))
        elif t < values[-1][0]:  # measured earlier, flushed later (another process or thread)
            bisect.insort(values, (t, value))
        elif t - values[-1][0] < COUNTER_GAP_S:
            values[-1] = (t, value)
        else:
            values.append((t, value))
        if value > self.counter_peaks.get(name, value - 1):
            self.counter_peaks[name] = value

    def add_sample(self, sample: Sample) -> None:
        self.samples.append(sample)
        self.sample_times.append(sample.t)
        for attr, highs in self._peaks.items():  # running maxima: peak() answers by bisect
            value = getattr(sample, attr)
            highs.append(max(highs[-1], value) if highs else value)
        if sample.t > self.last:
            self.last = sample.t

    def add_output(self, t: float, line: str) -> None:
        if len(self.output) >= MAX_OUTPUT_LINES:
            self.output_dropped += 1
            del self.output[: MAX_OUTPUT_LINES // 2]
        self.output.append((t, line))

    def load_notes(self) -> list[str]:
        """What the model aggregated rather than kept one by one (shown on screen, never hidden)."""
        notes = []
        if self.folded_spans:
            notes.append(f"{self.folded_spans:,} older lock spans are drawn from 50 ms buckets")
        dropped = sum(lock.dropped for lock in self.locks.values())
        if dropped:
            notes.append(f"{dropped:,} lock acquisitions are counted in the totals but not kept one by one")
        if self.output_dropped:
            notes.append(f"{self.output_dropped:,} older output lines were dropped")
        return notes

    # ------------------------------------------------------------------------------------------ reading

    @property
    def python(self) -> dict:
        """The interpreter the scenario ran on: what the session knew before the start, updated by what the child
        reported of itself (whether the GIL is on after the scenario's imports, its executable)."""
        known = self.meta.get("python")
        reported = self.info.get("python")
        merged = dict(known) if isinstance(known, dict) else {}
        if isinstance(reported, dict):
            merged.update(reported)
        return merged

    @property
    def gil_enabled(self) -> bool:
        return self.python.get("gil", "enabled") == "enabled"

    @property
    def duration(self) -> float:
        """The run's length so far: to its end if it ended, else to the latest event or sample."""
        return self.ended if self.ended is not None else self.last

    def ordered_lanes(self, now: float | None = None, variant: str | None = None) -> list[Lane]:
        """Lanes in the order they started (those started by ``now``; of one variant if given)."""
        if len(self._order) != len(self.lanes):  # a lane was added: sort again (a lane's start never changes)
            self._order = sorted(self.lanes.values(), key=lambda lane: (lane.start, lane.key))
            self._order_starts = [lane.start for lane in self._order]
        lanes = self._order if now is None else self._order[: bisect.bisect_right(self._order_starts, now)]
        return [lane for lane in lanes if lane.variant == variant] if variant is not None else list(lanes)

    def lane_states(self, lane: Lane, now: float | None = None) -> dict[str, float]:
        """Seconds the lane spent in each state up to ``now``.

        Everything before the lane's last closed stretch is final, so its totals are kept (``lane.prefix``) and
        a later question only adds what came since: a frame costs the same early and late in a long run."""
        now = self.duration if now is None else now
        final = _final_until(lane)
        if lane.prefix is None or now < lane.prefix[0] or final < lane.prefix[0]:
            if final <= lane.start or now < final:
                return _with_folded(lane, _state_times(lane, lane.start, now, now), now)
            lane.prefix = (final, _state_times(lane, lane.start, final, final))
        elif final > lane.prefix[0]:
            lane.prefix = (final, _added(lane.prefix[1], _state_times(lane, lane.prefix[0], final, final)))
        cut, before = lane.prefix
        return _with_folded(lane, _added(before, _state_times(lane, cut, now, now)), now)

    def cells(self, lane: Lane, t0: float, t1: float, n: int, now: float) -> tuple[list, list]:
        """The dominant state in each of ``n`` equal cells from ``t0`` to ``t1`` (None: the lane was not alive),
        and for each cell whether a traced lock was acquired in it."""
        width = (t1 - t0) / n
        states = _dither(self.cell_times(lane, t0, t1, n, now))
        marked = [False] * n
        for m in lane.marks[bisect.bisect_left(lane.marks, t0):bisect.bisect_left(lane.marks, min(t1, now))]:
            marked[min(int((m - t0) / width), n - 1)] = True
        return states, marked

    def cell_times(self, lane: Lane, t0: float, t1: float, n: int, now: float) -> list[dict | None]:
        """Seconds per state in each of ``n`` equal cells from ``t0`` to ``t1`` (None: the lane was not alive);
        a lock span weighs a little more than the base state under it, so that it wins a cell it fills."""
        width = (t1 - t0) / n
        times: list[dict | None] = [None] * n  # a cell's times by state, made only where the lane has some
        end = min(lane.end if lane.end is not None else now, now)
        i = max(bisect.bisect_right(lane.starts, t0) - 1, 0)
        for seg in lane.segments[i:]:
            if seg.t0 >= t1 or seg.t0 >= end:
                break
            s1 = min(seg.t1 if seg.t1 is not None else end, end, t1)
            s0 = max(seg.t0, t0)
            if s1 <= s0:
                continue
            shares = _shares(seg)
            _spread(times, t0, width, s0, s1, shares)
        for o0, o1, state, _ in _overlays_in(lane, t0, t1):
            o1 = min(o1 if o1 is not None else end, end)
            _spread(times, t0, width, max(o0, t0), min(o1, t1), ((state, 1.0),), weight=_OVERLAY_WEIGHT)
        for b in _buckets_in(lane.folded, t0, t1):
            waited, held = lane.folded[b]
            _spread(times, t0, width, b * FOLD_S, (b + 1) * FOLD_S,
                    (("lock_wait", waited / FOLD_S), ("lock_hold", held / FOLD_S)))
        return times

    def lock_stats(self, now: float | None = None) -> list[LockStats]:
        """Each lock's statistics as they stood at ``now``."""
        now = self.duration if now is None else now
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

    def counter(self, name: str, now: float | None = None) -> int | None:
        """The counter's latest value at ``now``."""
        values = self.counters.get(name)
        if not values:
            return None
        if now is None:
            return values[-1][1]
        i = bisect.bisect_right(values, (now, float("inf"))) - 1
        return values[i][1] if i >= 0 else None

    def counter_peak(self, name: str) -> int | None:
        """The counter's highest value in the whole run (kept exactly, even where the series is thinned)."""
        return self.counter_peaks.get(name)

    def sample_at(self, now: float) -> Sample | None:
        i = bisect.bisect_right(self.sample_times, now) - 1
        return self.samples[i] if i >= 0 else None

    def samples_between(self, t0: float, t1: float) -> list[Sample]:
        return self.samples[bisect.bisect_left(self.sample_times, t0) : bisect.bisect_right(self.sample_times, t1)]

    def core_means(self, t0: float = 0.0, t1: float | None = None) -> list[float]:
        """Mean busy % per core over the run (or a window)."""
        window = self.samples_between(t0, self.duration if t1 is None else t1)
        if not window:
            return []
        n = len(window[0].cores)
        return [sum(s.cores[i] for s in window) / len(window) for i in range(n)]

    def peak(self, attr: str, now: float | None = None) -> float:
        i = bisect.bisect_right(self.sample_times, self.duration if now is None else now) - 1
        if attr not in self._peaks:
            return max((getattr(s, attr) for s in self.samples[: i + 1]), default=0)
        return self._peaks[attr][i] if i >= 0 else 0

    def _start_method(self) -> dict:
        """``start_method`` {``used``, ``default``}: how a run with worker processes started them (none without)."""
        used, default = self.info.get("start_method"), self.info.get("default_start_method")
        return {"start_method": {"used": used, "default": default}} if isinstance(used, str) else {}

    def summary(self) -> dict:
        """The run as one JSON-able object (``concviz run --headless --json``)."""
        now = self.duration
        lanes = self.ordered_lanes()
        metrics = lessons.metrics(self, now)
        summary = {
            "scenario": self.meta.get("scenario"),
            "params": self.meta.get("params", {}),
            "seed": self.meta.get("seed"),
            "python": self.python,
            "machine": self.meta.get("machine", {}),
            **self._start_method(),
            "wall_s": round(now, 6),
            "tasks": [
                {
                    "name": lane.name,
                    "kind": lane.kind,
                    "pid": lane.pid,
                    "variant": lane.variant or None,
                    "start_s": round(lane.start, 6),
                    "end_s": round(lane.end, 6) if lane.end is not None else None,
                    "states": {k: round(v, 6) for k, v in self.lane_states(lane, now).items() if v > 0},
                }
                for lane in lanes
            ],
            "locks": [
                {
                    "name": s.name,
                    "acquisitions": s.acquisitions,
                    "wait_s": round(s.wait_s, 6),
                    "hold_s": round(s.hold_s, 6),
                    "max_waiters": s.max_waiters,
                }
                for s in self.lock_stats(now)
            ],
            "cores": {
                "count": self.meta.get("machine", {}).get("cores"),
                "busy_pct_mean": [round(v, 1) for v in self.core_means()],
            },
            "counters": {name: values[-1][1] for name, values in self.counters.items()},
            "load_notes": self.load_notes(),
            "warnings": lessons.measurement_warnings(self, now),
            "metrics": metrics,
            "explanation": lessons.explain(self, now),
            "results": self.info.get("results"),
            "error": self.error,
            "exit": self.exit,
        }
        if "variants" in metrics:  # a comparison run: its table of variants at the top level
            summary["variants"] = metrics.pop("variants")
        return summary


# ---------------------------------------------------------------------------------------------- helpers

_STATE, _COUNT, _LOCK_REQUEST, _LOCK_ACQUIRED = wire.STATE, wire.COUNT, wire.LOCK_REQUEST, wire.LOCK_ACQUIRED
_OWN_GIL = frozenset(("process", "interpreter"))  # lanes that never wait for another lane's GIL
_FOLD_PAST = LANE_OVERLAYS + 1000  # a lane keeping more lock spans than this folds its oldest thousand
_HOT = frozenset((wire.STATE, wire.COUNT, wire.LOCK_REQUEST, wire.LOCK_ACQUIRED, wire.LOCK_RELEASED))
_OVERLAY_WEIGHT = 1.001  # a lock span covering as much of a cell as the base state wins it (as in the label)


_span_start = operator.itemgetter(0)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _shares(seg: Segment) -> tuple[tuple[str, float], ...]:
    if seg.split:
        total = seg.split_wall or sum(seg.split.values())
        if total > 0:
            return tuple((k, v / total) for k, v in seg.split.items() if v > 0)
    return ((seg.state, 1.0),)


def _spread(times: list[dict | None], t0: float, width: float, s0: float, s1: float, shares, weight: float = 1.0) -> None:
    """Add the stretch s0..s1, divided by ``shares``, to the cells it covers."""
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
        for state, share in shares:
            cell[state] = cell.get(state, 0.0) + covered * share * weight


SPLIT_STATES = frozenset(("cpu", "gil_wait", "core_wait", "wait"))


def _dither(times: list[dict | None], carry: dict | None = None, carries: list | None = None) -> list[str | None]:
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
            top = max(cell, key=cell.get)
            parts = {k: v for k, v in cell.items() if k in SPLIT_STATES}
            total = sum(parts.values())
            if top not in SPLIT_STATES or len(parts) < 2 or total <= 0:
                out.append(top)
                carry.clear()
            else:
                for k, v in parts.items():
                    carry[k] = carry.get(k, 0.0) + v / total
                pick = max(carry, key=carry.get)
                carry[pick] -= 1.0
                out.append(pick)
        if carries is not None:
            carries.append(dict(carry) if carry else None)
    return out


def _buckets_in(folded: dict, t0: float, t1: float):
    if not folded:
        return ()
    first, last = int(t0 / FOLD_S), int(t1 / FOLD_S)
    if last - first > len(folded):
        return sorted(b for b in folded if first <= b <= last)
    return [b for b in range(first, last + 1) if b in folded]


def _overlays_in(lane: Lane, t0: float, t1: float):
    """The lane's lock spans reaching into t0..t1 (spans are kept in order and never overlap: bisect to the first)."""
    overlays = lane.overlays
    first = 0 if lane.nested else max(bisect.bisect_right(overlays, t0, key=_span_start) - 1, 0)
    for i in range(first, len(overlays)):
        o = overlays[i]
        if o[0] >= t1:
            break
        if o[1] is None or o[1] > t0:
            yield o


def _state_times(lane: Lane, t0: float, t1: float, now: float) -> dict[str, float]:
    """Seconds per state in t0..t1, lock spans folded into buckets left out (``_with_folded`` adds them).
    A lock wait is time blocked, not running: it replaces the base state it falls in (a measured cpu stretch
    leaves it out of its split already); a lock hold overlays the base state. Windows add up: the seconds of
    a..b and b..c are those of a..c."""
    totals: dict[str, float] = {}
    end = min(lane.end if lane.end is not None else now, now)
    for seg in lane.segments[max(bisect.bisect_right(lane.starts, t0) - 1, 0):]:
        if seg.t0 >= t1:
            break
        s1 = min(seg.t1 if seg.t1 is not None else end, end, t1)
        s0 = max(seg.t0, t0)
        if s1 <= s0:
            continue
        for state, share in _shares(seg):
            totals[state] = totals.get(state, 0.0) + (s1 - s0) * share
        if not seg.split:
            blocked = sum(_overlap(o[0], o[1] if o[1] is not None else end, s0, s1)
                          for o in _overlays_in(lane, s0, s1) if o[2] == "lock_wait")
            totals[seg.state] -= min(blocked, s1 - s0)
    for o0, o1, state, _ in _overlays_in(lane, t0, t1):
        o1 = min(o1 if o1 is not None else end, end, t1)
        if o1 > max(o0, t0):
            totals[state] = totals.get(state, 0.0) + o1 - max(o0, t0)
    return totals


def _final_until(lane: Lane) -> float:
    """Up to when the lane's base states can no longer change: the end of its last closed stretch."""
    for seg in reversed(lane.segments[-2:]):
        if seg.t1 is not None:
            return seg.t1
    return lane.start


def _added(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + v
    return out


def _with_folded(lane: Lane, totals: dict, now: float) -> dict:
    """Add the lock spans folded into 50 ms buckets (hot locks), each bucket counted once, up to ``now``."""
    if lane.folded:
        end = min(lane.end if lane.end is not None else now, now)
        for b in _buckets_in(lane.folded, lane.start, end):
            waited, held = lane.folded[b]
            totals["lock_wait"] = totals.get("lock_wait", 0.0) + waited
            totals["lock_hold"] = totals.get("lock_hold", 0.0) + held
    return totals


def _json_object(text: str) -> dict:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}

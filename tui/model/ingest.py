"""What was measured in one run, and how it comes in: decoded records from the child, samples from the parent.

``TraceData.apply`` takes the child's records (tui.stream) as the session or a trace file delivers them, in
batches; ``add_sample``, ``thread_sample`` and ``add_output`` what the parent itself saw. Each record changes a
lane (tui/model/lanes.py), a lock (tui/model/locks.py), a counter or the run's facts. The questions asked of
all this are ``Trace``'s (tui/model/trace.py).
"""

from __future__ import annotations

import bisect
import gc
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scenarios import wire
from tui.model.lanes import OWN_GIL, Changes, Lane, Segment, Variant, split_cpu
from tui.model.locks import LockBook, LockTrace

COUNTER_GAP_S = 0.001  # counter values closer than this replace each other (peaks are kept exactly)
MAX_OUTPUT_LINES = 2_000

# A decoded record (tui.stream): pid, type, a, b, id, x, y, z (scenarios/wire.py says what each type puts in them),
# and a TEXT record's text (None for the others)
Record = tuple[int, int, int, int, int, int, int, int, str | None]

_STATE, _COUNT = wire.STATE, wire.COUNT
_HOT = frozenset((wire.STATE, wire.COUNT, wire.LOCK_REQUEST, wire.LOCK_ACQUIRED, wire.LOCK_RELEASED))


@dataclass(frozen=True, slots=True)
class Sample:
    """One look at the machine, the scenario's process tree and concviz's own process (the parent's sampler)."""

    t: float
    cores: tuple[float, ...]  # busy % per core
    proc_cores: float  # the scenario tree's CPU use, in cores
    threads: int  # OS threads in the scenario tree
    rss: int  # bytes, summed over the tree
    ctx_switches: int  # cumulative, over the tree
    processes: int = 1
    own_cores: float | None = None  # concviz's own CPU use, in cores; None: not measured (trace format before 5)


class TraceData:
    """Everything measured in one run, as it arrives."""

    def __init__(self, meta: dict[str, Any] | None = None) -> None:
        self.meta: dict[str, Any] = dict(meta or {})
        self.t0_ns: int | None = None
        self.lanes: dict[tuple[int, int], Lane] = {}
        self.changes = Changes()  # lanes in the order records changed them (read with ``Trace.touched_since``)
        self.lock_book = LockBook(self.lanes, self.changes)
        self.locks: dict[tuple[int, int], LockTrace] = self.lock_book.locks
        self.variants: dict[str, Variant] = {}  # in the order they ran
        self.counters: dict[str, list[tuple[float, int]]] = {}
        self.counter_peaks: dict[str, int] = {}
        self.output_dropped = 0
        self.samples: list[Sample] = []
        self.sample_times: list[float] = []
        self._peaks: dict[str, list[float]] = {"proc_cores": [], "threads": [], "rss": [], "processes": []}
        self.output: list[tuple[float, str]] = []
        self.info: dict[str, Any] = {}
        self.error: dict[str, Any] | None = None
        self.exit: dict[str, Any] | None = None  # {"status": int, "signal": name|None, "reason": str}
        self.ended: float | None = None  # the scenario's own end (RUN_END), seconds
        self.last: float = 0.0  # the latest time seen in any event or sample
        self.events = 0
        self.root_pid: int | None = None
        self._names: dict[tuple[int, int, int], str] = {}
        self._counter_names: dict[tuple[int, int], str] = {}
        # (pid, counter id) -> (name, its values)
        self._series: dict[tuple[int, int], tuple[str, list[tuple[float, int]]]] = {}
        self._variant_ids: dict[tuple[int, int], str] = {}
        self._gil = True  # gil_enabled, as of the latest batch (what split_cpu calls the rest of a cpu stretch)
        self._lane_by_tid: dict[tuple[int, int], Lane] = {}

    @property
    def python(self) -> dict[str, Any]:
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
        gil: object = self.python.get("gil", "enabled")
        return gil == "enabled"

    def seconds(self, t_ns: int) -> float:
        return (t_ns - self.t0_ns) / 1e9 if self.t0_ns is not None else 0.0

    def apply(self, records: Iterable[Record]) -> None:
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

    def _apply_records(self, records: Iterable[Record]) -> None:
        """The frequent kinds (state changes, lock events, counters) are handled here with local names; the rest
        go through ``_apply``."""
        lanes, states, changes, lock_event, count = self.lanes, wire.STATES, self.changes, self.lock_book.event, \
            self._count
        hot, last, t0 = 0, self.last, self.t0_ns
        gil = self._gil = self.gil_enabled  # for split_cpu: read once per batch, not per cpu stretch
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
                if lane.touch < changes.mark:
                    changes.touch(lane)
                segments = lane.segments
                if segments:  # as _close
                    seg = segments[-1]
                    if seg.t1 is None:
                        seg.t1 = t
                        start = seg.start_cpu
                        if start is not None and y >= 0 and seg.state == "cpu":
                            if lane.waited != seg.waited_before or lane.kind in OWN_GIL or not gil or z < 0 or \
                                    lane.overlays and lane.overlays[-1][1] is None:
                                seg.split = split_cpu(lane, seg, start, t, y, z, gil)
                            else:  # split_cpu where no lock waits can be inside, inlined: the common case
                                wall = t - seg.t0
                                if wall < 0.0:
                                    wall = 0.0
                                on = (y - start[0]) / 1e9
                                if on < 0.0:
                                    on = 0.0
                                elif on > wall:
                                    on = wall
                                queue = (z - start[1]) / 1e9 if start[1] >= 0 else 0.0
                                if queue < 0.0:
                                    queue = 0.0
                                elif queue > wall - on:
                                    queue = wall - on
                                seg.split_wall = wall
                                seg.split = {"cpu": on, "core_wait": queue, "gil_wait": wall - on - queue}
                segments.append(Segment(t, states[a], None, (y, z) if y >= 0 else None, None, 0.0, lane.waited))
                lane.starts.append(t)
            elif typ == _COUNT:
                count(pid, b, t, y)
            else:
                lock_event(pid, typ, b, ident, t, z)
        self.events += hot
        if last > self.last:
            self.last = last

    def _apply(self, pid: int, typ: int, a: int, b: int, ident: int, x: int, y: int, z: int, text: str | None) -> None:
        lane: Lane | None
        name: str | None
        if typ == wire.HELLO:
            if self.t0_ns is None:
                self.t0_ns = x
                self.root_pid = self.lock_book.root_pid = pid
                self.meta.setdefault("machine", {}).setdefault("cores", z)
            return
        root = self.root_pid  # (set with t0_ns, by the HELLO)
        if self.t0_ns is None or root is None:
            return  # nothing before the run's start is meaningful
        self.events += 1
        t = (x - self.t0_ns) / 1e9
        if t > self.last and typ != wire.LOCK_SUM_WAITS:
            self.last = t
        if typ == wire.TASK:  # (state changes, lock events and counters: in apply)
            name = self._names.pop((pid, wire.TEXT_TASK, ident), f"task {ident}")
            lane = Lane((pid, ident), name, wire.TASK_KINDS[a], pid, t, parent=z,
                        variant=self._variant_ids.get((root, b), "") if b else "")
            self.lanes[lane.key] = lane
            self.changes.touch(lane)
            self.lock_book.lanes_changed()
        elif typ == wire.BIND:
            lane = self.lanes.get((pid, ident))
            if lane is not None:
                lane.tid = y
                self._lane_by_tid[(pid, y)] = lane
        elif typ == wire.END:
            lane = self.lanes.get((pid, ident))
            if lane is not None:
                self.changes.touch(lane)
                self._close(lane, t, y, z)
                lane.end = t
        elif typ == wire.LOCK:
            name = self._names.pop((pid, wire.TEXT_LOCK, b), f"lock {b}")
            self.locks[(pid, b)] = LockTrace(name)
        elif typ == wire.TEXT and text is not None:
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
        elif typ == wire.LOCK_SUM:  # t: where the count starts; y: its latest clock reading (ns)
            until = self.seconds(y)
            self.lock_book.counted(pid, b, ident, t, until, z)
            self.last = max(self.last, until)
        elif typ == wire.LOCK_SUM_WAITS:  # ns: the longest wait, all waits; how many waited (x is no time)
            self.lock_book.counted_waits(pid, b, ident, x / 1e9, y / 1e9, z)
        elif typ == wire.LOCK_TAKEN:  # requested (t), acquired, released
            released = self.seconds(z)
            self.lock_book.taken(pid, b, ident, t, self.seconds(y), released)
            self.last = max(self.last, released)

    def _name_of(self, names: dict[tuple[int, int], str], pid: int, ident: int, kind: str) -> str:
        """A name sent by this process, or by the root before this process was forked from it."""
        root = self.root_pid if self.root_pid is not None else pid
        return names.get((pid, ident)) or names.get((root, ident)) or f"{kind} {ident}"

    def _merge_info(self, text: str) -> None:
        for key, value in _json_object(text).items():
            if isinstance(value, dict) and isinstance(self.info.get(key), dict):
                self.info[key].update(value)
            else:
                self.info[key] = value

    def _close(self, lane: Lane, t: float, on_cpu: int, run_queue: int) -> None:
        if not lane.segments:
            return
        seg = lane.segments[-1]
        if seg.t1 is not None:
            return
        seg.t1 = t
        if seg.state == "cpu" and seg.start_cpu is not None and on_cpu >= 0:
            seg.split = split_cpu(lane, seg, seg.start_cpu, t, on_cpu, run_queue, self._gil)

    def thread_sample(self, pid: int, tid: int, t_ns: int, on_cpu: int, run_queue: int) -> None:
        """A parent-side reading of a thread's scheduler counters: splits a cpu stretch while it is still open."""
        lane = self._lane_by_tid.get((pid, tid))
        if lane is None or not lane.segments or self.t0_ns is None:
            return
        seg = lane.segments[-1]
        if seg.t1 is None and seg.state == "cpu" and seg.start_cpu is not None:
            seg.split = split_cpu(lane, seg, seg.start_cpu, self.seconds(t_ns), on_cpu, run_queue, self._gil)  # _gil:
            self.changes.touch(lane)  # as of the latest apply (a batch's samples come after its records)

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
        for attr, highs in self._peaks.items():  # running maxima: Trace.peak answers by bisect
            value = getattr(sample, attr)
            highs.append(max(highs[-1], value) if highs else value)
        if sample.t > self.last:
            self.last = sample.t

    def probe_notes(self) -> list[str]:
        """What the child's probe reported of its own load: how often the scenario waited for room in its buffer
        while concviz read slower than events came (scenarios/probe.py, _make_room)."""
        probe = self.info.get("probe")
        if not isinstance(probe, dict) or not probe.get("waited_for_room"):
            return []
        return [f"the scenario waited {probe['waited_for_room']:,} times ({probe.get('waited_s', 0):.3f} s in all) "
                "for concviz to read its events"]

    def add_output(self, t: float, line: str) -> None:
        if len(self.output) >= MAX_OUTPUT_LINES:
            self.output_dropped += 1
            del self.output[: MAX_OUTPUT_LINES // 2]
        self.output.append((t, line))


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}

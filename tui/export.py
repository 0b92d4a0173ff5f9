"""Export a trace as Chrome Trace Event Format JSON, for ui.perfetto.dev and chrome://tracing.

What goes where (timestamps ``ts`` and durations ``dur`` in microseconds from the run's start):
- a process per scenario process (``process_name``: the scenario, then "process PID" for workers), sorted root first;
- per lane, a thread named after the lane (``thread_name``, small sequential tids in the order lanes started) with one
  complete ``X`` event per base state. A cpu stretch is one event named by its dominant part, as on the run screen,
  with the measured split in its args (``cpu_s``, ``gil_wait_s``, ``core_wait_s``, ``wait_s``): the scheduler
  counters say how long each part took, not when inside the stretch, so the export does not invent an order;
- per lane that used traced locks, a thread "<lane> locks" with its ``lock_wait`` and ``lock_hold`` events
  (args: the lock's name). They overlap the base states, hence their own track; nested locks get "<lane> locks 2"...
- a thread "variants" with one event per variant of a comparison run;
- counters (``C``) on the scenario's process: "core busy %" (one series per core), "scenario CPU (cores)",
  and each counter the scenario kept (progress, in_flight, ...);
- lock hand-offs as flow events (``s`` then ``f``): from a hold to the next hold of the same lock by a lane that was
  already waiting when it was released.
Where the model kept only totals (a hot lock's older spans folded into 50 ms buckets), the export shows those totals
as a counter per lane ("<lane> lock ms per 50 ms (folded)") and lists the model's notes in ``otherData.notes``.
The JSON is strict: a value that is not a finite number is written as null and listed in ``otherData.non_finite``
(with a note); a file cut short exports what it has, with ``otherData.truncated`` and ``otherData.notice``.

Interpreters compared (a tui.runs.Runs): every run as above, one after another on one time line (each from where
the one before it ended, as the comparison screen's clock has them); its processes are named after the scenario
and the interpreter ("NAME under 3.12"), a thread "run" in its main process holds one event for the whole
run with its interpreter in the args, and ``otherData.runs`` lists each run's interpreter, start, length, exit and
notes. Thread ids never repeat across runs; a pid that an earlier run used too is moved up by a multiple of 2^22
(above any Linux pid) so that two runs' processes never merge, and ``otherData.runs[i].pids_moved`` says so.
"""

from __future__ import annotations

from tui import __version__
from tui.model import FOLD_S, Trace
from tui.model.cells import stretch_state
from tui.model.lanes import alive_until, ends_by, span_start
from tui.runs import Runs
from tui.text import mark_non_finite, strict_json
from tui.tracefile import write_atomic

PID_SHIFT = 1 << 22  # above Linux's largest pid (pid_max is at most 2^22)


def write_chrome_trace(trace: Trace | Runs, path) -> int:
    """Write the trace's Chrome JSON atomically; returns the number of events written."""
    doc = chrome_trace(trace)
    write_atomic(path, [to_json(doc).encode()])
    return len(doc["traceEvents"])


def to_json(doc: dict) -> str:
    """``chrome_trace``'s object as strict JSON: a value that is not a finite number (a header may say anything) is
    written as null, listed in ``otherData.non_finite`` and noted in ``otherData.notes``."""
    return strict_json(doc, _mark_non_finite, separators=(",", ":"))


def _mark_non_finite(doc: dict, paths: list[str]) -> None:
    other = doc.setdefault("otherData", {})
    mark_non_finite(other, paths)
    notes = other.get("notes") if isinstance(other.get("notes"), list) else []
    shown = ", ".join(paths[:5]) + (", ..." if len(paths) > 5 else "")
    other["notes"] = [*notes, f"{len(paths)} value(s) that were not finite numbers (NaN or Infinity) are written as "
                              f"null: {shown}"]


def chrome_trace(trace: Trace | Runs) -> dict:
    """The Chrome Trace Event JSON object for ``trace`` (or for every run of an interpreters comparison)."""
    if isinstance(trace, Runs):
        return _runs_trace(trace)
    return {
        "traceEvents": _Exporter(trace).events(),
        "displayTimeUnit": "ms",
        "otherData": {
            "generator": f"concviz {__version__}",
            **{k: trace.meta.get(k) for k in ("scenario", "params", "seed", "python", "machine", "started")},
            "exit": trace.exit,
            "notes": trace.load_notes() if hasattr(trace, "load_notes") else [],
            **_cut_short(trace.meta),
        },
    }


def _cut_short(meta: dict) -> dict:
    """``truncated`` and ``notice`` for a file that ended early (tui.tracefile): what it has is exported, saying so."""
    return {"truncated": True, "notice": meta.get("notice")} if meta.get("truncated") else {}


def _runs_trace(runs: Runs) -> dict:
    events: list[dict] = []
    about = []
    used: set[int] = set()
    next_tid = 1
    for i, (label, trace, offset) in enumerate(zip(runs.labels, runs, runs.offsets())):
        if not runs.started(i):
            about.append({"label": label, "python": trace.python, "start_s": None, "duration_s": 0.0,
                          "exit": trace.exit, "notes": []})
            continue
        exporter = _Exporter(trace, title=f"{trace.meta.get('scenario') or 'scenario'} under {label}",
                             first_tid=next_tid, run=(label, trace.python))
        own = exporter.events()
        next_tid = exporter.next_tid
        pids = {e["pid"] for e in own}
        shift = 0
        while {p + shift for p in pids} & used:
            shift += PID_SHIFT
        used |= {p + shift for p in pids}
        start = _us(offset)
        for e in own:
            e["pid"] += shift
            if "ts" in e:
                e["ts"] = round(e["ts"] + start, 3)
        events += own
        about.append({"label": label, "python": trace.python, "start_s": round(offset, 9),
                      "duration_s": round(trace.duration, 9), "exit": trace.exit, "notes": trace.load_notes(),
                      **({"pids_moved": shift} if shift else {})})
    meta = [e for e in events if e["ph"] == "M"]
    body = sorted((e for e in events if e["ph"] != "M"), key=lambda e: e["ts"])
    return {
        "traceEvents": meta + body,
        "displayTimeUnit": "ms",
        "otherData": {
            "generator": f"concviz {__version__}",
            **{k: runs.meta.get(k) for k in ("scenario", "params", "seed", "machine", "started")},
            "exit": runs.exit,
            "runs": about,
            **_cut_short(runs.meta),
        },
    }


FOLD_MS = round(FOLD_S * 1000)


def _us(seconds: float) -> float:
    """Seconds to microseconds, to the nanosecond."""
    return round(seconds * 1e6, 3)


class _Exporter:
    def __init__(self, trace: Trace, title: str | None = None, first_tid: int = 1, run: tuple | None = None) -> None:
        self.trace = trace
        self.title = title  # the main process's name (default: the scenario's)
        self.run = run  # (label, python): a thread "run" holding the whole run (interpreters compared)
        self.end = trace.duration
        self.meta: list[dict] = []
        self.body: list[dict] = []
        self.next_tid = first_tid
        self.hold_tracks: dict[tuple, int] = {}  # (lane key, lock name, acquired) -> tid of its lock_hold event
        lanes = trace.ordered_lanes()
        self.root = trace.root_pid if trace.root_pid is not None else (lanes[0].pid if lanes else 1)

    def events(self) -> list[dict]:
        trace = self.trace
        lanes = trace.ordered_lanes()
        pids = [self.root] + sorted({lane.pid for lane in lanes} - {self.root})
        scenario = self.title or trace.meta.get("scenario") or "scenario"
        for i, pid in enumerate(pids):
            name = scenario if pid == self.root else f"{scenario}: process {pid}"
            self.meta.append(_meta("process_name", pid, 0, name))
            self.meta.append(_meta("process_sort_index", pid, 0, i, key="sort_index"))
        if self.run is not None:
            label, python = self.run
            tid = self._thread(self.root, "run")
            self._slice(self.root, tid, f"Python {python.get('version', '?')} ({label})", 0.0, self.end, "run",
                        {"python": python, "exit": trace.exit})
        for lane in lanes:
            self._lane(lane)
        self._variants()
        self._counters()
        self._hand_offs()
        self.body.sort(key=lambda e: e["ts"])
        return self.meta + self.body

    def _thread(self, pid: int, name: str) -> int:
        tid = self.next_tid
        self.next_tid += 1
        self.meta.append(_meta("thread_name", pid, tid, name))
        self.meta.append(_meta("thread_sort_index", pid, tid, tid, key="sort_index"))
        return tid

    def _slice(self, pid: int, tid: int, name: str, t0: float, t1: float, cat: str, args: dict | None = None):
        ts = _us(t0)
        event = {"ph": "X", "name": name, "cat": cat, "pid": pid, "tid": tid, "ts": ts,
                 "dur": max(round(_us(t1) - ts, 3), 0.0)}
        if args:
            event["args"] = args
        self.body.append(event)

    def _lane(self, lane) -> None:
        tid = self._thread(lane.pid, lane.name)
        end = alive_until(lane, self.end)
        for seg in lane.segments:
            t1 = ends_by(seg.t1, end)
            if seg.state == "done" or t1 < seg.t0:
                continue
            args = {f"{part}_s": round(s, 9) for part, s in seg.split.items()} if seg.split else None
            self._slice(lane.pid, tid, stretch_state(seg), seg.t0, t1, "state", args)
        self._locks(lane, end)

    def _locks(self, lane, end: float) -> None:
        """The lane's lock waits and holds, on as few extra tracks as keep them from overlapping."""
        tracks: list[tuple[int, float]] = []  # (tid, where its last event ends)
        for t0, t1, state, lock in sorted(lane.overlays, key=span_start):
            t1 = ends_by(t1, end)
            if t1 < t0:
                continue
            free = next((i for i, (_, until) in enumerate(tracks) if _us(until) <= _us(t0)), None)
            if free is None:
                n = len(tracks) + 1
                tracks.append((self._thread(lane.pid, f"{lane.name} locks" + (f" {n}" if n > 1 else "")), t1))
                free = n - 1
            tid = tracks[free][0]
            tracks[free] = (tid, t1)
            self._slice(lane.pid, tid, state, t0, t1, "lock", {"lock": lock})
            if state == "lock_hold":
                self.hold_tracks[(lane.key, lock, t0)] = tid
        for bucket in sorted(getattr(lane, "folded", {})):  # older spans of a hot lock, kept only as totals
            waited, held = lane.folded[bucket]
            self.body.append({"ph": "C", "name": f"{lane.name} lock ms per {FOLD_MS} ms (folded)", "pid": lane.pid,
                              "ts": _us(bucket * FOLD_MS / 1000), "args": {"wait": round(waited * 1000, 3),
                                                                          "hold": round(held * 1000, 3)}})

    def _variants(self) -> None:
        if not self.trace.variants:
            return
        tid = self._thread(self.root, "variants")
        for v in self.trace.variants.values():
            self._slice(self.root, tid, v.name, v.start, v.end if v.end is not None else self.end, "variant")

    def _counters(self) -> None:
        pid = self.root
        for s in self.trace.samples:
            ts = _us(s.t)
            self.body.append({"ph": "C", "name": "core busy %", "pid": pid, "ts": ts,
                              "args": {f"core {i}": round(v, 1) for i, v in enumerate(s.cores)}})
            self.body.append({"ph": "C", "name": "scenario CPU (cores)", "pid": pid, "ts": ts,
                              "args": {"cores": round(s.proc_cores, 3)}})
        for name, values in self.trace.counters.items():
            for t, value in values:
                self.body.append({"ph": "C", "name": name, "pid": pid, "ts": _us(t), "args": {name: value}})

    def _hand_offs(self) -> None:
        flow = 0
        for (pid, _), lock in self.trace.locks.items():
            holds = sorted((h for h in lock.holds if h.acquired is not None), key=lambda h: h.acquired)
            for given, taken in zip(holds, holds[1:]):
                if given.released is None or not (taken.requested <= given.released <= taken.acquired):
                    continue
                src = self.hold_tracks.get((given.lane, lock.name, given.acquired))
                dst = self.hold_tracks.get((taken.lane, lock.name, taken.acquired))
                if src is None or dst is None:
                    continue
                flow += 1
                common = {"name": f"hand-off {lock.name}", "cat": "lock", "id": flow}
                taken_end = taken.released if taken.released is not None else self.end
                self.body.append({**common, "ph": "s", "pid": given.lane[0], "tid": src,
                                  "ts": _us((given.acquired + given.released) / 2)})
                self.body.append({**common, "ph": "f", "bp": "e", "pid": taken.lane[0], "tid": dst,
                                  "ts": _us((taken.acquired + min(taken_end, self.end)) / 2)})


def _meta(name: str, pid: int, tid: int, value, key: str = "name") -> dict:
    return {"ph": "M", "name": name, "pid": pid, "tid": tid, "args": {key: value}}

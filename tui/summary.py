"""A run as one JSON-able object (``concviz run NAME --headless --json``). No Textual here.

The model's figures (tasks and their states, locks, cores, counters) and the lesson's (tui.lessons: metrics,
explanation, warnings) in one object. It sits above both: the lessons read the trace model, so the model cannot
ask them for its summary itself. An interpreters comparison's summary is ``Runs.summary()`` (tui/runs.py), which
holds one of these per run.
"""

from __future__ import annotations

from tui import lessons
from tui.model import Trace


def summarize(trace: Trace) -> dict:
    """The run as one JSON-able object: what ``concviz run --headless --json`` prints."""
    now = trace.duration
    metrics = lessons.metrics(trace, now)
    result = {
        "scenario": trace.meta.get("scenario"),
        "params": trace.meta.get("params", {}),
        "seed": trace.meta.get("seed"),
        "python": trace.python,
        "machine": trace.meta.get("machine", {}),
        **_start_method(trace),
        "wall_s": round(now, 6),
        "tasks": [
            {
                "name": lane.name,
                "kind": lane.kind,
                "pid": lane.pid,
                "variant": lane.variant or None,
                "start_s": round(lane.start, 6),
                "end_s": round(lane.end, 6) if lane.end is not None else None,
                "states": {k: round(v, 6) for k, v in trace.lane_states(lane, now).items() if v > 0},
            }
            for lane in trace.ordered_lanes()
        ],
        "locks": [
            {
                "name": s.name,
                "acquisitions": s.acquisitions,
                "wait_s": round(s.wait_s, 6),
                "hold_s": round(s.hold_s, 6),
                "max_waiters": s.max_waiters,
            }
            for s in trace.lock_stats(now)
        ],
        "cores": {
            "count": trace.meta.get("machine", {}).get("cores"),
            "busy_pct_mean": [round(v, 1) for v in trace.core_means()],
        },
        "counters": {name: values[-1][1] for name, values in trace.counters.items()},
        "load_notes": trace.load_notes(),
        "warnings": lessons.measurement_warnings(trace, now),
        "metrics": metrics,
        "explanation": lessons.explain(trace, now),
        "results": trace.info.get("results"),
        "error": trace.error,
        "exit": trace.exit,
    }
    if "variants" in metrics:  # a comparison run: its table of variants at the top level
        result["variants"] = metrics.pop("variants")
    return result


def _start_method(trace: Trace) -> dict:
    """``start_method`` {``used``, ``default``}: how a run with worker processes started them (none without)."""
    used, default = trace.info.get("start_method"), trace.info.get("default_start_method")
    return {"start_method": {"used": used, "default": default}} if isinstance(used, str) else {}

"""The overview's mixed workloads: CPU work in the loop stalls the service; an executor keeps it answering."""

from __future__ import annotations

import math

from tui.interpreter import build_name
from tui.lessons import build_note, fmt_s, start_methods

HEARTBEAT_S = 0.01  # the scenario's heartbeat period (scenarios.mixed_loop.HEARTBEAT_S)


def _percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile of sorted ``values``."""
    if not values:
        return 0.0
    return values[min(len(values), max(math.ceil(q / 100 * len(values)), 1)) - 1]


def beats(trace, now: float) -> list[tuple[float, float]]:
    """``(time, lag in seconds)`` of each heartbeat up to ``now``."""
    return [(t, us / 1e6) for t, us in trace.counters.get("loop_lag_us", []) if t <= now]


def metrics(trace, now: float) -> dict:
    lanes = trace.ordered_lanes(now)
    heart = next((lane for lane in lanes if lane.name.startswith("heartbeat(")), None)
    jobs = [lane for lane in lanes if lane.name.startswith("job(")]
    seen = beats(trace, now)
    lags = sorted(lag for _, lag in seen)
    alive = (min(heart.end, now) if heart and heart.end is not None else now) - heart.start if heart else 0.0
    times = [heart.start] + [t for t, _ in seen] if heart else []
    gaps = [b - a for a, b in zip(times, times[1:])]
    expected = int(alive / HEARTBEAT_S) if alive > 0 else 0
    return {
        "model": trace.meta.get("params", {}).get("model"),
        "loop_lag_ms": {
            "p50": round(_percentile(lags, 50) * 1000, 3),
            "p99": round(_percentile(lags, 99) * 1000, 3),
            "max": round(lags[-1] * 1000, 3) if lags else 0.0,
        },
        "beats": len(seen),
        "expected_beats": expected,  # the heartbeat's life / 10 ms
        "missed_beats": max(expected - len(seen), 0),
        "longest_silence_ms": round(max(gaps, default=0.0) * 1000, 3),  # the longest time without a beat
        "jobs": len(jobs),
        "jobs_done": sum(1 for lane in jobs if lane.end is not None and lane.end <= now),
    }


def explain(trace, now: float) -> list[str]:
    m = metrics(trace, now)
    lag = m["loop_lag_ms"]
    if not m["beats"]:
        return ["The service is starting: no heartbeat yet."]
    lines = [
        f"{m['beats']} heartbeats of about {m['expected_beats']} expected; lateness p50 {fmt_s(lag['p50'] / 1000)}, "
        f"p99 {fmt_s(lag['p99'] / 1000)}, worst {fmt_s(lag['max'] / 1000)}; longest silence "
        f"{fmt_s(m['longest_silence_ms'] / 1000)} ({m['jobs_done']} of {m['jobs']} jobs done)."
    ]
    worst = fmt_s(lag["max"] / 1000)
    if m["model"] == "loop":
        lines.append(f"The jobs ran on the loop's own thread: while one computes no other task runs, so the "
                     f"heartbeat fell silent for up to {fmt_s(m['longest_silence_ms'] / 1000)}; so would every "
                     "request.")
        return lines
    if m["model"] == "threads":
        lines.append(
            f"The jobs ran on pool threads and the loop kept beating, but each beat must also get the GIL back "
            f"from a busy pool thread before it can run (worst lateness {worst})." if trace.gil_enabled else
            f"The jobs ran on pool threads, and this Python ({build_name(trace.python)}) ran with the GIL off: the "
            f"loop's thread ran Python beside them, with no interpreter lock to take back (worst lateness {worst})."
        )
    else:
        lines.append(f"The jobs ran in worker processes, each with its own interpreter: the loop's thread stayed "
                     f"free (worst lateness {worst}; the first job also started the pool).")
    lines.append("run_in_executor turned each job into a future the loop awaits: the service kept answering.")
    return lines + (build_note(trace.python) if m["model"] == "threads" else start_methods.describe(trace, brief=True))

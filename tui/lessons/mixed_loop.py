"""The overview's mixed workloads: CPU work in the loop stalls the service; an executor keeps it answering."""

from __future__ import annotations

import math

from rich.text import Text

from tui.interpreter import build_name
from tui.lessons import build_note, label, start_methods
from tui.lessons.lesson import Backing, Lesson, Panel, fmt_s, latest_per
from tui.strips import lateness_colour, log_scale_key, log_strip, series_cells
from tui.theme import Ink

HEARTBEAT_S = 0.01  # the scenario's heartbeat period (scenarios.mixed_loop.HEARTBEAT_S)
SILENCE_S = 2 * HEARTBEAT_S  # no beat for this long: the loop did not get to run the heartbeat


def _percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile of sorted ``values``."""
    if not values:
        return 0.0
    return values[min(len(values), max(math.ceil(q / 100 * len(values)), 1)) - 1]


def beats(trace, now: float) -> list[tuple[float, float]]:
    """``(time, lag in seconds)`` of each heartbeat up to ``now``."""
    return [(t, us / 1e6) for t, us in trace.counters.get("loop_lag_us", []) if t <= now]


def _heartbeat(lanes: list):
    return next((lane for lane in lanes if lane.name.startswith("heartbeat(")), None)


def metrics(trace, now: float) -> dict:
    lanes = trace.ordered_lanes(now)
    heart = _heartbeat(lanes)
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


# ------------------------------------------------------------------------------------------ the panel


def silences(trace, now: float) -> list[tuple[float, float]]:
    """Stretches longer than two heartbeats without a beat, while the heartbeat was alive (up to ``now``)."""
    heart = _heartbeat(trace.ordered_lanes(now))
    if heart is None:
        return []
    end = min(heart.end, now) if heart.end is not None else now
    times = [heart.start] + [t for t, _ in trace.counters.get("loop_lag_us", []) if t <= end] + [end]
    return [(a, b) for a, b in zip(times, times[1:]) if b - a > SILENCE_S]


def gap_cells(quiet: list[tuple[float, float]], t0: float, t1: float, n: int, beats: list) -> list[bool]:
    """For each cell: no beat in it, and it lies inside a silence."""
    width = (t1 - t0) / n if n else 1.0
    out = [False] * n
    for a, b in quiet:
        first = max(int((a - t0) / width), 0)
        last = min(int((b - t0) / width), n - 1)
        for cell in range(first, last + 1):
            c0, c1 = t0 + cell * width, t0 + (cell + 1) * width
            if min(b, c1) - max(a, c0) > 0 and beats[cell] is None:
                out[cell] = True
    return out


def lag_strip(trace, now: float, window, width: int, ink: Ink) -> Text:
    t0, t1 = window
    series = [(t, us / 1000) for t, us in trace.counters.get("loop_lag_us", [])]
    beats = series_cells(series, t0, t1, width, now)
    return log_strip(beats, gap_cells(silences(trace, now), t0, t1, width, beats), ink=ink)


def describe_lag(trace, now: float, window, width: int, ink: Ink) -> Text:
    """How late each heartbeat woke over the timeline's window, and where beats were missing because the loop was
    blocked."""
    m = metrics(trace, now)
    if not m.get("beats"):
        return Text("no heartbeat yet", style=ink.faint)
    lag = m["loop_lag_ms"]
    out = Text()
    for name, ms in (("p50", lag["p50"]), ("p99", lag["p99"]), ("max", lag["max"])):
        out.append(f"{name} ", style=ink.faint)
        out.append(fmt_s(ms / 1000), style=f"bold {lateness_colour(ms, ink)}")
        out.append("  ")
    out.rstrip()
    out.append("\n")
    out.append_text(lag_strip(trace, now, window, width, ink))
    out.append("\n")
    out.append_text(log_scale_key(ink))
    out.append("  \u00d7", style=f"bold {ink.bad}")
    out.append(" no beat", style=ink.faint)
    out.append(f"\n{m['beats']}", style="bold")
    out.append(f" beats of ~{m['expected_beats']} due \u00b7 ")
    missed = m["missed_beats"]
    out.append(f"{missed} missed", style=f"bold {ink.bad}" if missed else "bold")
    out.append("\nlongest silence ", style=ink.faint)
    out.append(fmt_s(m["longest_silence_ms"] / 1000), style="bold")
    return out


def lag_title(params) -> str:
    model = params.get("model")
    return f"loop lag, model={model}: how late each heartbeat woke" if model else LAG_TITLE


LAG_TITLE = "loop lag: how late each heartbeat woke"


# ------------------------------------------------------------------------------------------ takeaways


def lateness(trace) -> str:
    m = metrics(trace, trace.duration)
    lag = m["loop_lag_ms"]
    return (f"{label(trace)}: heartbeat late by {fmt_s(lag['p99'] / 1000)} at p99 (worst "
            f"{fmt_s(lag['max'] / 1000)}), {m['missed_beats']} of ~{m['expected_beats']} beats missed")


def every_model(runs) -> list[str]:
    return [lateness(trace) for trace in latest_per(runs, "model")]


def through_executors(runs) -> list[str]:
    """Futures at work: the jobs handed to an executor (threads or processes) rather than run in the loop."""
    return [lateness(trace) for trace in latest_per(runs, "model")
            if trace.meta.get("params", {}).get("model") != "loop"]


def models_compared(runs) -> list[str]:
    per_model = latest_per(runs, "model")
    return [lateness(trace) for trace in per_model] if len(per_model) > 1 else []


LESSON = Lesson(
    scenario="mixed-loop",
    metrics=metrics,
    explain=explain,
    panel=Panel(LAG_TITLE, describe_lag, help="the loop's lateness per heartbeat", titled=lag_title),
    takeaways={
        "responsiveness": Backing(every_model, hint="then p to set model=processes", per="model"),
        "futures model": Backing(through_executors, named=False),
        "selection": Backing(models_compared, named=False),
    },
)

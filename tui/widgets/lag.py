"""mixed-loop's loop-lag meter: how late each heartbeat woke over the timeline's window, and where beats were
missing because the loop was blocked (tui.lessons.mixed_loop's figures)."""

from __future__ import annotations

from rich.text import Text

from tui import lessons
from tui.lessons import fmt_s
from tui.lessons.mixed_loop import HEARTBEAT_S
from tui.model import Trace
from tui.widgets.panel import ScenarioPanel
from tui.widgets.strips import BAD, MUTED, lateness_colour, log_scale_key, log_strip, series_cells
from tui.widgets.timeline import visible_window

SILENCE_S = 2 * HEARTBEAT_S  # no beat for this long: the loop did not get to run the heartbeat


def silences(trace: Trace, now: float) -> list[tuple[float, float]]:
    """Stretches longer than two heartbeats without a beat, while the heartbeat was alive (up to ``now``)."""
    heart = next((lane for lane in trace.ordered_lanes(now) if lane.name.startswith("heartbeat(")), None)
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


def lag_strip(trace: Trace, now: float, window: tuple[float, float], width: int) -> Text:
    t0, t1 = window
    series = [(t, us / 1000) for t, us in trace.counters.get("loop_lag_us", [])]
    beats = series_cells(series, t0, t1, width, now)
    return log_strip(beats, gap_cells(silences(trace, now), t0, t1, width, beats))


def describe_lag(trace: Trace, now: float, window: tuple[float, float] | None, width: int) -> Text:
    m = lessons.metrics(trace, now)
    if not m.get("beats"):
        return Text("no heartbeat yet", style=MUTED)
    window = window or visible_window(now, now)
    lag = m["loop_lag_ms"]
    out = Text()
    for label, ms in (("p50", lag["p50"]), ("p99", lag["p99"]), ("max", lag["max"])):
        out.append(f"{label} ", style=MUTED)
        out.append(fmt_s(ms / 1000), style=f"bold {lateness_colour(ms)}")
        out.append("  ")
    out.rstrip()
    out.append("\n")
    out.append_text(lag_strip(trace, now, window, width))
    out.append("\n")
    out.append_text(log_scale_key())
    out.append("  \u00d7", style=f"bold {BAD}")
    out.append(" no beat", style=MUTED)
    out.append(f"\n{m['beats']}", style="bold")
    out.append(f" beats of ~{m['expected_beats']} due \u00b7 ")
    missed = m["missed_beats"]
    out.append(f"{missed} missed", style=f"bold {BAD}" if missed else "bold")
    out.append("\nlongest silence ", style=MUTED)
    out.append(fmt_s(m["longest_silence_ms"] / 1000), style="bold")
    return out


class LoopLagPanel(ScenarioPanel):
    """How late the event loop ran the heartbeat, beat by beat, for mixed-loop."""

    TITLE = "loop lag: how late each heartbeat woke"

    def describe(self, trace: Trace, now: float, window: tuple[float, float] | None, width: int) -> Text:
        model = trace.meta.get("params", {}).get("model")
        self.border_title = f"loop lag, model={model}: how late each heartbeat woke" if model else self.TITLE
        return describe_lag(trace, now, window, width)

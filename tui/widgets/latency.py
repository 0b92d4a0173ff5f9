"""convoy's panel: the I/O thread's latency, request by request over the timeline's window, and its p50 and p99
in each stage (beside 0, 1, 2, ... CPU threads; tui.lessons.convoy's figures)."""

from __future__ import annotations

from rich.text import Text

from tui import lessons
from tui.model import Trace
from tui.widgets.panel import ScenarioPanel
from tui.widgets.strips import MUTED, lateness_colour, log_scale_key, log_strip, series_cells
from tui.widgets.timeline import visible_window


def latency_strip(trace: Trace, now: float, window: tuple[float, float], width: int) -> Text:
    """The slowest answer in each cell, on the log scale."""
    series = [(t, us / 1000) for t, us in trace.counters.get("latency_us", [])]
    return log_strip(series_cells(series, window[0], window[1], width, now))


def _ms(value: float | None) -> Text:
    if value is None:
        return Text(f"{'-':>8}", style=MUTED)
    return Text(f"{value:5.1f} ms", style=f"bold {lateness_colour(value)}")


def describe_latency(trace: Trace, now: float, window: tuple[float, float] | None, width: int) -> Text:
    stages = lessons.metrics(trace, now).get("variants") or {}
    if "latency_us" not in trace.counters or not stages:
        return Text("no request answered yet", style=MUTED)
    window = window or visible_window(now, now)
    out = latency_strip(trace, now, window, width)
    out.append("\n")
    out.append_text(log_scale_key())
    out.append(f"\n{'beside':<16}{'p50':>8} {'p99':>8}", style=MUTED)
    for name, f in stages.items():
        out.append(f"\n{name[:15]:<16}")
        out.append_text(_ms(f.get("p50")))
        out.append(" ")
        out.append_text(_ms(f.get("p99")))
        if not f.get("finished"):
            out.append(f" {f.get('requests', 0)} so far", style=MUTED)
    return out


class LatencyPanel(ScenarioPanel):
    """The responder's latency per request and per stage, for convoy."""

    TITLE = "I/O thread latency"

    def describe(self, trace: Trace, now: float, window: tuple[float, float] | None, width: int) -> Text:
        return describe_latency(trace, now, window, width)

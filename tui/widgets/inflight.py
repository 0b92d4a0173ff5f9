"""async-fetch's panel: requests in flight now and over the timeline's window, and what each model cost the
client in OS threads, memory and context switches (tui.lessons.async_fetch's figures)."""

from __future__ import annotations

from rich.text import Text

from tui import lessons
from tui.lessons import fmt_s
from tui.model import Trace
from tui.widgets.panel import ScenarioPanel
from tui.widgets.strips import MUTED, linear_bar, series_cells
from tui.widgets.timeline import visible_window

FLIGHT = "#4493f8"  # the colour of io: a request in flight is a task waiting on its socket


def flight_strip(trace: Trace, now: float, window: tuple[float, float], width: int) -> Text:
    """Requests in flight per cell (the most at once in it), bars up to the run's peak so far."""
    series = trace.counters.get("in_flight", [])
    cells = series_cells(series, window[0], window[1], width, now, hold=True)
    top = max((v for v in cells if v is not None), default=0)
    return Text("".join(" " if v is None else linear_bar(v, top) for v in cells), style=FLIGHT)


def describe_flight(trace: Trace, now: float, window: tuple[float, float] | None, width: int) -> Text:
    if "in_flight" not in trace.counters:
        return Text("no request sent yet", style=MUTED)
    window = window or visible_window(now, now)
    current = trace.counter("in_flight", now) or 0
    if now >= trace.duration:  # the exact peak (the series is thinned where values came within 1 ms)
        peak = trace.counter_peak("in_flight") or 0
    else:
        peak = max((v for t, v in trace.counters["in_flight"] if t <= now), default=0)
    out = Text()
    out.append("in flight now ", style=MUTED)
    out.append(f"{current:>4}", style=f"bold {FLIGHT}")
    out.append("   most at once ", style=MUTED)
    out.append(f"{peak}", style="bold")
    out.append("\n")
    out.append_text(flight_strip(trace, now, window, width))
    out.append(f"\n{window[0]:g} s to {window[1]:g} s, as the lanes", style=MUTED)
    m = lessons.metrics(trace, now)
    models = m.get("variants") or {m.get("model", "asyncio"): m}
    for name, figures in models.items():
        out.append(f"\n{name}", style="bold")
        out.append(f" {fmt_s(figures.get('wall_s', 0.0))} \u00b7 ")
        out.append(f"{figures.get('peak_threads', 0)}", style="bold")
        out.append(" OS threads\n  ")
        out.append(f"{figures.get('peak_rss_mb', 0):.0f}", style="bold")
        out.append(" MB peak \u00b7 ")
        out.append(f"{figures.get('ctx_switches', 0):,}", style="bold")
        out.append(" ctx switches")
        if figures.get("measured_by") != "client":
            out.append("\n  so far: whole tree, server included", style=MUTED)
    return out


class InFlightPanel(ScenarioPanel):
    """Requests in flight and the client's cost, for async-fetch."""

    TITLE = "requests in flight"

    def describe(self, trace: Trace, now: float, window: tuple[float, float] | None, width: int) -> Text:
        return describe_flight(trace, now, window, width)

"""The cores panel: each core's load now and over the last seconds, and the scenario tree's own CPU use.

Where the screen has few rows for it (``rows``), the panel says the same in two lines: every core's load now, then
the scenario's CPU in cores and its threads.

``load_cells`` and ``sparkline`` also draw a per-core strip on any time axis (a comparison screen's shared one).
"""

from __future__ import annotations

from rich.text import Text

from tui.model import Trace
from tui.theme import DARK_INK, Ink
from tui.widgets.panel import TextPanel

HISTORY_S = 10.0
BARS = " \u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"


def load_cells(trace: Trace, core: int, t0: float, t1: float, n: int) -> list[float | None]:
    """Mean busy % of ``core`` in each of ``n`` equal cells from ``t0`` to ``t1`` (None: no sample there)."""
    sums, counts = [0.0] * n, [0] * n
    width = (t1 - t0) / n if n else 1.0
    for s in trace.samples_between(t0, t1):
        if core < len(s.cores):
            i = min(int((s.t - t0) / width), n - 1)
            sums[i] += s.cores[core]
            counts[i] += 1
    return [sums[i] / counts[i] if counts[i] else None for i in range(n)]


def sparkline(values: list[float | None], top: float = 100.0) -> str:
    """One character per value, ``▁`` to ``█`` of ``top``; a blank where there is no value."""
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(BARS[max(1, min(round(v / top * 8), 8))])
    return "".join(out)


def bar(percent: float, width: int, ink: Ink = DARK_INK) -> Text:
    filled = round(max(0.0, min(percent, 100.0)) / 100 * width)
    return Text.assemble(("\u2588" * filled, ink.hot if percent >= 90 else ink.good),
                         ("\u2591" * (width - filled), ink.faint))


class CoresPanel(TextPanel):
    """Per-core load now and its last seconds; the scenario tree's CPU in cores, threads and processes."""

    DEFAULT_CSS = """
    CoresPanel {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, history_s: float = HISTORY_S, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.history_s = history_s
        self.rows: int | None = None
        """The lines the panel may take (None: as many as it needs); fewer than its full form needs: two lines."""

    def show(self, trace: Trace, now: float) -> None:
        width = max(self.size.width - 2, 20)
        sample = trace.sample_at(now)
        cores = len(sample.cores) if sample else trace.meta.get("machine", {}).get("cores", 0) or 0
        if self.rows is not None and cores + 3 > self.rows:
            self.show_text(compact(trace, now, width, self.ink))
        else:
            self.show_text(self.describe(trace, now, width, self.ink))

    def describe(self, trace: Trace, now: float, width: int, ink: Ink = DARK_INK) -> Text:
        sample = trace.sample_at(now)
        cores = len(sample.cores) if sample else trace.meta.get("machine", {}).get("cores", 0) or 0
        bar_width = 10
        spark_width = max(width - 7 - bar_width - 6, 4)
        t1 = now
        t0 = t1 - self.history_s
        lines = Text()
        for core in range(cores):
            busy = sample.cores[core] if sample else 0.0
            history = load_cells(trace, core, t0, t1, spark_width)
            lines.append(f"core {core:<2}", style="bold")
            lines.append_text(bar(busy, bar_width, ink))
            lines.append(f"{busy:4.0f}% ", style="bold")
            lines.append(sparkline(history), style=ink.good)
            lines.append("\n")
        lines.append(f"last {self.history_s:g} s per core, newest right\n", style=ink.faint)
        if sample is None:
            lines.append("scenario  waiting for the first sample", style=ink.faint)
            return lines
        lines.append("scenario ", style="bold")
        lines.append(f"{sample.proc_cores:.2f}", style=f"bold {ink.good}")
        lines.append(" cores \u00b7 ")
        lines.append(f"{sample.threads}", style="bold")
        lines.append(" threads")
        if sample.processes > 1:
            lines.append(" \u00b7 ")
            lines.append(f"{sample.processes}", style="bold")
            lines.append(" procs")
        lines.append(f"\npeak {trace.peak('proc_cores', now):.2f} cores, {trace.peak('threads', now):.0f} threads, "
                     f"{sample.rss / 2**20:.0f} MiB", style=ink.faint)
        return lines


def compact(trace: Trace, now: float, width: int, ink: Ink = DARK_INK) -> Text:
    """The panel in two lines: each core's load now (``core 0 ███░░  60%`` side by side where they fit in ``width``,
    else a bar per core and their mean), then the scenario's CPU in cores and its threads."""
    sample = trace.sample_at(now)
    out = Text()
    if sample is None:
        out.append("waiting for the first sample", style=ink.faint)
        return out
    loads = sample.cores
    each = [Text.assemble((f"core {i} ", "bold"), bar(busy, 5, ink), (f"{busy:4.0f}%", "bold"))
            for i, busy in enumerate(loads)]
    if sum(item.cell_len for item in each) + 2 * (len(each) - 1) <= width:
        out.append_text(Text("  ").join(each))
    else:
        mean = sum(loads) / len(loads) if loads else 0.0
        out.append("cores ", style="bold")
        out.append(sparkline(list(loads)), style=ink.good)
        out.append(f" {mean:.0f}%", style="bold")
        out.append(" mean")
    out.append("\nscenario ", style="bold")
    out.append(f"{sample.proc_cores:.2f}", style=f"bold {ink.good}")
    out.append(" cores \u00b7 ")
    out.append(f"{sample.threads}", style="bold")
    out.append(" threads")
    if sample.processes > 1:
        out.append(" \u00b7 ")
        out.append(f"{sample.processes}", style="bold")
        out.append(" procs")
    return out

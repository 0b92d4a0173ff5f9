"""The status line: which scenario, where in the run, its counters, and the interpreter it runs on."""

from __future__ import annotations

from rich.text import Text

from tui.interpreter import describe
from tui.model import Trace
from tui.widgets.panel import TextPanel

MUTED = "#8b949e"
GOOD = "#3fb950"
BAD = "#f85149"


def run_state(trace: Trace, clock) -> tuple[str, str]:
    """(words, colour) for where the run is: live, finished, cancelled, crashed, or the replay's play head."""
    if not clock.live:
        return clock.describe(), "#a371f7"
    if trace.t0_ns is None and trace.exit is None:
        return "starting", MUTED
    if trace.exit is None:
        return "running", GOOD
    if trace.error or trace.exit.get("status"):
        return trace.exit.get("reason", "failed"), BAD
    return trace.exit.get("reason", "finished"), MUTED


def counters_text(trace: Trace, now: float) -> Text:
    out = Text()
    total = trace.meta.get("params", {}).get("tasks")
    for name in trace.counters:
        value = trace.counter(name, now)
        if value is None:
            continue
        out.append(f"  {name} ", style=MUTED)
        out.append(str(value), style="bold")
        if name == "progress" and isinstance(total, int):
            out.append(f"/{total}")
    return out


class StatusLine(TextPanel):
    """``threads-download  running  1.23 s  progress 7/10  ...  Python 3.11.7, GIL on``."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)

    def show(self, trace: Trace, now: float, clock) -> None:
        words, colour = run_state(trace, clock)
        text = Text.assemble(
            (trace.meta.get("scenario", "?"), "bold"),
            "  ",
            (f"\u25cf {words}", colour),
            "  ",
            (f"{now:6.2f} s", "bold"),
        )
        text.append_text(counters_text(trace, now))
        python = describe(trace.meta.get("python", {}))
        room = self.size.width - 2 - text.cell_len - len(python)
        if room >= 2:
            text.append(" " * room)
            text.append(python, style=MUTED)
        self.show_text(text)

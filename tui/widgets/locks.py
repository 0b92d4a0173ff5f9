"""The lock panel: for each traced lock, how often it was taken, the time spent waiting for it and holding it,
and who holds it or waits for it right now."""

from __future__ import annotations

from rich.text import Text

from tui.lessons import fmt_s
from tui.model import Trace
from tui.text import printable
from tui.theme import DARK_INK, Ink
from tui.widgets.panel import TextPanel


def describe_locks(trace: Trace, now: float, ink: Ink = DARK_INK) -> Text:
    stats = trace.lock_stats(now)
    if not stats:
        return Text("no traced locks in this run", style=ink.faint)
    out = Text()
    for i, s in enumerate(stats):
        if i:
            out.append("\n")
        out.append(printable(s.name), style="bold")  # names from the trace: escaped
        out.append(f"  taken {s.acquisitions}x\n")
        out.append("  held ", style=ink.faint)
        out.append(fmt_s(s.hold_s), style=ink.state["lock_hold"])
        out.append(" in all\n  waited ", style=ink.faint)
        out.append(fmt_s(s.wait_s), style=ink.state["lock_wait"])
        out.append(f", longest {fmt_s(s.longest_wait_s)}", style=ink.faint)
        out.append(f"\n  most waiting at once {s.max_waiters}", style=ink.faint)
        out.append("\n  held by ", style=ink.faint)
        out.append(printable(s.holder) if s.holder else "nobody",
                   style=f"bold {ink.state['lock_hold']}" if s.holder else ink.faint)
        if s.waiting:
            names = ", ".join(map(printable, s.waiting[:4])) + (f" +{len(s.waiting) - 4}" if len(s.waiting) > 4 else "")
            out.append("\n  waiting ", style=ink.faint)
            out.append(names, style=ink.state["lock_wait"])
    return out


class LockPanel(TextPanel):
    """Each traced lock's statistics at ``now``."""

    DEFAULT_CSS = """
    LockPanel {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)

    def show(self, trace: Trace, now: float) -> None:
        text = describe_locks(trace, now, self.ink)
        self.show_text(text)

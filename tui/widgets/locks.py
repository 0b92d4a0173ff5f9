"""The lock panel: for each traced lock, how often it was taken, the time spent waiting for it and holding it,
and who holds it or waits for it right now."""

from __future__ import annotations

from rich.text import Text

from tui.lessons import fmt_s
from tui.model import Trace
from tui.widgets.palette import STATE_COLOURS
from tui.widgets.panel import TextPanel

MUTED = "#6e7681"


def describe_locks(trace: Trace, now: float) -> Text:
    stats = trace.lock_stats(now)
    if not stats:
        return Text("no traced locks in this run", style=MUTED)
    out = Text()
    for i, s in enumerate(stats):
        if i:
            out.append("\n")
        out.append(s.name, style="bold")
        out.append(f"  taken {s.acquisitions}x\n")
        out.append("  held ", style=MUTED)
        out.append(fmt_s(s.hold_s), style=STATE_COLOURS["lock_hold"])
        out.append(" in all\n  waited ", style=MUTED)
        out.append(fmt_s(s.wait_s), style=STATE_COLOURS["lock_wait"])
        out.append(f", longest {fmt_s(s.longest_wait_s)}", style=MUTED)
        out.append(f"\n  most waiting at once {s.max_waiters}", style=MUTED)
        out.append("\n  held by ", style=MUTED)
        out.append(s.holder or "nobody", style=f"bold {STATE_COLOURS['lock_hold']}" if s.holder else MUTED)
        if s.waiting:
            names = ", ".join(s.waiting[:4]) + (f" +{len(s.waiting) - 4}" if len(s.waiting) > 4 else "")
            out.append("\n  waiting ", style=MUTED)
            out.append(names, style=STATE_COLOURS["lock_wait"])
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
        text = describe_locks(trace, now)
        self.show_text(text)

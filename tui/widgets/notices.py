"""What a learner must know before trusting the figures, above everything else on the run screen: a replayed file
that was cut short, runs the measuring itself distorted (tui.lessons.measurement_warnings), other programs' load
where it changes the figures and what the model aggregated under load (Trace.load_notes). Hidden when there is
nothing to say."""

from __future__ import annotations

from rich.text import Text

from tui import lessons
from tui.model import Trace
from tui.text import printable
from tui.widgets.panel import TextPanel


def notices(trace: Trace, now: float) -> list[tuple[str, str]]:
    """``(label, text)`` for each notice, most important first."""
    found = []
    if trace.meta.get("notice"):
        found.append(("file cut short", str(trace.meta["notice"])))
    for warning in lessons.measurement_warnings(trace, now):
        found.append(("distorted by measurement", warning.removeprefix("Distorted by measurement: ")))
    busy = trace.busy_notes(now)
    if busy:
        found.append(("busy machine", "; ".join(busy)))
    notes = trace.aggregated_notes()
    if notes:
        found.append(("aggregated under load", "; ".join(notes) + " (to keep up and bound memory)"))
    return found


class NoticeBar(TextPanel):
    DEFAULT_CSS = """
    NoticeBar {
        height: auto;
        padding: 0 1;
        color: $text;
        background: $warning 15%;
        display: none;
    }
    NoticeBar.-shown {
        display: block;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)

    def show(self, trace: Trace, now: float) -> None:
        found = notices(trace, now)
        self.set_class(bool(found), "-shown")
        if not found:
            return
        text = Text()
        for i, (label, line) in enumerate(found):
            if i:
                text.append("\n")
            text.append(f"\u26a0 {label}: ", style=f"bold {self.ink.fair}")
            text.append(printable(line, None))  # quotes lock names and the file's own notice: escaped
        self.show_text(text)

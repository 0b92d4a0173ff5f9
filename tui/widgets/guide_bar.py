"""The tour's bar over a step's run: where the tour is, the guide's words for the section, and its keys."""

from __future__ import annotations

from rich.text import Text

from tui.theme import DARK_INK
from tui.tour import Step
from tui.widgets.panel import TextPanel


def bar_text(step: Step, ink, wide: bool = True) -> Text:
    """``Tour 3/11  Exercise 1 - Threads ...: threads-download``, the section's words, the keys."""
    out = Text()
    out.append(f"Tour {step.number}/{step.of}  ", style=f"bold {ink.accent}")
    out.append(step.section.heading, style="bold")
    if step.scenario:
        out.append(f": {step.scenario}", style=ink.muted)
    prose = step.section.prose if wide else step.section.prose[-1:]
    out.append("\n" + " ".join(prose), style=ink.label)
    out.append("\nn next step \u00b7 p the step before \u00b7 r again \u00b7 P parameters", style=ink.faint)
    return out


class GuideBar(TextPanel):
    """The guide's section over a tour step's run."""

    DEFAULT_CSS = """
    GuideBar {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, step: Step, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.step = step
        self.show_text(bar_text(step, DARK_INK))  # its height known at the first layout (the theme's ink on mount)

    def on_mount(self) -> None:
        self.paint()

    def on_resize(self) -> None:
        self.paint()

    def paint(self) -> None:
        self.show_text(bar_text(self.step, self.ink, wide=self.app.size.height >= 32))

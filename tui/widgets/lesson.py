"""The "what you are seeing" panel: the scenario's lesson in the run's own figures (tui.lessons), whole: the panel
grows with its text (up to half the screen, then it scrolls). Measurement warnings are in the notice bar; other
programs' load, where it changes the figures, is in both (here, after the figures it changes). Its "Watch:" line is
the scenario's, unless the lesson words it for the run's build (the GIL off: tui.lessons.watch)."""

from __future__ import annotations

from rich.text import Text

from tui import lessons
from tui.model import Trace
from tui.text import printable
from tui.widgets.panel import TextPanel


class LessonPanel(TextPanel):
    DEFAULT_CSS = """
    LessonPanel {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, watch: str = "", *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.watch = watch

    def show(self, trace: Trace, now: float) -> None:
        text = Text()
        if self.watch:  # the scenario's line, or its lesson's for the run's build (tui.lessons.watch)
            text.append("Watch: ", style="bold")
            text.append(printable(lessons.watch(trace) or self.watch, None) + "\n", style=self.ink.muted)
        lines = lessons.explain(trace, now) if now > 0 else []
        shown_above = set(lessons.measurement_warnings(trace, now)) if lines else set()  # in the notice bar
        lines = [line for line in lines if line not in shown_above]
        for line in lines:  # a line quotes the run's names (tasks, locks, models): escaped, a line each
            text.append("\u2022 ", style="bold")
            text.append(printable(line, None) + "\n")
        if not lines:
            text.append("The figures appear as the run goes.", style=self.ink.muted)
        text.rstrip()
        self.show_text(text)

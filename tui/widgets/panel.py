"""A panel of text that redraws only when its text changed, and lays the screen out again only when its height
may have changed (a layout pass costs far more than a repaint)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TextPanel(Static):
    """A Static fed with ``show_text``; the base of the run screen's text panels."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes)
        self._shown: Text | None = None

    def show_text(self, text: Text) -> None:
        old = self._shown
        if text == old:
            return
        self._shown = text
        width = self.content_region.width
        lines = text.plain.split("\n")
        layout = (
            old is None
            or len(lines) != old.plain.count("\n") + 1
            or any(len(line) > width for line in lines)
            or any(len(line) > width for line in old.plain.split("\n"))
        )
        self.update(text, layout=layout)

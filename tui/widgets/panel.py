"""A panel of text that redraws only when its text changed, and lays the screen out again only when its height
changed (a layout pass costs far more than a repaint)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static


class TextPanel(Static):
    """A Static fed with ``show_text``; the base of the run screen's text panels."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes)
        self._shown: Text | None = None
        self._height: tuple[int, int] | None = None  # (width, lines) of the shown text, wrapped at that width

    def show_text(self, text: Text) -> None:
        if text == self._shown:
            return
        self._shown = text
        self.update(text, layout=False)
        self._check_height()

    def on_resize(self) -> None:
        if self._shown is not None:
            self._check_height()  # the same text at a new width may take another number of lines

    def _check_height(self) -> None:
        """Lay the screen out again only when the text's height changed (wrapped lesson text is always wider
        than the panel: its height is what counts); before the panel has a width, always."""
        width = self.content_region.width
        height = (width, self._lines(self._shown, width)) if width > 0 else None
        if height is None or height != self._height:
            self._height = height
            self.refresh(layout=True)

    def _lines(self, text: Text, width: int) -> int:
        """How many lines ``text`` takes at ``width``: its own lines while none is wider, else wrapped as drawn."""
        plain = text.plain
        if width > 0 and all(cell_len(line) <= width for line in plain.split("\n")):
            return plain.count("\n") + 1
        return self.visual.get_height(self.styles, max(width, 1))

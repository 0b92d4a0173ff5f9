"""The scenario's printed lines up to ``now``, newest last (what the guide's code prints)."""

from __future__ import annotations

import bisect

from rich.text import Text
from textual.widgets import Static

from tui.model import Trace
from tui.text import printable
from tui.themes import INK_CLASSES, ink_css, read_ink


class OutputLog(Static):
    COMPONENT_CLASSES = set(INK_CLASSES)
    DEFAULT_CSS = """
    OutputLog {
        height: 1fr;
        padding: 0 1;
    }
    """ + ink_css("OutputLog")

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes)
        self._shown: tuple | None = None

    def notify_style_update(self) -> None:
        """Its styles changed (the theme's CSS applied, say): drawn again at the next show, in the new ink. The
        theme's name changes a frame before its CSS applies, so a key holding the name alone could keep the old ink."""
        super().notify_style_update()
        self._shown = None

    def show(self, trace: Trace, now: float) -> None:
        count = bisect.bisect_right(trace.output, now, key=lambda line: line[0])
        rows = max(self.size.height, 1)
        key = (id(trace), count, rows, self.app.theme)
        if key == self._shown:
            return
        self._shown = key
        lines = [line for _, line in trace.output[max(count - rows, 0) : count]]
        if not lines:
            self.update(Text("nothing printed yet", style=read_ink(self).muted), layout=False)
        else:
            shown = "\n".join(printable(line, 500) for line in lines)  # what the child printed: escaped
            self.update(Text(shown, no_wrap=True, overflow="ellipsis"), layout=False)

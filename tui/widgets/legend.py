"""The legend: each state's colour and name, packed into as few lines as the width allows."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.model import BASE_STATES
from tui.widgets.palette import swatch
from tui.widgets.timeline import MARK

GAP = "  "


def legend_items() -> list[Text]:
    return [swatch(s) for s in BASE_STATES] + [Text.assemble((MARK, "bold"), " lock taken")]


def legend_text(width: int) -> Text:
    """The items in lines no wider than ``width``, never splitting an item."""
    out = Text()
    used = 0
    for item in legend_items():
        if used and used + len(GAP) + item.cell_len > width:
            out.append("\n")
            used = 0
        elif used:
            out.append(GAP)
            used += len(GAP)
        out.append_text(item)
        used += item.cell_len
    return out


class StateLegend(Static):
    DEFAULT_CSS = """
    StateLegend {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(legend_text(200), name=name, id=id, classes=classes)

    def on_resize(self) -> None:
        self.update(legend_text(max(self.size.width, 20)))

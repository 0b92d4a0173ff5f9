"""The legend: each state's colour and name, packed into as few lines as the width allows.

A run whose Python had the GIL off (a free-threaded build) has no "gil wait" to show: its legend leaves it out.
The legend reads that from its screen's trace (``screen.trace``; interpreters compared: every run, ``screen.runs``),
when it is laid out and every second after, as the child's own report of its GIL can arrive after the screen is
drawn."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.model import BASE_STATES
from tui.theme import DARK_INK, Ink
from tui.themes import INK_CLASSES, ink_css, read_ink
from tui.widgets.palette import swatch
from tui.widgets.timeline import MARK

GAP = "  "
CHECK_S = 1.0  # how often the legend looks whether the run's GIL is on


def legend_items(gil: bool = True, ink: Ink = DARK_INK) -> list[Text]:
    return ([swatch(s, ink) for s in BASE_STATES if gil or s != "gil_wait"] +
            [Text.assemble((MARK, "bold"), " lock taken")])


def legend_text(width: int, gil: bool = True, ink: Ink = DARK_INK) -> Text:
    """The items in lines no wider than ``width``, never splitting an item; ``gil``: whether the run's GIL was on
    (without it, no "gil wait")."""
    out = Text()
    used = 0
    for item in legend_items(gil, ink):
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
    COMPONENT_CLASSES = set(INK_CLASSES)
    DEFAULT_CSS = """
    StateLegend {
        height: auto;
        padding: 0 1;
    }
    """ + ink_css("StateLegend")

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(legend_text(200), name=name, id=id, classes=classes)
        self._shown: tuple[int, bool, str] | None = None

    def notify_style_update(self) -> None:
        """Its styles changed (the theme's CSS applied, say): drawn again at the next show, in the new ink. The
        theme's name changes a frame before its CSS applies, so a key holding the name alone could keep the old ink."""
        super().notify_style_update()
        self._shown = None

    def on_mount(self) -> None:
        self.set_interval(CHECK_S, self._refresh_legend)
        self.app.theme_changed_signal.subscribe(self, lambda theme: self._refresh_legend())

    def on_resize(self) -> None:
        self._refresh_legend()

    def _gil(self) -> bool:
        """Whether any run the screen shows had the GIL on (interpreters compared: ``screen.runs``, several)."""
        runs = getattr(self.screen, "runs", None) or [getattr(self.screen, "trace", None)]
        return any(bool(getattr(trace, "gil_enabled", True)) for trace in runs)

    def _refresh_legend(self) -> None:
        shown = (max(self.size.width, 20), self._gil(), self.app.theme)
        if shown != self._shown:
            self._shown = shown
            self.update(legend_text(shown[0], shown[1], read_ink(self)))

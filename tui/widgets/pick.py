"""The pick panel: the figures of the lane or the stretch of time the presenter picked on a timeline (a click on a
lane's row, a drag along the cells; tui/inspect.py says what they are). Hidden while nothing is picked."""

from __future__ import annotations

from rich.text import Text

from tui.inspect import lane_figures, range_figures
from tui.model import Lane, Trace
from tui.view import View
from tui.widgets.panel import TextPanel


class PickPanel(TextPanel):
    """What the picked lane or stretch of time holds, at ``now``."""

    DEFAULT_CSS = """
    PickPanel {
        height: auto;
        padding: 0 1;
        display: none;
    }
    PickPanel.-picked {
        display: block;
    }
    """

    def show(self, trace: Trace, now: float, view: View, lanes: list[Lane]) -> None:
        """``lanes``: those a picked stretch of time is read over (the screen's, or a model's)."""
        lane = trace.lanes.get(view.lane) if view.lane is not None else None
        text: Text | None = None
        if lane is not None:
            text = lane_figures(trace, lane, now, self.ink)
            self.border_title = "picked lane (click it again to let go)"
        elif view.picked is not None:
            text = range_figures(trace, lanes, *view.picked, now, self.ink)
            self.border_title = "picked time (0 lets go)"
        self.set_class(text is not None, "-picked")
        if text is not None:
            self.show_text(text)

"""The notice shown while the terminal is smaller than concviz can draw in: one screen over all the others.

The app (tui/app.py) puts it on top of whatever is shown the moment the terminal falls below ``MIN_SIZE`` (or
starts below it), and takes it away once the terminal is large enough again: the screens under it (a run, its
help, the parameter form with what was typed in it) come back as they were. While it is up no other screen opens
over it: it has the keys, and only these two.

The minimum, 60 x 20, is the smallest size every screen is drawn for and tested at (tests/test_small_terminals.py):
the home screen's table and two scenarios of its list, a run's status line, legend, lanes, cores and lesson, the
parameter form with its run button in view.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

from tui.theme import ink_of

MIN_SIZE = (60, 20)


def too_small(size: Size | tuple[int, int]) -> bool:
    """Whether a terminal of ``size`` (width, height) is below the minimum in either direction."""
    width, height = size
    return width < MIN_SIZE[0] or height < MIN_SIZE[1]


class TooSmallScreen(Screen):
    """What to do about a terminal too small to draw in: make it larger; meanwhile q quits, h goes home."""

    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("h", "home", "home"),
    ]
    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
    }
    TooSmallScreen #too-small {
        width: 1fr;
        height: auto;
        padding: 0 1;
        text-align: center;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self.show(self.app.size)

    def show(self, size: Size | tuple[int, int]) -> None:
        """Say how large the terminal is, and what goes on meanwhile."""
        width, height = size
        below = [screen for screen in self.app.screen_stack if screen is not self]
        running = any(hasattr(screen, "control") for screen in below)  # a run or replay (tui/screens/scenario.py)
        home = len(below) > 1  # something is open over the home screen
        ink = ink_of(self.app.theme)
        text = Text.assemble(
            ("concviz needs a terminal of at least ", "bold"), (f"{MIN_SIZE[0]} x {MIN_SIZE[1]}", "bold"),
            (" cells", "bold"), f"; this one is {width} x {height}.\n",
            "Make the window larger, or the font smaller",
            (": the run goes on meanwhile." if running else "."),
            "\n\n",
            ("q", "bold"), (" quits", ink.muted),
            *(((", ", ink.muted), ("h", "bold"), (" goes home", ink.muted)) if home else ()),
        )
        self.query_one("#too-small", Static).update(text)

    def action_home(self) -> None:
        self.app.go_home()

    async def action_quit(self) -> None:
        await self.app.action_quit()

"""One colour per state, shared by the timeline, its legend, the help screen and every later screen."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from tui.model import BASE_STATES, STATE_HELP

STATE_COLOURS = {
    "queued": "#4d5566",
    "startup": "#a371f7",
    "cpu": "#3fb950",
    "gil_wait": "#f0683e",
    "core_wait": "#db61a2",
    "io": "#4493f8",
    "wait": "#8b949e",
    "lock_wait": "#e3b341",
    "lock_hold": "#39c5cf",
}
STATE_LABELS = {  # short enough for a lane label
    "queued": "queued",
    "startup": "startup",
    "cpu": "cpu",
    "gil_wait": "gil wait",
    "core_wait": "core wait",
    "io": "io",
    "wait": "wait",
    "lock_wait": "lock wait",
    "lock_hold": "lock hold",
    "done": "done",
}
BLOCK = "\u2588"  # a full cell of colour
SWATCH = "\u25a0"  # the legend's small square


def state_style(state: str | None) -> Style:
    """The style a lane's label uses to name ``state``."""
    colour = STATE_COLOURS.get(state or "")
    return Style(color=colour, bold=True) if colour else Style(dim=True)


def swatch(state: str) -> Text:
    """``■ cpu``: a coloured square and the state's name."""
    return Text.assemble((SWATCH, STATE_COLOURS[state]), " ", STATE_LABELS[state])


def states_in_order() -> list[tuple[str, str, str]]:
    """(state, colour, what it means) for every state, in the model's order."""
    return [(s, STATE_COLOURS[s], STATE_HELP[s]) for s in BASE_STATES]

"""One colour per state, shared by the timeline, its legend, the help screen and every later screen."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from tui.model import BASE_STATES, STATE_HELP
from tui.theme import DARK, STATE_LABELS, STATES

STATE_COLOURS = {state: DARK[state] for state in STATES}
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

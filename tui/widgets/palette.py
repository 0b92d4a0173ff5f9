"""How states look: a colour per state (the theme's: tui/theme.py), for the timeline, its legend, the help screen and
every later screen. Each helper takes the ``Ink`` of the theme shown (a widget's ``ink``, or ``ink_of(app.theme)``)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from tui.model import BASE_STATES, STATE_HELP
from tui.theme import DARK_INK, STATE_LABELS, Ink

__all__ = ["BLOCK", "STATE_LABELS", "SWATCH", "state_style", "states_in_order", "swatch"]

BLOCK = "\u2588"  # a full cell of colour
SWATCH = "\u25a0"  # the legend's small square


def state_style(state: str | None, ink: Ink = DARK_INK) -> Style:
    """The style a lane's label uses to name ``state``."""
    colour = ink.state.get(state or "")
    return Style(color=colour, bold=True) if colour else Style(dim=True)


def swatch(state: str, ink: Ink = DARK_INK) -> Text:
    """``■ cpu``: a coloured square and the state's name."""
    return Text.assemble((SWATCH, ink.state[state]), " ", STATE_LABELS[state])


def states_in_order(ink: Ink = DARK_INK) -> list[tuple[str, str, str]]:
    """(state, colour, what it means) for every state, in the model's order."""
    return [(s, ink.state[s], STATE_HELP[s]) for s in BASE_STATES]

"""concviz's palettes (tui/theme.py) as Textual themes, and how widgets read them back.

Each palette becomes a Textual theme, ``concviz-dark`` (Textual's own dark theme, as concviz always looked) and
``concviz-light`` (Textual's light theme, on white), whose variables carry the palette: ``$state-cpu``,
``$ink-muted``, ...
A widget that draws Rich text declares the component classes ``ink--NAME`` (``INK_CLASSES``), styles them with
those variables (``ink_css``), and reads them back as an ``Ink`` with ``read_ink``: a stylesheet can restyle any
of them, and switching the theme redraws every widget in the new colours.
"""

from __future__ import annotations

import dataclasses

from textual.theme import BUILTIN_THEMES, Theme
from textual.widget import Widget

from tui.theme import PALETTES, SCREENS, STATES, TEXT, THEME_PREFIX, Ink

BASES = {"dark": "textual-dark", "light": "textual-light"}  # the Textual theme each palette starts from
NAMES = tuple(f"{THEME_PREFIX}{name}" for name in PALETTES)


def variable(colour: str) -> str:
    """The theme variable of a palette colour: ``state-cpu``, ``ink-muted``."""
    return f"state-{colour.replace('_', '-')}" if colour in STATES else f"ink-{colour}"


def themes() -> list[Theme]:
    """The Textual theme of every palette."""
    out = []
    for name, palette in PALETTES.items():
        base = BUILTIN_THEMES[BASES[name]]
        variables = {**base.variables, **{variable(colour): value for colour, value in palette.items()}}
        out.append(dataclasses.replace(base, name=f"{THEME_PREFIX}{name}", variables=variables, **SCREENS[name]))
    return out


def variable_defaults() -> dict[str, str]:
    """Every palette variable, as the dark palette has it: an app's ``get_theme_variable_defaults``, so that any
    theme (Textual's own too) can draw concviz's widgets."""
    return {variable(colour): value for colour, value in PALETTES["dark"].items()}


INK_CLASSES = frozenset(f"ink--{colour}" for colour in (*TEXT, *STATES))


def ink_css(widget_type: str) -> str:
    """CSS that gives each of ``widget_type``'s ink component classes its theme variable."""
    return "\n".join(f"{widget_type} > .ink--{colour} {{ color: ${variable(colour)}; }}" for colour in (*TEXT, *STATES))


def read_ink(widget: Widget) -> Ink:
    """The widget's ink, from its component classes (which ``ink_css`` styled with the theme's variables)."""

    def colour(name: str) -> str:
        style = widget.get_component_rich_style(f"ink--{name}", partial=True)
        return style.color.triplet.hex if style.color is not None and style.color.triplet is not None else ""

    return Ink(**{name: colour(name) for name in TEXT}, state={state: colour(state) for state in STATES})

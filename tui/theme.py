"""concviz's colours, in one place: a palette per theme, and the ink that text is drawn with. No Textual here.

Every colour concviz draws comes from a palette below (no other module holds one: tests/test_theme.py checks): a
colour per task state (the timeline, legend, help and every panel agree on them) and a few for text (muted, faint,
good, fair, bad, accent, ...). Two themes: ``dark``, the look concviz was made with, and ``light``, dark ink on
white with every colour darkened until it reads from the back of a room on a projector.

The app turns each palette into a Textual theme whose variables carry these colours (``$state-cpu``,
``$ink-muted``: tui/themes.py), and widgets read them back through their component classes; text drawn with Rich
(panels, tables, the lessons' panels) takes an ``Ink``: the same colours as Rich style strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

STATES = ("queued", "startup", "cpu", "gil_wait", "core_wait", "io", "wait", "lock_wait", "lock_hold")
TEXT = ("muted", "faint", "label", "figure", "name", "accent", "good", "fair", "bad", "hot", "header", "ground")

DARK = MappingProxyType({
    # a colour per state
    "queued": "#4d5566",
    "startup": "#a371f7",
    "cpu": "#3fb950",
    "gil_wait": "#f0683e",
    "core_wait": "#db61a2",
    "io": "#4493f8",
    "wait": "#8b949e",
    "lock_wait": "#e3b341",
    "lock_hold": "#39c5cf",
    # text
    "muted": "#8b949e",  # what a figure is, hints
    "faint": "#6e7681",  # scales, keys, what is not there yet
    "label": "#c9d1d9",  # a lane's name
    "figure": "#f0f6fc",  # a figure that matters, the time axis's now
    "name": "#d2a8ff",  # a model's name
    "accent": "#a371f7",  # the guide's words, a replay's state
    "good": "#3fb950",
    "fair": "#e3b341",
    "bad": "#f85149",
    "hot": "#f0683e",  # a core over 90% busy
    "header": "#161b22",  # a comparison model's header row
    "ground": "#0d1117",  # the screen's own background: a lock mark's character over a state's colour
})

LIGHT = MappingProxyType({  # dark ink on white, for projectors: each colour at least 4.5:1 against white
    "queued": "#6e7781",
    "startup": "#8250df",
    "cpu": "#1a7f37",
    "gil_wait": "#c4320a",
    "core_wait": "#bf3989",
    "io": "#0550ae",
    "wait": "#57606a",
    "lock_wait": "#9a6700",
    "lock_hold": "#0e7490",
    "muted": "#424a53",
    "faint": "#57606a",
    "label": "#1f2328",
    "figure": "#000000",
    "name": "#6639ba",
    "accent": "#8250df",
    "good": "#1a7f37",
    "fair": "#9a6700",
    "bad": "#cf222e",
    "hot": "#c4320a",
    "header": "#eaeef2",
    "ground": "#ffffff",
})

PALETTES = MappingProxyType({"dark": DARK, "light": LIGHT})
# the screen's own colours where a palette changes those of the Textual theme it starts from (tui/themes.py):
# the light theme's text on white, not on Textual's light grey
SCREENS = MappingProxyType({
    "dark": MappingProxyType({}),
    "light": MappingProxyType({"background": "#ffffff", "surface": "#ffffff", "panel": "#eaeef2",
                               "foreground": "#1f2328", "accent": "#8250df", "primary": "#0550ae"}),
})
THEME_PREFIX = "concviz-"  # the Textual theme of palette NAME is called concviz-NAME

STATE_LABELS = MappingProxyType({  # a state's name on screen, short enough for a lane's label
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
})


@dataclass(frozen=True)
class Ink:
    """A palette's colours as Rich style strings: ``f"bold {ink.bad}"``, ``ink.state["io"]``."""

    muted: str
    faint: str
    label: str
    figure: str
    name: str
    accent: str
    good: str
    fair: str
    bad: str
    hot: str
    header: str
    ground: str
    state: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, palette: Mapping[str, str]) -> Ink:
        return cls(**{name: palette[name] for name in TEXT}, state=MappingProxyType({s: palette[s] for s in STATES}))


DARK_INK = Ink.of(DARK)
INKS = MappingProxyType({name: Ink.of(palette) for name, palette in PALETTES.items()})


def ink_of(theme: str) -> Ink:
    """The ink of a theme by its Textual name (``concviz-light``) or palette name (``light``); dark for any other."""
    return INKS.get(theme.removeprefix(THEME_PREFIX), DARK_INK)

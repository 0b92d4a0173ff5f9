"""The palettes and their themes: every colour lives in tui/theme.py, each widget reads the theme's colours back
through its component classes, the light theme is readable (contrast) and switchable, and every screen has a
snapshot in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_snapshots_traces import TRACES, paused, settle

from tui.app import make_app
from tui.theme import DARK, LIGHT, PALETTES, SCREENS, STATES, TEXT, ink_of
from tui.themes import read_ink
from tui.widgets.cores import CoresPanel
from tui.widgets.timeline import Timeline

ROOT = Path(__file__).resolve().parent.parent
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def test_no_colour_is_written_anywhere_but_the_palettes():
    found = [f"{path.relative_to(ROOT)}: {match}" for path in sorted((ROOT / "tui").rglob("*"))
             if path.suffix in (".py", ".tcss") and path.name != "theme.py"
             for match in HEX.findall(path.read_text(encoding="utf-8"))]
    assert not found


def test_every_palette_names_every_colour():
    for name, palette in PALETTES.items():
        assert set(palette) == {*STATES, *TEXT}, name
        assert all(HEX.fullmatch(value) for value in palette.values()), name


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_light_theme_reads_on_a_projector():
    """Every colour text is written in reaches WCAG AA (4.5:1) against the light theme's ground, which is its
    screen's background."""
    assert SCREENS["light"]["background"] == LIGHT["ground"]
    for name, colour in LIGHT.items():
        if name not in ("header", "ground"):
            assert contrast(colour, LIGHT["ground"]) >= 4.5, name


@pytest.mark.parametrize("theme", ["dark", "light"])
async def test_widgets_read_the_themes_colours_through_their_component_classes(theme):
    app = paused(TRACES / "threads-download.cvz")
    async with app.run_test(size=(120, 40)) as pilot:
        app.use_theme(theme)
        await settle(pilot)
        for widget in (app.screen.query_one(Timeline), app.screen.query_one(CoresPanel)):
            assert read_ink(widget) == ink_of(theme)


async def test_the_theme_switches_from_the_command_palette_and_the_screen_redraws_in_it():
    app = paused(TRACES / "threads-download.cvz")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        timeline = app.screen.query_one(Timeline)
        commands = [command.title for command in app.get_system_commands(app.screen)]
        assert "Theme: dark" in commands and "Theme: light" in commands and "Theme" not in commands
        dark_row = timeline.render_line(1)  # the first lane (line 0: the axis)
        next(c for c in app.get_system_commands(app.screen) if c.title == "Theme: light").callback()
        await settle(pilot)
        assert app.theme == "concviz-light"
        light_row = timeline.render_line(1)
        assert any(segment.style and segment.style.bgcolor and segment.style.bgcolor.triplet.hex == LIGHT["io"]
                   for segment in light_row)
        assert not any(segment.style and segment.style.bgcolor and segment.style.bgcolor.triplet.hex == DARK["io"]
                       for segment in light_row)
        assert light_row != dark_row


def test_the_command_line_takes_a_theme():
    from tui.cli import build_parser

    assert build_parser().parse_args(["--theme", "light"]).theme == "light"
    assert build_parser().parse_args(["run", "futures", "--theme", "light"]).theme == "light"
    assert build_parser().parse_args(["replay", "x.cvz"]).theme == "dark"


# ------------------------------------------------------------------------------------ every screen, light


def light(app):
    app.use_theme("light")
    return app


def test_home_light(snap_compare):
    assert snap_compare(make_app(theme="light"), terminal_size=(120, 40), run_before=settle)


@pytest.mark.parametrize("name", ["threads-download", "cpu-processes", "mixed-loop"])
def test_run_light(snap_compare, name):
    assert snap_compare(paused(TRACES / f"{name}.cvz"), terminal_size=(120, 40),
                        run_before=lambda pilot: _in_light(pilot))


def test_comparison_light(snap_compare):
    assert snap_compare(paused(TRACES / "cpu-speedup.cvz", 1.0), terminal_size=(120, 40),
                        run_before=lambda pilot: _in_light(pilot))


@pytest.mark.parametrize("key", ["question_mark", "p", "t"])
def test_help_params_and_takeaways_light(snap_compare, key):
    async def opened(pilot):
        await _in_light(pilot)
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(paused(TRACES / "mixed-loop.cvz"), terminal_size=(120, 40), run_before=opened)


async def _in_light(pilot) -> None:
    pilot.app.use_theme("light")
    await settle(pilot)

"""A panel of text that repaints only the lines whose text changed, and lays the screen out again only when its height
changed (a layout pass costs far more than a repaint, and a repainted line far more than a kept one).

Each line of the text is drawn on its own and kept while it stays the same: the cores panel's bars change ten times
a second, its figures below them far less often, and only the lines that changed are drawn again and sent to the
terminal. A line that fits the panel is drawn straight from its Rich segments, the way Textual would draw it (the
same colours over the panel's own, the same character offsets that map a selection to the text) at a tenth of the
cost; a line that wraps, or uses what that shortcut does not cover, is drawn by Textual itself.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.color import ColorType
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widgets import Static

from tui.lessons.lesson import Panel
from tui.model import Trace
from tui.theme import DARK_INK


class Drawn:
    """A text's lines as drawn at one width and style: the strips of each of its lines, and all of them in order."""

    __slots__ = ("key", "lines", "strips", "rows")

    def __init__(self, key: tuple, lines: list[Text], strips: list[list[Strip]]) -> None:
        self.key = key
        self.lines = lines
        self.strips = strips
        self.rows = [strip for line in strips for strip in line]


def same_line(a: Text, b: Text) -> bool:
    """Whether two lines of text draw the same (Text's == compares only the characters and spans)."""
    return a == b and a.style == b.style and (a.justify, a.overflow, a.no_wrap) == (b.justify, b.overflow, b.no_wrap)


def fits(line: Text, width: int) -> bool:
    """Whether ``line`` is drawn on one line of ``width`` cells (a tab may widen it: not counted as fitting)."""
    return "\t" not in line.plain and cell_len(line.plain) <= width


def drawn_as_is(style: RichStyle) -> bool:
    """Whether ``style`` is one this shortcut draws exactly as Textual: no link, colours given as RGB (anything else
    is left to Textual, which may translate it)."""
    return not style.link and all(colour is None or colour.type == ColorType.TRUECOLOR
                                  for colour in (style.color, style.bgcolor))


_OFFSETS: dict[tuple[int, int], RichStyle] = {}


def offset_style(x: int, y: int) -> RichStyle:
    """The meta Textual puts on each piece of text: where it starts in the text (a selection maps through it)."""
    style = _OFFSETS.get((x, y))
    if style is None:
        if len(_OFFSETS) > 65536:
            _OFFSETS.clear()
        style = _OFFSETS[x, y] = RichStyle(meta={"offset": (x, y)})
    return style


class TextPanel(Static):
    """A Static fed with ``show_text``; the base of the run screen's text panels."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes)
        self._shown: Text | None = None
        self._height: tuple[int, int] | None = None  # (width, lines) of the shown text, wrapped at that width
        self._drawn: Drawn | None = None  # the shown text's lines, drawn

    def render(self):
        return self._shown if self._shown is not None else super().render()

    def show_text(self, text: Text) -> None:
        if text == self._shown:
            return
        before = self._drawn.rows if self._drawn is not None else None
        self._shown = text
        drawn = self._draw(text)
        if drawn is None or before is None or len(drawn.rows) != len(before):
            self.refresh()
            self._check_height()
            return
        width = self.size.width
        changed = [Region(0, y, width, 1) for y, (old, new) in enumerate(zip(before, drawn.rows))
                   if old is not new and old != new]
        if changed:
            self.refresh(*changed)

    def on_resize(self) -> None:
        if self._shown is not None:
            self._check_height()  # the same text at a new width may take another number of lines

    def _check_height(self) -> None:
        """Lay the screen out again only when the text's height changed (wrapped lesson text is always wider
        than the panel: its height is what counts); before the panel has a width, always."""
        width = self.content_region.width
        height = (width, self._lines(self._shown, width)) if width > 0 else None
        if height is None or height != self._height:
            self._height = height
            self.refresh(layout=True)

    def _lines(self, text: Text, width: int) -> int:
        """How many lines ``text`` takes at ``width``: its own lines while none is wider, else wrapped as drawn."""
        plain = text.plain
        if width > 0 and all(cell_len(line) <= width for line in plain.split("\n")):
            return plain.count("\n") + 1
        return self._render().get_height(self.styles, max(width, 1))

    # --------------------------------------------------------------------------------------------- drawing

    def _draw(self, text: Text) -> Drawn | None:
        """``text`` drawn line by line, reusing the lines drawn last time that did not change; None when the panel
        is drawn whole (no width yet, content aligned other than top left, text selected)."""
        width = self.size.width
        styles = self.styles
        if width <= 0 or styles.content_align != ("left", "top") or self.text_selection is not None:
            self._drawn = None
            return None
        style = self.visual_style
        key = (width, style, self.app.theme)
        old = self._drawn if self._drawn is not None and self._drawn.key == key else None
        direct = styles.text_align in ("left", "start") and not styles.line_pad
        lines = text.split("\n", allow_blank=True)
        strips = []
        for y, line in enumerate(lines):
            if old is not None and y < len(old.lines) and same_line(old.lines[y], line):
                strips.append(old.strips[y])
                continue
            strip = self._draw_line(line, y, style.rich_style) if direct and line.plain and fits(line, width) else None
            strips.append([strip] if strip is not None else self._draw_wrapped(line, y, width, style))
        self._drawn = Drawn(key, lines, strips)
        return self._drawn

    def _draw_line(self, line: Text, y: int, base: RichStyle) -> Strip | None:
        """Line ``y``, which fits the panel, as Textual would draw it: each piece of it in its style over the
        panel's, with its offset in the text; None if it uses a colour Textual would translate."""
        console = self.app.console
        if line.style:  # Rich leaves a line's own style out of its pieces when it has no spans
            base += console.get_style(line.style)
        segments = []
        x = 0
        for text, style, _ in line.render(console):
            style = base + style
            if not drawn_as_is(style):
                return None
            segments.append(Segment(text, style + offset_style(x, y)))
            x += len(text)
        return Strip(segments)

    def _draw_wrapped(self, line: Text, y: int, width: int, style) -> list[Strip]:
        """Line ``y`` drawn by Textual, wrapped at ``width``: as many strips as it takes lines. Blank lines go before
        it so that its strips carry the offsets they would in the whole text."""
        text = Text("\n" * y)
        text.append_text(line)
        return Visual.to_strips(self, visualize(self, text), width, None, style)[y:]

    def render_line(self, y: int) -> Strip:
        if self._shown is None:
            return super().render_line(y)
        drawn = self._drawn
        if drawn is None or drawn.key != (self.size.width, self.visual_style, self.app.theme):
            drawn = self._draw(self._shown)  # resized, restyled
            if drawn is None:
                return super().render_line(y)
        if y < len(drawn.rows):
            return drawn.rows[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)


class ScenarioPanel(TextPanel):
    """A scenario's own panel under the cores and locks, as its lesson declares it (``Lesson.panel``): its title on
    the border, its text redrawn with the timeline's window."""

    DEFAULT_CSS = """
    ScenarioPanel {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, panel: Panel, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.panel = panel
        self.border_title = panel.title

    def show(self, trace: Trace, now: float, window: tuple[float, float]) -> None:
        panel = self.panel
        if panel.titled is not None:
            self.border_title = panel.titled(trace.meta.get("params", {}))
        self.show_text(panel.describe(trace, now, window, max(self.content_region.width, 10), DARK_INK))

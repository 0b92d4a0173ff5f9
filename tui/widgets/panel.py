"""A panel of text on Textual's Line API: it repaints only the lines whose text changed, and lays the screen out
again only when its height changed (a layout pass costs far more than a repaint, and a repainted line far more
than a kept one).

The text is kept as its lines; each is wrapped to the panel's width and drawn into strips with Textual's public
content API (``Content.wrap``, ``render_segments``), the way Textual draws text in any widget, and the strips are
kept in an LRU cache (cleared when the panel's style changes: a theme, say). ``render_line(y)`` hands out the strip
at ``y`` below the scroll position. The cores panel's bars change ten times a second, its figures below them far
less often: only the lines that changed are drawn again and sent to the terminal.
"""

from __future__ import annotations

from rich.text import Span, Text
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.lessons.lesson import Panel
from tui.model import Trace
from tui.text import printable
from tui.theme import Ink
from tui.themes import INK_CLASSES, ink_css, read_ink

CACHED_LINES = 1024  # wrapped lines kept per panel


def printable_text(line: Text) -> Text:
    """``line`` with every character that is not printable shown as a visible escape (tui.text.printable), each
    style kept on the characters it was on: the last net under every panel's text, so that nothing from a trace or
    a child reaches the terminal as a command. (Each panel escapes the strings it quotes where it quotes them, with
    their newlines: this only catches what one missed. Rich has already dropped BEL and CR from a Text.) A tab is
    kept: the panel sets it as spaces, as Textual does."""
    plain = line.plain
    if plain.isprintable() or ("\t" in plain and plain.replace("\t", " ").isprintable()):
        return line
    starts, shown = [], []
    at = 0
    for c in plain:
        starts.append(at)
        c = c if c.isprintable() or c == "\t" else printable(c, None)
        shown.append(c)
        at += len(c)
    starts.append(at)
    out = line.blank_copy("".join(shown))
    out.spans = [Span(starts[min(s.start, len(plain))], starts[min(s.end, len(plain))], s.style) for s in line.spans]
    return out


def same_line(a: Text, b: Text) -> bool:
    """Whether two lines of text draw the same (Text's == compares only the characters and spans)."""
    return a == b and a.style == b.style and (a.justify, a.overflow, a.no_wrap) == (b.justify, b.overflow, b.no_wrap)


def line_key(line: Text) -> tuple:
    """What decides how a line draws: its characters, spans and style."""
    return line.plain, tuple(line.spans), str(line.style), line.overflow, line.no_wrap


class TextPanel(ScrollView, can_focus=False):
    """Text fed with ``show_text``, on the Line API; the base of the run screen's text panels. ``ink``: the theme's
    colours to write that text in (its component classes, tui/themes.py)."""

    COMPONENT_CLASSES = set(INK_CLASSES)
    DEFAULT_CSS = """
    TextPanel {
        height: auto;
        overflow: hidden hidden;
    }
    """ + ink_css("TextPanel")

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._shown: Text | None = None
        self._lines: list[Text] = []  # the shown text, line by line
        self._rows: list[Strip] = []  # its lines wrapped at the drawn width, in order
        self._drawn_as: tuple | None = None  # (width, style) the rows were drawn at
        self._cache: LRUCache[tuple, list[Strip]] = LRUCache(CACHED_LINES)
        self._ink: tuple[str, Ink] | None = None  # (the theme it was read for, the ink)

    @property
    def ink(self) -> Ink:
        """The theme's colours, as this panel's component classes give them."""
        theme = self.app.theme
        if self._ink is None or self._ink[0] != theme:
            self._ink = (theme, read_ink(self))
        return self._ink[1]

    @property
    def text(self) -> Text:
        """The text shown (empty before the first ``show_text``)."""
        return self._shown if self._shown is not None else Text()

    def render(self) -> Text:
        """The text shown (what the panel draws line by line; for ``str()`` and tests)."""
        return self.text

    def show_text(self, text: Text) -> None:
        if self._shown is not None and same_line(text, self._shown):
            return
        self._shown = text
        self._lines = text.split("\n", allow_blank=True)
        before = self._rows
        if not self._draw():
            return
        if len(self._rows) != len(before):
            self.refresh(layout=True)  # its height changed
            return
        width = self.size.width
        changed = [Region(0, y - self.scroll_offset.y, width, 1) for y, (old, new) in
                   enumerate(zip(before, self._rows)) if old is not new]
        if changed:
            self.refresh(*changed)

    def _draw(self) -> bool:
        """Wrap and draw the text's lines at the panel's width (from the cache where they drew before); False
        before the panel has a width."""
        width = self.scrollable_content_region.width
        if width <= 0:
            return False
        style = self.visual_style
        key = (width, style)
        if key != self._drawn_as:
            self._drawn_as = key
            self._cache.clear()  # another width or style: every line draws anew
        rows: list[Strip] = []
        for line in self._lines:
            found = self._cache.get((line_key(line),))
            if found is None:
                found = self._wrap(line, width, style)
                self._cache.set((line_key(line),), found)
            rows.extend(found)
        self._rows = rows
        self.virtual_size = Size(width, len(rows))
        return True

    def _wrap(self, line: Text, width: int, style) -> list[Strip]:
        line = printable_text(line)
        if "\t" in line.plain:  # to the next multiple of 8, as Textual sets tabs in any widget
            line = line.copy()
            line.expand_tabs(8)
        content = Content.from_rich_text(line, console=self.app.console)
        wrapped = content.wrap(width) if not line.no_wrap else [content]
        return [Strip(row.render_segments(style)).crop_extend(0, width, style.rich_style) for row in wrapped]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The text's lines, wrapped at ``width``."""
        if self._shown is None or width <= 0:  # no room at all (a terminal far too small, under its notice)
            return 1
        if self._drawn_as is None or self._drawn_as[0] != width:
            content_width = self.scrollable_content_region.width
            if content_width != width:  # asked about another width than the panel's: count, draw nothing
                style = self.visual_style
                return sum(len(self._wrap(line, width, style)) for line in self._lines) or 1
            self._draw()
        return max(len(self._rows), 1)

    def on_resize(self) -> None:
        if self._shown is not None and self._draw():
            self.refresh(layout=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn_as = None  # a theme or a class changed the panel's style: its lines draw anew
        self._ink = None

    def render_line(self, y: int) -> Strip:
        if self._drawn_as is None or self._drawn_as != (self.scrollable_content_region.width, self.visual_style):
            if self._shown is None or not self._draw():
                return Strip.blank(self.size.width, self.rich_style)
        row = y + self.scroll_offset.y
        if row < len(self._rows):
            return self._rows[row]
        return Strip.blank(self.scrollable_content_region.width, self.rich_style)


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
        if panel.titled is not None:  # from the run's parameters: text, not markup, escaped
            self.border_title = Text(printable(panel.titled(trace.meta.get("params", {}))))
        self.show_text(panel.describe(trace, now, window, max(self.content_region.width, 10), self.ink))

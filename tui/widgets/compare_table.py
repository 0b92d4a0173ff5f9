"""The comparison's table: one row per model, one column per figure its lesson declares (``Lesson.figures``).

The columns are the lesson's, in its order, those that some model has: wall time, speedup and cores used; or
threads, memory and context switches; or latency percentiles. A model still running shows its figures so far,
marked as such; one not started yet has its row, empty.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.lessons.lesson import Figure, final
from tui.text import printable
from tui.theme import DARK_INK, Ink
from tui.themes import INK_CLASSES, ink_css, read_ink

GAP = 2


def figures_table(variants: dict[str, dict], columns: tuple[Figure, ...], width: int = 200,
                  ink: Ink = DARK_INK) -> Table:
    """The table of ``variants`` (name -> figures) with the lesson's ``columns`` that any model has, in ``width``
    cells, leaving out the least telling columns (the highest ``drop`` first) if it must; still too wide, the
    headings take two lines."""
    shown = [c for c in columns if any(f.get(c.key) is not None for f in variants.values())]
    cells = {c.key: [c.reads(f[c.key]) for f in variants.values() if f.get(c.key) is not None] for c in shown}
    used = max(len(printable(name)) + len(" so far") for name in variants) + GAP
    widths = {c.key: max(len(c.heading), *map(len, cells[c.key])) + GAP for c in shown}
    for column in sorted((c for c in shown if c.drop), key=lambda c: -c.drop):
        if used + sum(widths.values()) <= width:
            break
        shown.remove(column)
        widths.pop(column.key)
    stacked = used + sum(widths.values()) > width  # a heading's words one under another: narrower columns
    table = Table(box=None, padding=(0, GAP, 0, 0), header_style=f"bold {ink.muted}", expand=False)
    table.add_column("model", no_wrap=True)
    for column in shown:
        heading = two_lines(column.heading) if stacked else column.heading
        table.add_column(heading, justify="right", no_wrap=True)
    for name, figures in variants.items():
        started = bool(figures)  # none yet: a model that has not started
        done = started and final(figures)
        label = Text(printable(name), style=f"bold {ink.name}")  # a model's name, from the trace
        if started and not done:
            label.append(" so far", style=ink.muted)
        row = [label]
        for column in shown:
            value = figures.get(column.key)
            shown_value = column.reads(value) if value is not None else "\u2013"
            row.append(Text(shown_value, style="bold" if done else ink.muted))
        table.add_row(*row)
    return table


def two_lines(heading: str) -> str:
    """``heading`` in two lines, split at the space that leaves the longer of them shortest (one word: as is)."""
    words = heading.split(" ")
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    if not splits:
        return heading
    return "\n".join(min(splits, key=lambda pair: max(map(len, pair))))


class CompareTable(Static):
    """One row per model of a comparison, redrawn only when a figure changed."""

    COMPONENT_CLASSES = set(INK_CLASSES)
    DEFAULT_CSS = """
    CompareTable {
        height: auto;
        padding: 0 1;
    }
    """ + ink_css("CompareTable")

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes)
        self._shown: tuple | None = None
        self._given: tuple[dict, str | None, tuple[Figure, ...]] = ({}, None, ())
        self._shape: tuple | None = None
        self.table: Table | None = None
        """The table shown (None before the first model's figures)."""
        self.heading_rows = 1
        """The lines its headings take (a table too wide for its room puts each word of a heading on a line)."""

    def notify_style_update(self) -> None:
        """Its styles changed (the theme's CSS applied, say): drawn again at the next show, in the new ink. The
        theme's name changes a frame before its CSS applies, so a key holding the name alone could keep the old ink."""
        super().notify_style_update()
        self._shown = None

    def show(self, variants: dict[str, dict], note: str | None = None, columns: tuple[Figure, ...] = ()) -> None:
        """The models' ``variants`` (name -> figures), the lesson's ``columns`` of them, and a line under them."""
        self._given = (variants, note, columns)
        width = max(self.content_region.width, 40)
        key = (repr(variants), note, width, self.app.theme)
        if key == self._shown:
            return
        self._shown = key
        ink = read_ink(self)
        if not variants:
            self.table = None
            self._update(Text("The figures appear as each model runs.", style=ink.muted), None)
            return
        self.table = figures_table(variants, columns, width, ink)
        self.heading_rows = max((str(column.header).count("\n") + 1 for column in self.table.columns), default=1)
        content = self.table
        if note:  # its own line under the table, not wrapped at the table's width
            content = Group(self.table, Text(printable(note, None), style=ink.muted, no_wrap=True, overflow="ellipsis"))
        self._update(content, (len(variants), note, width, self.heading_rows))

    @property
    def note(self) -> str | None:
        """The line under the table (a model this Python lacks)."""
        return self._given[1]

    def _update(self, content, shape: tuple | None) -> None:
        """Show ``content``; the screen is laid out again only when its ``shape`` (the rows, the note under them
        and the width they wrap at) changed: figures changing in their cells do not move anything else."""
        self.update(content, layout=shape is None or shape != self._shape)
        self._shape = shape

    def on_resize(self) -> None:
        self.call_after_refresh(self.show, *self._given)  # the columns that fit may have changed (laid out anew)

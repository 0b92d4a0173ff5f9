"""The comparison's table: one row per model, one column per figure its lesson measured (tui.lessons).

The columns are the figures the run's lesson produced, in a fixed order: a cpu-speedup run has wall time,
speedup and cores used; async-fetch has threads, memory and context switches; convoy has latency percentiles.
A model still running shows its figures so far, marked as such; one not started yet has its row, empty.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.lessons import fmt_s

MUTED = "#8b949e"
NAME = "bold #d2a8ff"


def _times(v: float) -> str:
    return f"{v:.2f}x"


def _share(v: float) -> str:
    return f"{v:.0%}"


def _startup(v: float) -> str:
    return fmt_s(v) if v else "\u2013"


def _ms(v: float) -> str:
    return f"{v:.1f} ms"


# figure key -> (heading, how it reads); the order is the table's
COLUMNS = {
    "cpu_threads": ("CPU threads", str),
    "requests": ("requests", lambda v: f"{v:,}"),
    "p50": ("latency p50", _ms),
    "p99": ("latency p99", _ms),
    "wall_s": ("wall time", fmt_s),
    "speedup": ("speedup", _times),
    "cores_used": ("cores used", lambda v: f"{v:.2f}"),
    "gil_wait_share": ("GIL wait", _share),
    "core_wait_share": ("core wait", _share),
    "startup_s": ("pool start-up", _startup),
    "speedup_with_startup": ("with start-up", _times),
    "peak_threads": ("peak threads", str),
    "in_flight_max": ("in flight max", str),
    "peak_rss_mb": ("peak memory", lambda v: f"{v:.0f} MB"),
    "ctx_switches": ("ctx switches", lambda v: f"{v:,}"),
    "cpu_s": ("CPU time", fmt_s),
}

DROPPED_FIRST = ("cpu_s", "requests", "speedup_with_startup", "core_wait_share", "p50")  # when the table is too wide
GAP = 2


def finished(figures: dict) -> bool:
    """Whether a model's figures are final (the lessons say so in their own words)."""
    if "finished" in figures:
        return bool(figures["finished"])
    return figures.get("measured_by", "client") == "client"


def figures_table(variants: dict[str, dict], width: int = 200) -> Table:
    """The table of ``variants`` (name -> figures) in ``width`` cells, leaving out the least telling columns
    if it must."""
    keys = [k for k in COLUMNS if any(f.get(k) is not None for f in variants.values())]
    cells = {k: [COLUMNS[k][1](f[k]) for f in variants.values() if f.get(k) is not None] for k in keys}
    used = max(len(name) + len(" so far") for name in variants) + GAP
    widths = {k: max(len(COLUMNS[k][0]), *map(len, cells[k])) + GAP for k in keys}
    for key in DROPPED_FIRST:
        if used + sum(widths.values()) <= width:
            break
        if key in keys:
            keys.remove(key)
            widths.pop(key)
    table = Table(box=None, padding=(0, GAP, 0, 0), header_style=f"bold {MUTED}", expand=False)
    table.add_column("model", no_wrap=True)
    for key in keys:
        table.add_column(COLUMNS[key][0], justify="right", no_wrap=True)
    for name, figures in variants.items():
        started = bool(figures)  # none yet: a model that has not started
        done = started and finished(figures)
        label = Text(name, style=NAME)
        if started and not done:
            label.append(" so far", style=MUTED)
        cells = [label]
        for key in keys:
            value = figures.get(key)
            cells.append(Text(COLUMNS[key][1](value) if value is not None else "\u2013",
                              style="bold" if done else MUTED))
        table.add_row(*cells)
    return table


class CompareTable(Static):
    """One row per model of a comparison, redrawn only when a figure changed."""

    DEFAULT_CSS = """
    CompareTable {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", name=name, id=id, classes=classes)
        self._shown: tuple | None = None
        self._given: tuple[dict, str | None] = ({}, None)
        self._shape: tuple | None = None
        self.table: Table | None = None
        """The table shown (None before the first model's figures)."""

    def show(self, variants: dict[str, dict], note: str | None = None) -> None:
        self._given = (variants, note)
        width = max(self.content_region.width, 40)
        key = (repr(variants), note, width)
        if key == self._shown:
            return
        self._shown = key
        if not variants:
            self.table = None
            self._update(Text("The figures appear as each model runs.", style=MUTED), None)
            return
        self.table = figures_table(variants, width)
        content = self.table
        if note:  # its own line under the table, not wrapped at the table's width
            content = Group(self.table, Text(note, style=MUTED, no_wrap=True, overflow="ellipsis"))
        self._update(content, (len(variants), note, width))

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
        self.show(*self._given)  # the columns that fit may have changed

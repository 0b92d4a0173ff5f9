"""The timeline: one lane per task, time running left to right, each state in its colour.

One widget draws every lane with Textual's Line API (``render_line`` returns a cached Strip per row), so a run with
hundreds of tasks costs one widget, and only the rows on screen are drawn. Row 0 is the time axis and stays put;
the lanes scroll under it. In dense mode several tasks share a row, which shows the state most of them are in.

Other screens reuse it: ``show(trace, now, window=(t0, t1), variant=...)`` draws one variant of a comparison on a
time axis shared with its neighbours.
"""

from __future__ import annotations

import math
from collections import Counter

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.model import BASE_STATES, Lane, Trace
from tui.widgets.palette import STATE_COLOURS, STATE_LABELS, state_style

WINDOW_S = 20.0  # a run longer than this scrolls: the last WINDOW_S seconds are shown
SPANS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0)
TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
STATE_WIDTH = 9  # "lock wait"
MARK = "\u25c6"  # a lock was acquired in this cell
NOW_MARK = "\u25bc"  # the play head on the axis
EMPTY = Style()
AXIS = Style(color="#8b949e")
NOW = Style(color="#f0f6fc", bold=True)
LABEL = Style(color="#c9d1d9")
DIM = Style(color="#6e7681")
_RANK = {s: i for i, s in enumerate(BASE_STATES)}


def visible_window(now: float, reach: float, window_s: float = WINDOW_S, ncols: int = 100) -> tuple[float, float]:
    """The stretch of time to draw: the whole run while it fits in ``window_s`` (rounded up to a round span, so the
    axis rescales in a few steps), else the last ``window_s`` seconds before ``now``, moved in whole cells so cells
    keep their contents as the window slides."""
    reach = max(reach, now)
    if reach <= window_s:
        span = next((s for s in SPANS if s >= reach), window_s)
        return 0.0, min(span, window_s)
    width = window_s / max(ncols, 1)
    t1 = max(math.ceil(now / width) * width, window_s)
    return t1 - window_s, t1


def tick_step(span: float, ncols: int, every: int = 12) -> float:
    """A round step between axis labels, about ``every`` cells apart."""
    want = span * every / max(ncols, 1)
    return next((s for s in TICKS if s >= want), TICKS[-1])


def fmt_tick(t: float, step: float) -> str:
    if step >= 1:
        return f"{t:.0f}s"
    if step >= 0.1:
        return f"{t:.1f}s"
    return f"{t:.2f}s"


class Timeline(ScrollView, can_focus=True):
    """Every task of a run as a lane of coloured cells."""

    DEFAULT_CSS = """
    Timeline {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        height: 1fr;
    }
    """

    dense: reactive[bool] = reactive(False)
    """Several tasks per row (for runs with more tasks than rows)."""

    def __init__(self, trace: Trace | None = None, *, window_s: float = WINDOW_S, label_width: int = 30,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.trace = trace or Trace()
        self.now = 0.0
        self.reach = 0.0
        self.window_s = window_s
        self.label_width = label_width
        self.fixed_window: tuple[float, float] | None = None
        self.variant: str | None = None
        self.rows: list[list[Lane]] = []
        self.row_height = 1
        self._strips: dict[tuple, Strip] = {}

    # ------------------------------------------------------------------------------------------ feeding

    def show(self, trace: Trace, now: float, reach: float | None = None, window: tuple[float, float] | None = None,
             variant: str | None = None) -> None:
        """Draw ``trace`` as it was at ``now``. ``reach``: a time the axis should include (a replay's end);
        ``window``: a fixed (t0, t1) instead (a comparison's shared axis)."""
        if trace is not self.trace:
            self._strips.clear()
        self.trace, self.now, self.reach = trace, now, now if reach is None else reach
        self.fixed_window, self.variant = window, variant
        self._group()
        self.refresh()

    def watch_dense(self) -> None:
        self._group()
        self.refresh()

    def on_resize(self) -> None:
        self._group()

    def _group(self) -> None:
        lanes = self.trace.ordered_lanes(self.now, self.variant)
        room = self.scrollable_content_region.height - 1  # under the axis
        per_row = max(math.ceil(len(lanes) / max(room, 1)), 1) if self.dense else 1
        self.rows = [lanes[i : i + per_row] for i in range(0, len(lanes), per_row)]
        self.row_height = 2 if 0 < 2 * len(self.rows) <= room else 1  # a blank line between lanes when they fit
        width = self.scrollable_content_region.width or self.size.width
        self.virtual_size = Size(width, len(self.rows) * self.row_height + 1)
        if len(self._strips) > 4096:
            self._strips.clear()

    @property
    def ncols(self) -> int:
        return max(self.scrollable_content_region.width - self.label_width - 1, 1)

    @property
    def window(self) -> tuple[float, float]:
        if self.fixed_window is not None:
            return self.fixed_window
        return visible_window(self.now, self.reach, self.window_s, self.ncols)

    @property
    def lanes_shown(self) -> int:
        return sum(len(row) for row in self.rows)

    # ------------------------------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._axis(width)
        line = y - 1 + int(self.scroll_offset.y)
        row, gap = divmod(line, self.row_height)
        if gap or row >= len(self.rows):
            return Strip.blank(width)
        return self._row(self.rows[row], width)

    def _axis(self, width: int) -> Strip:
        t0, t1 = self.window
        n = self.ncols
        chars = [" "] * n
        step = tick_step(t1 - t0, n)
        t = math.ceil(t0 / step - 1e-9) * step
        while t < t1 - 1e-9:
            col = int((t - t0) / (t1 - t0) * n)
            text = "\u2502" + fmt_tick(t, step)
            if col + len(text) <= n:
                chars[col : col + len(text)] = text
            t += step
        if t0 <= self.now < t1 and self.now < self.trace.duration:  # a replay's play head, before the end
            chars[min(int((self.now - t0) / (t1 - t0) * n), n - 1)] = NOW_MARK
        head = f"{'task':<{self.label_width - STATE_WIDTH - 1}} {'state':<{STATE_WIDTH}}"[: self.label_width]
        axis = "".join(chars)
        before, mark, after = axis.partition(NOW_MARK)
        segments = [Segment(head, DIM), Segment(" "), Segment(before, AXIS)]
        if mark:
            segments += [Segment(mark, NOW), Segment(after, AXIS)]
        return Strip(segments).adjust_cell_length(width)

    def _row(self, lanes: list[Lane], width: int) -> Strip:
        t0, t1 = self.window
        n = self.ncols
        now = self.now
        settled = tuple(min(now, lane.end) if lane.end is not None and lane.end <= now else None for lane in lanes)
        if all(s is not None for s in settled):
            frozen = settled  # every lane of the row ended: its row cannot change any more at this window
        else:
            frozen = now
        key = (tuple(lane.key for lane in lanes), width, t0, t1, n, frozen)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._draw_row(lanes, t0, t1, n, width)
        return strip

    def _draw_row(self, lanes: list[Lane], t0: float, t1: float, n: int, width: int) -> Strip:
        now = self.now
        if len(lanes) == 1:
            lane = lanes[0]
            states, marks = self.trace.cells(lane, t0, t1, n, now)
            name, label_state = lane.name, lane.state_at(now)
        else:
            states, marks = self._dense_cells(lanes, t0, t1, n)
            name = f"{lanes[0].name} +{len(lanes) - 1}"
            label_state = _most_common(lane.state_at(now) for lane in lanes)
        segments = _label(name, label_state, self.label_width)
        segments.append(Segment(" "))
        segments.extend(_cells(states, marks))
        return Strip(segments).adjust_cell_length(width)

    def _dense_cells(self, lanes: list[Lane], t0: float, t1: float, n: int) -> tuple[list, list]:
        columns: list[Counter] = [Counter() for _ in range(n)]
        marks = [False] * n
        for lane in lanes:
            states, lane_marks = self.trace.cells(lane, t0, t1, n, self.now)
            for i, s in enumerate(states):
                if s is not None:
                    columns[i][s] += 1
                marks[i] = marks[i] or lane_marks[i]
        return [_most_common(c.elements()) or None for c in columns], marks


def _label(name: str, state: str, width: int) -> list[Segment]:
    name_width = width - STATE_WIDTH - 1
    if len(name) > name_width:
        name = name[: name_width - 1] + "\u2026"
    return [
        Segment(f"{name:<{name_width}} ", LABEL),
        Segment(f"{STATE_LABELS.get(state, state):<{STATE_WIDTH}}"[:STATE_WIDTH], state_style(state)),
    ]


_CELL_STYLES = {s: Style(bgcolor=c) for s, c in STATE_COLOURS.items()}
_MARK_STYLES = {s: Style(color="#0d1117", bgcolor=c, bold=True) for s, c in STATE_COLOURS.items()}


def _cells(states: list, marks: list) -> list[Segment]:
    """Coloured cells, a run of one state as one segment."""
    out: list[Segment] = []
    run_state, run_len = None, 0
    for state, mark in zip(states, marks):
        if mark and state is not None:
            if run_len:
                out.append(Segment(" " * run_len, _CELL_STYLES.get(run_state, EMPTY)))
                run_len = 0
            out.append(Segment(MARK, _MARK_STYLES.get(state, EMPTY)))
            run_state = None
            continue
        if state != run_state and run_len:
            out.append(Segment(" " * run_len, _CELL_STYLES.get(run_state, EMPTY)))
            run_len = 0
        run_state = state
        run_len += 1
    if run_len:
        out.append(Segment(" " * run_len, _CELL_STYLES.get(run_state, EMPTY)))
    return out


def _most_common(states) -> str:
    counts = Counter(s for s in states if s)
    if not counts:
        return ""
    return max(counts, key=lambda s: (counts[s], -_RANK.get(s, 99)))

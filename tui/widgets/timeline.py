"""The timeline: one lane per task, time running left to right, each state in its colour.

One widget draws every lane with Textual's Line API (``render_line`` returns a cached Strip per row), so a run with
hundreds of tasks costs one widget, and only the rows on screen are drawn. Row 0 is the time axis and stays put;
the lanes scroll under it. In dense mode several tasks share a row, which shows in each cell the state its tasks
spent most of that cell's time in (tui/dense.py keeps those rows up to date by what changed). What a cell shows
is the cell rule's (tui/model/cells.py: ``LaneCells`` keeps a lane's cells up to date frame after frame); this
module only colours them.

Other screens reuse it: ``show(trace, now, window=(t0, t1), variant=...)`` draws one variant of a comparison on a
time axis shared with its neighbours.
"""

from __future__ import annotations

import math

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.dense import Density
from tui.model import Lane, Trace
from tui.model.cells import LaneCells
from tui.text import printable
from tui.theme import DARK_INK, STATE_LABELS, Ink
from tui.themes import INK_CLASSES, ink_css, read_ink
from tui.view import ZOOM_STEP, View
from tui.widgets.palette import state_style

WINDOW_S = 20.0  # a run longer than this scrolls: the last WINDOW_S seconds are shown
SPANS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0)
TICKS = (1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 0.001, 0.002, 0.005,  # zoomed in
         0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
STATE_WIDTH = 9  # "lock wait"
MARK = "\u25c6"  # a lock was acquired in this cell
NOW_MARK = "\u25bc"  # the play head on the axis
EMPTY = Style()
STRIPS_KEPT = 512  # rows' strips kept, the least recently drawn let go first
HEADROOM = 1.25  # while lanes still arrive, dense rows leave room for this many times as many before regrouping


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
    """``1.2s``: a tick's time, with as many decimals as the step between ticks needs (zoomed in: down to the us)."""
    if step >= 1:
        return f"{t:.0f}s"
    if step >= 0.1:
        return f"{t:.1f}s"
    if step >= 0.01:
        return f"{t:.2f}s"
    return f"{t:.{min(math.ceil(-math.log10(step) - 1e-9), 6)}f}s"


def fmt_cell(seconds: float) -> str:
    """``1.2 ms``: the time a cell spans, two figures."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale or unit == "us":
            value = seconds / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{seconds:g} s"


class Looks:
    """The styles a timeline draws with, in one theme's colours (tui/theme.py: ``Ink``)."""

    def __init__(self, ink: Ink, base: Style = EMPTY) -> None:
        self.ink = ink
        self.base = base  # the widget's own colours, under every cell: the theme's ground, not the terminal's
        self.axis = Style(color=ink.muted)
        self.now = Style(color=ink.figure, bold=True)
        self.label = Style(color=ink.label)
        self.dim = Style(color=ink.faint)
        self.name = Style(color=ink.name, bold=True)
        self.figure = Style(color=ink.figure, bold=True)
        self.header = Style(bgcolor=ink.header)
        self.cells = {s: Style(bgcolor=c) for s, c in ink.state.items()}
        self.marks = {s: Style(color=ink.ground, bgcolor=c, bold=True) for s, c in ink.state.items()}
        self.states = {s: state_style(s, ink) for s in (*ink.state, "done")}
        self.picked = Style(color=ink.ground, bgcolor=ink.accent, bold=True)  # the picked lane, the picked time

    def state(self, state: str) -> Style:
        """How a lane's label names ``state``."""
        found = self.states.get(state)
        return found if found is not None else state_style(state, self.ink)


DARK_LOOKS = Looks(DARK_INK)


class Timeline(ScrollView, can_focus=True):
    """Every task of a run as a lane of coloured cells."""

    COMPONENT_CLASSES = set(INK_CLASSES)
    DEFAULT_CSS = """
    Timeline {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        height: 1fr;
    }
    """ + ink_css("Timeline")

    dense: reactive[bool] = reactive(False)
    """Several tasks per row (for runs with more tasks than rows)."""

    class RoomChanged(Message):
        """The rows the lanes have changed (a resize, or a neighbour's layout): whoever decides dense mode by them
        decides again, even while nothing else would draw a frame (a paused replay)."""

    class Asked(Message):
        """The presenter asked with the mouse: zoom by ``zoom`` around ``at`` (ctrl+wheel), pan by ``pan`` (shift+
        wheel), pick ``lane`` (a click on its row) or the stretch ``moment`` (a drag along the cells). The screen
        owns the view (tui/view.py) and draws again at once."""

        def __init__(self, timeline: Timeline, *, zoom: float | None = None, at: float | None = None,
                     pan: int = 0, lane: tuple | None = None, moment: tuple[float, float] | None = None) -> None:
            super().__init__()
            self.timeline = timeline
            self.zoom, self.at, self.pan, self.lane, self.moment = zoom, at, pan, lane, moment

    def __init__(self, trace: Trace | None = None, *, window_s: float = WINDOW_S, label_width: int = 30,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.trace = trace or Trace()
        self.now = 0.0
        self.reach = 0.0
        self.window_s = window_s
        self.label_width = label_width
        self.fixed_window: tuple[float, float] | None = None
        self.view = View()
        """Where the presenter zoomed and what they picked (the run screen's; a comparison's models share the
        comparison screen's, which gives each its window)."""
        self.variant: str | None = None
        self.rows: list[list[Lane]] = []
        self.row_height = 1
        self._strips: LRUCache[tuple, Strip] = LRUCache(STRIPS_KEPT)  # a row's strip per lane, window, version
        self._cells: dict[tuple, LaneCells] = {}  # lane key -> its cells at the last window drawn
        self._density: Density | None = None  # the dense rows, kept up to date by what changed
        self._arrivals = (0, 0.0)  # (lanes, when the last of them arrived): dense rows regroup once they stop
        self._geometry: tuple[int, int, float, float] | None = None  # (width, ncols, t0, t1) while drawing
        self._lines: dict[int, Strip] = {}  # what each line of the view showed when last drawn
        self._drawn_layout: tuple | None = None  # the sizes, scroll and geometry those lines were drawn at
        self._fresh: tuple[tuple | None, dict[int, Strip]] = (None, {})  # the lines the last frame drew, to paint
        self._looks: tuple[str, Looks] | None = None  # (the theme they were read for, the styles)
        self._pressed: tuple[int, int] | None = None  # where a mouse button went down (a click or a drag)

    @property
    def looks(self) -> Looks:
        """The styles this timeline draws with: the theme's colours, as its component classes give them."""
        theme = self.app.theme
        if self._looks is None or self._looks[0] != theme:
            self._looks = (theme, Looks(read_ink(self), self.rich_style))
        return self._looks[1]

    def notify_style_update(self) -> None:
        """Its styles changed (a theme, say): the colours are read anew, and what was drawn in the old ones goes."""
        super().notify_style_update()
        self._looks = None
        self._strips.clear()
        self._lines.clear()
        self._fresh = (None, {})

    # ------------------------------------------------------------------------------------------ feeding

    def show(self, trace: Trace, now: float, reach: float | None = None, window: tuple[float, float] | None = None,
             variant: str | None = None) -> None:
        """Draw ``trace`` as it was at ``now``. ``reach``: a time the axis should include (a replay's end);
        ``window``: a fixed (t0, t1) instead (a comparison's shared axis)."""
        if trace is not self.trace:
            self._strips.clear()
            self._cells.clear()
            self._density = None
        self.trace, self.now, self.reach = trace, now, now if reach is None else reach
        self.fixed_window, self.variant = window, variant
        self._group()
        self._refresh_changed()

    def _refresh_changed(self) -> None:
        """Repaint only the lines that differ from what was drawn last (a live lane's line changes when its cells
        do, a few times a second; the lines between lanes and a finished lane's never): each repainted line costs
        the terminal and Textual far more than drawing it here."""
        height = self.size.height
        layout = (self.size, self.scroll_offset, self.virtual_size, self.row_height, len(self.rows), self._measure())
        if layout != self._drawn_layout or not self._lines:
            self._drawn_layout = layout
            self.refresh()
            return
        self._geometry = layout[-1]
        try:
            lines = {y: self._line(y) for y in range(height)}
        finally:
            self._geometry = None
        changed = [y for y, strip in lines.items() if strip != self._lines.get(y)]
        self._fresh = (layout, lines)  # render_line takes them from here rather than drawing them again
        regions, width = [], max(self.virtual_size.width, self.size.width)
        for y in changed:
            if regions and regions[-1].bottom == y:
                regions[-1] = regions[-1].grow((0, 0, 1, 0))
            else:
                regions.append(Region(0, y, width, 1))
        if regions:
            self.refresh(*regions)

    def watch_dense(self) -> None:
        self._group()
        self.refresh()

    def on_resize(self) -> None:
        self._regroup()

    def _regroup(self) -> None:
        """Group again for new room, and repaint every line (not only those that changed: all rows moved)."""
        if self.scrollable_content_region.height != getattr(self, "_grouped_for", None):
            self.post_message(self.RoomChanged())
        self._group()
        self._drawn_layout = None
        self.refresh()

    def _group(self) -> None:
        lanes = self.trace.ordered_lanes(self.now, self.variant)
        region = self.scrollable_content_region
        self._grouped_for = region.height
        room = region.height - 1  # under the axis
        per_row = self._dense_rows(lanes, room) if self.dense and len(lanes) > max(room, 1) else 1
        self.rows = [lanes[i : i + per_row] for i in range(0, len(lanes), per_row)]
        self.row_height = 2 if 0 < 2 * len(self.rows) <= room else 1  # a blank line between lanes when they fit
        # rows that fit: the whole viewport (the same size frame after frame: no layout pass as lanes arrive)
        height = max(len(self.rows) * self.row_height + 1, region.height if room > 0 else 0)
        self.virtual_size = Size(region.width or self.size.width, height)

    def _dense_rows(self, lanes: list[Lane], room: int) -> int:
        """How many lanes share a row, with the dense rows brought up to date. Exactly as many as fill the rows
        once the lanes stopped arriving; while they still arrive, room for a quarter more, so that the rows are
        not regrouped (everything added up again) every few lanes."""
        need = math.ceil(len(lanes) / max(room, 1))
        density = self._density
        if len(lanes) != self._arrivals[0]:
            self._arrivals = (len(lanes), self.now)
        settled = not self._live_view() or self.now - self._arrivals[1] > 1.0
        if density is None or need > density.per_row or (settled and need != density.per_row):
            per_row = need if settled else math.ceil(len(lanes) * HEADROOM / max(room, 1))
        else:
            per_row = density.per_row
        self._use_density(lanes, per_row)
        return per_row

    def _use_density(self, lanes: list[Lane], per_row: int) -> None:
        """Bring the dense rows of ``per_row`` lanes each up to date (made afresh for another grouping)."""
        density = self._density
        if density is None or density.trace is not self.trace or density.variant != self.variant \
                or density.per_row != per_row or not density.sync(lanes):  # not in order: a late, earlier lane
            density = self._density = Density(self.trace, per_row, self.variant)
            density.sync(lanes)

    def _live_view(self) -> bool:
        """Whether lanes may still arrive: a live run's view (a replay or a frozen trace knows all its lanes)."""
        return self.fixed_window is None and self.trace.ended is None and self.trace.exit is None

    def _measure(self) -> tuple[int, int, float, float]:
        """(width, cells, t0, t1): what every line of one frame shares (asking the screen for the widget's region
        costs more than drawing a lane: once per frame, not once per line)."""
        if self._geometry is not None:
            return self._geometry
        region = self.scrollable_content_region
        if region.height != getattr(self, "_grouped_for", region.height):
            self._regroup()  # the room changed without a resize reaching us (a neighbour's layout)
        width = region.width
        n = max(width - self.label_width - 1, 1)
        t0, t1 = self.view.shown(self.own_window(n))
        return width, n, t0, t1

    def own_window(self, ncols: int | None = None) -> tuple[float, float]:
        """The window the timeline shows by itself (following the run), whatever the presenter zoomed to."""
        if self.fixed_window is not None:
            return self.fixed_window
        n = ncols if ncols is not None else max(self.scrollable_content_region.width - self.label_width - 1, 1)
        return visible_window(self.now, self.reach, self.window_s, n)

    @property
    def end(self) -> float:
        """The latest moment there is to see."""
        return max(self.trace.duration, self.reach, self.now)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._geometry = None
        self._geometry = self._measure()
        try:
            return super().render_lines(crop)
        finally:
            self._geometry = None

    @property
    def ncols(self) -> int:
        return self._measure()[1]

    @property
    def window(self) -> tuple[float, float]:
        return self._measure()[2:]

    @property
    def lanes_shown(self) -> int:
        return sum(len(row) for row in self.rows)

    # ------------------------------------------------------------------------------------------ the mouse

    def time_at(self, x: int) -> float | None:
        """The moment under column ``x`` of the widget (None: over the labels, or past the cells)."""
        _, n, t0, t1 = self._measure()
        col = x - self.label_width - 1
        if col < 0 or col >= n:
            return None
        return t0 + (col + 0.5) * (t1 - t0) / n

    def lane_at(self, y: int) -> Lane | None:
        """The lane on line ``y`` of the widget (a dense row: its first)."""
        if y <= 0:
            return None
        row, gap = divmod(y - 1 + int(self.scroll_offset.y), self.row_height)
        if gap or row >= len(self.rows):
            return None
        return self.rows[row][0]

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if event.ctrl:  # ctrl+wheel zooms in around the mouse; the wheel alone scrolls the lanes
            self._ask(event, zoom=ZOOM_STEP, at=self.time_at(event.x))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if event.ctrl:
            self._ask(event, zoom=1 / ZOOM_STEP, at=self.time_at(event.x))

    def on_mouse_scroll_left(self, event: events.MouseScrollLeft) -> None:
        self._ask(event, pan=-1)  # shift+wheel, or a sideways swipe: earlier

    def on_mouse_scroll_right(self, event: events.MouseScrollRight) -> None:
        self._ask(event, pan=1)

    def _ask(self, event: events.MouseEvent, **what) -> None:
        event.prevent_default()
        event.stop()
        self.post_message(self.Asked(self, **what))

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._pressed = (event.x, event.y)
        self.capture_mouse()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        pressed, self._pressed = self._pressed, None
        self.release_mouse()
        if pressed is None:
            return
        a, b = self.time_at(pressed[0]), self.time_at(event.x)
        if abs(event.x - pressed[0]) >= 2 and a is not None and b is not None:  # a drag along the cells
            self.post_message(self.Asked(self, moment=(a, b)))
        elif event.y == pressed[1] and (lane := self.lane_at(event.y)) is not None:  # a click on a row
            self.post_message(self.Asked(self, lane=lane.key))

    # ------------------------------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        layout, lines = self._fresh
        if y in lines and layout == (self.size, self.scroll_offset, self.virtual_size, self.row_height,
                                     len(self.rows), self._geometry):
            strip = lines[y]
        else:
            strip = self._line(y)
        self._lines[y] = strip
        return strip

    def _line(self, y: int) -> Strip:
        """Line ``y`` of the view: the axis, then the rows under it."""
        width = self._measure()[0]
        if y == 0:
            return self._axis(width)
        line = y - 1 + int(self.scroll_offset.y)
        row, gap = divmod(line, self.row_height)
        if gap or row >= len(self.rows):
            return Strip.blank(width, self.looks.base)
        return self._row_strip(row, width)

    def _row_strip(self, index: int, width: int) -> Strip:
        """Row ``index``: one lane, or several drawn as one (dense)."""
        lanes = self.rows[index]
        return self._row(lanes, width) if len(lanes) == 1 else self._dense_row(index, lanes, width)

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
        looks = self.looks
        head_style = looks.dim
        if not self.view.following:  # zoomed: how fine a cell is, and how to go back
            head = f"{'zoom ' + fmt_cell((t1 - t0) / n) + '/cell, 0 back':<{self.label_width}}"[: self.label_width]
            head_style = looks.now
        axis = "".join(chars)
        parts = [(axis, looks.axis)]
        if self.view.picked is not None:  # the picked stretch, marked on the axis
            p0, p1 = self.view.picked
            lo = min(max(int((p0 - t0) / (t1 - t0) * n), 0), n)
            hi = min(max(math.ceil((p1 - t0) / (t1 - t0) * n), lo), n)
            parts = [(axis[:lo], looks.axis), (axis[lo:hi], looks.picked), (axis[hi:], looks.axis)]
        segments = [Segment(head, head_style), Segment(" ")]
        for part, style in parts:
            before, mark, after = part.partition(NOW_MARK)
            segments.append(Segment(before, style))
            if mark:
                segments += [Segment(mark, looks.now), Segment(after, style)]
        return Strip(segments).adjust_cell_length(width).apply_style(looks.base)

    def _row(self, lanes: list[Lane], width: int) -> Strip:
        _, n, t0, t1 = self._measure()
        now = self.now
        lane = lanes[0]
        if lane.end is not None and lane.end <= now:
            cells, frozen = None, min(now, lane.end)  # the lane ended: its row cannot change any more here
        else:  # a live lane's row changes when its cells or its state do, not every frame
            cells = self._lane_cells(lane, t0, t1, n)
            frozen = (cells.serial, cells.version, lane.state_at(now))
        picked = lane.key == self.view.lane
        key = (lane.key, width, t0, t1, n, frozen, picked)
        strip = self._strips.get(key)
        if strip is None:
            states, marks = (cells or self._lane_cells(lane, t0, t1, n)).cells
            strip = self._strip(lane.name, lane.state_at(now), states, marks, width, picked)
            self._strips.set(key, strip)
        return strip

    def _dense_row(self, index: int, lanes: list[Lane], width: int) -> Strip:
        """Row ``index`` of the dense rows: its cells from the rows kept up to date (tui/dense.py)."""
        _, n, t0, t1 = self._measure()
        row = self._density.rows[index]
        states, marks = row.cells(t0, t1, n, self.now)
        name, state = f"{lanes[0].name} +{len(lanes) - 1}", row.state_at(self.now)
        key = ("dense", self._density.serial, index, row.version, name, state, width, t0, t1, n)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strip(name, state, states, marks, width)
            self._strips.set(key, strip)
        return strip

    def _strip(self, name: str, state: str, states: list, marks: list, width: int, picked: bool = False) -> Strip:
        looks = self.looks
        segments = _label(name, state, self.label_width, looks)
        if picked:  # the picked lane's name stands out
            segments[0] = Segment(segments[0].text, looks.picked)
        segments.append(Segment(" "))
        segments.extend(_cells(states, marks, looks))
        return Strip(segments).adjust_cell_length(width).apply_style(looks.base)

    def _lane_cells(self, lane: Lane, t0: float, t1: float, n: int) -> LaneCells:
        cells = self._cells.get(lane.key)
        if cells is None or not cells.update(lane, t0, t1, n, self.now):
            cells = self._cells[lane.key] = LaneCells(lane, t0, t1, n, self.now)
        return cells


def _label(name: str, state: str, width: int, looks: Looks = DARK_LOOKS) -> list[Segment]:
    """A lane's name (from its trace: escaped, tui.text.printable) and its state, in ``width`` cells."""
    name = printable(name, None)
    name_width = width - STATE_WIDTH - 1
    if len(name) > name_width:
        name = name[: name_width - 1] + "\u2026"
    return [
        Segment(f"{name:<{name_width}} ", looks.label),
        Segment(f"{STATE_LABELS.get(state, state):<{STATE_WIDTH}}"[:STATE_WIDTH], looks.state(state)),
    ]


def _cells(states: list, marks: list, looks: Looks = DARK_LOOKS) -> list[Segment]:
    """Coloured cells, a run of one state as one segment."""
    out: list[Segment] = []
    run_state, run_len = None, 0
    for state, mark in zip(states, marks):
        if mark and state is not None:
            if run_len:
                out.append(Segment(" " * run_len, looks.cells.get(run_state, EMPTY)))
                run_len = 0
            out.append(Segment(MARK, looks.marks.get(state, EMPTY)))
            run_state = None
            continue
        if state != run_state and run_len:
            out.append(Segment(" " * run_len, looks.cells.get(run_state, EMPTY)))
            run_len = 0
        run_state = state
        run_len += 1
    if run_len:
        out.append(Segment(" " * run_len, looks.cells.get(run_state, EMPTY)))
    return out

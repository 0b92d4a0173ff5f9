"""One model of a comparison run: its name and figures over a time axis, its lanes, and what the machine did meanwhile.

``VariantLanes`` is a Timeline (the same lanes, colours and cached rows) drawn on a window the comparison screen
chooses: every model from its own start, at one seconds-per-column scale, so their lengths compare by eye. Its
rows, top to bottom:

    header      the model's name and figures, then the time since its start
    lanes       one per task, or several tasks per row when the screen has fewer rows to give (``max_rows``)
    cores       each core's load (or the mean of all cores): the parent's psutil samples, each held over the
                100 ms it measured, so a model shorter than a sample shows the sample that covers it
    counters    the run's counters that have a row (requests in flight, the responder's latency)

Cores and counters use one scale for every model (100 %, the counter's highest value so far), so the rows compare.
"""

from __future__ import annotations

import bisect
import math

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip

from tui.lessons.lesson import CounterRow
from tui.model import Trace, Variant
from tui.text import printable
from tui.widgets.cores import BARS
from tui.widgets.timeline import NOW_MARK, Timeline, fmt_tick, tick_step

SAMPLE_HOLD_S = 0.2  # a sample stands for the load since the one before it (100 ms apart); never longer than this



def headline(name: str, figures: list[str]) -> list[tuple[str, str]]:
    """The model's name and its headline figures (its lesson's ``headline``: most telling first), each with how
    it looks (``Looks``: name, figure, dim)."""
    return [(name, "name")] + [(figure, "figure") for figure in figures]


def waiting(name: str, room: int) -> list[tuple[str, str]]:
    """The header of a model announced but not started yet, in ``room`` cells (its label's)."""
    words = next((w for w in ("not started yet", "not yet") if len(name) + 2 + len(w) <= room), "")
    return [(name, "name"), (words, "dim")] if words else [(name, "name")]


def held_loads(trace: Trace, core: int | None, t0: float, t1: float, n: int, until: float) -> list[float | None]:
    """Busy % of ``core`` (None: the mean of all cores) in ``n`` columns from ``t0`` to ``t1``: the sample that
    measured each column's middle (the first taken after it); blank after ``until`` or where none did."""
    times, samples = trace.sample_times, trace.samples
    width = (t1 - t0) / n
    out: list[float | None] = []
    for i in range(n):
        middle = t0 + (i + 0.5) * width
        k = bisect.bisect_left(times, middle)
        if middle > until or k >= len(times) or times[k] - middle > SAMPLE_HOLD_S:
            out.append(None)
            continue
        cores = samples[k].cores
        if core is None:
            out.append(sum(cores) / len(cores) if cores else None)
        else:
            out.append(cores[core] if core < len(cores) else None)
    return out


def counter_cells(values: list[tuple[float, int]], t0: float, t1: float, n: int, until: float,
                  level: bool) -> list[float | None]:
    """The counter's highest value in each column; a level also holds its last value through quiet columns."""
    width = (t1 - t0) / n
    out: list[float | None] = []
    i = bisect.bisect_left(values, (t0,))
    last = values[i - 1][1] if level and i > 0 else None  # the level as the window opens
    for c in range(n):
        c0, c1 = t0 + c * width, t0 + (c + 1) * width
        seen = []
        while i < len(values) and values[i][0] < c1:
            if values[i][0] <= until:
                seen.append(values[i][1])
            i += 1
        if c0 > until:
            out.append(None)
        elif level:
            out.append(max(seen + ([last] if last is not None else []), default=None))
            last = seen[-1] if seen else last
        else:
            out.append(max(seen, default=None))
    return out


def spark_segments(values: list[float | None], top: float, colour: str) -> list[Segment]:
    """One block character per value, from ``▁`` to ``█`` of ``top``; a blank where there is none."""
    chars = "".join(" " if v is None else BARS[max(1, min(round(v / top * 8), 8)) if top > 0 else 1] for v in values)
    return [Segment(chars, Style(color=colour))]


def _fitting(pieces: list[tuple[str, str]], room: int, gap: int) -> list[tuple[str, str]]:
    """The first pieces that fit in ``room`` cells, ``gap`` apart (the first always, cut to fit)."""
    out, used = [], 0
    for text, style in pieces:
        need = len(text) + (gap if out else 0)
        if out and used + need > room:
            break
        out.append((text[:room], style))
        used += need
    return out


class VariantLanes(Timeline):
    """One model of a comparison: a header with its figures and time axis, its lanes, its cores and counters."""

    DEFAULT_CSS = """
    VariantLanes {
        overflow-y: hidden;
        height: auto;
    }
    """

    def __init__(self, variant: str, *, counters: tuple[CounterRow, ...] = (), label_width: int = 30,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(label_width=label_width, name=name, id=id, classes=classes)
        self.counters = {row.counter: row for row in counters}
        """The lesson's counter rows (``Lesson.counters``), drawn under the cores where the run has the counter."""
        self.set_reactive(Timeline.dense, True)
        self.variant = variant
        self.max_rows: int | None = None
        """Lane rows this model may use; more tasks than that share rows."""
        self.planned = 0
        """Tasks the screen planned rows for: a model running or not started yet has room for its tasks to come."""
        self.core_rows = "each"
        """``each``: a row per core; ``mean``: one row for the mean of all cores; ``none``: no core rows."""
        self.counter_rows = True
        """Whether the counters have their rows (a small terminal's screen gives its rows to the lanes first)."""
        self.headline: list[tuple[str, str]] = [(variant, "name")]
        self.span = Variant(variant, 0.0)
        self.scales: dict[str, float] = {}
        self.extras: list[tuple] = []
        self._height = 0
        self._shown_key: tuple | None = None

    # ------------------------------------------------------------------------------------------ feeding

    def show_variant(self, trace: Trace, now: float, span: Variant, window: tuple[float, float],
                     headline: list[tuple[str, str]], scales: dict[str, float]) -> None:
        """Draw the model ``span`` (its start and end) of ``trace`` as at ``now`` on ``window``; ``scales``: each
        counter row's top value, shared by every model."""
        if span.start > now or (span.end is not None and span.end <= now):
            # not started or over: only the layout, its figures or a late sample change it
            covered = bisect.bisect_right(trace.sample_times, span.end + SAMPLE_HOLD_S) if span.end is not None \
                else bool(trace.samples)
            key = (id(trace), span.start, window, tuple(headline), tuple(scales.items()), covered, self.dense,
                   self.max_rows, self.planned, self.core_rows, self.counter_rows, self.label_width)
            if key == self._shown_key:
                return
            self._shown_key = key
        else:
            self._shown_key = None
        self.span, self.headline, self.scales = span, headline, scales
        self.show(trace, now, window=window, variant=self.variant)

    @property
    def until(self) -> float:
        """The last moment this model shows: its end, or now while it runs (before its start: none)."""
        if self.span.start > self.now:
            return -math.inf
        end = self.span.end
        return self.now if end is None else min(end, self.now)

    @property
    def running(self) -> bool:
        return self.span.start <= self.now and (self.span.end is None or self.now < self.span.end)

    def _per_row(self, lanes: int) -> int:
        """Tasks per row for ``lanes`` tasks: one each, or as many as fit them into ``max_rows`` when dense."""
        room = self.max_rows if self.dense and self.max_rows else lanes
        return max(math.ceil(lanes / max(room, 1)), 1)

    def _group(self) -> None:
        lanes = self.trace.ordered_lanes(self.now, self.variant)
        per_row = self._per_row(len(lanes))
        if per_row > 1:
            self._use_density(lanes, per_row)
        self.rows = [lanes[i : i + per_row] for i in range(0, len(lanes), per_row)]
        self.row_height = 1
        sample = self.trace.samples[-1] if self.trace.samples else None
        cores = len(sample.cores) if sample else 0
        core_rows = ([("core", c) for c in range(cores)] if self.core_rows == "each" else
                     [("core", None)] if self.core_rows == "mean" else [])
        counters = [("counter", c) for c in self.counters if c in self.trace.counters] if self.counter_rows else []
        self.extras = core_rows + counters
        planned = max(self.planned, len(lanes))  # the rows planned are there before their tasks arrive
        height = 1 + max(len(self.rows), math.ceil(planned / self._per_row(planned))) + len(self.extras)
        self.virtual_size = Size(self.scrollable_content_region.width or self.size.width, height)
        if height != self._height:
            self._height = height
            self.styles.height = height

    # ------------------------------------------------------------------------------------------ drawing

    def _line(self, y: int) -> Strip:
        width = self._measure()[0]
        if y == 0:
            return self._header(width)
        line = y - 1
        if line < len(self.rows):
            return self._row_strip(line, width)
        if line - len(self.rows) < len(self.extras):
            return self._extra(self.extras[line - len(self.rows)], width)
        return Strip.blank(width, self.looks.base)

    def _header(self, width: int) -> Strip:
        room = self.label_width
        headline = [(printable(text, None), role) for text, role in self.headline]  # a model's name is the trace's
        for gap in ("  ", " "):  # as many figures as fit, two spaces apart if they can be
            pieces = _fitting(headline, room, len(gap))
            if len(pieces) == len(headline):
                break
        looks = self.looks
        segments, used = [], 0
        for text, role in pieces:
            if used:
                segments.append(Segment(gap))
                used += len(gap)
            segments.append(Segment(text, getattr(looks, role)))
            used += len(text)
        segments.append(Segment(" " * (self.label_width + 1 - used)))
        if self.span.start <= self.now:
            segments += self._ticks()
        return Strip(segments).adjust_cell_length(width).apply_style(looks.header).apply_style(looks.base)

    def _ticks(self) -> list[Segment]:
        """The time since the model's start; the play head where this model is running now."""
        t0, t1 = self.window
        span, n = t1 - t0, self.ncols
        chars = [" "] * n
        step = tick_step(span, n)
        k = 0
        while k * step < span - 1e-9:
            col = int(k * step / span * n)
            text = "\u2502" + fmt_tick(k * step, step)
            if col + len(text) <= n:
                chars[col : col + len(text)] = text
            k += 1
        if self.running and self.now < self.trace.duration and t0 <= self.now < t1:
            chars[min(int((self.now - t0) / span * n), n - 1)] = NOW_MARK
        before, mark, after = "".join(chars).partition(NOW_MARK)
        looks = self.looks
        return [Segment(before, looks.axis)] + ([Segment(mark, looks.now), Segment(after, looks.axis)] if mark else [])

    def _extra(self, row: tuple, width: int) -> Strip:
        kind, which = row
        t0, t1 = self.window
        until = self.until
        covered = bisect.bisect_right(self.trace.sample_times, until + SAMPLE_HOLD_S)  # the samples it can show
        key = (row, width, t0, t1, self.ncols, self.label_width, until, covered, self.scales.get(which))
        strip = self._strips.get(key)
        if strip is None:
            draw = self._core_row if kind == "core" else self._counter_row
            strip = Strip(draw(which, t0, t1, until)).adjust_cell_length(width).apply_style(self.looks.base)
            self._strips.set(key, strip)
        return strip

    def _core_row(self, core: int | None, t0: float, t1: float, until: float) -> list[Segment]:
        values = held_loads(self.trace, core, t0, t1, self.ncols, until)
        known = [v for v in values if v is not None]
        label = "cores (mean)" if core is None else f"core {core}"
        figure = f"{sum(known) / len(known):3.0f}%" if known else "   \u2013"
        return self._label_segments(label, figure) + spark_segments(values, 100.0, self.looks.ink.good)

    def _counter_row(self, name: str, t0: float, t1: float, until: float) -> list[Segment]:
        row = self.counters[name]
        values = counter_cells(self.trace.counters.get(name, []), t0, t1, self.ncols, until, row.level)
        known = [v for v in values if v is not None]
        figure = f"max {row.reads(max(known))}" if known else "\u2013"
        colour = self.looks.ink.state[row.state]
        return self._label_segments(row.label, figure) + spark_segments(values, self.scales.get(name, 0.0), colour)

    def _label_segments(self, label: str, figure: str) -> list[Segment]:
        room = self.label_width - len(figure) - 1
        looks = self.looks
        return [Segment(f"{label[:room]:<{room}} ", looks.dim), Segment(figure, looks.figure), Segment(" ")]

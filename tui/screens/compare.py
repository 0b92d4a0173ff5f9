"""The comparison screen: the same work under each model, side by side on one time axis, explained by the run's figures.

Every model (a *variant*: serial, threads, processes; asyncio, threads, pool; convoy's stages) is drawn from its
own start at one seconds-per-column scale, so "threads take as long as serial, processes take half" shows in the
lengths of the lanes before any number is read. Each model has its header (name, wall time, speedup), its lanes,
each core's load and the run's counters over the same columns. Under them, the table of every model's figures
and the lesson's explanation (tui.lessons), both as they stood at ``now``.

It is a RunScreen with another layout: the session, the clocks, the keys, saving and the crash panel are the run
screen's, so a comparison runs live, replays and fills in as each model runs the same way.
"""

from __future__ import annotations

import bisect
import math

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Static

from tui import lessons
from tui.model import Trace, Variant
from tui.screens import help as help_screen
from tui.screens.run import FRAME_S, SLOW_EVERY, RunScreen
from tui.widgets.compare_table import CompareTable
from tui.widgets.crash import CrashPanel, failure
from tui.widgets.legend import StateLegend, legend_text
from tui.widgets.lesson import LessonPanel
from tui.widgets.notices import NoticeBar, notices
from tui.widgets.status import StatusLine
from tui.widgets.variants import COUNTERS, VariantLanes, headline, waiting

COMPARISONS = {"cpu-speedup", "convoy"}  # scenarios that always run their models one after another
NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
CORE_ROWS_MAX = 4  # more cores than this: one row for their mean
EXPLANATION_ROWS = {True: 4, False: 2}  # the explanation's rows at least (tall, short); it takes what the models leave
TALL = 32  # as the run screen's -tall breakpoint



def compares(scenario: str, params: dict | None = None) -> bool:
    """Whether a run of ``scenario`` with ``params`` is a comparison (its models run as variants)."""
    return scenario in COMPARISONS or (params or {}).get("model") == "compare"


def nice_span(seconds: float) -> float:
    """The smallest round length (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) that holds ``seconds``."""
    seconds = max(seconds, 1e-3)
    scale = 10.0 ** math.floor(math.log10(seconds))
    return next(m * scale for m in NICE if m * scale >= seconds * (1 - 1e-9))


def share_rows(lanes: list[int], room: int) -> list[int]:
    """Lane rows for models with ``lanes`` tasks each in ``room`` rows: every model all it needs if they fit,
    else the room shared out evenly, a model needing less leaving the rest to the others (at least one each)."""
    if sum(lanes) <= room:
        return list(lanes)
    rows = [0] * len(lanes)
    left = room
    order = sorted(range(len(lanes)), key=lanes.__getitem__)
    for k, i in enumerate(order):
        rows[i] = min(lanes[i], max(left // (len(lanes) - k), 1))
        left -= rows[i]
    return rows


class CompareScreen(RunScreen):
    """Every model of a comparison run on one shared time scale, their figures, and why they differ."""

    DEFAULT_CSS = """
    CompareScreen #body {
        layout: vertical;
    }
    CompareScreen #variants {
        height: auto;
        scrollbar-size-vertical: 1;
    }
    CompareScreen VariantLanes.-spaced {
        margin-bottom: 1;
    }
    CompareScreen #waiting {
        color: $text-muted;
        padding: 0 1;
    }
    CompareScreen #figures {
        height: auto;
    }
    CompareScreen #why {
        height: 1fr;
        scrollbar-size-vertical: 1;
        overflow-y: scroll;  /* the text's width does not change as it grows past the panel */
    }
    CompareScreen #explanation {
        height: auto;
    }
    """

    def __init__(self, scenario: str, params: dict | None = None, seed: int = 1, time_limit_s: float | None = None,
                 *, replay: Trace | None = None, clock=None, name: str | None = None) -> None:
        super().__init__(scenario, params, seed, time_limit_s, replay=replay, clock=clock, name=name)
        self.fit = True  # fold each model's tasks into the rows the screen has
        self.label_width = 30
        self.span = 1.0
        self.figures: dict = {}
        self.note: str | None = None  # a model this Python lacks
        self.tall = True
        self.models: dict[str, VariantLanes] = {}
        self._known = False  # whether the table was drawn knowing the models (announced or started)

    # --------------------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield NoticeBar(id="notices")
        yield CrashPanel(id="crash")
        with Vertical(id="body"):
            yield StateLegend(id="legend")
            with VerticalScroll(id="variants", can_focus=False):
                yield Static("Waiting for the first model to start\u2026", id="waiting")
            yield CompareTable(id="figures", classes="panel")
            with VerticalScroll(id="why", classes="panel"):
                yield LessonPanel(self._watch_line(), id="explanation")
        yield Static(id="too-small")
        yield Footer()

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # the run screen's own on_mount looks for panels this screen does not have
        self.query_one("#figures").border_title = "figures"
        self.query_one("#why").border_title = "why: this run's own figures"
        self.query_one("#why").focus()
        self._fit(self.size.width, self.size.height)
        if not self.replaying and self.session is None:
            self.start_run()
        self.set_interval(FRAME_S, self._clock_frame)  # the clock's frames only (none drawn early for events)
        self.draw()

    def _fit(self, width: int, height: int) -> None:
        self._fit_terminal(width, height)
        self.label_width = 30 if width >= 110 else 22
        self.tall = height >= TALL
        self.query_one(LessonPanel).watch = self._watch_line() if self.tall else ""  # short: the figures first

    def start_run(self) -> None:
        super().start_run()
        for lanes in self.models.values():
            lanes.remove()
        self.models = {}

    # --------------------------------------------------------------------------------------------- drawing

    def draw(self) -> None:
        now = self.next_frame()
        if now is None:
            return
        trace = self.trace
        self.panel(StatusLine).show(trace, now, self.clock, self.busy)
        self.panel(CrashPanel).show(trace, "h goes home, q quits" if self.replaying else
                                    "r runs again, h goes home, q quits")
        settled = not (self.clock.live and trace.exit is None) or not getattr(self.clock, "playing", True)
        announced = planned_models(trace)
        known = bool(trace.variants or announced)
        if settled or self._frame % SLOW_EVERY == 0 or known != self._known:  # the models' rows at once
            self._known = known
            found = lessons.metrics(trace, now) if known else {}
            self.figures = found.get("variants", {})
            lacks = found.get("interpreters") if self.tall else None  # short: the explanation says it
            self.note = f"interpreters: {lacks}" if lacks else None
            self.panel(CompareTable).show({name: {} for name in announced} | self.figures, self.note)
            self.panel(LessonPanel).show(trace, now)
            self.panel(NoticeBar).show(trace, now)
        self._show_models(trace, now, announced)
        self._frame += 1

    def _show_models(self, trace: Trace, now: float, announced: dict[str, int]) -> None:
        """Every model the run announced (``probe.note(models=...)``) from the start, with rows for the tasks
        each will have: the screen is laid out once, not again as each model starts and its tasks arrive (a
        layout pass costs the cores the next model is measured on)."""
        started = {name for name, v in trace.variants.items() if v.start <= now}
        planned = [name for name in dict.fromkeys([*announced, *trace.variants]) if name in started or
                   name in announced]
        for name in planned:
            if name not in self.models:
                self.models[name] = VariantLanes(name, label_width=self.label_width)
                self.query_one("#variants").mount(self.models[name])
        for name, lanes in self.models.items():
            lanes.display = name in planned
            lanes.label_width = self.label_width  # shown or not yet: one width for all
        self.query_one("#waiting").display = not planned
        if not planned:
            return
        shown = [trace.variants[name] for name in planned if name in started]
        if shown:
            self.span = nice_span(max(_until(v, now) - v.start for v in shown))
        self._plan(trace, now, planned, started, announced)
        scales = {name: _peak(trace.counters[name], now) for name in COUNTERS if name in trace.counters}
        for name in planned:
            lanes = self.models[name]
            variant = trace.variants.get(name)
            if name not in started:
                lanes.show_variant(trace, now, Variant(name, math.inf), (0.0, self.span),
                                   waiting(name, self.label_width), scales)
                continue
            running = variant.end is None or now < variant.end
            lanes.show_variant(trace, now, variant, (variant.start, variant.start + self.span),
                               headline(name, self.figures.get(name, {}), running), scales)

    def _plan(self, trace: Trace, now: float, planned: list[str], started: set[str],
              announced: dict[str, int]) -> None:
        """Share the rows the models can have between them: all their lanes if they fit, else fewer rows each
        (tasks share rows); a row per core while there is room, else one for all cores. A model still running or
        not started yet is planned with the tasks it announced, so its rows are there before they arrive."""
        budget = self._rows_for_models(trace, len(planned))
        counts = {name: len(trace.ordered_lanes(now, name)) for name in planned}
        lanes = [counts[name] if _over(trace.variants.get(name), now) else max(counts[name], announced.get(name, 0))
                 for name in planned]
        sample = trace.samples[-1] if trace.samples else None
        cores = len(sample.cores) if sample else 0
        counters = sum(1 for name in COUNTERS if name in trace.counters)
        n = len(planned)
        each = cores <= CORE_ROWS_MAX and budget - n * (1 + cores + counters) >= sum(min(k, 2) for k in lanes)
        fixed = n * (1 + (cores if each else 1) + counters)
        rows = share_rows(lanes, budget - fixed) if self.fit else lanes
        spaced = fixed + sum(rows) + n - 1 <= budget
        for name, planned_lanes, k, last in zip(planned, lanes, rows, [False] * (n - 1) + [True]):
            model = self.models[name]
            model.core_rows = "each" if each else "mean"
            model.max_rows = max(k, 1)
            model.planned = planned_lanes
            model.set_class(spaced and not last, "-spaced")
        needed = fixed + sum(rows) + (n - 1 if spaced else 0)
        self.query_one("#variants").styles.height = max(min(needed, budget), 1)

    def _rows_for_models(self, trace: Trace, models: int) -> int:
        """The screen's height less everything but the models: status, legend, table, explanation, footer."""
        width, height = self.size
        borders = 2 if self.tall else 1
        used = 1 + 1  # status line, footer
        used += legend_text(max(width - 2, 20)).plain.count("\n") + 1
        used += 1 + models + borders + (1 if self.note else 0)
        used += EXPLANATION_ROWS[self.tall] + borders
        used += len(notices(trace, self.clock.now))
        crashed = failure(trace)
        if crashed is not None:
            used += crashed.plain.count("\n") + 1 + 2
        return max(height - used, models)

    # --------------------------------------------------------------------------------------------- actions

    def action_step(self, direction: int) -> None:
        self.clock.step(direction, self.span)
        self.draw()

    def action_dense(self) -> None:
        self.fit = not self.fit
        for lanes in self.models.values():
            lanes.dense = self.fit
        self._dirty = True

    def action_help(self) -> None:
        self.app.push_screen(help_screen.HelpScreen("compare", self.keys()))

    def keys(self) -> list[tuple[str, str]]:
        fit = "fit every model on screen: tasks share rows when there are more than rows (off: a row each, scroll)"
        return [(key, fit if key == "d" else what) for key, what in super().keys()]


def planned_models(trace: Trace) -> dict[str, int]:
    """The models the run announced it will compare, in order, and how many tasks each will have (a scenario's
    ``probe.note(models={name: tasks})``; none: a run that did not say)."""
    models = trace.info.get("models")
    if not isinstance(models, dict):
        return {}
    return {name: tasks if isinstance(tasks, int) else 0 for name, tasks in models.items()}


def _over(variant: Variant | None, now: float) -> bool:
    return variant is not None and variant.end is not None and variant.end <= now


def _until(variant: Variant, now: float) -> float:
    return now if variant.end is None else min(variant.end, now)


def _peak(values: list[tuple[float, int]], now: float) -> float:
    """A counter's highest value up to ``now`` (the counter rows' shared scale)."""
    return max((v for _, v in values[: bisect.bisect_right(values, (now, math.inf))]), default=0)

"""The comparison screen: the same work under each model, side by side on one time axis, explained by the run's figures.

Every model (a *variant*: serial, threads, processes; asyncio, threads, pool; convoy's stages) is drawn from its
own start at one seconds-per-column scale, so "threads take as long as serial, processes take half" shows in the
lengths of the lanes before any number is read. Each model has its header (name, wall time, speedup), its lanes,
each core's load and the run's counters over the same columns. Under them, the table of every model's figures
and the lesson's explanation (tui.lessons), both as they stood at ``now``.

A sibling of the run screen (tui/screens/run.py): both show a ``RunControl`` (tui/control.py: the sessions, the
clocks, saving) and share their keys (tui/screens/scenario.py), so a comparison runs live, replays and fills in as
each model runs the same way; this one lays the models out side by side.

Interpreters compared (``concviz run NAME --python A --python B``, or a replay of such a recording): the
scenario runs under each interpreter in turn, one child at a time (tui.runs.Runs: a Trace per run, on one shared
clock). Every model of every run gets its group, model by model ("serial 3.12", "serial 3.11", "threads 3.12", ...),
each drawn from its own start at the same seconds-per-column; the table has a row per model and interpreter and
the explanation compares them (tui.lessons.interpreters). The status line, notices and crash panel speak of the run
going at the moment shown. Cancelling or quitting ends the running child and starts no more.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui import lessons
from tui.control import SlowPanels
from tui.inspect import lane_figures, range_figures
from tui.lessons import Lesson, interpreters
from tui.model import Trace, Variant
from tui.runs import Runs, compares  # noqa: F401 - compares: as before
from tui.screens.scenario import ScenarioScreen
from tui.text import printable
from tui.view import View
from tui.widgets.compare_table import CompareTable
from tui.widgets.crash import CrashPanel, failure
from tui.widgets.keys import Keys
from tui.widgets.legend import StateLegend, legend_text
from tui.widgets.lesson import LessonPanel
from tui.widgets.notices import NoticeBar, notices
from tui.widgets.status import StatusLine
from tui.widgets.variants import VariantLanes, headline, waiting

NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
CORE_ROWS_MAX = 4  # more cores than this: one row for their mean
EXPLANATION_ROWS = {True: 4, False: 2}  # the explanation's rows at least (tall, short); it takes what the models leave
TALL = 32  # as the run screen's -tall breakpoint



@dataclass
class Slot:
    """One model of one run, as the screen draws it: ``name`` on screen (the model's; with the interpreter's label
    when interpreters are compared), ``variant`` its name in ``trace``, ``now`` that trace's own time, ``tasks`` the
    tasks it announced (0: none said)."""

    name: str
    trace: Trace
    variant: str
    now: float
    tasks: int = 0

    @property
    def started(self) -> bool:
        variant = self.trace.variants.get(self.variant)
        return variant is not None and variant.start <= self.now


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


class CompareScreen(ScenarioScreen):
    """Every model of a comparison run on one shared time scale, their figures, and why they differ."""

    HELP_TOPIC = "compare"
    EARLY_FRAMES = False  # the clock's frames only: none drawn early for events (each lays out the models)
    DEFAULT_CSS = """
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
                 **options) -> None:
        super().__init__(scenario, params, seed, time_limit_s, **options)
        self.lesson = lessons.lesson_for(scenario) or Lesson(scenario, metrics=lambda t, now: {},
                                                             explain=lambda t, now: [])
        """What the scenario's comparison shows: its table's columns, each model's header, its counter rows."""
        self.fit = True  # fold each model's tasks into the rows the screen has
        self.label_width = 30
        self.span = 1.0
        self.figures: dict = {}
        self.note: str | None = None  # a model this Python lacks
        self.tall = True
        self.models: dict[str, VariantLanes] = {}
        self._known = False  # whether the table was drawn knowing the models (announced or started)
        self.view = View()
        """Zoom and picks, in time from each model's start: every model shows the same stretch of its own run."""
        self._picked_in: VariantLanes | None = None  # the model whose lane is picked
        self._asked = False  # the presenter zoomed or picked since the last frame
        self._slow = SlowPanels()  # when the table, explanation and notices are drawn (tui/control.py)

    # --------------------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield from self.guide_bar()
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
        yield Keys(show_command_palette=False)  # ctrl+p: the help screen lists it

    def on_mount(self) -> None:
        self.query_one("#figures").border_title = "figures"
        self.query_one("#why").border_title = "why: this run's own figures"
        self.query_one("#why").focus()

    def _fit(self, width: int, height: int) -> None:
        super()._fit(width, height)
        self.label_width = 30 if width >= 110 else 22
        self.tall = height >= TALL
        self.query_one(LessonPanel).watch = self._watch_line() if self.tall else ""  # short: the figures first

    def start_run(self) -> None:
        super().start_run()
        self._forget_models()

    def _forget_models(self) -> None:
        for lanes in self.models.values():
            lanes.remove()
        self.models = {}

    # --------------------------------------------------------------------------------------------- drawing

    def draw(self) -> None:
        now = self.next_frame()
        if now is None:
            return
        runs = self.runs
        if runs is not None:  # the run going at ``now``, on its own clock
            i, shown_now = runs.at(now)
            shown = runs[i]
            if self.replaying:
                self.control.trace = shown
        else:
            shown, shown_now = self.trace, now
        self.panel(StatusLine).show(shown, shown_now, self.clock, self.busy)
        crashed, hint = self._failure(now)
        self.panel(CrashPanel).show(crashed, hint)
        over = (runs.exit if runs is not None else self.trace.exit) is not None
        settled = over if self.clock.live else not getattr(self.clock, "playing", False)
        slots = self.slots(now)
        known = bool(slots) or bool(runs is None and self.trace.variants)
        if self._slow.due(self._frame, settled, known != self._known or self._asked):  # the rows at once
            self._known, self._asked = known, False
            self._figures(slots, now)
            self.panel(CompareTable).show({slot.name: {} for slot in slots} | self.figures, self.note,
                                          self.lesson.figures)
            if self._show_picked(slots):
                pass  # the explanation's panel shows what was picked, until it is let go
            elif runs is None:
                self.panel(LessonPanel).show(shown, now)
            else:
                self._explain(runs, now)
            self.panel(NoticeBar).show(shown, shown_now)
            self._slow.done()
        self._show_models(slots, now, shown, shown_now)
        self._frame += 1

    def _failure(self, now: float) -> tuple[Trace, str]:
        """The run the crash panel speaks of (interpreters compared: the first that failed by ``now``), and its
        hint."""
        hint = "h goes home, q quits" if self.replaying else "r runs again, h goes home, q quits"
        runs = self.runs
        if runs is None:
            return self.trace, hint
        found = runs.failed()
        if found is None or found[0] > runs.at(now)[0]:
            return runs[runs.at(now)[0]], hint
        return found[1], f"(the run under {runs.labels[found[0]]}) {hint}"

    def slots(self, now: float) -> list[Slot]:
        """Every model to draw at ``now``, in order: the ones the run announced (``probe.note(models=...)``) from
        the start, and any other once it started. Interpreters compared: model by model, each under every
        interpreter in the order they ran; a run not started yet is planned with the models of the first run
        that announced them."""
        runs = self.runs
        if runs is None:
            trace = self.trace
            announced = planned_models(trace)
            return [Slot(name, trace, name, now, announced.get(name, 0))
                    for name in dict.fromkeys([*announced, *trace.variants])
                    if name in announced or trace.variants[name].start <= now]
        labels, offsets = runs.labels, runs.offsets()
        plans = [planned_models(trace) for trace in runs]
        fallback = next((plan for plan in plans if plan), {})
        for i in range(len(runs)):
            if not plans[i] and not runs.started(i) and runs.stopped is None:  # still to come
                plans[i] = fallback
        order = dict.fromkeys(model for i, trace in enumerate(runs) for model in [*plans[i], *trace.variants])
        slots = []
        for model in order:
            for i, trace in enumerate(runs):
                slot = Slot(f"{model} {labels[i]}", trace, model, runs.local(i, now, offsets), plans[i].get(model, 0))
                if model in plans[i] or slot.started:
                    slots.append(slot)
        return slots

    def _figures(self, slots: list[Slot], now: float) -> None:
        """Each model's figures (its lesson's) and the note under the table (a model an interpreter lacks)."""
        if self.runs is None:
            found = lessons.metrics(self.trace, now) if slots else {}
            self.figures = found.get("variants", {})
            lacks = found.get("interpreters") if self.tall else None  # short: the explanation says it
            self.note = f"interpreters: {lacks}" if lacks else None
            return
        found = interpreters.metrics(self.runs, now) if slots else {"models": {}, "lacks": {}}
        labels = self.runs.labels
        self.figures = {f"{model} {label}": figures for model, by_label in found["models"].items()
                        for label, figures in by_label.items() if label in labels}
        self.figures = {slot.name: self.figures[slot.name] for slot in slots if slot.name in self.figures}
        lacks = found["lacks"]
        self.note = ("interpreters: " + "; ".join(f"{label}: {why}" for label, why in lacks.items())
                     if lacks and self.tall else None)

    def _explain(self, runs: Runs, now: float) -> None:
        """The explanation of an interpreters comparison, as the lesson panel draws a run's."""
        panel = self.panel(LessonPanel)
        text = Text()
        if panel.watch:
            text.append("Watch: ", style="bold")
            text.append(printable(panel.watch, None) + "\n", style=panel.ink.muted)
        lines = interpreters.explain(runs, now) if now > 0 else []
        for line in lines:  # quotes each interpreter's label and version: escaped
            text.append("\u2022 ", style="bold")
            text.append(printable(line, None) + "\n")
        if not lines:
            text.append("The figures appear as the runs go.", style=panel.ink.muted)
        text.rstrip()
        panel.show_text(text)

    def _show_models(self, slots: list[Slot], now: float, shown: Trace, shown_now: float) -> None:
        """Every model the run announced (``probe.note(models=...)``) from the start, with rows for the tasks
        each will have: the screen is laid out once, not again as each model starts and its tasks arrive (a
        layout pass costs the cores the next model is measured on)."""
        for slot in slots:
            if slot.name not in self.models:
                self.models[slot.name] = VariantLanes(slot.variant, counters=self.lesson.counters,
                                                      label_width=self.label_width)
                self.query_one("#variants").mount(self.models[slot.name])
        planned = {slot.name for slot in slots}
        for name, lanes in self.models.items():
            lanes.display = name in planned
            lanes.label_width = self.label_width  # shown or not yet: one width for all
        self.query_one("#waiting").display = not slots
        if not slots:
            return
        started = [slot for slot in slots if slot.started]
        if started:
            self.span = nice_span(max(_until(s.trace.variants[s.variant], s.now) - s.trace.variants[s.variant].start
                                      for s in started))
        self._plan(slots, shown, shown_now)
        scales: dict[str, float] = {}
        for slot in slots:
            for name in (row.counter for row in self.lesson.counters):
                if name in slot.trace.counters:
                    scales[name] = max(scales.get(name, 0), _peak(slot.trace.counters[name], slot.now))
        for slot in slots:
            lanes = self.models[slot.name]
            a, b = self.view.shown((0.0, self.span))  # the presenter's zoom, from each model's start
            if not slot.started:
                lanes.show_variant(slot.trace, slot.now, Variant(slot.variant, math.inf), (a, b),
                                   waiting(slot.name, self.label_width), scales)
                continue
            variant = slot.trace.variants[slot.variant]
            running = variant.end is None or slot.now < variant.end
            lanes.show_variant(slot.trace, slot.now, variant, (variant.start + a, variant.start + b),
                               headline(slot.name, self.lesson.headline(self.figures.get(slot.name, {}), running)),
                               scales)

    def _plan(self, slots: list[Slot], shown: Trace, shown_now: float) -> None:
        """Share the rows the models can have between them: all their lanes if they fit, else fewer rows each
        (tasks share rows); a row per core while there is room, else one for all cores. In a small terminal a lane
        row for each model comes first: then no core rows, then no counter rows (the table still gives their
        figures). A model still running or not started yet is planned with the tasks it announced, so its rows are
        there before they arrive."""
        n = len(slots)
        budget = self._rows_for_models(shown, shown_now, n)
        lanes = []
        for slot in slots:
            count = len(slot.trace.ordered_lanes(slot.now, slot.variant))
            over = _over(slot.trace.variants.get(slot.variant), slot.now)
            lanes.append(count if over else max(count, slot.tasks))
        traces = list({id(slot.trace): slot.trace for slot in slots}.values())
        cores = max((len(t.samples[-1].cores) for t in traces if t.samples), default=0)
        counters = sum(1 for row in self.lesson.counters if any(row.counter in t.counters for t in traces))
        if cores <= CORE_ROWS_MAX and budget - n * (1 + cores + counters) >= sum(min(k, 2) for k in lanes):
            core_rows, extras = "each", cores + counters
        elif budget - n * (2 + counters) >= n:
            core_rows, extras = "mean", 1 + counters
        elif budget - n * (1 + counters) >= n:
            core_rows, extras = "none", counters
        else:
            core_rows, extras, counters = "none", 0, 0
        fixed = n * (1 + extras)
        rows = share_rows(lanes, budget - fixed) if self.fit else lanes
        spaced = fixed + sum(rows) + n - 1 <= budget
        for slot, planned_lanes, k, last in zip(slots, lanes, rows, [False] * (n - 1) + [True]):
            model = self.models[slot.name]
            model.core_rows = core_rows
            model.counter_rows = bool(counters)
            model.max_rows = max(k, 1)
            model.planned = planned_lanes
            model.set_class(spaced and not last, "-spaced")
        needed = fixed + sum(rows) + (n - 1 if spaced else 0)
        self.query_one("#variants").styles.height = max(min(needed, budget), 1)

    def _rows_for_models(self, trace: Trace, now: float, models: int) -> int:
        """The screen's height less everything but the models: status, legend, table, explanation, footer."""
        width, height = self.size
        borders = 2 if self.tall else 1
        used = 1 + 1  # status line, footer
        used += legend_text(max(width - 2, 20)).plain.count("\n") + 1
        used += self.panel(CompareTable).heading_rows + models + borders + (1 if self.note else 0)
        used += EXPLANATION_ROWS[self.tall] + borders
        used += len(notices(trace, now))
        crashed = failure(self._failure(self.clock.now)[0])
        if crashed is not None:
            used += crashed.plain.count("\n") + 1 + 2
        return max(height - used, models)

    # --------------------------------------------------------------------------------------------- actions

    def step_span(self) -> float:
        a, b = self.view.shown((0.0, self.span))
        return b - a

    def on_timeline_asked(self, message) -> None:
        message.stop()
        start = message.timeline.span.start if isinstance(message.timeline, VariantLanes) else 0.0
        at = message.at - start if message.at is not None else None
        moment = (message.moment[0] - start, message.moment[1] - start) if message.moment is not None else None
        self.view_asked(zoom=message.zoom, at=at, pan=message.pan, lane=message.lane, moment=moment,
                        timeline=message.timeline)

    def view_asked(self, *, zoom: float | None = None, at: float | None = None, pan: int = 0,
                   lane: tuple | None = None, moment: tuple[float, float] | None = None, follow: bool = False,
                   timeline=None) -> None:
        """Zoom, pan and pick on every model at once: times from each model's start (tui/view.py), then draw."""
        view, own = self.view, (0.0, self.span)
        if follow:
            view.follow()
            view.lane = view.picked = None
            self._picked_in = None
        if zoom:
            view.zoom(zoom, at, own, max((m.ncols for m in self.models.values()), default=80), self.span)
        if pan:
            view.pan(pan, own, self.span)
        if lane is not None:
            view.pick_lane(lane)
            self._picked_in = timeline if view.lane is not None else None
        if moment is not None:
            view.pick_time(*moment)
        for model in self.models.values():  # the picked lane stands out in the model it belongs to
            model.view.lane = view.lane if model is self._picked_in else None
            model.refresh()
        self._asked = True
        self.redraw()

    def _show_picked(self, slots: list[Slot]) -> bool:
        """What was picked, in the explanation's panel (the lane's figures, or each model's in the picked time);
        False when nothing is."""
        panel, view = self.panel(LessonPanel), self.view
        picked_in = self._picked_in
        if view.lane is not None and picked_in is not None and view.lane in picked_in.trace.lanes:
            text = lane_figures(picked_in.trace, picked_in.trace.lanes[view.lane], picked_in.now, panel.ink)
            self.query_one("#why").border_title = "picked lane (click it again to let go)"
        elif view.picked is not None:
            text = Text()
            a, b = view.picked
            for slot in (s for s in slots if s.started):
                start = slot.trace.variants[slot.variant].start
                if text:
                    text.append("\n")
                text.append(printable(slot.name, 40) + "  ", style=f"bold {panel.ink.name}")
                text.append_text(range_figures(slot.trace, slot.trace.ordered_lanes(slot.now, slot.variant),
                                               start + a, start + b, slot.now, panel.ink, lanes_listed=0))
            self.query_one("#why").border_title = "picked time, from each model's start (0 lets go)"
        else:
            self.query_one("#why").border_title = "why: this run's own figures"
            return False
        panel.show_text(text)
        return True

    def action_dense(self) -> None:
        self.fit = not self.fit
        for lanes in self.models.values():
            lanes.dense = self.fit
        self.control.dirty = True

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

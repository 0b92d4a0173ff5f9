"""The run screen: one scenario's tasks, locks and cores, live from its child process or replayed from a file.

Live and replay differ only in the clock (tui.clock) and in who feeds the trace: live, a worker thread runs
``Session.pump()`` and posts each batch to this screen, which applies it to the trace on the UI thread; replay,
the trace is complete from the start and a play head moves over it. Widgets are redrawn at a fixed rate, and only
when what they show has changed.
"""

from __future__ import annotations

import time
from typing import TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from scenarios import catalog
from scenarios.catalog import ParamError
from tui import lessons, tracefile
from tui.clock import LiveClock, ReplayClock
from tui.model import Trace
from tui.pacing import BUSY_FRAME_S, CoreUse
from tui.runs import compares
from tui.widgets.cores import CoresPanel
from tui.widgets.crash import CrashPanel
from tui.widgets.legend import StateLegend
from tui.widgets.lesson import LessonPanel
from tui.widgets.locks import LockPanel
from tui.widgets.notices import NoticeBar
from tui.widgets.output import OutputLog
from tui.widgets.panel import ScenarioPanel
from tui.widgets.status import StatusLine
from tui.widgets.timeline import Timeline

W = TypeVar("W", bound=Widget)
FRAME_S = 1 / 10  # redraw rate: every frame the UI draws is CPU taken from the scenario it measures
SOON_S = FRAME_S / 2  # events arriving this long after a frame of the clock alone are drawn at once
SLOW_EVERY = 5  # the lesson text and lock statistics are redrawn every 5th frame
MIN_SIZE = (60, 16)
DENSE_OVER = 2  # the timeline turns dense by itself when there are more than twice as many lanes as rows


KEY_HELP = {
    "run_again": "run the scenario again (a run still going is cancelled first)",
    "cancel_run": "cancel the run: its child process and everything it started end; the screen stays",
    "save_run": "save the run to concviz-<scenario>-<time>.cvz (replay it with 'concviz replay FILE')",
    "play_pause": "play or pause the replay",
    "step": "pause and step back or forward (1/20 of the time shown)",
    "to_start": "jump to the start or the end of the recording",
    "slower": "play slower or faster (0.1x to 10x)",
    "params": "edit the scenario's parameters and seed, then run it again with them (from a replay: a new run)",
    "takeaways": "the guide's final takeaways, with the figures of this session's runs",
    "dense": "dense view: several tasks per row (on by itself when lanes far outnumber rows; d overrides)",
    "home": "back to the home screen (the run is cancelled); also h",
    "help": "this help",
    "quit": "quit (the run and everything it started end first)",
}


class BatchArrived(Message):
    """A batch of events and samples from a session's pump thread."""

    def __init__(self, session, batch) -> None:
        super().__init__()
        self.session = session
        self.batch = batch


class RunScreen(Screen):
    """A scenario's run: timeline, locks, cores, what it teaches, what it printed."""

    BINDINGS = [
        Binding("r", "run_again", "run again"),
        Binding("c", "cancel_run", "cancel"),
        Binding("s", "save_run", "save"),
        Binding("space", "play_pause", "play/pause", priority=True),
        Binding("left", "step(-1)", "step", key_display="\u2190/\u2192", priority=True),
        Binding("right", "step(1)", "step", show=False, priority=True),
        Binding("home", "to_start", "start/end", key_display="home/end", priority=True),
        Binding("end", "to_end", "end", show=False, priority=True),
        Binding("minus", "slower", "speed", key_display="-/+", priority=True),
        Binding("plus,equals_sign", "faster", "faster", show=False, priority=True),
        Binding("p", "params", "params"),
        Binding("t", "takeaways", "takeaways"),
        Binding("d", "dense", "dense"),
        Binding("escape,h", "home", "home"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
    ]
    LIVE_ONLY = {"run_again", "cancel_run", "save_run"}
    REPLAY_ONLY = {"play_pause", "step", "to_start", "to_end", "slower", "faster"}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, scenario: str, params: dict | None = None, seed: int = 1, time_limit_s: float | None = None,
                 *, replay: Trace | None = None, clock=None, name: str | None = None) -> None:
        super().__init__(name=name)
        self.scenario_name = scenario
        self.params = params
        self.seed = seed
        self.time_limit_s = time_limit_s
        self.replaying = replay is not None
        self.trace = replay if replay is not None else Trace({"scenario": scenario, "params": params or {}})
        self.clock = clock if clock is not None else (LiveClock(self.trace) if replay is None else
                                                       ReplayClock(self.trace.duration))
        self.session = None
        self.recorder = None
        self._dirty = True
        self._frame = 0
        self._drawn: tuple | None = None
        self._drawn_at = 0.0  # time.monotonic() of the last frame drawn
        self._core_use = CoreUse()
        self.busy = False  # the scenario can use every core: frames every BUSY_FRAME_S (the status line says so)
        self._for_events = False  # whether that frame was drawn for events that arrived (not by the clock)
        self._frames = None  # the clock's frame timer
        self._soon = None  # a frame due for events that arrived
        self.dense_chosen = False  # the learner pressed d: the timeline's dense mode no longer follows the lanes
        self._kept: Trace | None = None  # the trace last added to app.runs
        lesson = lessons.lesson_for(scenario)
        # the scenario's own panel, under the cores and locks (its lesson declares it)
        self.extra = ScenarioPanel(lesson.panel) if lesson is not None and lesson.panel is not None else None
        self._found: dict[type, Widget] = {}  # each panel, found once (a query every frame costs)

    # --------------------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield NoticeBar(id="notices")
        yield CrashPanel(id="crash")
        with Horizontal(id="body"):
            with Vertical(id="lanes"):
                yield StateLegend(id="legend")
                yield Timeline(self.trace, id="timeline")
            with Vertical(id="side"):
                yield CoresPanel(id="cores", classes="panel")
                yield LockPanel(id="locks", classes="panel")
                if self.extra is not None:
                    self.extra.add_class("panel")
                    yield self.extra
        with Horizontal(id="bottom"):
            yield LessonPanel(self._watch_line(), id="lesson", classes="panel")
            yield OutputLog(id="output", classes="panel")
        yield Static(id="too-small")
        yield Footer()

    def _watch_line(self) -> str:
        scenario = catalog.scenarios().get(self.scenario_name)
        return scenario.watch if scenario else ""

    def on_mount(self) -> None:
        self.query_one("#cores").border_title = "cores"
        self.query_one("#locks").border_title = "locks"
        self.query_one("#lesson").border_title = "what you are seeing"
        self.query_one("#output").border_title = "output"
        self.query_one(Timeline).focus()
        self._fit(self.size.width, self.size.height)
        if not self.replaying and self.session is None:
            self.start_run()
        self._frames = self.set_interval(FRAME_S, self._clock_frame)
        self.draw()
        self.call_after_refresh(self.redraw)  # once laid out: what depends on sizes (dense lanes, status words)

    def redraw(self) -> None:
        """Draw now, even if the moment shown has not changed."""
        self._dirty = True
        self.draw()

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)
        self._dirty = True

    def _fit_terminal(self, width: int, height: int) -> None:
        """Below the smallest usable size, say so instead of drawing (the run goes on meanwhile)."""
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(small, "-too-small")
        if small:
            self.query_one("#too-small", Static).update(
                f"concviz needs at least {MIN_SIZE[0]} x {MIN_SIZE[1]} cells; this terminal is {width} x {height}.\n"
                "Make it larger: the run goes on meanwhile.\n\nq quits, h goes home"
            )

    def _fit(self, width: int, height: int) -> None:
        self._fit_terminal(width, height)
        timeline = self.query_one(Timeline)
        timeline.label_width = 30 if width >= 110 else 22
        for footer in self.query(Footer):
            footer.compact = width < 110  # every key still fits on one line

    # ------------------------------------------------------------------------------------------ live data

    def start_run(self) -> None:
        """Start the scenario in a child process (cancelling any run still going)."""
        from tui.session import DEFAULT_TIME_LIMIT_S, Session

        self.stop_run("run again")
        scenario = catalog.get(self.scenario_name)
        params = self.params if self.params is not None else scenario.defaults()
        session = Session(scenario, params, self.seed, sink=lambda b: None,
                          time_limit_s=self.time_limit_s or DEFAULT_TIME_LIMIT_S,
                          python=getattr(self.app, "python", None))  # --python: the app's interpreter for runs
        session.sink = lambda batch: self.post_message(BatchArrived(session, batch))
        self.session, self.busy = session, False  # a new session hands events over at once until told otherwise
        self.trace = Trace(session.meta())
        self.clock = LiveClock(self.trace)
        self.recorder = tracefile.Recorder()
        self._dirty = True
        self._pump(session)

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _pump(self, session) -> None:
        session.pump()

    def stop_run(self, reason: str = "cancelled") -> None:
        """Cancel the run if it is going; its whole process tree is ended."""
        if self.session is not None and self.trace.exit is None:
            self.session.cancel(reason)
            self.session.kill_tree()

    @on(BatchArrived)
    def _apply(self, message: BatchArrived) -> None:
        if message.session is not self.session:
            return  # a run that was replaced
        message.batch.apply_to(self.trace)
        if self.recorder is not None:
            self.recorder.add(message.batch)
        self._dirty = True
        self._keep_if_ended()
        batch = message.batch
        if batch.records or batch.output or batch.exit is not None:  # samples alone wait for the clock's frame
            self._draw_soon()

    def _draw_soon(self) -> None:
        """Show events that arrived within ``SOON_S`` of the last frame, not a whole frame period later, yet keep
        to about ``FRAME_S`` between frames: at once if the last frame was the clock's and ``SOON_S`` ago, else
        when that is due (``FRAME_S`` after a frame drawn for events); the clock's next frame then comes a whole
        ``FRAME_S`` later. A steady stream of events is drawn at the frame rate, a lone event within ~50 ms."""
        if self._soon is not None or self._frames is None:
            return
        wait = self._drawn_at + (FRAME_S if self._for_events else SOON_S) - time.monotonic()
        if wait <= 0:
            self._events_frame()
        else:
            self._soon = self.set_timer(wait, self._events_frame)

    def _events_frame(self) -> None:
        self._soon = None
        if self._paced():
            return
        self._for_events = True
        self.draw()
        self._frames.reset()

    def _clock_frame(self) -> None:
        if self._paced():
            return
        self._for_events = False
        self.draw()

    def _paced(self) -> bool:
        """Whether to leave out a frame of the clock or for events: while the live scenario can use every core
        (tui.pacing) they come every ``BUSY_FRAME_S``, and the session hands events over every ``FRAME_S``. What
        the learner does is drawn at once all the same."""
        busy = self.clock.live and self._core_use.every_core(self.trace)
        if busy != self.busy and self.session is not None:  # and events handed over every frame, not every 10 ms
            self.session.hand_over_every(FRAME_S if busy else None)
        self.busy = busy
        return self.busy and time.monotonic() - self._drawn_at < BUSY_FRAME_S - FRAME_S / 2

    def _keep_if_ended(self) -> None:
        """A live run that ended joins the session's runs (the takeaways screen quotes them)."""
        if self.trace.exit is not None and self._kept is not self.trace and not self.replaying:
            self._kept = self.trace
            self.app.runs.append(self.trace)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "session" and event.state == WorkerState.ERROR and self.trace.exit is None:
            error = event.worker.error
            self.trace.exit = {"status": None, "signal": None,
                               "reason": f"could not run: {type(error).__name__}: {error}"}
            self._dirty = True
            self._keep_if_ended()

    def on_unmount(self) -> None:
        self.stop_run("back to home")

    # --------------------------------------------------------------------------------------------- drawing

    def panel(self, kind: type[W]) -> W:
        """The screen's one widget of ``kind`` (the screen's widgets are composed once and stay)."""
        found = self._found.get(kind)
        if found is None:
            found = self._found[kind] = self.query_one(kind)
        return found

    def next_frame(self) -> float | None:
        """Advance the clock; the time to draw, or None when nothing this screen shows can have changed."""
        self.clock.tick()
        now = self.clock.now
        state = (now, getattr(self.clock, "speed", None), getattr(self.clock, "playing", None), self.size)
        if state == self._drawn and not self._dirty:
            return None
        self._drawn, self._dirty = state, False
        self._drawn_at = time.monotonic()
        return now

    def draw(self) -> None:
        now = self.next_frame()
        if now is None:
            return
        trace = self.trace
        reach = trace.duration if self.replaying else None
        timeline = self.panel(Timeline)
        timeline.show(trace, now, reach=reach)
        self._fit_lanes(timeline)
        self.panel(StatusLine).show(trace, now, self.clock, self.busy)
        self.panel(CoresPanel).show(trace, now)
        self.panel(OutputLog).show(trace, now)
        self.panel(CrashPanel).show(trace, "h goes home, q quits" if self.replaying else
                                    "r runs again, h goes home, q quits")
        settled = not (self.clock.live and trace.exit is None) or not getattr(self.clock, "playing", True)
        if settled or self._frame % SLOW_EVERY == 0:
            self.panel(LockPanel).show(trace, now)
            self.set_class(not any(s.acquisitions for s in trace.lock_stats(now)), "-no-locks")
            self.panel(LessonPanel).show(trace, now)
            self.panel(NoticeBar).show(trace, now)
            if self.extra is not None:
                self.extra.show(trace, now, timeline.window)
        self._frame += 1

    def _fit_lanes(self, timeline: Timeline) -> None:
        """Dense mode on when the lanes are far more than the timeline's rows, off when they are not (until d is
        pressed). A few lanes too many scroll instead: a dense row names only its first task."""
        room = timeline.scrollable_content_region.height - 1  # under the axis
        if self.dense_chosen or room <= 0:
            return
        dense = timeline.lanes_shown > DENSE_OVER * room
        if dense != timeline.dense:
            timeline.dense = dense

    # --------------------------------------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in self.LIVE_ONLY:
            return not self.replaying
        if action in self.REPLAY_ONLY:
            return isinstance(self.clock, ReplayClock)
        return True

    def action_run_again(self) -> None:
        self.start_run()

    def action_cancel_run(self) -> None:
        if self.session is None or self.trace.exit is not None:
            self.notify("no run is going: r runs it again")
            return
        self.stop_run("cancelled")
        self.notify("run cancelled")

    def action_save_run(self) -> None:
        self.save_run()

    def save_run(self) -> None:
        """Save the run so far to concviz-<scenario>-<timestamp>.cvz in the current directory."""
        if self.recorder is None:
            self.notify("nothing to save yet")
            return
        path = f"concviz-{self.scenario_name}-{time.strftime('%Y%m%d-%H%M%S')}.cvz"
        try:
            size = self.recorder.save(path, self.trace.meta)
        except (OSError, tracefile.TraceFileError) as exc:
            self.notify(f"could not save: {exc}", severity="error")
            return
        self.notify(f"saved {path} ({size / 1024:.1f} KiB): concviz replay {path}")

    def action_play_pause(self) -> None:
        self.clock.toggle()
        self._dirty = True

    def action_step(self, direction: int) -> None:
        t0, t1 = self.query_one(Timeline).window
        self.clock.step(direction, t1 - t0)
        self.draw()

    def action_to_start(self) -> None:
        self.clock.to_start()
        self.draw()

    def action_to_end(self) -> None:
        self.clock.to_end()
        self.draw()

    def action_faster(self) -> None:
        self.clock.faster()
        self.draw()

    def action_slower(self) -> None:
        self.clock.slower()
        self.draw()

    def action_dense(self) -> None:
        timeline = self.query_one(Timeline)
        timeline.dense = not timeline.dense
        self.dense_chosen = True
        self._dirty = True

    def action_params(self) -> None:
        """The parameter form; its run button runs the scenario again with the values (a replay: a new live run)."""
        from tui.screens.params import ParamsScreen

        try:
            scenario = catalog.get(self.scenario_name)
        except ParamError as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.push_screen(ParamsScreen(scenario, self.current_params(scenario), self.current_seed(),
                                          new_run=self.replaying), self.run_with)

    def current_params(self, scenario) -> dict:
        """The values this screen's run uses (a replay: the recorded ones), over the scenario's defaults."""
        given = self.trace.meta.get("params", {}) if self.replaying else (self.params or {})
        values = scenario.defaults()
        for name, value in given.items():
            try:
                values[name] = scenario.param(name).parse(value)
            except ParamError:
                continue  # a recorded parameter this version no longer takes, or no longer allows
        return values

    def current_seed(self) -> int:
        seed = self.trace.meta.get("seed", self.seed) if self.replaying else self.seed
        return seed if isinstance(seed, int) else 1

    def run_with(self, choice) -> None:
        """The form's answer: None (cancelled) or a ParamsChoice to run with."""
        if choice is None:
            return
        if self.replaying or compares(self.scenario_name, choice.params) != compares(self.scenario_name, self.params):
            self.stop_run("run again")  # a replay, or a run that becomes (or stops being) a comparison
            self.app.start_run(self.scenario_name, choice.params, choice.seed)  # the app picks the screen
            return
        self.params, self.seed = choice.params, choice.seed
        self.start_run()

    def action_takeaways(self) -> None:
        from tui.screens.takeaways import TakeawaysScreen

        self.app.push_screen(TakeawaysScreen())

    def action_home(self) -> None:
        self.stop_run("back to home")
        self.app.go_home()

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen("run", self.keys()))

    async def action_quit(self) -> None:
        self.stop_run("quit")
        self.app.exit()

    def keys(self) -> list[tuple[str, str]]:
        """The keys this screen answers to now, for the help screen."""
        out = []
        for binding in self.BINDINGS:
            name = binding.action.split("(")[0]
            if binding.show and self.check_action(name, ()):
                out.append((binding.key_display or binding.key.split(",")[0], KEY_HELP.get(name, binding.description)))
        return out



"""What the run screen and the comparison screen share: a scenario's run (tui/control.py: ``RunControl``), its keys
and what they do. The two screens are siblings built on this; each lays out and draws the run its own way.

Live and replay differ only in the clock and in who feeds the trace: live, a worker thread runs the session's pump
and posts each batch to the screen, which hands it to the control on the UI thread; replay, the trace is complete
from the start and a play head moves over it.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from scenarios import catalog
from scenarios.catalog import ParamError
from tui import tracefile
from tui.clock import ReplayClock
from tui.control import FRAME_S, NothingToSave, RunControl
from tui.model import Trace
from tui.runs import Runs, compares
from tui.screens.compositor import LeanCompositor
from tui.screens.too_small import MIN_SIZE  # noqa: F401 - as before
from tui.text import printable
from tui.view import ZOOM_STEP

W = TypeVar("W", bound=Widget)

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
    "zoom_in": "zoom in (ctrl+wheel: around the mouse); a click on a lane or a drag along the cells picks it",
    "zoom_out": "zoom out",
    "pan": "move the time shown earlier or later (shift+wheel too)",
    "follow": "back to the whole run, following it live, and let go of what was picked",
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


class ScenarioScreen(Screen):
    """A scenario's run on screen: the keys, the frames, and the run's control. Subclasses compose and ``draw``."""

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
        Binding("n", "tour_next", "next step"),
        Binding("p", "tour_previous", "step before"),
        Binding("P", "edit_params", "params", show=False),
        Binding("t", "takeaways", "takeaways"),
        Binding("d", "dense", "dense"),
        Binding("right_square_bracket", "zoom_in", "zoom", key_display="[ ]"),
        Binding("left_square_bracket", "zoom_out", "zoom out", show=False),
        Binding("comma", "pan(-1)", "pan", key_display=", ."),
        Binding("full_stop", "pan(1)", "pan", show=False),
        Binding("0", "follow", "follow"),
        Binding("escape,h", "home", "home"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
    ]
    LIVE_ONLY = {"run_again", "cancel_run", "save_run"}
    FOOTER_FROM = {"step": 110, "to_start": 110, "slower": 110, "save_run": 80, "takeaways": 80, "dense": 80,
                   "zoom_in": 150, "pan": 150, "follow": 150}
    """The footer leaves these keys out below these widths, so that the rest (help and quit always) fit on its
    line; they still work, and the help lists every key."""
    TOUR_LEAVES_OUT = {"step", "to_start", "slower", "takeaways", "dense", "save_run", "cancel_run"}
    """In the tour the footer names its own keys instead (these still work, and the help lists them)."""
    REPLAY_ONLY = {"play_pause", "step", "to_start", "to_end", "slower", "faster"}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    HELP_TOPIC = "run"
    EARLY_FRAMES = True
    """Whether events that arrive are drawn within ``SOON_S`` rather than at the clock's next frame."""

    def __init__(self, scenario: str, params: dict | None = None, seed: int = 1, time_limit_s: float | None = None,
                 *, replay: Trace | Runs | None = None, clock=None, name: str | None = None,
                 pythons: list | tuple = (), tour_step=None) -> None:
        super().__init__(name=name)
        self._compositor = LeanCompositor()  # each frame renders what changed, not the whole screen again
        self.tour_step = tour_step
        """The tour's step this run is (tui/tour.py), or None: n and p move through the tour, P edits parameters."""
        self.control = RunControl(scenario, params, seed, time_limit_s, replay=replay, clock=clock, pythons=pythons)
        """The run this screen shows (tui/control.py): its trace, clock, sessions and recording."""
        self.control.spawn = lambda pump: self.run_worker(pump, thread=True, group="session", exit_on_error=False)
        self.control.deliver = lambda session, batch: self.post_message(BatchArrived(session, batch))
        self.control.ended = lambda trace: self.app.runs.append(trace)
        self._frame = 0
        self._frames = None  # the clock's frame timer
        self._soon = None  # a frame due for events that arrived
        self._found: dict[type, Widget] = {}  # each panel, found once (a query every frame costs)
        self._footer_width = 0  # the width the footer's keys were chosen for

    # ------------------------------------------------------------------------------------- the run's state

    @property
    def scenario_name(self) -> str:
        return self.control.scenario

    @property
    def params(self) -> dict | None:
        return self.control.params

    @property
    def seed(self) -> int:
        return self.control.seed

    @property
    def trace(self) -> Trace:
        return self.control.trace

    @property
    def clock(self):
        return self.control.clock

    @property
    def session(self):
        return self.control.session

    @property
    def runs(self) -> Runs | None:
        return self.control.runs

    @property
    def replaying(self) -> bool:
        return self.control.replaying

    @property
    def busy(self) -> bool:
        return self.control.busy

    def _watch_line(self) -> str:
        scenario = catalog.scenarios().get(self.scenario_name)
        return scenario.watch if scenario else ""

    # ----------------------------------------------------------------------------------------------- frames

    def on_mount(self) -> None:
        """After the screen's own on_mount (Textual calls each class's handler, the subclass's first)."""
        self.control.python = getattr(self.app, "python", None)  # --python: the interpreter a single run uses
        self._fit(self.size.width, self.size.height)
        if self.control.live and self.session is None:
            self.start_run()
        self._frames = self.set_interval(FRAME_S, self._clock_frame)
        self.app.theme_changed_signal.subscribe(self, lambda theme: self.redraw())  # every panel in its colours
        self.draw()

    def redraw(self) -> None:
        """Draw now, even if the moment shown has not changed."""
        self.control.dirty = True
        self.draw()

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)
        self.control.dirty = True

    def _fit(self, width: int, height: int) -> None:
        """Lay the screen out for its size (below the smallest usable size the app's notice covers it: the run goes
        on meanwhile); the footer's keys for its width."""
        for footer in self.query(Footer):
            footer.compact = width < 110
        if width != self._footer_width:
            self._footer_width = width
            self.refresh_bindings()

    @property
    def active_bindings(self):
        """As Textual's, but the keys the footer leaves out at this width (``FOOTER_FROM``) marked not to be shown:
        only the footer reads this; every key still works."""
        found = super().active_bindings
        width = self.size.width
        for key, active in found.items():
            binding = active.binding
            name = binding.action.split("(")[0]
            least = self.FOOTER_FROM.get(name)
            if self.in_tour and name in self.TOUR_LEAVES_OUT:
                least = 10**6
            if binding.show and least is not None and width < least:
                found[key] = active._replace(binding=dataclasses.replace(binding, show=False))
        return found

    def next_frame(self) -> float | None:
        """Advance the clock; the time to draw, or None when nothing this screen shows can have changed."""
        return self.control.frame(self.size)

    def draw(self) -> None:
        raise NotImplementedError

    def _clock_frame(self) -> None:
        if self.control.paced():
            return
        self.control.for_events = False
        self.draw()

    def _events_frame(self) -> None:
        self._soon = None
        if self.control.paced():
            return
        self.control.for_events = True
        self.draw()
        self._frames.reset()

    def _draw_soon(self) -> None:
        """Events arrived: draw them within ``SOON_S`` (tui/control.py: ``RunControl.soon``)."""
        if self._soon is not None or self._frames is None or not self.EARLY_FRAMES:
            return
        wait = self.control.soon()
        if wait <= 0:
            self._events_frame()
        else:
            self._soon = self.set_timer(wait, self._events_frame)

    def panel(self, kind: type[W]) -> W:
        """The screen's one widget of ``kind`` (the screen's widgets are composed once and stay)."""
        found = self._found.get(kind)
        if found is None:
            found = self._found[kind] = self.query_one(kind)
        return found

    # ------------------------------------------------------------------------------------------- live data

    def start_run(self) -> None:
        """Start the scenario in a child process (cancelling any run still going)."""
        self.control.start()

    def stop_run(self, reason: str = "cancelled") -> None:
        """Cancel the run if it is going; its whole process tree is ended."""
        self.control.stop(reason)

    @on(BatchArrived)
    def _apply(self, message: BatchArrived) -> None:
        if self.control.receive(message.session, message.batch):
            self._draw_soon()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "session" and event.state == WorkerState.ERROR:
            self.control.failed(event.worker.error)

    def on_unmount(self) -> None:
        self.stop_run("back to home")

    # ---------------------------------------------------------------------------------------------- actions

    @property
    def in_tour(self) -> bool:
        return self.tour_step is not None

    def guide_bar(self):
        """The tour's bar over the run (nothing outside the tour)."""
        if self.tour_step is not None:
            from tui.widgets.guide_bar import GuideBar

            yield GuideBar(self.tour_step, id="guide-bar")

    def action_tour_next(self) -> None:
        self.app.tour_move(1)

    def action_edit_params(self) -> None:
        self.action_params()

    def action_tour_previous(self) -> None:
        self.app.tour_move(-1)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("tour_next", "tour_previous"):
            return self.in_tour
        if action == "params" and self.in_tour:
            return False  # in the tour p is the step before; P edits the parameters
        if action == "edit_params":
            return self.in_tour
        if action == "run_again" and self.in_tour and self.replaying:
            return True  # a recorded step plays again from its start
        if action in self.LIVE_ONLY:
            return not self.replaying
        if action in self.REPLAY_ONLY:
            return isinstance(self.clock, ReplayClock)
        return True

    def action_run_again(self) -> None:
        if self.replaying:  # a recorded tour step: from its start again
            self.clock.to_start()
            if not self.clock.playing:
                self.clock.toggle()
            self.redraw()
            return
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
        try:
            path, size = self.control.save()
        except NothingToSave:
            self.notify("nothing to save yet")
            return
        except (OSError, tracefile.TraceFileError) as exc:
            self.notify(f"could not save: {printable(exc, None)}", severity="error", markup=False)
            return
        runs = self.runs
        what = f", {len(runs)} interpreters" if runs is not None else ""
        shown = printable(path, None)  # named after the scenario, which a replayed file names
        self.notify(f"saved {shown} ({size / 1024:.1f} KiB{what}): concviz replay {shown}", markup=False)

    def step_span(self) -> float:
        """The time shown across the screen: a step is a twentieth of it."""
        raise NotImplementedError

    def action_play_pause(self) -> None:
        self.clock.toggle()
        self.control.dirty = True

    def action_step(self, direction: int) -> None:
        self.clock.step(direction, self.step_span())
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

    def action_params(self) -> None:
        """The parameter form; its run button runs the scenario again with the values (a replay: a new live run)."""
        from tui.screens.params import ParamsScreen

        try:
            scenario = catalog.get(self.scenario_name)
        except ParamError as exc:
            self.notify(printable(exc, None), severity="error", markup=False)  # names the file's scenario
            return
        self.app.push_screen(ParamsScreen(scenario, self.control.current_params(scenario),
                                          self.control.current_seed(), new_run=self.replaying), self.run_with)

    def run_with(self, choice) -> None:
        """The form's answer: None (cancelled) or a ParamsChoice to run with."""
        if choice is None:
            return
        scenario = self.scenario_name
        if self.replaying or compares(scenario, choice.params) != compares(scenario, self.params):
            self.stop_run("run again")  # a replay, or a run that becomes (or stops being) a comparison
            self.app.start_run(scenario, choice.params, choice.seed)  # the app picks the screen
            return
        self.control.params, self.control.seed = choice.params, choice.seed
        self.start_run()

    def action_zoom_in(self) -> None:
        self.view_asked(zoom=ZOOM_STEP, at=self.clock.now if self.replaying else None)

    def action_zoom_out(self) -> None:
        self.view_asked(zoom=1 / ZOOM_STEP)

    def action_pan(self, direction: int) -> None:
        self.view_asked(pan=direction)

    def action_follow(self) -> None:
        self.view_asked(follow=True)

    def view_asked(self, *, zoom: float | None = None, at: float | None = None, pan: int = 0,
                   lane: tuple | None = None, moment: tuple[float, float] | None = None, follow: bool = False,
                   timeline=None) -> None:
        """Zoom, pan, pick or follow again (keys, or the mouse on ``timeline``), then draw at once."""
        raise NotImplementedError

    def action_takeaways(self) -> None:
        from tui.screens.takeaways import TakeawaysScreen

        self.app.push_screen(TakeawaysScreen())

    def action_home(self) -> None:
        self.stop_run("back to home")
        self.app.go_home()

    def action_help(self) -> None:
        from tui.screens.help import show_help

        show_help(self.app, self.HELP_TOPIC, self.keys())

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


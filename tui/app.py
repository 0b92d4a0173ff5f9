"""The concviz app: a home screen, and run screens (or comparison screens) fed live by a session or replayed from a
trace file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui.clock import ReplayClock
from tui.screens.home import HomeScreen
from tui.screens.too_small import TooSmallScreen, too_small
from tui.text import printable
from tui.theme import PALETTES, THEME_PREFIX
from tui.themes import themes, variable_defaults

if TYPE_CHECKING:  # the run screens, the session and the model are imported with the first run: home comes sooner
    from tui.model import Trace
    from tui.runs import Runs
    from tui.screens.scenario import ScenarioScreen


def run_screen(scenario: str, params: dict | None = None, seed: int = 1, time_limit_s: float | None = None,
               pythons: list | tuple = (), **replayed) -> ScenarioScreen:
    """The screen for a run: the comparison screen when its models run side by side (a comparison scenario, a
    ``model=compare`` run, a recording with variants), else the run screen. A comparison given two or more
    interpreters (``pythons``), or a recording of one, compares the interpreters on the comparison screen."""
    from tui.runs import Runs
    from tui.screens.compare import CompareScreen, compares
    from tui.screens.run import RunScreen

    trace = replayed.get("replay")
    if isinstance(trace, Runs):
        return CompareScreen(scenario, params, seed, time_limit_s, **replayed)
    comparison = bool(trace.variants) if trace is not None else compares(scenario, params)
    if comparison and trace is None and len(pythons) > 1:
        return CompareScreen(scenario, params, seed, time_limit_s, pythons=pythons)
    screen = CompareScreen if comparison else RunScreen
    return screen(scenario, params, seed, time_limit_s, **replayed)


class ConcvizApp(App):
    """Home is always at the bottom of the screen stack: leaving a run goes back to it.

    ``pythons`` (``--python``, tui.pythons.Interpreter): the interpreters live runs use. None: concviz's own; one:
    every run's child runs on it; two or more: a comparison scenario runs under each in turn and compares them,
    any other scenario started in the app runs under the first."""

    CSS_PATH = "concviz.tcss"
    TITLE = "concviz"
    BINDINGS = [Binding("ctrl+c", "quit", "quit", show=False, priority=True)]

    def __init__(self, scenario: str | None = None, params: dict | None = None, seed: int = 1,
                 time_limit_s: float | None = None, replay: Trace | None = None, speed: float = 1.0,
                 replay_path: str | None = None, *, playing: bool = True, start_at: float | None = None,
                 pythons: list | tuple = (), theme: str = "dark", tour=None) -> None:
        super().__init__()
        self.tour = tour
        """The guide as a tour (tui/tour.py: ``concviz tour``), or None."""
        self.tour_runs: list[Trace] = []  # the recordings the tour replayed (its takeaways quote them too)
        for made in themes():  # concviz's palettes (tui/theme.py) as Textual themes
            self.register_theme(made)
        self.theme = f"{THEME_PREFIX}{theme}"
        self.pythons = list(pythons)
        self.runs: list[Trace] = []  # every run that ended in this session, oldest first (the takeaways screen)
        self.first = None
        self._fitting = False  # whether the notice of a terminal too small is kept up (once mounted)
        if replay is not None:
            clock = ReplayClock(replay.duration, speed, playing=playing, position=start_at or 0.0)
            self.first = run_screen(replay.meta.get("scenario", "?"), replay=replay, clock=clock)
            self.sub_title = printable(replay_path or "replay", None)
        elif scenario is not None:
            self.first = run_screen(scenario, params, seed, time_limit_s, self.pythons)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The palette's variables for any other theme too (the dark palette's colours)."""
        return {**super().get_theme_variable_defaults(), **variable_defaults()}

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): concviz's themes by name, and Textual's commands but its theme picker."""
        for name in PALETTES:
            yield SystemCommand(f"Theme: {name}", f"concviz in its {name} theme" + (
                ", high contrast for projectors" if name == "light" else ""), lambda name=name: self.use_theme(name))
        yield from (command for command in super().get_system_commands(screen) if command.title != "Theme")

    def use_theme(self, name: str) -> None:
        self.theme = f"{THEME_PREFIX}{name}"

    def get_default_screen(self) -> HomeScreen:
        return HomeScreen()

    def on_mount(self) -> None:
        if self.tour is not None:
            self.show_step()
        elif self.first is not None:
            self.push_screen(self.first)
        self._fitting = True
        self.fit()

    def on_resize(self, event) -> None:
        self.fit(event.size)

    def fit(self, size=None) -> None:
        """Below the minimum size, the notice over every screen (tui/screens/too_small.py); away once it fits."""
        if not self._fitting:
            return
        size = self.size if size is None else size
        top = self.screen_stack[-1] if self.screen_stack else None
        notice = top if isinstance(top, TooSmallScreen) else None
        if too_small(size):
            if notice is None:
                self.push_screen(TooSmallScreen())
            else:
                notice.show(size)
        elif notice is not None:
            self.pop_screen()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Nothing opens over the notice of a terminal too small (the command palette, say)."""
        if action == "command_palette" and isinstance(self.screen, TooSmallScreen):
            return False
        return super().check_action(action, parameters)

    @property
    def python(self):
        """The interpreter a single live run's child runs on (None: concviz's own)."""
        return self.pythons[0] if self.pythons else None

    # ------------------------------------------------------------------------------------------------ the tour

    def tour_move(self, direction: int) -> None:
        """The next step of the tour (+1) or the one before (-1); at either end, says so."""
        step = self.tour.next() if direction > 0 else self.tour.previous()
        if step is None:
            self.notify("the tour's last step: p goes back" if direction > 0 else "the tour's first step")
            return
        self.show_step()

    def show_step(self) -> None:
        """The tour's step on screen: its run (a recording with ``--from``, else live), or the guide to read."""
        from tui import tracefile
        from tui.screens.guide import GuideScreen

        step = self.tour.step
        if step.scenario is None:
            screen = GuideScreen(step, self.runs + self.tour_runs)
        else:
            path = self.tour.recording(step)
            trace = None
            if path is not None:
                try:
                    trace = tracefile.load(path)
                except tracefile.TraceFileError as exc:
                    self.notify(f"{exc}: this step runs live", severity="warning")
            if trace is not None:
                self.tour_runs = [t for t in self.tour_runs if t.meta.get("scenario") != step.scenario] + [trace]
                screen = run_screen(step.scenario, replay=trace, clock=ReplayClock(trace.duration), tour_step=step)
            else:
                screen = run_screen(step.scenario, pythons=self.pythons, tour_step=step)
        top = self.screen_stack[-1] if len(self.screen_stack) > 1 else None
        if top is not None and getattr(top, "in_tour", False):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def start_run(self, scenario: str, params: dict | None = None, seed: int = 1) -> None:
        self.push_screen(run_screen(scenario, params, seed, pythons=self.pythons))

    def go_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.fit()  # still too small: the notice again, over home

    async def action_quit(self) -> None:
        for screen in self.screen_stack:
            stop_run = getattr(screen, "stop_run", None)  # a run's screen (tui/screens/scenario.py)
            if stop_run is not None:
                stop_run("quit")
        self.exit()


def make_app(scenario: str | None = None, params: dict | None = None, seed: int = 1, time_limit_s: float | None = None,
             replay: Trace | Runs | None = None, speed: float = 1.0, replay_path: str | None = None,
             **options) -> ConcvizApp:
    """The app the command line runs: home (no arguments), a live run of ``scenario``, or a replay of a trace.
    ``options``: ``playing=False`` and ``start_at=S`` open a replay paused at S seconds (tests, presenters);
    ``pythons=[...]`` the interpreters live runs use (``--python``); ``theme="light"`` the colours (``--theme``)."""
    return ConcvizApp(scenario, params, seed, time_limit_s, replay, speed, replay_path, **options)

"""The run screen: one scenario's tasks, locks and cores, live from its child process or replayed from a file.

A sibling of the comparison screen (tui/screens/compare.py): both show a ``RunControl`` (tui/control.py) and share
their keys (tui/screens/scenario.py); this one draws a run's lanes on one timeline. Widgets are redrawn at a fixed
rate, and only when what they show has changed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from tui import lessons
from tui.control import FRAME_S, SlowPanels  # noqa: F401 - FRAME_S: the benchmarks' frame rate
from tui.screens.scenario import KEY_HELP, MIN_SIZE, BatchArrived, ScenarioScreen  # noqa: F401 - as before
from tui.widgets.cores import CoresPanel
from tui.widgets.crash import CrashPanel
from tui.widgets.keys import Keys
from tui.widgets.legend import StateLegend
from tui.widgets.lesson import LessonPanel
from tui.widgets.locks import LockPanel
from tui.widgets.notices import NoticeBar
from tui.widgets.output import OutputLog
from tui.widgets.panel import ScenarioPanel
from tui.widgets.pick import PickPanel
from tui.widgets.status import StatusLine
from tui.widgets.timeline import Timeline

DENSE_OVER = 2  # the timeline turns dense by itself when there are more than twice as many lanes as rows
SMALL = (80, 24)  # below this in either direction: cores in two lines, no locks or scenario panel, a short lesson
TALL = 32  # as the -tall breakpoint: from here the cores panel takes all the lines it needs
CORE_ROWS_SHORT = 6  # the cores panel's lines between SMALL and TALL: its full form up to three cores


class RunScreen(ScenarioScreen):
    """A scenario's run: timeline, locks, cores, what it teaches, what it printed."""

    def __init__(self, scenario: str, params: dict | None = None, seed: int = 1, time_limit_s: float | None = None,
                 **options) -> None:
        super().__init__(scenario, params, seed, time_limit_s, **options)
        self.dense_chosen = False  # the learner pressed d: the timeline's dense mode no longer follows the lanes
        self._asked = False  # the presenter zoomed or picked since the last frame: the pick panel draws now
        self._slow = SlowPanels()  # when the lesson, locks, notices and pick panels are drawn (tui/control.py)
        lesson = lessons.lesson_for(scenario)
        # the scenario's own panel, under the cores and locks (its lesson declares it)
        self.extra = ScenarioPanel(lesson.panel) if lesson is not None and lesson.panel is not None else None

    # --------------------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield from self.guide_bar()
        yield StatusLine(id="status")
        yield NoticeBar(id="notices")
        yield CrashPanel(id="crash")
        with Horizontal(id="body"):
            with Vertical(id="lanes"):
                yield StateLegend(id="legend")
                yield Timeline(self.trace, id="timeline")
            with Vertical(id="side"):
                yield PickPanel(id="pick", classes="panel")
                yield CoresPanel(id="cores", classes="panel")
                yield LockPanel(id="locks", classes="panel")
                if self.extra is not None:
                    self.extra.add_class("panel")
                    yield self.extra
        with Horizontal(id="bottom"):
            yield LessonPanel(self._watch_line(), id="lesson", classes="panel")
            yield OutputLog(id="output", classes="panel")
        yield Keys(show_command_palette=False)  # ctrl+p: the help screen lists it

    def on_mount(self) -> None:
        self.query_one("#cores").border_title = "cores"
        self.query_one("#locks").border_title = "locks"
        self.query_one("#lesson").border_title = "what you are seeing"
        self.query_one("#output").border_title = "output"
        self.query_one(Timeline).focus()
        self.call_after_refresh(self.redraw)  # once laid out: what depends on sizes (dense lanes, status words)

    def _fit(self, width: int, height: int) -> None:
        """Wide: cores and locks beside the lanes; narrow: under them. Smaller than 80 x 24: the lanes keep their
        room, the cores say it in two lines, and the locks and the scenario's own panel are left out (the lesson
        below quotes their figures; the help says so)."""
        super()._fit(width, height)
        small = width < SMALL[0] or height < SMALL[1]
        self.set_class(small, "-small")
        self.query_one(CoresPanel).rows = 2 if small else None if height >= TALL else CORE_ROWS_SHORT
        self.query_one(Timeline).label_width = 30 if width >= 110 else 22

    # --------------------------------------------------------------------------------------------- drawing

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
        settled = trace.exit is not None if self.clock.live else not getattr(self.clock, "playing", False)
        if self._slow.due(self._frame, settled, self._asked):
            self._asked = False
            self.panel(PickPanel).show(trace, now, timeline.view, trace.ordered_lanes(now))
            self.panel(LockPanel).show(trace, now)
            locks = self.panel(LockPanel)  # its class, not the screen's: a screen's class restyles every widget
            locks.set_class(not any(s.acquisitions for s in trace.lock_stats(now)), "-none")
            self.panel(LessonPanel).show(trace, now)
            self.panel(NoticeBar).show(trace, now)
            if self.extra is not None:
                self.extra.show(trace, now, timeline.window)
            self._slow.done()
        self._frame += 1

    def on_timeline_asked(self, message: Timeline.Asked) -> None:
        message.stop()
        self.view_asked(zoom=message.zoom, at=message.at, pan=message.pan, lane=message.lane, moment=message.moment)

    def view_asked(self, *, zoom: float | None = None, at: float | None = None, pan: int = 0,
                   lane: tuple | None = None, moment: tuple[float, float] | None = None, follow: bool = False,
                   timeline=None) -> None:
        """Zoom, pan, pick or follow again on the timeline (tui/view.py), then draw at once."""
        timeline = self.panel(Timeline)
        view, own, end = timeline.view, timeline.own_window(), timeline.end
        if follow:
            view.follow()
            view.lane = view.picked = None
        if zoom:
            view.zoom(zoom, at, own, timeline.ncols, end)
        if pan:
            view.pan(pan, own, end)
        if lane is not None:
            view.pick_lane(lane)
        if moment is not None:
            view.pick_time(*moment)
        self._asked = True
        self.redraw()

    def on_timeline_room_changed(self, message: Timeline.RoomChanged) -> None:
        self.redraw()  # dense mode decided again for the lanes' new room, now (a paused replay draws no frame)

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

    def step_span(self) -> float:
        t0, t1 = self.query_one(Timeline).window
        return t1 - t0

    def action_dense(self) -> None:
        timeline = self.query_one(Timeline)
        timeline.dense = not timeline.dense
        self.dense_chosen = True
        self.control.dirty = True

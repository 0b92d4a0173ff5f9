"""A run as its screen shows it, with no Textual in it: live from the scenario's child process (one after another
under each interpreter, when interpreters are compared) or replayed from a trace file; the clock that says which
moment to draw, and when to draw it; the recording; how the run ends.

The run screen and the comparison screen are siblings: each owns a ``RunControl`` and draws what it holds, in its
own layout. A screen gives the control what only Textual can do, as three hooks:

    spawn(fn)                 run ``fn`` (a session's pump) on a background thread
    deliver(session, batch)   hand a batch from that thread to the UI thread, which passes it to ``receive``
    ended(trace)              a live run ended (the app keeps it: the takeaways quote it)

and calls ``frame(view)`` for each frame it may draw. Without hooks (tests, headless) pumps run on plain threads
and batches are received on the pump's thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from scenarios import catalog
from scenarios.catalog import ParamError
from tui import tracefile
from tui.clock import LiveClock, ReplayClock
from tui.model import Trace
from tui.pacing import BUSY_FRAME_S, CoreUse
from tui.runs import Runs, RunsClock

FRAME_S = 1 / 10  # redraw rate: every frame the UI draws is CPU taken from the scenario it measures
SOON_S = FRAME_S / 2  # events arriving this long after a frame of the clock alone are drawn at once
SLOW_EVERY = 5  # the lesson text and lock statistics are redrawn every 5th frame
SLOW_SHARE = 0.05  # ... and they take at most this share of a core: a pass that took 20 ms waits 0.4 s
UI_SHARE = 0.035  # during a live run the clock's frames wait while the drawing thread has taken more than this share
# of a core over time (FrameBudget); with the session's thread (about 1%) watching a run of few events stays under 5%
UI_BURST_S = 0.02  # CPU seconds it may save up
UI_DEBT_S = 0.03  # ... and owe at most: a one-off cost past it (a run's start, say) is forgiven, not paid for seconds
CLOCK_RESERVE_S = 0.01  # a frame of the clock alone leaves this much saved for the frames events may ask for
SLOWEST_FRAME_S = 0.5  # ... and comes at least this often all the same: the screen never looks stuck


class NothingToSave(Exception):
    """No live run has been recorded yet (a replay, or a run not started)."""


class RunControl:
    """One scenario's run: its trace (or traces, interpreters compared), clock, sessions and recording."""

    def __init__(self, scenario: str, params: Mapping[str, Any] | None = None, seed: int = 1,
                 time_limit_s: float | None = None, *, replay: Trace | Runs | None = None, clock=None,
                 python=None, pythons: list | tuple = (), monotonic: Callable[[], float] = time.monotonic,
                 cpu: Callable[[], float] = time.thread_time) -> None:
        runs = replay if isinstance(replay, Runs) else None
        if runs is not None:  # a recorded comparison of interpreters: the first run until the clock says otherwise
            replay, clock = runs[0], clock if clock is not None else ReplayClock(runs.duration)
        self.scenario = scenario
        self.params = dict(params) if params is not None else None
        self.seed = seed
        self.time_limit_s = time_limit_s
        self.replaying = replay is not None
        self.trace: Trace = replay if replay is not None else Trace({"scenario": scenario, "params": params or {}})
        """The run shown (interpreters compared: the one going, or the one at the play head of a replay)."""
        self.clock = clock if clock is not None else (LiveClock(self.trace) if replay is None else
                                                       ReplayClock(self.trace.duration))
        self.runs: Runs | None = runs
        """Interpreters compared: every run, one after another (live: from the first ``start``)."""
        self.python = python
        """The interpreter a single live run's child runs on (tui.pythons.Interpreter; None: concviz's own)."""
        self.pythons = list(pythons)
        """Two or more: a live comparison of interpreters, a run under each in turn."""
        self.session = None
        self.sessions: list = []
        self.recorder: tracefile.Recorder | None = None
        self.busy = False
        """The scenario can use every core now: frames every BUSY_FRAME_S (tui/pacing.py)."""
        self.dirty = True
        self.for_events = False  # whether the last frame was drawn for events that arrived (not by the clock)
        self.drawn_at = 0.0  # monotonic() of the last frame drawn
        self._drawn: tuple | None = None
        self._core_use = CoreUse()
        self._kept: Trace | None = None
        self._monotonic = monotonic
        self.budget = FrameBudget(cpu=cpu, monotonic=monotonic)
        self.news = False  # events arrived since the last frame (not samples alone)
        self.spawn: Callable[[Callable[[], None]], None] = _on_a_thread
        self.deliver: Callable[[Any, Any], None] = self.receive
        self.ended: Callable[[Trace], None] = lambda trace: None

    @property
    def live(self) -> bool:
        return not self.replaying

    @property
    def going(self) -> bool:
        """Whether a live run is still going (interpreters compared: any of them still to end)."""
        if self.replaying or self.session is None:
            return False
        return (self.runs.exit if self.runs is not None else self.trace.exit) is None

    # ---------------------------------------------------------------------------------------------- live runs

    def start(self) -> None:
        """Start the scenario in a child process (cancelling any run still going); interpreters compared, the
        first of a run per interpreter, each started when the one before it ends."""
        from tui.session import DEFAULT_TIME_LIMIT_S, Session

        self.stop("run again")
        scenario = catalog.get(self.scenario)
        params = self.params if self.params is not None else scenario.defaults()
        limit = self.time_limit_s or DEFAULT_TIME_LIMIT_S
        if len(self.pythons) < 2:
            session = Session(scenario, params, self.seed, sink=lambda batch: None, time_limit_s=limit,
                              python=self.python)
            self.sessions, self.runs = [], None
            self.trace = Trace(session.meta())
            self.clock = LiveClock(self.trace)
            self.recorder = tracefile.Recorder()
            self._go(session)
            return
        self.sessions = [Session(scenario, params, self.seed, sink=lambda batch: None, time_limit_s=limit,
                                 python=python) for python in self.pythons]
        self.runs = Runs.for_sessions(self.sessions)
        self.clock = RunsClock(self.runs)
        self.recorder = tracefile.Recorder(runs=True)
        self._begin(0)

    def _begin(self, i: int) -> None:
        """Start run ``i`` of a live comparison of interpreters (the one before it has ended, its tree with it)."""
        assert self.runs is not None and self.recorder is not None
        self.runs.current = i
        self.trace = self.runs[i]
        self.trace.meta["started"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")  # when it started, not when planned
        self.recorder.run = i
        self._go(self.sessions[i])

    def _go(self, session) -> None:
        session.sink = lambda batch: self.deliver(session, batch)
        self.session, self.busy = session, False  # a new session hands events over at once until told otherwise
        self.budget.reset()
        self.dirty = True
        self.spawn(session.pump)

    def stop(self, reason: str = "cancelled") -> None:
        """End the run if it is going: its child and its whole process tree; interpreters compared, no other run
        starts."""
        if self.runs is not None and self.live and self.sessions and self.runs.exit is None:
            self.runs.stopped = reason  # before the child is ended: its last batch starts no other
        if self.session is not None and self.trace.exit is None:
            self.session.cancel(reason)
            self.session.kill_tree()

    def receive(self, session, batch) -> bool:
        """A batch from ``session``'s pump, on the thread that draws: applied and recorded. Whether it holds events
        worth drawing soon (samples alone wait for the clock's frame); False for a run that was replaced."""
        if session is not self.session:
            return False
        batch.apply_to(self.trace)
        if self.recorder is not None:
            self.recorder.add(batch)
        self.dirty = True
        news = bool(batch.records or batch.output or batch.exit is not None)
        self.news = self.news or news
        self._keep_if_ended()
        return news

    def failed(self, error: BaseException) -> None:
        """The pump itself failed (the child could not be started, say): the run ends, saying why."""
        if self.trace.exit is None:
            self.trace.exit = {"status": None, "signal": None,
                               "reason": f"could not run: {type(error).__name__}: {error}"}
            self.dirty = True
            self._keep_if_ended()

    def _keep_if_ended(self) -> None:
        """A live run that ended is handed to ``ended`` once; interpreters compared, the next run starts, unless
        the learner cancelled, went home or quit."""
        if self.trace.exit is None or self._kept is self.trace or self.replaying:
            return
        self._kept = self.trace
        self.ended(self.trace)
        from tui.session import give_back

        give_back()  # what the run's pump and batches left behind
        runs = self.runs
        if runs is not None and self.sessions and runs.stopped is None and self.trace is runs[runs.current] \
                and runs.current + 1 < len(runs):
            self._begin(runs.current + 1)

    # ------------------------------------------------------------------------------------------------ frames

    def frame(self, view: object = None) -> float | None:
        """Advance the clock: the moment to draw, or None when nothing the screen shows can have changed
        (``view``: what else decides the picture, the screen's size say)."""
        self.clock.tick()
        now = self.clock.now
        state = (now, getattr(self.clock, "speed", None), getattr(self.clock, "playing", None), view)
        if state == self._drawn and not self.dirty:
            return None
        self._drawn, self.dirty = state, False
        self.drawn_at, self.news = self._monotonic(), False
        return now

    def paced(self) -> bool:
        """Whether to leave out this frame, of the clock or for events. During a live run the frames of the clock
        alone are held to what ``FrameBudget`` allows: the drawing thread's CPU, everything it does counted (every
        frame's drawing, Textual composing and writing it, what it did between frames), at most ``UI_SHARE`` of a
        core over time, and a reserve kept; so a fast machine draws every ``FRAME_S``, a slow one less often (but
        every ``SLOWEST_FRAME_S``), at the same cost. A frame for events is drawn as they come (within ``SOON_S``,
        at most every ``FRAME_S``): the budget would hold them back by a second on a slow machine, so a run of
        many events costs more than one of few (their frames are taken from the budget, and the clock's wait).
        While the scenario can use every core (tui/pacing.py) frames come every ``BUSY_FRAME_S`` at most, and the
        session hands events over every ``FRAME_S``. What the learner does is drawn at once (it does not ask)."""
        busy = self.clock.live and self._core_use.every_core(self.trace)
        if busy != self.busy and self.session is not None:  # and events handed over every frame, not every 10 ms
            self.session.hand_over_every(FRAME_S if busy else None)
        self.busy = busy
        since = self._monotonic() - self.drawn_at
        if busy and since < BUSY_FRAME_S - FRAME_S / 2:
            return True
        if not self.going:
            return False
        return not self.news and not self.budget.allows(CLOCK_RESERVE_S) and since < SLOWEST_FRAME_S

    def soon(self) -> float:
        """Seconds from now until events that just arrived are drawn: within ``SOON_S`` of the last frame, not a
        whole frame period later, yet about ``FRAME_S`` between frames (at once if the last frame was the clock's
        and ``SOON_S`` ago, else ``FRAME_S`` after a frame drawn for events). A steady stream of events is drawn at
        the frame rate, a lone event within ~50 ms."""
        return self.drawn_at + (FRAME_S if self.for_events else SOON_S) - self._monotonic()

    # ----------------------------------------------------------------------------------------- the recording

    def save(self) -> tuple[str, int]:
        """Save the live run so far to concviz-<scenario>-<time>.cvz in the current directory: (its path, its size
        in bytes); interpreters compared, every run. Raises NothingToSave, OSError or tracefile.TraceFileError."""
        if self.recorder is None or self.replaying:
            raise NothingToSave("nothing to save yet")
        path = f"concviz-{self.scenario}-{time.strftime('%Y%m%d-%H%M%S')}.cvz"
        meta = self.runs.file_meta() if self.runs is not None else self.trace.meta
        return path, self.recorder.save(path, meta)

    # -------------------------------------------------------------------------------------- run it again

    def current_params(self, scenario: catalog.Scenario) -> dict:
        """The values this run uses (a replay: the recorded ones), over the scenario's defaults."""
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


class SlowPanels:
    """When a screen redraws what it redraws less often than every frame (the lesson's text, the lock statistics,
    the notices): every ``SLOW_EVERY``-th frame, but a pass that took ``c`` seconds of the drawing thread's CPU is
    followed by none for ``c / SLOW_SHARE`` seconds, so that however much the lesson reads (hundreds of lanes, a
    long run) its work stays a bounded share of a core, and the frames between its passes stay short; at once when
    the picture has settled (a run that ended, a paused replay) or the presenter asked for something.

        if slow.due(frame, settled, asked):
            ...  # the slow panels
            slow.done()
    """

    def __init__(self, share: float = SLOW_SHARE, cpu: Callable[[], float] = time.thread_time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.share = share
        self.owed = True  # a pass is due (the first frame draws every panel)
        self.not_before = 0.0  # monotonic() before which no pass is due for its cost (but when settled or asked)
        self.cost = 0.0  # CPU seconds the last pass took
        self._started = 0.0
        self._cpu, self._monotonic = cpu, monotonic

    def due(self, frame: int, settled: bool = False, asked: bool = False) -> bool:
        """Whether frame number ``frame`` redraws the slow panels (if so, call ``done`` after them)."""
        if frame % SLOW_EVERY == 0:
            self.owed = True
        if settled or asked or (self.owed and self._monotonic() >= self.not_before):
            self._started = self._cpu()
            return True
        return False

    def done(self) -> None:
        """The pass is over: its cost decides when the next one is due."""
        self.cost, self.owed = self._cpu() - self._started, False
        self.not_before = self._monotonic() + self.cost / self.share


class FrameBudget:
    """CPU credit for drawing: it grows by ``share`` of the time that passes, up to ``burst`` seconds, and every
    CPU second the drawing thread spends (whatever on) is taken from it, down to ``-debt`` (paid back within
    ``debt / share`` seconds: a one-off cost, such as a run's start, does not hold the frames back for long).
    A frame may be drawn while the credit is at least what it asks to keep (``reserve``): over time the thread
    uses at most ``share`` of a core, and a frame after a quiet while need not wait.

        if budget.allows(reserve):
            ...  # draw
    """

    def __init__(self, share: float = UI_SHARE, burst: float = UI_BURST_S, debt: float = UI_DEBT_S,
                 cpu: Callable[[], float] = time.thread_time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.share, self.burst, self.debt = share, burst, debt
        self._cpu, self._monotonic = cpu, monotonic
        self.credit = 0.0  # none saved at the start: a run's first frames are paid for as they come
        self._at: tuple[float, float] | None = None  # (monotonic(), cpu()) when the credit was last brought up to date

    def reset(self) -> None:
        """Nothing saved and nothing owed: a new run's frames are paid for as they come."""
        self.credit, self._at = 0.0, None

    def allows(self, reserve: float = 0.0) -> bool:
        """Whether a frame may be drawn now, keeping ``reserve`` CPU seconds of credit."""
        now, cpu = self._monotonic(), self._cpu()
        if self._at is not None:
            was, used = self._at
            self.credit = max(-self.debt, min(self.burst, self.credit + (now - was) * self.share - (cpu - used)))
        self._at = (now, cpu)
        return self.credit >= reserve


def _on_a_thread(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, name="concviz-pump", daemon=True).start()

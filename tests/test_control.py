"""The run's control (tui/control.py), with no Textual and no child process: sessions are stand-ins that record
what they were asked, batches are built by hand, and the wall clock is one the test moves."""

from __future__ import annotations

import pytest
from conftest import TraceBuilder

from tests import fixtures
from tui import session as session_module
from tui import tracefile
from tui.clock import LiveClock, ReplayClock
from tui.control import CLOCK_RESERVE_S, FRAME_S, UI_BURST_S, FrameBudget, SOON_S, NothingToSave, RunControl
from tui.pacing import BUSY_FRAME_S
from tui.session import Batch

FINISHED = {"status": 0, "signal": None, "reason": "finished"}


class StandIn:
    """A session that starts no child: it says what it was asked to do."""

    made: list[StandIn] = []

    def __init__(self, scenario, params, seed, sink, time_limit_s=None, python=None) -> None:
        self.scenario, self.params, self.seed, self.python = scenario, params, seed, python
        self.sink = sink
        self.pumped = self.killed = False
        self.cancelled: str | None = None
        self.every: float | None = None
        StandIn.made.append(self)

    def meta(self) -> dict:
        version = self.python or "3.11.7"
        return {"scenario": self.scenario.name, "params": dict(self.params), "seed": self.seed,
                "python": {"version": version, "gil": "enabled"}}

    def pump(self) -> None:
        self.pumped = True

    def cancel(self, reason: str = "cancelled") -> None:
        self.cancelled = reason

    def kill_tree(self) -> None:
        self.killed = True

    def hand_over_every(self, seconds: float | None) -> None:
        self.every = seconds


@pytest.fixture
def stand_ins(monkeypatch):
    StandIn.made = []
    monkeypatch.setattr(session_module, "Session", StandIn)
    return StandIn.made


def control(**options) -> RunControl:
    made = RunControl("threads-download", {"tasks": 2}, seed=3, **options)
    made.spawn = lambda pump: pump()  # at once, on this thread
    return made


def ended_batch() -> Batch:
    return Batch(records=TraceBuilder().hello().records, exit=FINISHED)


def test_a_live_run_starts_its_session_and_takes_only_that_sessions_batches(stand_ins):
    run = control()
    ended = []
    run.ended = ended.append
    run.start()
    (first,) = stand_ins
    assert first.pumped and first.params == {"tasks": 2} and first.seed == 3
    assert run.session is first and isinstance(run.clock, LiveClock) and run.going
    assert run.receive(first, Batch(records=TraceBuilder().hello().records)) is True  # events: draw soon
    assert run.receive(first, Batch(samples=[])) is False  # nothing worth an early frame
    run.start()  # run again: the first is cancelled and its tree ended
    assert first.cancelled == "run again" and first.killed
    second = stand_ins[1]
    assert run.receive(first, ended_batch()) is False  # a run that was replaced: ignored
    assert run.trace.exit is None and not ended
    run.receive(second, ended_batch())
    run.receive(second, Batch())  # later batches of an ended run: kept once
    assert ended == [run.trace] and not run.going


def test_a_run_that_ended_is_not_cancelled(stand_ins):
    run = control()
    run.start()
    run.receive(stand_ins[0], ended_batch())
    run.stop("back to home")
    assert stand_ins[0].cancelled is None and not stand_ins[0].killed


def test_the_sink_hands_batches_to_deliver(stand_ins):
    run = control()
    delivered = []
    run.deliver = lambda session, batch: delivered.append((session, batch))
    run.start()
    batch = Batch()
    stand_ins[0].sink(batch)  # what the pump thread does
    assert delivered == [(stand_ins[0], batch)]


def test_interpreters_compared_run_one_after_another_until_stopped(stand_ins):
    run = control(pythons=["3.12", "3.13", "3.14"])
    run.start()
    assert [s.python for s in stand_ins] == ["3.12", "3.13", "3.14"]
    assert [s.pumped for s in stand_ins] == [True, False, False]  # one child at a time
    assert run.runs is not None and run.runs.current == 0 and run.trace is run.runs[0]
    run.receive(stand_ins[0], ended_batch())
    assert run.runs.current == 1 and stand_ins[1].pumped and run.session is stand_ins[1]
    run.stop("cancelled")
    assert run.runs.stopped == "cancelled" and stand_ins[1].killed
    run.receive(stand_ins[1], ended_batch())
    assert not stand_ins[2].pumped  # stopped: no more runs start


def test_a_pump_that_fails_ends_the_run_saying_why(stand_ins):
    run = control()
    ended = []
    run.ended = ended.append
    run.start()
    run.failed(OSError("no such interpreter"))
    assert run.trace.exit["reason"] == "could not run: OSError: no such interpreter"
    assert ended == [run.trace]


def test_a_frame_is_drawn_only_when_something_shown_changed():
    trace = fixtures.threads_download()
    run = RunControl("threads-download", replay=trace, clock=ReplayClock(trace.duration, playing=False))
    assert run.frame("120x40") is not None  # the first
    assert run.frame("120x40") is None  # nothing moved
    assert run.frame("80x24") is not None  # the view changed
    run.dirty = True
    assert run.frame("80x24") is not None
    run.clock.seek(0.1)
    assert run.frame("80x24") == 0.1


class Wall:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def every_core_busy() -> tuple:
    build = TraceBuilder()
    build.hello(cores=2)
    for ident, pid in ((1, 201), (2, 202)):
        build.task(ident, f"heavy #{ident}", 0.0, kind="process", pid=pid).state(ident, "cpu", 0.0, pid=pid)
    return build.trace({"scenario": "cpu-processes", "python": {"version": "3.11.7", "gil": "enabled"}}), build


def test_while_every_core_is_busy_frames_come_less_often_and_events_once_a_frame():
    trace, _ = every_core_busy()
    wall = Wall(100.0)
    run = RunControl("cpu-processes", monotonic=wall, cpu=lambda: 0.0)  # drawing costs nothing here: the budget
    run.trace, run.clock = trace, LiveClock(trace, monotonic_ns=lambda: trace.t0_ns + 100_000_000)  # always allows
    run.session = session = StandIn(None, {}, 1, None)
    run.budget.credit = UI_BURST_S
    assert run.frame() is not None
    assert run.paced() and run.busy and session.every == FRAME_S
    wall.t += FRAME_S
    assert run.paced()  # a frame period later, when it would draw again: left out too
    wall.t += BUSY_FRAME_S - FRAME_S
    assert not run.paced()  # a busy frame period after the last frame: drawn
    more = TraceBuilder()
    more.state(2, "io", 0.2, pid=202)
    trace.apply(more.records)
    assert not run.paced() and not run.busy and session.every is None  # one task computing: every frame again


def test_events_are_drawn_within_half_a_frame_of_a_clock_frame_and_a_frame_after_an_events_frame():
    wall = Wall(10.0)
    run = RunControl("threads-download", monotonic=wall)
    run.frame()
    wall.t += 0.01
    assert run.soon() == pytest.approx(SOON_S - 0.01)
    run.for_events = True
    assert run.soon() == pytest.approx(FRAME_S - 0.01)


def test_saving_writes_the_recorded_batches_and_a_replay_has_nothing_to_save(stand_ins, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = control()
    run.start()
    run.receive(stand_ins[0], ended_batch())
    path, size = run.save()
    assert path.startswith("concviz-threads-download-") and (tmp_path / path).stat().st_size == size
    assert tracefile.load(tmp_path / path).exit == FINISHED
    replay = RunControl("threads-download", replay=fixtures.threads_download())
    with pytest.raises(NothingToSave):
        replay.save()


def test_a_replay_runs_again_with_the_recorded_parameters_and_seed():
    from scenarios import catalog

    trace = fixtures.threads_download()
    trace.meta["params"] = {"tasks": 7, "gone": 1}  # a parameter this version no longer takes is left out
    trace.meta["seed"] = 9
    run = RunControl("threads-download", replay=trace)
    scenario = catalog.get("threads-download")
    assert run.current_params(scenario) == {**scenario.defaults(), "tasks": 7}
    assert run.current_seed() == 9


def test_a_frame_budget_holds_the_drawing_thread_to_its_share_and_saves_up_for_a_lone_frame():
    wall, cpu = Wall(100.0), Wall(5.0)
    budget = FrameBudget(share=0.04, burst=0.04, cpu=cpu, monotonic=wall)
    assert not budget.allows(0.02) and budget.allows(0.0)  # nothing saved at the start
    drawn = 0
    for _ in range(100):  # 10 s of ticks, every frame drawn costing 10 ms
        wall.t += FRAME_S
        if budget.allows(0.02):
            cpu.t += 0.010
            drawn += 1
    assert 0.010 * drawn <= 0.04 * 10.0 + 0.01  # its share of the 10 s, give or take a frame
    assert drawn >= 30  # and no less: every time the credit allows
    wall.t += 5.0  # a quiet while
    assert budget.allows(0.0) and budget.credit == pytest.approx(0.04)  # saved up to the burst, no more
    cpu.t += 0.05  # a frame dearer than all of it
    assert not budget.allows(0.0)
    wall.t += 0.01 / 0.04 + 0.001
    assert budget.allows(0.0)


def test_a_live_runs_frames_of_the_clock_keep_a_reserve_that_a_frame_for_events_may_use():
    trace, _ = every_core_busy()
    trace.apply(TraceBuilder().state(1, "io", 0.05, pid=201).state(2, "io", 0.05, pid=202).records)  # none computing
    wall, cpu = Wall(100.0), Wall(5.0)
    run = RunControl("cpu-processes", monotonic=wall, cpu=cpu)
    run.trace, run.clock = trace, LiveClock(trace, monotonic_ns=lambda: trace.t0_ns + 100_000_000)
    run.session = StandIn(None, {}, 1, None)
    run.budget.credit = UI_BURST_S  # saved up
    assert not run.paced() and run.frame() is not None
    cpu.t += UI_BURST_S - CLOCK_RESERVE_S / 2  # a dear frame: less than the reserve left
    wall.t += FRAME_S
    assert run.paced()  # the clock alone: left out
    run.news = True  # events arrived
    assert not run.paced()
    run.news = False
    trace.exit = {"status": 0}
    assert not run.paced()  # a run that ended: frames are not held back (nothing is measured now)

"""The app through the pilot: screens, keys, replay controls, resizing; and the clocks that drive it.

No sleeps: the replay and frozen clocks fix the moment shown, and the pilot waits for the app to settle.
"""

from __future__ import annotations

import pytest

from tests import fixtures
from tui.app import make_app
from tui.clock import SPEEDS, FrozenClock, LiveClock, ReplayClock
from tui.model import Trace
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.screens.scenario import ScenarioScreen
from tui.screens.run import RunScreen
from tui.screens.too_small import TooSmallScreen
from tui.widgets.crash import CrashPanel, failure
from tui.widgets.status import StatusLine
from tui.widgets.timeline import Timeline, visible_window

# ------------------------------------------------------------------------------------------------ clocks


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_replay_clock_moves_by_elapsed_times_speed_only_while_playing():
    now = FakeTime()
    clock = ReplayClock(2.0, speed=2.0, playing=True, monotonic=now)
    now.t += 0.25
    clock.tick()
    assert clock.now == pytest.approx(0.5)
    clock.toggle()
    now.t += 1.0
    clock.tick()
    assert clock.now == pytest.approx(0.5) and not clock.playing
    clock.toggle()
    now.t += 10.0
    clock.tick()
    assert clock.now == 2.0 and not clock.playing  # stops at the end


def test_replay_clock_steps_jumps_and_speeds():
    clock = ReplayClock(3.0, playing=True, position=1.0, monotonic=FakeTime())
    clock.step(+1)
    assert clock.now == pytest.approx(1.1) and not clock.playing
    clock.step(-1, window=2.0)
    assert clock.now == pytest.approx(1.0)
    clock.to_end()
    assert clock.now == 3.0
    clock.to_start()
    assert clock.now == 0.0
    clock.step(-1)
    assert clock.now == 0.0
    for _ in range(10):
        clock.faster()
    assert clock.speed == SPEEDS[-1] == 10.0
    for _ in range(10):
        clock.slower()
    assert clock.speed == SPEEDS[0] == 0.1
    clock.faster()
    assert clock.describe() == "replay 0.25x paused at 0.00 s"


def test_replay_clock_keeps_a_speed_between_steps_and_restarts_from_the_end():
    clock = ReplayClock(1.0, speed=3.0, playing=False, position=1.0, monotonic=FakeTime())
    assert clock.speed == 3.0
    clock.faster()
    assert clock.speed == 4.0
    clock.slower()
    clock.slower()
    assert clock.speed == 1.0
    assert ReplayClock(1.0, speed=50.0).speed == 10.0
    clock.toggle()
    assert clock.playing and clock.now == 0.0


def test_live_clock_starts_at_hello_and_stops_at_the_end():
    trace = Trace()
    fake_ns = [0]
    clock = LiveClock(trace, monotonic_ns=lambda: fake_ns[0])
    assert clock.now == 0.0
    trace.t0_ns = 5_000_000_000
    fake_ns[0] = 6_500_000_000
    assert clock.now == pytest.approx(1.5)
    trace.ended = 1.2
    fake_ns[0] = 9_000_000_000
    assert clock.now == pytest.approx(1.2)
    assert FrozenClock(0.7).now == 0.7


def test_visible_window_holds_the_whole_short_run_and_slides_over_a_long_one():
    assert visible_window(0.3, 0.3) == (0.0, 0.5)
    assert visible_window(0.3, 4.2) == (0.0, 5.0)  # a replay's axis reaches its end
    t0, t1 = visible_window(45.0, 45.0, window_s=20.0, ncols=100)
    assert t1 - t0 == pytest.approx(20.0) and t0 <= 25.0 <= t1 and t1 >= 45.0


def test_a_run_that_could_not_start_is_a_failure():
    trace = Trace()
    trace.exit = {"status": None, "signal": None, "reason": "could not run: OSError: no such file"}
    assert "could not run" in failure(trace).plain


def test_failure_names_the_exception_and_the_exit():
    text = failure(fixtures.crashed()).plain
    assert "ZeroDivisionError: division by zero" in text
    assert "threads_download.py:38" in text and "status 1" in text
    assert failure(fixtures.threads_download()) is None
    cancelled = fixtures.threads_download()
    cancelled.exit = {"status": -9, "signal": "SIGKILL", "reason": "cancelled"}
    assert failure(cancelled) is None


# --------------------------------------------------------------------------------------------- the pilot


def replay(trace: Trace, at: float):
    return make_app(replay=trace, playing=False, start_at=at)


async def test_home_lists_scenarios_and_enter_opens_a_run_screen(monkeypatch):
    started = []
    monkeypatch.setattr(ScenarioScreen, "start_run", lambda self: started.append(self.scenario_name))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        assert started == ["threads-download"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_q_quits_from_home():
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app._exit


async def test_q_quits_from_a_run_screen(monkeypatch):
    stopped = []
    monkeypatch.setattr(ScenarioScreen, "stop_run", lambda self, reason="cancelled": stopped.append(reason))
    app = replay(fixtures.threads_download(), 0.2)
    async with app.run_test() as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app._exit and "quit" in stopped


async def test_replay_controls_move_the_play_head_and_change_speed():
    trace = fixtures.threads_download()
    app = replay(trace, 0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        clock = screen.clock
        assert isinstance(clock, ReplayClock) and clock.now == 0.2 and not clock.playing
        await fixtures.press_replay_keys(pilot, clock, trace.duration, 0.2)
        screen.draw()
        status = str(app.screen.query_one(StatusLine).render())
        assert f"replay 0.5x paused at {clock.now:.2f} s" in status


async def test_a_replay_shows_each_task_as_a_lane():
    trace = fixtures.threads_download()
    app = replay(trace, trace.duration)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert timeline.lanes_shown == 10
        assert "progress 10/10" in str(app.screen.query_one(StatusLine).render())


async def test_dense_view_turns_on_when_the_lanes_do_not_fit_and_d_overrides_it():
    app = replay(fixtures.many_tasks(200), 0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert timeline.dense and len(timeline.rows) < 200 and timeline.lanes_shown == 200
        await pilot.press("d")
        await pilot.pause()
        app.screen.draw()
        assert not timeline.dense and len(timeline.rows) == 200  # the learner's choice stays
        await pilot.press("d")
        await pilot.pause()
        assert timeline.dense and len(timeline.rows) < 200


async def test_dense_view_stays_off_while_the_lanes_fit():
    app = replay(fixtures.threads_download(), 0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert not timeline.dense and len(timeline.rows) == 10


async def test_a_crashed_run_shows_its_failure_and_the_app_stays_usable():
    trace = fixtures.crashed()
    app = replay(trace, trace.duration)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(CrashPanel)
        assert panel.display and panel.has_class("-failed")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_the_help_is_made_once_and_closing_it_leaves_the_footer_as_it_was():
    """Opening the help again shows the same screen, scrolled to its top (making it composes, styles and lays it
    out); closing it leaves the run screen's footer alone when its keys did not change (Textual made it again, a
    widget per key, each time the screen came back)."""
    from tui.widgets.keys import Keys

    app = replay(fixtures.threads_download(), 0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Keys)
        keys_before = list(footer.children)
        assert keys_before
        await pilot.press("question_mark")
        await pilot.pause()
        first = app.screen
        first.query_one("#help").scroll_end(animate=False)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen) and list(footer.children) == keys_before
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is first and first.query_one("#help").scroll_y == 0
        await pilot.press("escape")
        await pilot.resize_terminal(160, 40)  # wide enough for the zoom keys: the footer is made again
        await pilot.pause()
        assert len(footer.children) > len(keys_before)


async def test_resizing_to_tiny_and_back_keeps_the_screen_and_its_clock():
    app = make_app(replay=fixtures.threads_download(), playing=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen) and app.screen_stack[-2] is screen
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.screen is screen and screen.has_class("-narrow")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert screen.has_class("-wide") and screen.clock.now >= 0.0


async def test_help_lists_the_colours_and_the_keys_of_its_screen():
    app = replay(fixtures.threads_download(), 0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = dict(app.screen.keys)
        assert "space" in keys and "r" not in keys  # a replay: play/pause, no run again
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)


@pytest.mark.e2e
async def test_a_live_run_ends_leaves_no_process_and_saves(tmp_path, monkeypatch):
    from tui import tracefile

    monkeypatch.chdir(tmp_path)
    app = make_app(scenario="threads-download", params={"tasks": 3, "min_s": 0.0, "max_s": 0.05}, seed=1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        trace = screen.trace
        assert trace.exit is not None and trace.exit["status"] == 0
        assert len(trace.lanes) == 3
        assert [s.acquisitions for s in trace.lock_stats()] == [3]
        assert screen.session.proc.poll() is not None
        screen.save_run()
        (saved,) = tmp_path.glob("concviz-threads-download-*.cvz")
        again = tracefile.load(saved)
        assert len(again.lanes) == 3 and again.exit["status"] == 0
        await pilot.press("q")

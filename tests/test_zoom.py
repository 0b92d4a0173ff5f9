"""Zoom, pan and pick on the timelines (issue 17): keys and the mouse, the pick panel's figures, the comparison's
models zoomed together; snapshots of a zoomed and picked run."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_snapshots_traces import paused, settle

from tui.widgets.pick import PickPanel
from tui.widgets.timeline import Timeline
from tui.widgets.variants import VariantLanes

TRACES = Path(__file__).parent / "traces"
SIZE = (120, 40)


async def test_keys_zoom_in_and_out_pan_and_go_back_to_following():
    async with paused(TRACES / "threads-download.cvz").run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = pilot.app.screen.query_one(Timeline)
        own = timeline.window
        await pilot.press("right_square_bracket")
        await settle(pilot)
        zoomed = timeline.window
        assert not timeline.view.following
        assert zoomed[1] - zoomed[0] == pytest.approx((own[1] - own[0]) / 2)
        assert "zoom" in timeline.render_line(0).text and "/cell" in timeline.render_line(0).text
        await pilot.press("full_stop")
        await settle(pilot)
        assert timeline.window[0] > zoomed[0]
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert timeline.view.following and timeline.window == own  # out past the whole run: following again
        await pilot.press("right_square_bracket", "0")
        await settle(pilot)
        assert timeline.view.following


async def test_a_click_on_a_lane_picks_it_and_shows_its_figures():
    async with paused(TRACES / "threads-download.cvz").run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        timeline, pick = screen.query_one(Timeline), screen.query_one(PickPanel)
        assert not pick.display
        lane = timeline.lane_at(1)
        await pilot.click(Timeline, offset=(2, 1))
        await settle(pilot)
        assert timeline.view.lane == lane.key and pick.display
        text = pick.text.plain
        assert lane.name in text and f"pid {lane.pid}" in text and "io" in text
        assert lane.name == timeline.render_line(1).text[: len(lane.name)]
        await pilot.click(Timeline, offset=(2, 1))  # again: let go
        await settle(pilot)
        assert timeline.view.lane is None and not pick.display


async def test_a_drag_along_the_cells_picks_that_time_and_lists_what_every_lane_did():
    async with paused(TRACES / "threads-download.cvz").run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        timeline, pick = screen.query_one(Timeline), screen.query_one(PickPanel)
        x0 = timeline.label_width + 5
        a, b = timeline.time_at(x0), timeline.time_at(x0 + 20)
        await pilot.mouse_down(Timeline, offset=(x0, 3))
        await pilot.mouse_up(Timeline, offset=(x0 + 20, 3))
        await settle(pilot)
        assert timeline.view.picked == pytest.approx((a, b))
        assert pick.display and "lanes alive in it" in pick.text.plain and "task-seconds" in pick.text.plain


async def test_ctrl_wheel_zooms_around_the_moment_under_the_mouse():
    async with paused(TRACES / "threads-download.cvz").run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = pilot.app.screen.query_one(Timeline)
        x = timeline.label_width + 30
        at = timeline.time_at(x)
        t0, t1 = timeline.window
        share = (at - t0) / (t1 - t0)
        timeline.post_message(Timeline.Asked(timeline, zoom=2.0, at=at))  # what ctrl+wheel up posts
        await settle(pilot)
        z0, z1 = timeline.window
        assert (at - z0) / (z1 - z0) == pytest.approx(share) and z1 - z0 == pytest.approx((t1 - t0) / 2)


async def test_the_comparisons_models_zoom_together_from_their_own_starts():
    async with paused(TRACES / "cpu-speedup.cvz", 1.0).run_test(size=SIZE) as pilot:
        await settle(pilot)
        models = list(pilot.app.screen.query(VariantLanes))
        before = {m.variant: m.window for m in models}
        await pilot.press("right_square_bracket")
        await settle(pilot)
        for model in models:
            t0, t1 = model.window
            b0, b1 = before[model.variant]
            assert t0 >= b0 and t1 - t0 == pytest.approx((b1 - b0) / 2)


def test_snapshot_zoomed_with_a_lane_picked(snap_compare):
    async def zoom_and_pick(pilot):
        await settle(pilot)
        await pilot.press("right_square_bracket")
        await pilot.click(Timeline, offset=(2, 3))
        await settle(pilot)

    assert snap_compare(paused(TRACES / "threads-download.cvz"), terminal_size=SIZE, run_before=zoom_and_pick)


def test_snapshot_a_picked_stretch_of_time(snap_compare):
    async def pick(pilot):
        await settle(pilot)
        timeline = pilot.app.screen.query_one(Timeline)
        x0 = timeline.label_width + 10
        await pilot.mouse_down(Timeline, offset=(x0, 1))
        await pilot.mouse_up(Timeline, offset=(x0 + 30, 1))
        await settle(pilot)

    assert snap_compare(paused(TRACES / "mixed-loop.cvz"), terminal_size=SIZE, run_before=pick)

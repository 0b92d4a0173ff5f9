"""The timeline's view (tui/view.py): zoom around a moment, pan, back to following, picking a lane or a stretch."""

from __future__ import annotations

import pytest

from tui.view import FINEST_CELL_S, View

OWN = (0.0, 2.0)  # the timeline's own window: a run of 2 s
END = 2.0


def test_zoom_keeps_the_moment_under_the_mouse_where_it_was():
    view = View()
    view.zoom(2.0, 0.5, OWN, 100, END)  # 0.5 s was a quarter of the way across
    t0, t1 = view.window
    assert t1 - t0 == pytest.approx(1.0) and (0.5 - t0) / (t1 - t0) == pytest.approx(0.25)
    assert not view.following


def test_zoom_stops_at_a_microsecond_a_cell_and_stays_inside_the_run():
    view = View()
    for _ in range(60):
        view.zoom(2.0, 1.9999, OWN, 100, END)
    t0, t1 = view.window
    assert t1 - t0 == pytest.approx(FINEST_CELL_S * 100) and 0.0 <= t0 < t1 <= END


def test_zooming_out_past_the_whole_run_follows_it_again():
    view = View()
    view.zoom(4.0, None, OWN, 100, END)
    view.zoom(0.5, None, OWN, 100, END)
    assert not view.following
    view.zoom(0.25, None, OWN, 100, END)
    assert view.following and view.shown(OWN) == OWN


def test_pan_moves_a_quarter_of_the_window_and_stops_at_the_ends():
    view = View()
    view.zoom(4.0, 0.0, OWN, 100, END)  # (0, 0.5)
    view.pan(+1, OWN, END)
    assert view.window == pytest.approx((0.125, 0.625))
    for _ in range(40):
        view.pan(+1, OWN, END)
    assert view.window == pytest.approx((1.5, 2.0))
    for _ in range(40):
        view.pan(-1, OWN, END)
    assert view.window == pytest.approx((0.0, 0.5))
    view.follow()
    assert view.following


def test_picking_a_lane_twice_lets_it_go_and_a_stretch_is_ordered():
    view = View()
    view.pick_lane((100, 1))
    assert view.lane == (100, 1)
    view.pick_lane((100, 1))
    assert view.lane is None
    view.pick_time(0.8, 0.3)
    assert view.picked == (0.3, 0.8)
    view.pick_time(0.3, 0.3)
    assert view.picked is None

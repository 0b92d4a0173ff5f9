"""The pick panel's figures (tui/inspect.py) from a trace built by hand: a lane's time per state, and what every
lane did in a picked stretch, as the model counts them."""

from __future__ import annotations

from tui.inspect import lane_figures, range_figures


def two_lanes(build):
    build.hello()
    build.task(1, "reader", 0.0).state(1, "io", 0.0).state(1, "cpu", 0.4).end(1, 0.5)
    build.task(2, "writer", 0.1).state(2, "io", 0.1).end(2, 0.3)
    return build.trace({"scenario": "none"})


def test_a_lane_shows_what_it_is_when_it_ran_and_each_state(build):
    trace = two_lanes(build)
    reader = next(lane for lane in trace.ordered_lanes() if lane.name == "reader")
    text = lane_figures(trace, reader, 1.0).plain
    assert text.startswith("reader\nthread \u00b7 pid 100")
    assert "0.000 s to 0.500 s: 500 ms" in text
    assert "\u25a0 io          400 ms  80%" in text and "\u25a0 cpu         100 ms  20%" in text


def test_a_stretch_counts_each_lanes_states_inside_it_only(build):
    trace = two_lanes(build)
    text = range_figures(trace, trace.ordered_lanes(), 0.2, 0.45, 1.0).plain
    assert "0.200 s to 0.450 s (250 ms)  2 of 2 lanes alive in it" in text
    assert "\u25a0 io          300 ms" in text  # reader 0.2-0.4, writer 0.2-0.3
    assert "\u25a0 cpu          50 ms" in text  # reader 0.4-0.45
    assert "reader" in text and "writer" in text


def test_a_stretch_before_anything_happened_says_so(build):
    trace = two_lanes(build)
    assert "nothing had happened there yet" in range_figures(trace, trace.ordered_lanes(), 0.5, 0.8, 0.4).plain

"""When the screens redraw their slow panels (tui/control.py: ``SlowPanels``): every SLOW_EVERY-th frame, no more
often than their cost allows, at once when the picture settled or the presenter asked. Clocks are the test's."""

from __future__ import annotations

from tui.control import SLOW_EVERY, SlowPanels


class Clocks:
    """A CPU clock and a wall clock the test moves."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0


def slow_panels(share: float = 0.05) -> tuple[SlowPanels, Clocks]:
    clocks = Clocks()
    return SlowPanels(share, cpu=lambda: clocks.cpu, monotonic=lambda: clocks.wall), clocks


def passes(slow: SlowPanels, clocks: Clocks, frames: int, cost: float, frame_s: float = 0.1) -> list[int]:
    """The frames (of ``frames``, ``frame_s`` apart) that redrew the slow panels, each pass costing ``cost``."""
    drawn = []
    for frame in range(frames):
        if slow.due(frame):
            clocks.cpu += cost
            slow.done()
            drawn.append(frame)
        clocks.wall += frame_s
    return drawn


def test_cheap_passes_come_every_few_frames():
    slow, clocks = slow_panels()
    assert passes(slow, clocks, 21, cost=0.001) == [0, 5, 10, 15, 20]


def test_a_costly_pass_waits_for_its_share_of_a_core():
    slow, clocks = slow_panels(share=0.05)
    drawn = passes(slow, clocks, 60, cost=0.04)  # 40 ms a pass: 0.8 s before the next
    assert drawn[0] == 0
    gaps = [b - a for a, b in zip(drawn, drawn[1:])]
    assert gaps and all(gap >= 8 for gap in gaps)  # frames are 0.1 s apart
    assert all(gap <= 8 + SLOW_EVERY for gap in gaps)  # and no later than the next SLOW_EVERY-th frame after it
    assert len(drawn) * 0.04 <= 0.05 * 6.0 + 0.04  # at most its share of the 6 s, give or take one pass


def test_settled_or_asked_draws_at_once():
    slow, clocks = slow_panels()
    assert slow.due(0)
    clocks.cpu += 1.0  # a pass that took a whole second
    slow.done()
    assert not slow.due(5)
    assert slow.due(6, settled=True)
    slow.done()
    assert slow.due(7, asked=True)


def test_an_owed_pass_comes_once_its_wait_is_over():
    slow, clocks = slow_panels(share=0.5)
    assert slow.due(0)
    clocks.cpu += 0.1
    slow.done()  # 0.2 s to wait
    clocks.wall += 0.1
    assert not slow.due(5)  # its turn, but too soon
    clocks.wall += 0.15
    assert slow.due(6)  # owed from frame 5: now, not at frame 10

"""Which stretch of time a timeline shows, and what the presenter picked in it. No Textual here.

By itself a timeline follows the run (its own window: the whole run while it is short, then the last seconds).
Zooming or panning fixes the window where the presenter put it, and a live run then stops moving under them until
they go back to following (``follow``). Zoom goes around a moment (the mouse, or the middle), as far in as a
microsecond a cell: finer than the probe's clocks mean anything. A lane or a stretch of time can be picked; the
screen shows its figures (tui/inspect.py).
"""

from __future__ import annotations

from dataclasses import dataclass

FINEST_CELL_S = 1e-6  # a cell of a microsecond: the timestamps are nanoseconds, their meaning not that fine
ZOOM_STEP = 2.0  # each zoom halves (or doubles) the time shown
PAN_SHARE = 0.25  # each pan moves the window by a quarter of what it shows


@dataclass
class View:
    """The window a presenter set (None: follow the run), the lane and the stretch of time they picked."""

    window: tuple[float, float] | None = None
    lane: tuple | None = None  # a lane's key
    picked: tuple[float, float] | None = None  # a stretch of time

    @property
    def following(self) -> bool:
        return self.window is None

    def shown(self, own: tuple[float, float]) -> tuple[float, float]:
        """The window to draw: the presenter's, or the timeline's ``own``."""
        return self.window if self.window is not None else own

    def zoom(self, factor: float, around: float | None, own: tuple[float, float], ncols: int, end: float) -> None:
        """Show ``factor`` times less time (more, below 1) around the moment ``around`` (None: the middle), within
        the run (0 to ``end``) and down to ``FINEST_CELL_S`` a cell. Zooming out to the whole run or more follows
        the run again."""
        t0, t1 = self.shown(own)
        span = t1 - t0
        if span <= 0:
            return
        at = (t0 + t1) / 2 if around is None else min(max(around, t0), t1)
        new = max(span / factor, FINEST_CELL_S * max(ncols, 1))
        whole = max(end, own[1] - own[0])
        if new >= whole:
            self.window = None
            return
        share = (at - t0) / span  # the moment stays where it is on screen
        start = min(max(at - share * new, 0.0), max(end - new, 0.0))
        self.window = (start, start + new)

    def pan(self, direction: int, own: tuple[float, float], end: float) -> None:
        """Move the window by a quarter of what it shows, back (-1) or on (+1), within the run."""
        t0, t1 = self.shown(own)
        span = t1 - t0
        start = min(max(t0 + direction * PAN_SHARE * span, 0.0), max(end - span, 0.0))
        self.window = (start, start + span)

    def follow(self) -> None:
        """Back to the timeline's own window (and following a live run)."""
        self.window = None

    def pick_lane(self, key: tuple | None) -> None:
        """Pick a lane (None: none); picking the picked one again lets it go."""
        self.lane = None if key == self.lane else key

    def pick_time(self, a: float, b: float) -> None:
        """Pick the stretch from ``a`` to ``b`` (either order); an empty one lets go."""
        lo, hi = sorted((a, b))
        self.picked = (lo, hi) if hi > lo else None

    def cell_s(self, own: tuple[float, float], ncols: int) -> float:
        """The time a cell spans now."""
        t0, t1 = self.shown(own)
        return (t1 - t0) / max(ncols, 1)

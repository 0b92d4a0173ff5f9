"""The run screen's clocks: which moment of a run the screen shows. No Textual here.

Every widget asks the trace model about one time ``now`` (seconds from the run's start); only the clock differs
between a live run, a replay and a test:

    LiveClock(trace)                the wall clock since the run's HELLO, stopping at the run's end
    ReplayClock(duration, speed)    a play head moved by ``tick()``: play, pause, step, jump, speed
    FrozenClock(now)                one fixed moment (tests and snapshots)
"""

from __future__ import annotations

import time

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)
STEP_S = 0.1  # a step when no window is given


class LiveClock:
    """The time since the run started, as the wall clock says; the run's length once it ended."""

    live = True

    def __init__(self, trace, monotonic_ns=time.monotonic_ns) -> None:
        self.trace = trace
        self._monotonic_ns = monotonic_ns

    @property
    def now(self) -> float:
        trace = self.trace
        if trace.t0_ns is None:
            return 0.0
        if trace.exit is not None or trace.ended is not None:
            return trace.duration
        return max((self._monotonic_ns() - trace.t0_ns) / 1e9, 0.0)

    def tick(self) -> None:
        """Nothing to do: the wall clock moves by itself."""

    def describe(self) -> str:
        return "live" if self.trace.exit is None else "ended"


class ReplayClock:
    """A play head over a recorded run of ``duration`` seconds."""

    live = False

    def __init__(self, duration: float, speed: float = 1.0, playing: bool = True, position: float = 0.0,
                 monotonic=time.monotonic) -> None:
        self.duration = max(duration, 0.0)
        self.speed = min(max(speed, SPEEDS[0]), SPEEDS[-1])
        self.playing = playing
        self.position = min(max(position, 0.0), self.duration)
        self._monotonic = monotonic
        self._last = monotonic()

    @property
    def now(self) -> float:
        return self.position

    @property
    def at_end(self) -> bool:
        return self.position >= self.duration

    def tick(self) -> None:
        """Move the play head by the wall time since the last tick, times the speed (if playing)."""
        t = self._monotonic()
        elapsed, self._last = t - self._last, t
        if self.playing:
            self.advance(elapsed)

    def advance(self, elapsed: float) -> None:
        self.position = min(self.position + elapsed * self.speed, self.duration)
        if self.at_end:
            self.playing = False

    def toggle(self) -> None:
        """Play or pause; playing at the end starts again from the start."""
        if not self.playing and self.at_end:
            self.position = 0.0
        self.playing = not self.playing
        self._last = self._monotonic()

    def step(self, direction: int, window: float | None = None) -> None:
        """Pause and move one step (1/20 of the visible window, or 0.1 s) forwards (+1) or back (-1)."""
        self.playing = False
        size = window / 20 if window else STEP_S
        self.seek(self.position + direction * size)

    def seek(self, position: float) -> None:
        self.position = min(max(position, 0.0), self.duration)

    def to_start(self) -> None:
        self.seek(0.0)

    def to_end(self) -> None:
        self.seek(self.duration)
        self.playing = False

    def faster(self) -> None:
        """The next speed of SPEEDS above this one (a speed from the command line may lie between them)."""
        self.speed = next((s for s in SPEEDS if s > self.speed + 1e-9), SPEEDS[-1])

    def slower(self) -> None:
        self.speed = next((s for s in reversed(SPEEDS) if s < self.speed - 1e-9), SPEEDS[0])

    def describe(self) -> str:
        """``replay 2x paused at 1.23 s``."""
        state = "playing" if self.playing else "paused"
        return f"replay {fmt_speed(self.speed)} {state} at {self.position:.2f} s"


class FrozenClock:
    """One fixed moment."""

    live = False

    def __init__(self, now: float) -> None:
        self.now = now

    def tick(self) -> None:
        pass

    def describe(self) -> str:
        return f"frozen at {self.now:.2f} s"


def fmt_speed(speed: float) -> str:
    return f"{speed:g}x"

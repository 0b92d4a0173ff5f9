"""Whether the scenario can use every core right now, so that the UI draws less often meanwhile.

The UI shares the machine with what it measures. While a scenario's tasks can keep every core busy (processes
computing, or threads on a Python without the GIL), each frame the UI draws takes its CPU from them: on 2 cores a
~4 ms frame ten times a second costs the processes' speedup several percent. So while that lasts the screens draw
a few times a second instead of ten, and say so; the moment fewer tasks compute, the full rate is back.

``CoreUse`` counts the tasks computing from the state each lane is in now, kept up to date from the lanes the
model's records changed (``Trace.touched_since``): its cost follows the run's changes, not its size. No Textual here.
"""

from __future__ import annotations

import os

from tui.model import Lane, Trace

BUSY_FRAME_S = 0.3  # the screens' redraw interval while the scenario can use every core (else tui.screens.run's)


def computing(lane: Lane) -> bool:
    """Whether the task is in a cpu stretch now (running Python, or ready to: the probe cannot tell which yet)."""
    if lane.end is not None or not lane.segments:
        return False
    last = lane.segments[-1]
    return last.t1 is None and last.state == "cpu"


class CoreUse:
    """The scenario's tasks that can run at once, as of the records applied so far."""

    def __init__(self) -> None:
        self.trace: Trace | None = None
        self._read = (0, 0)  # (index, epoch) of this reader in the trace's log of changed lanes
        self._computing: dict[int, set[tuple]] = {}  # pid -> its lanes (keys) in a cpu stretch

    def parallel(self, trace: Trace) -> int:
        """Tasks computing now, counted as the cores they can use: each process's, but one per process while
        the GIL is on (its threads take turns)."""
        if trace is not self.trace:
            self.trace, self._read, self._computing = trace, (0, 0), {}
        lanes, index, epoch = trace.touched_since(*self._read)
        self._read = (index, epoch)
        if lanes is None:  # the log started afresh: look at every lane again
            self._computing = {}
            lanes = list(trace.lanes.values())
        for lane in lanes:
            group = self._computing.setdefault(lane.pid, set())
            if computing(lane):
                group.add(lane.key)
            else:
                group.discard(lane.key)
        if trace.gil_enabled:
            return sum(1 for group in self._computing.values() if group)
        return sum(len(group) for group in self._computing.values())

    def every_core(self, trace: Trace) -> bool:
        """Whether the scenario can keep every core of the machine busy now (a live run that has not ended)."""
        if trace.exit is not None or trace.ended is not None:
            return False
        cores = trace.meta.get("machine", {}).get("cores") or os.cpu_count() or 1
        return self.parallel(trace) >= cores

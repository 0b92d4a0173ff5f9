"""The questions asked of a run: lanes in order, seconds per state, cells, lock statistics, counters, samples.

Every question takes the time ``now`` (seconds from the run's start) it should answer for, so a replay paused
mid-run and a frozen snapshot clock see exactly what a live run saw at that moment.
"""

from __future__ import annotations

import bisect
from typing import Any

from tui.model import cells, lanes
from tui.model.cells import Cells, Times
from tui.model.ingest import Sample, TraceData
from tui.model.lanes import Lane
from tui.model.locks import LockStats


class Trace(TraceData):
    """Everything measured in one run (``TraceData``), and what the screens, lessons and exports ask of it."""

    def __init__(self, meta: dict[str, Any] | None = None) -> None:
        super().__init__(meta)
        self._order: list[Lane] = []  # ordered_lanes' cache
        self._order_starts: list[float] = []

    @property
    def duration(self) -> float:
        """The run's length so far: to its end if it ended, else to the latest event or sample."""
        return self.ended if self.ended is not None else self.last

    @property
    def folded_spans(self) -> int:
        """Lock spans folded into 50 ms buckets (hot locks: see ``load_notes``)."""
        return self.lock_book.folded_spans

    def touched_since(self, index: int, epoch: int) -> tuple[list[Lane] | None, int, int]:
        """The lanes records changed since a reader's last call, ``(lanes, index, epoch)``: see ``Changes.since``
        (tui/model/lanes.py). A reader starts with ``(0, 0)`` and passes back what the last call returned."""
        return self.changes.since(index, epoch, len(self.lanes))

    def load_notes(self) -> list[str]:
        """What the model aggregated rather than kept one by one (shown on screen, never hidden)."""
        notes = self.lock_book.notes() + self.probe_notes()
        if self.output_dropped:
            notes.append(f"{self.output_dropped:,} older output lines were dropped")
        return notes

    # ------------------------------------------------------------------------------------------ lanes

    def ordered_lanes(self, now: float | None = None, variant: str | None = None) -> list[Lane]:
        """Lanes in the order they started (those started by ``now``; of one variant if given)."""
        if len(self._order) != len(self.lanes):  # a lane was added: sort again (a lane's start never changes)
            self._order = sorted(self.lanes.values(), key=lambda lane: (lane.start, lane.key))
            self._order_starts = [lane.start for lane in self._order]
        found = self._order if now is None else self._order[: bisect.bisect_right(self._order_starts, now)]
        return [lane for lane in found if lane.variant == variant] if variant is not None else list(found)

    def lane_states(self, lane: Lane, now: float | None = None) -> dict[str, float]:
        """Seconds the lane spent in each state up to ``now`` (tui/model/lanes.py)."""
        return lanes.lane_states(lane, self.duration if now is None else now)

    def cells(self, lane: Lane, t0: float, t1: float, n: int, now: float) -> Cells:
        """The lane's ``n`` cells from ``t0`` to ``t1``: their states and lock marks (tui/model/cells.py)."""
        return cells.cells(lane, t0, t1, n, now)

    def cell_times(self, lane: Lane, t0: float, t1: float, n: int, now: float) -> Times:
        """The lane's seconds per state in each of its ``n`` cells from ``t0`` to ``t1`` (tui/model/cells.py)."""
        return cells.cell_times(lane, t0, t1, n, now)

    # ------------------------------------------------------------------------------------------ locks, counters

    def lock_stats(self, now: float | None = None) -> list[LockStats]:
        """Each lock's statistics as they stood at ``now``."""
        return self.lock_book.stats(self.duration if now is None else now)

    def counter(self, name: str, now: float | None = None) -> int | None:
        """The counter's latest value at ``now``."""
        values = self.counters.get(name)
        if not values:
            return None
        if now is None:
            return values[-1][1]
        i = bisect.bisect_right(values, (now, float("inf"))) - 1
        return values[i][1] if i >= 0 else None

    def counter_peak(self, name: str) -> int | None:
        """The counter's highest value in the whole run (kept exactly, even where the series is thinned)."""
        return self.counter_peaks.get(name)

    # ------------------------------------------------------------------------------------------ samples

    def sample_at(self, now: float) -> Sample | None:
        i = bisect.bisect_right(self.sample_times, now) - 1
        return self.samples[i] if i >= 0 else None

    def samples_between(self, t0: float, t1: float) -> list[Sample]:
        return self.samples[bisect.bisect_left(self.sample_times, t0) : bisect.bisect_right(self.sample_times, t1)]

    def core_means(self, t0: float = 0.0, t1: float | None = None) -> list[float]:
        """Mean busy % per core over the run (or a window)."""
        window = self.samples_between(t0, self.duration if t1 is None else t1)
        if not window:
            return []
        n = len(window[0].cores)
        return [sum(s.cores[i] for s in window) / len(window) for i in range(n)]

    def peak(self, attr: str, now: float | None = None) -> float:
        i = bisect.bisect_right(self.sample_times, self.duration if now is None else now) - 1
        if attr not in self._peaks:
            return max((getattr(s, attr) for s in self.samples[: i + 1]), default=0)
        return self._peaks[attr][i] if i >= 0 else 0

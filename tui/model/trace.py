"""The questions asked of a run: lanes in order, seconds per state, cells, lock statistics, counters, samples,
other programs' load.

Every question takes the time ``now`` (seconds from the run's start) it should answer for, so a replay paused
mid-run and a frozen snapshot clock see exactly what a live run saw at that moment.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from tui.model import cells, lanes
from tui.model.cells import Cells, Times
from tui.model.ingest import Sample, TraceData
from tui.model.lanes import Lane
from tui.model.locks import LockStats

# Other programs' mean CPU, as a share of the machine's cores, from which a run says so: a run that keeps every core
# busy gets about that share less of them, which moves its times, speed-ups and waits as much. On 2 cores it is the
# benchmarks' QUIET_CORES (0.2 cores; benchmarks/bench_probe.py). Runs on a quiet 2-core machine measured up to half
# of it: the terminal drawing concviz, the kernel's work for the run (its loopback network, its pipes) and /proc's
# rounding count as others too.
BUSY_SHARE = 0.1
MIN_SAMPLES = 5  # samples (half a second) below which others' load is not said: /proc's 10 ms ticks move it by 0.1 core
BUSIEST_S = 1.0  # others' load is also given over the busiest stretch this long


@dataclass(frozen=True)
class OthersLoad:
    """Other programs' CPU use while a run, or a stretch of it, went: the machine's busy cores less the scenario's
    process tree and concviz's own process, from the samples."""

    cores: float  # on average, in cores
    busiest: float  # on average over its busiest BUSIEST_S, in cores (a run shorter than that: ``cores``)
    machine: int  # the machine's cores, as sampled

    @property
    def share(self) -> float:
        """Of the machine's CPU."""
        return self.cores / self.machine


def unequal_load(loads: dict[str, OthersLoad], when: str, whose: str) -> str | None:
    """A note where other programs took ``BUSY_SHARE`` of the machine more during one of ``loads`` (name -> load;
    models, interpreters) than during another: ``when`` says which ("while some models ran than others"),
    ``whose`` whose figures suffer ("the models'"). None where they took about the same."""
    shares = [load.share for load in loads.values()]
    if len(shares) < 2 or max(shares) - min(shares) < BUSY_SHARE:
        return None
    each = ", ".join(f"{name} {load.share:.0%}" for name, load in loads.items())
    return f"other programs took more of the machine {when} ({each}): {whose} figures are not compared on equal terms"


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

    def load_notes(self, now: float | None = None) -> list[str]:
        """What load did to the run (shown on screen, never hidden): what the model aggregated rather than kept one
        by one, and other programs' share of the machine where it changes the figures (by ``now``)."""
        return self.aggregated_notes() + self.busy_notes(now)

    def aggregated_notes(self) -> list[str]:
        """What the model aggregated rather than kept one by one, to keep up and bound memory."""
        notes = self.lock_book.notes() + self.probe_notes()
        if self.output_dropped:
            notes.append(f"{self.output_dropped:,} older output lines were dropped")
        return notes

    def busy_notes(self, now: float | None = None) -> list[str]:
        """Where other programs took enough of the machine to change the run's figures, by ``now``: at least
        ``BUSY_SHARE`` of it over the run, or (a comparison) that much more while one model ran than another."""
        now = self.duration if now is None else now
        notes = []
        load = self.others_load(0.0, now)
        if load is not None and load.share >= BUSY_SHARE:
            bursts = load.busiest - load.cores >= BUSY_SHARE * load.machine  # a second that much busier: said
            busiest = f"; {load.busiest:.2f} in its busiest second" if bursts else ""
            cores = f"{load.machine} core" + ("s" if load.machine != 1 else "")
            notes.append(f"other programs used {load.cores:.2f} of the {cores} on average during this run "
                         f"({load.share:.0%}{busiest}): its times, speed-ups and waits are not a quiet machine's")
        unequal = unequal_load(self.others_by_variant(now), "while some models ran than others", "the models'")
        return notes if unequal is None else [*notes, unequal]

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

    def others_load(self, t0: float = 0.0, t1: float | None = None) -> OthersLoad | None:
        """Other programs' CPU use from ``t0`` to ``t1`` (default: the run's end): the samples taken after ``t0`` and
        by ``t1`` (each measured the moments before it) that measured concviz's own CPU; None with fewer than
        ``MIN_SAMPLES`` of them (files before trace format 5 have none). Averaged first, then taken as at least 0:
        /proc's rounding to ticks cancels out rather than adds up."""
        times = self.sample_times
        t1 = self.duration if t1 is None else t1
        window = [s for s in self.samples[bisect.bisect_right(times, t0) : bisect.bisect_right(times, t1)]
                  if s.own_cores is not None]
        if len(window) < MIN_SAMPLES:
            return None
        others = [sum(s.cores) / 100 - s.proc_cores - (s.own_cores or 0.0) for s in window]
        mean = max(sum(others) / len(others), 0.0)
        busiest, total, first = None, 0.0, 0
        for i, s in enumerate(window):  # each stretch (t - BUSIEST_S, t] of samples that starts after the first one
            total += others[i]
            while s.t - window[first].t >= BUSIEST_S:
                total -= others[first]
                first += 1
            if first > 0:
                busiest = max(busiest or 0.0, total / (i - first + 1))
        busiest = mean if busiest is None else max(busiest, mean)  # (the first second, left out, may be the busiest)
        return OthersLoad(mean, busiest, len(window[0].cores))

    def others_by_variant(self, now: float | None = None) -> dict[str, OthersLoad]:
        """Other programs' CPU use while each model of a comparison ran (by ``now``), for those it is known for."""
        now = self.duration if now is None else now
        found = {}
        for name, variant in self.variants.items():
            end = now if variant.end is None else min(variant.end, now)
            load = self.others_load(variant.start, end) if variant.start < now else None
            if load is not None:
                found[name] = load
        return found

    def peak(self, attr: str, now: float | None = None) -> float:
        i = bisect.bisect_right(self.sample_times, self.duration if now is None else now) - 1
        if attr not in self._peaks:
            return max((getattr(s, attr) for s in self.samples[: i + 1]), default=0)
        return self._peaks[attr][i] if i >= 0 else 0

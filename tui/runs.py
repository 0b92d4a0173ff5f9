"""Interpreters compared: one comparison scenario run under each of several interpreters, one after another. No
Textual here.

Each run is a Trace of its own, exactly as a single run would be (its own child, its own clock from its own HELLO,
its own ``python``), so everything that reads one run reads each of these: its lesson's figures, the takeaways,
the summary. ``Runs`` puts them in order on one shared clock, each run starting where the one before it ended
(the seconds in between, while the next interpreter starts, belong to neither): a replay's play head, a live
clock and the comparison screen all speak that shared time, and ``local(i, now)`` turns it into run i's own.
Nothing is merged: a run's lanes, samples and counters stay its own, so no pid, lock or counter of one run can be
taken for another's.
"""

from __future__ import annotations

import bisect

from tui import lessons
from tui.clock import LiveClock
from tui.lessons.lesson import always, never
from tui.model import Trace

MAX_RUNS = 8  # interpreters in one comparison (each is a whole run, one after another)
ASKED_FOR = ("cancelled", "run again", "back to home", "quit")


def compares(scenario: str, params: dict | None = None) -> bool:
    """Whether a run of ``scenario`` with ``params`` is a comparison (its models run as variants): its lesson says."""
    lesson = lessons.lesson_for(scenario)
    return lesson is not None and lesson.compares(params or {})


def comparison_names() -> str:
    """``A, B or C -p model=compare``: every way to run a comparison (from the lessons), for a refusal."""
    every = lessons.lessons()
    names = [lesson.scenario for lesson in every if lesson.compares is always]
    names += [f"{lesson.scenario} {lesson.compares_how}".strip() for lesson in every
              if lesson.compares not in (always, never)]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


class Runs:
    """The runs of one scenario under several interpreters, in the order they ran."""

    def __init__(self, meta: dict, traces: list[Trace]) -> None:
        self.meta = dict(meta)  # scenario, params, seed, machine, started (each run's own meta is its trace's)
        self.traces = list(traces)
        self.current = 0  # the run going now (live), or the last one
        self.stopped: str | None = None  # why no more runs start (a live comparison cancelled or quit)

    @classmethod
    def for_sessions(cls, sessions: list) -> "Runs":
        """Runs not started yet, a Trace each from its session's meta (its interpreter described up front)."""
        metas = [session.meta() for session in sessions]
        first = metas[0]
        meta = {k: first[k] for k in ("scenario", "params", "seed", "machine", "started") if k in first}
        return cls(meta, [Trace(m) for m in metas])

    def __len__(self) -> int:
        return len(self.traces)

    def __iter__(self):
        return iter(self.traces)

    def __getitem__(self, i: int) -> Trace:
        return self.traces[i]

    # ---------------------------------------------------------------------------------------------- naming

    @property
    def labels(self) -> list[str]:
        """A short distinct name per run: its interpreter's version (tui.pythons.labels)."""
        from tui.pythons import labels

        return labels([trace.python for trace in self.traces])

    def file_meta(self) -> dict:
        """The header of a trace file holding every run (tui.tracefile, format version 2)."""
        meta = {**self.meta, "runs": [dict(trace.meta) for trace in self.traces]}
        if self.stopped is not None:
            meta["stopped"] = self.stopped
        return meta

    # ------------------------------------------------------------------------------------------------ time

    def offsets(self) -> list[float]:
        """Where each run starts on the shared clock: the lengths of the runs before it, added up."""
        out, t = [], 0.0
        for trace in self.traces:
            out.append(t)
            t += trace.duration
        return out

    @property
    def duration(self) -> float:
        return sum(trace.duration for trace in self.traces)

    def local(self, i: int, now: float, offsets: list[float] | None = None) -> float:
        """Run i's own time at the shared ``now`` (negative: it had not started). Where that is its end but for
        rounding (the shared clock at the end of the run), it is its end."""
        t = now - (self.offsets() if offsets is None else offsets)[i]
        end = self.traces[i].duration
        return end if abs(t - end) < 1e-9 else t

    def at(self, now: float) -> tuple[int, float]:
        """The run shown at the shared ``now`` and its own time then: the one whose stretch holds ``now``, never
        past the current run, and never one that did not start (a comparison cancelled, a file cut short) but the
        current one (a live run starting)."""
        offsets = self.offsets()
        i = min(max(bisect.bisect_right(offsets, now) - 1, 0), self.current)
        while i > 0 and i != self.current and not self.started(i):
            i -= 1
        return i, self.local(i, now, offsets)

    def started(self, i: int) -> bool:
        trace = self.traces[i]
        return trace.t0_ns is not None or trace.exit is not None

    # ------------------------------------------------------------------------------------------------ ends

    @property
    def exit(self) -> dict | None:
        """How the comparison ended: None while a run is going or still to come (or the file ends inside one);
        else status 0 when every run finished, 1 when any failed or did not run (``runs`` says which, and why)."""
        if self.traces[self.current].exit is None:
            return None
        if self.stopped is None and any(trace.exit is None for trace in self.traces[self.current:]):
            return None
        unfinished = [f"{label}: {(trace.exit or {}).get('reason', 'not run')}"
                      for label, trace in zip(self.labels, self.traces)
                      if (trace.exit or {}).get("status") != 0 or trace.error]
        if not unfinished:
            return {"status": 0, "signal": None, "reason": "finished"}
        reason = self.stopped if self.stopped in ASKED_FOR else "; ".join(unfinished)
        return {"status": 1, "signal": None, "reason": reason, "runs": unfinished}

    def failed(self) -> tuple[int, Trace] | None:
        """The first run that failed (not one the learner ended), for the crash panel."""
        for i, trace in enumerate(self.traces):
            exit_info = trace.exit or {}
            if trace.error or (exit_info and exit_info.get("status") != 0
                               and exit_info.get("reason") not in ASKED_FOR):
                return i, trace
        return None

    # --------------------------------------------------------------------------------------------- summary

    def summary(self) -> dict:
        """Every run as one JSON-able object (``concviz run NAME --python A --python B --headless --json``): each
        run's own summary under ``runs``, and the models' figures set side by side (tui.lessons.interpreters)."""
        from tui.lessons import interpreters
        from tui.summary import summarize

        now = self.duration
        figures = interpreters.metrics(self, now)
        labels = self.labels
        return {
            "scenario": self.meta.get("scenario"),
            "params": self.meta.get("params", {}),
            "seed": self.meta.get("seed"),
            "machine": self.meta.get("machine", {}),
            "interpreters": [{"label": label, **trace.python} for label, trace in zip(labels, self.traces)],
            "wall_s": round(now, 6),
            "runs": [{"label": label, **summarize(trace)} for label, trace in zip(labels, self.traces)],
            "models": figures["models"],
            "explanation": interpreters.explain(self, now),
            "exit": self.exit,
        }


class RunsClock:
    """A live comparison's shared clock: where the run going now started, plus its own live time."""

    live = True

    def __init__(self, runs: Runs) -> None:
        self.runs = runs

    @property
    def now(self) -> float:
        i = self.runs.current
        return self.runs.offsets()[i] + LiveClock(self.runs[i]).now

    def tick(self) -> None:
        """Nothing to do: the wall clock moves by itself."""

    def describe(self) -> str:
        return "live" if self.runs.exit is None else "ended"

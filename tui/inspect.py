"""What a picked lane or a picked stretch of time holds, as the pick panel shows it. No Textual here.

A lane: what it is (its kind, process and thread), when it ran, and its time in each state (on a core, waiting for
the GIL or a core, for I/O, for a lock, holding it), its lock acquisitions. A stretch of time: what every lane did in
it, state by state, and each lane's own most-of-the-time state. Every figure is the model's (tui/model), for the
moment shown: nothing estimated here.
"""

from __future__ import annotations

from rich.text import Text

from tui.lessons.lesson import fmt_s
from tui.model import BASE_STATES, FOLD_S, Lane, Trace
from tui.model import lanes as lanes_module
from tui.text import printable
from tui.theme import DARK_INK, STATE_LABELS, Ink

ORDER = (*BASE_STATES,)
MAX_LANES = 12  # lanes listed for a stretch of time (the rest are counted)


def _states(times: dict[str, float], ink: Ink, life: float) -> Text:
    """A line per state: ``■ cpu         120 ms  40%``, its seconds and its share of ``life``."""
    out = Text()
    for state in ORDER:
        seconds = times.get(state, 0.0)
        if seconds <= 0:
            continue
        if out:
            out.append("\n")
        out.append("\u25a0 ", style=ink.state.get(state, ink.faint))
        out.append(f"{STATE_LABELS.get(state, state):<10}", style=ink.muted)
        out.append(f"{fmt_s(seconds):>8}", style="bold")
        if life > 0:
            out.append(f" {seconds / life:>4.0%}", style=ink.faint)
    return out


def lane_figures(trace: Trace, lane: Lane, now: float, ink: Ink = DARK_INK) -> Text:
    """The picked lane: what it is, when it ran, its time per state and its lock acquisitions."""
    out = Text()
    out.append(printable(lane.name, 60), style="bold")
    where = [lane.kind, f"pid {lane.pid}"] + ([f"thread {lane.tid}"] if lane.tid else [])
    if trace.variants and lane.variant:
        where.append(f"model {printable(lane.variant, 30)}")
    out.append("\n" + " \u00b7 ".join(where), style=ink.muted)
    end = lane.end if lane.end is not None and lane.end <= now else None
    until = end if end is not None else now
    life = max(until - lane.start, 0.0)
    out.append(f"\n{lane.start:.3f} s to ", style=ink.muted)
    out.append(f"{end:.3f} s" if end is not None else "now (still running)", style=ink.muted)
    out.append(f": {fmt_s(life)}", style="bold")
    times = trace.lane_states(lane, now)
    out.append("\n")
    out.append_text(_states(times, ink, life) or Text("no time in any state yet", style=ink.faint))
    marks = sum(1 for m in lane.marks if m <= now)
    if marks:
        out.append(f"\n{marks:,} lock acquisition{'s' if marks != 1 else ''} seen", style=ink.muted)
    return out


def range_figures(trace: Trace, lanes: list[Lane], t0: float, t1: float, now: float,
                  ink: Ink = DARK_INK, lanes_listed: int = MAX_LANES) -> Text:
    """The picked stretch of time: every lane's time per state in it, added up, then lane by lane (the first
    ``lanes_listed``)."""
    t1 = min(t1, now)
    out = Text()
    out.append(f"{t0:.3f} s to {t1:.3f} s", style="bold")
    out.append(f" ({fmt_s(max(t1 - t0, 0.0))})", style=ink.muted)
    if t1 <= t0:
        out.append("\nnothing had happened there yet", style=ink.faint)
        return out
    each = []
    totals: dict[str, float] = {}
    summarised = 0
    for lane in lanes:
        if lane.start >= t1 or (lane.end is not None and lane.end <= t0):
            continue
        times = {state: seconds for state, seconds in lanes_module.state_times(lane, t0, t1, now).items()
                 if seconds > 0}
        summarised += bool(lane.folded and any(lanes_module.buckets_in(lane.folded, t0, t1)))
        if not times:
            continue
        each.append((lane, times))
        for state, seconds in times.items():
            totals[state] = totals.get(state, 0.0) + seconds
    out.append(f"  {len(each)} of {len(lanes)} lanes alive in it", style=ink.muted)
    if summarised:  # a hot lock's older detail: kept as 50 ms sums, not split finer
        out.append(f"\nlock time of {summarised} lane{'s' if summarised > 1 else ''} here is kept in "
                   f"{FOLD_S * 1000:.0f} ms sums, not counted below", style=ink.fair)
    out.append("\nall lanes, task-seconds:\n", style=ink.muted)
    out.append_text(_states(totals, ink, sum(totals.values())))
    for lane, times in each[:lanes_listed]:
        top = max(times, key=times.get)
        out.append(f"\n{printable(lane.name, 20):<20} ", style=ink.label)
        out.append(f"{STATE_LABELS.get(top, top):<9}", style=f"bold {ink.state.get(top, ink.faint)}")
        out.append(f" {times[top] / max(t1 - t0, 1e-12):>4.0%}", style=ink.faint)
    if lanes_listed and len(each) > lanes_listed:
        out.append(f"\n+{len(each) - lanes_listed} more lanes", style=ink.faint)
    return out

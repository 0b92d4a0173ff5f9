"""Exercise 1: threads overlap waiting; the lock serialises the shared update."""

from __future__ import annotations

from tui.lessons import label, measurement_warnings
from tui.lessons.lesson import Backing, Lesson, fmt_s, newest


def metrics(trace, now: float) -> dict:
    lanes = trace.ordered_lanes(now)
    io = [trace.lane_states(lane, now).get("io", 0.0) for lane in lanes]
    locks = trace.lock_stats(now)
    return {
        "io_sum_s": round(sum(io), 6),
        "io_max_s": round(max(io, default=0.0), 6),
        "overlap": round(sum(io) / now, 2) if now > 0 else 0.0,
        "lock_hold_s": round(sum(s.hold_s for s in locks), 6),  # of the timed acquisitions (all, unless counted)
        "lock_holds_timed": sum(s.acquisitions if s.timed < 0 else s.timed for s in locks),
    }


def explain(trace, now: float) -> list[str]:
    m = metrics(trace, now)
    lanes = trace.ordered_lanes(now)
    lines = [
        f"{len(lanes)} threads waited {fmt_s(m['io_sum_s'])} in total, yet the run has taken {fmt_s(now)}: "
        f"their sleeps overlapped, about {m['overlap']:.1f} at a time.",
        f"The longest single download was {fmt_s(m['io_max_s'])}: with threads, total time tracks the slowest "
        "wait, not the sum.",
    ]
    distorted = measurement_warnings(trace, now)
    for s in trace.lock_stats(now):
        if not s.acquisitions:
            continue
        cost = ("and it costs little here" if s.wait_s < 0.05 * max(now, 1e-9) and not distorted
                else f"and here the threads queued for it {fmt_s(s.wait_s)} in all, at most {s.max_waiters} at once")
        if s.timed < 0:
            taken = (f"'{s.name}' was taken {s.acquisitions:,} times and held {fmt_s(s.hold_s)} in all (longest wait "
                     f"{fmt_s(s.longest_wait_s)})")
        else:  # a busy lock: every acquisition counted, some timed
            taken = (f"'{s.name}' was taken {s.acquisitions:,} times ({s.acquisitions - s.timed:,} of them counted, "
                     f"their holds not timed); the {s.timed:,} timed held it {fmt_s(s.hold_s)}, and the longest wait "
                     f"was {fmt_s(s.longest_wait_s)}")
        lines.append(f"{taken}: shared state needs the lock, {cost}.")
    return lines


def waits_overlapped(trace) -> str:
    m = metrics(trace, trace.duration)
    return (f"{label(trace)}: {len(trace.lanes)} threads waited {fmt_s(m['io_sum_s'])} in all, yet the run took "
            f"{fmt_s(trace.duration)}: about {m['overlap']:.1f} waits at once")


def totals(params) -> dict[str, int]:
    """Each task adds ``updates`` to the progress."""
    tasks, updates = params.get("tasks"), params.get("updates")
    if not isinstance(tasks, int):
        return {}
    return {"progress": tasks * updates if isinstance(updates, int) else tasks}


LESSON = Lesson(
    scenario="threads-download",
    metrics=metrics,
    explain=explain,
    workload="io",
    totals=totals,
    takeaways={"latency hiding": Backing(newest(waits_overlapped)),
               "threads model": Backing(newest(waits_overlapped))},
)

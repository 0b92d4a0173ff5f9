"""Section 2: the gather takes about as long as the slowest fetch, not the sum of the three waits."""

from __future__ import annotations

from tui.lessons import label
from tui.lessons.lesson import Backing, Lesson, fmt_s, newest


def _fetches(trace, now: float) -> list:
    return [lane for lane in trace.ordered_lanes(now) if lane.name.startswith("fetch(")]


def _life(lane, now: float) -> float:
    """From the task's creation to its end (or to ``now`` while it still runs)."""
    end = lane.end if lane.end is not None and lane.end <= now else now
    return max(end - lane.start, 0.0)


def _on_loop(lane, now: float) -> float:
    """Wall time the task's code was running on the loop (its base ``cpu`` stretches, however they split)."""
    end = min(lane.end if lane.end is not None else now, now)
    return sum(max(min(seg.t1 if seg.t1 is not None else end, end) - seg.t0, 0.0)
               for seg in lane.segments if seg.state == "cpu" and seg.t0 < end)


def metrics(trace, now: float) -> dict:
    fetches = _fetches(trace, now)
    if not fetches:
        return {"tasks": 0}
    waits = [trace.lane_states(lane, now).get("io", 0.0) for lane in fetches]
    running = sum(_on_loop(lane, now) for lane in trace.ordered_lanes(now))
    start = min(lane.start for lane in fetches)
    ends = [lane.end for lane in fetches if lane.end is not None and lane.end <= now]
    finished = len(ends) == len(fetches)
    wall = (max(ends) if finished else now) - start
    return {
        "tasks": len(fetches),
        "finished": len(ends),
        "wall_s": round(wall, 6),  # the gather: the first fetch created to the last one done
        "slowest_task_s": round(max(_life(lane, now) for lane in fetches), 6),
        "slowest_task": max(fetches, key=lambda lane: _life(lane, now)).name,
        "sum_delays_s": round(sum(waits), 6),  # what the fetches awaited, added up
        "overlap": round(sum(waits) / wall, 2) if wall > 0 else 0.0,
        "loop_busy_s": round(running, 6),  # the loop running any task's code
    }


def explain(trace, now: float) -> list[str]:
    m = metrics(trace, now)
    if not m["tasks"]:
        return ["No fetch has started yet."]
    if m["finished"] < m["tasks"]:
        return [
            f"{m['tasks']} fetches are awaiting at once on one thread: {m['finished']} done after "
            f"{fmt_s(m['wall_s'])}, their waits so far add up to {fmt_s(m['sum_delays_s'])}.",
            "While they wait the loop is free: each await hands it back.",
        ]
    return [
        f"total {fmt_s(m['wall_s'])} ~ slowest task {fmt_s(m['slowest_task_s'])} ({m['slowest_task']}), "
        f"while the {m['tasks']} waits summed to {fmt_s(m['sum_delays_s'])}.",
        f"The waits overlapped about {m['overlap']:.1f} at a time; the loop ran the tasks' code for only "
        f"{fmt_s(m['loop_busy_s'])} of it.",
        "One thread, no locks: each await hands the loop to whichever task is ready.",
    ]


def waits_overlapped(trace) -> str | None:
    m = metrics(trace, trace.duration)
    if not m.get("tasks"):
        return None
    return (f"{label(trace)}: total {fmt_s(m['wall_s'])} ~ slowest task {fmt_s(m['slowest_task_s'])}, while the "
            f"{m['tasks']} waits summed to {fmt_s(m['sum_delays_s'])}, on one thread")


LESSON = Lesson(
    scenario="async-dashboard",
    metrics=metrics,
    explain=explain,
    workload="io",
    takeaways={"latency hiding": Backing(newest(waits_overlapped)),
               "async model": Backing(newest(waits_overlapped))},
)

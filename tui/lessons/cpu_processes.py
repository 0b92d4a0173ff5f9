"""Section 4: worker processes run the CPU-bound items in parallel, one per core.

Its claim, "threads do not bypass the GIL", is the guide's for a Python with a GIL: on a free-threaded build with
the GIL off the explanation says so, and that threads could spread the items too."""

from __future__ import annotations

from tui.interpreter import build_name, build_phrase
from tui.lessons import build_note, label, start_methods
from tui.lessons.lesson import Backing, Lesson, fmt_s, newest


def _parts(trace, now: float) -> tuple:
    lanes = trace.ordered_lanes(now)
    main = next((lane for lane in lanes if lane.kind == "main"), None)
    workers = [lane for lane in lanes if lane.kind == "process" and lane.name.startswith("worker ")]
    items = [lane for lane in lanes if lane.kind == "process" and lane.name.startswith("heavy(")]
    return main, workers, items


def _end(lane, now: float) -> float:
    return lane.end if lane.end is not None and lane.end <= now else now


def metrics(trace, now: float) -> dict:
    main, workers, items = _parts(trace, now)
    states = [trace.lane_states(lane, now) for lane in items]
    cpu = sum(s.get("cpu", 0.0) for s in states)
    first = min((lane.start for lane in items), default=0.0)
    last = max((_end(lane, now) for lane in items), default=0.0)
    busy = last - first
    per_worker: dict[str, int] = {}
    for lane in items:
        per_worker[str(lane.pid)] = per_worker.get(str(lane.pid), 0) + 1
    return {
        "wall_s": round(_end(main, now) - main.start, 6) if main else 0.0,
        "workers": len(workers),
        "worker_pids": [lane.pid for lane in workers],
        "items": len(items),
        "items_done": sum(1 for lane in items if lane.end is not None and lane.end <= now),
        "items_per_worker": per_worker,
        "cpu_s": round(cpu, 6),  # the items' own time on a core, measured in each worker
        "items_span_s": round(busy, 6),  # first item started to last item done
        "cores_used": round(cpu / busy, 2) if busy > 0 else 0.0,
        "core_wait_s": round(sum(s.get("core_wait", 0.0) for s in states), 6),
        "pool_startup_s": round(trace.lane_states(main, now).get("startup", 0.0), 6) if main else 0.0,
        "worker_startup_s": round(max((trace.lane_states(w, now).get("startup", 0.0) for w in workers),
                                      default=0.0), 6),
    }


def explain(trace, now: float) -> list[str]:
    m = metrics(trace, now)
    cores = trace.meta.get("machine", {}).get("cores") or "?"
    if not m["items"]:
        return [f"Starting the pool: {m['workers']} worker processes so far."]
    spread = ", ".join(f"{count} in {pid}" for pid, count in m["items_per_worker"].items())
    lines = [
        f"{m['items_done']} of {m['items']} items done by {m['workers']} worker processes ({spread}), "
        f"each a separate process with its own pid.",
        f"The items used {fmt_s(m['cpu_s'])} of CPU in {fmt_s(m['items_span_s'])}: {m['cores_used']:.1f} of "
        f"{cores} cores busy at once.",
    ]
    if m["core_wait_s"] > 0:
        lines.append(f"Items also waited {fmt_s(m['core_wait_s'])} in the run queue for a free core: "
                     f"{m['workers']} workers on {cores} cores, besides whatever else the machine runs.")
    if trace.gil_enabled:
        lines.append(f"Each worker has its own interpreter and its own GIL, so no item waits for another's; the "
                     f"main thread spent {fmt_s(m['pool_startup_s'])} launching the pool.")
        return lines + start_methods.describe(trace, m["worker_startup_s"]) + build_note(trace.python)
    lines.append(
        f"Each worker has its own interpreter; the main thread spent {fmt_s(m['pool_startup_s'])} launching the "
        "pool. Section 4's "
        "\"threads do not bypass the GIL\" holds on a build with a GIL; this one "
        f"({build_name(trace.python)}) ran with it off, so threads could spread these items over the cores too "
        "(cpu-speedup measures both)."
    )
    return lines + start_methods.describe(trace, m["worker_startup_s"])


def cores_busy(trace) -> str:
    m = metrics(trace, trace.duration)
    cores = trace.meta.get("machine", {}).get("cores") or "?"
    phrase = build_phrase(trace.python)
    built = f", on {phrase}" if phrase else ""
    return (f"{label(trace)}: {m['items']} items on {m['workers']} worker processes kept {m['cores_used']:.1f} of "
            f"{cores} cores busy{built}")


LESSON = Lesson(
    scenario="cpu-processes",
    metrics=metrics,
    explain=explain,
    workload="cpu",
    takeaways={"processes model": Backing(newest(cores_busy))},
)

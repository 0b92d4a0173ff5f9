"""Exercise 3: the same CPU-heavy work serial, on threads and on processes; why threads do not help.

Per variant, from the trace:
- ``wall_s``: the work's wall time, from the end of the pool's start-up (the variant's start for serial) to the
  end of its last work item; ``startup_s`` is the start-up lane, kept out of ``wall_s`` and shown beside it.
- ``cores_used``: the work lanes' own CPU time divided by ``wall_s``. Each lane's thread reads its on-CPU
  nanoseconds from the kernel (/proc/thread-self/schedstat) at every state boundary, so this counts exactly the
  work, over exactly its window; the parent's 100 ms psutil samples are too coarse for runs this short. A
  subinterpreter's items are measured the same way, from inside the interpreter that runs them.
- ``gil_wait_share`` (threads): each lane's time waiting for the GIL over its life, averaged over the lanes; None
  where the GIL was off (a free-threaded build), which has no GIL to wait for. There the threads' figures say what
  held them back instead: ``core_wait_share`` (ready, waiting for a free core) and ``blocked_share`` (neither
  running nor ready: the rest of their cpu stretches).
"""

from __future__ import annotations

from tui.interpreter import GIL_OFF, build_name, build_phrase, gil_state
from tui.lessons import build_note, label, start_methods
from tui.lessons.lesson import WALL_TIME, Backing, Figure, Lesson, always, final, fmt_s, newest

ORDER = ("serial", "threads", "processes", "interpreters")


def metrics(trace, now: float) -> dict:
    variants = {}
    for name, variant in trace.variants.items():
        if variant.start <= now:
            variants[name] = _variant_figures(trace, name, variant, now)
    serial = variants.get("serial")
    for figures in variants.values():
        if serial and serial["finished"] and figures["finished"] and figures["wall_s"] > 0:  # none for a time so far
            figures["speedup"] = round(serial["wall_s"] / figures["wall_s"], 2)
            figures["speedup_with_startup"] = round(serial["wall_s"] / (figures["wall_s"] + figures["startup_s"]), 2)
        else:
            figures["speedup"] = figures["speedup_with_startup"] = None
    cores = trace.meta.get("machine", {}).get("cores") or 1
    workers = trace.info.get("workers") or cores
    found = {
        "variants": {name: variants[name] for name in sorted(variants, key=_rank)},
        "cores": cores,
        "workers": workers,
        "parallel_limit": min(cores, workers),
    }
    if not _has_interpreter_pool(trace):
        found["interpreters"] = f"needs Python 3.14 (this run: Python {_version(trace)})"
    return found


def _variant_figures(trace, name: str, variant, now: float) -> dict:
    lanes = trace.ordered_lanes(now, variant=name)
    states = {lane.key: trace.lane_states(lane, now) for lane in lanes}
    startup = [lane for lane in lanes if states[lane.key].get("startup", 0.0) > 0]
    work = [lane for lane in lanes if lane not in startup and not _is_worker(lane)]
    t0 = _end(startup[-1], now) if startup else variant.start
    finished = variant.end is not None and variant.end <= now
    t1 = max((_end(lane, now) for lane in work), default=t0) if finished else now
    wall = max(t1 - t0, 0.0)
    cpu = sum(states[lane.key].get("cpu", 0.0) for lane in work)
    figures = {
        "finished": finished,
        "wall_s": round(wall, 4),
        "startup_s": round(sum(_end(lane, now) - lane.start for lane in startup), 4),
        "cores_used": round(cpu / wall, 2) if wall > 0 else 0.0,
        "lanes": len(work),
        "threads": len({(lane.pid, lane.tid) for lane in work if lane.tid}),
        "processes": len({lane.pid for lane in work}),
    }
    if name == "threads" and trace.gil_enabled:
        figures["gil_wait_share"] = round(_mean_share(work, states, "gil_wait", now), 3)
        figures["gil_wait_s"] = round(_mean(states[lane.key].get("gil_wait", 0.0) for lane in work), 4)
    elif name == "threads":  # no GIL to wait for: what else kept the threads off the cores
        figures["gil_wait_share"] = figures["gil_wait_s"] = None
        figures["core_wait_share"] = round(_mean_share(work, states, "core_wait", now), 3)
        figures["blocked_share"] = round(_mean_share(work, states, "wait", now), 3)
    if name == "processes":
        figures["core_wait_share"] = round(_mean_share(work, states, "core_wait", now), 3)
    return figures


def _is_worker(lane) -> bool:
    """A subinterpreter's own lane (its items are lanes of their own, inside it), not a work item."""
    return lane.kind == "interpreter" and not lane.parent


def _end(lane, now: float) -> float:
    return min(lane.end, now) if lane.end is not None else now


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _mean_share(lanes, states, state: str, now: float) -> float:
    """The share of its life each lane spent in ``state``, averaged over the lanes."""
    lives = [(lane, _end(lane, now) - lane.start) for lane in lanes]
    return _mean(states[lane.key].get(state, 0.0) / life for lane, life in lives if life > 0)


def _rank(name: str) -> int:
    return ORDER.index(name) if name in ORDER else len(ORDER)


def _version(trace) -> str:
    return trace.python.get("version", "?")


def _has_interpreter_pool(trace) -> bool:
    try:
        return tuple(int(part) for part in _version(trace).split(".")[:2]) >= (3, 14)
    except ValueError:
        return False


def explain(trace, now: float) -> list[str]:
    params = trace.meta.get("params", {})
    lines = describe(metrics(trace, now), gil=trace.gil_enabled, n=params.get("n"), items=params.get("items"),
                     python=trace.python)
    return lines + (start_methods.describe(trace, brief=True) if "processes" in trace.variants else [])


def watch(python: dict) -> str | None:
    """With the GIL off the scenario's line ("threads share one core, ... waiting for the GIL") does not hold."""
    if gil_state(python) != GIL_OFF:
        return None
    return "serial, threads and processes on one time scale: with the GIL off, threads can fill every core too"


def describe(m: dict, gil: bool = True, n: int | None = None, items: int | None = None,
             python: dict | None = None) -> list[str]:
    """The explanation, from the figures alone (so it can be checked against fixed figures); ``python``: the run's
    interpreter (Trace.python), to name its build."""
    v = m.get("variants", {})
    lines = []
    serial, threads, processes, interp = (v.get(name) for name in ORDER)
    build = f" ({build_name(python)})" if python and python.get("version") else ""
    if serial:
        work = f"{items} x heavy({n:,})" if n and items else "the work items"
        lines.append(
            f"Serial: {work} took {fmt_s(serial['wall_s'])}{so_far(serial)}, one item after another "
            f"({serial['cores_used']:.2f} cores used)."
        )
    if threads:
        k = threads["threads"]
        head = f"Threads ({k} in the pool): {fmt_s(threads['wall_s'])}{so_far(threads)}{_speedup(threads)}."
        if k <= 1:
            lines.append(f"{head} Only one thread ran at a time here, so nothing competed for the interpreter.")
        elif gil:
            lines.append(
                f"{head} Together the {k} threads used {threads['cores_used']:.2f} cores: each spent "
                f"{threads['gil_wait_share']:.0%} of its time waiting for the GIL ({fmt_s(threads['gil_wait_s'])} "
                "on average), so only one of them ran Python at any moment."
            )
        else:
            lines.append(f"{head} {_free_threads(threads, k, m.get('cores'), build)}")
    if processes:
        limit = m.get("parallel_limit", 1)
        own = "its own interpreter and its own GIL" if gil else "its own interpreter"
        lines.append(
            f"Processes ({processes['processes']} workers): {fmt_s(processes['wall_s'])}{so_far(processes)}"
            f"{_speedup(processes)}, using {processes['cores_used']:.2f} cores of the {limit} possible "
            f"(the fewer of {m.get('cores')} cores and {m.get('workers')} workers): each process has {own}."
        )
        if processes.get("core_wait_share", 0.0) >= 0.1:
            lines.append(
                f"Each process also waited {processes['core_wait_share']:.0%} of its time for a free core: more "
                "runnable work than cores (extra workers, or other programs on the machine)."
            )
    pools = [(name, f) for name, f in (("threads", threads), ("processes", processes), ("interpreters", interp)) if f]
    if pools:
        started = ", ".join(f"{name} {fmt_s(f['startup_s'])}" for name, f in pools)
        line = f"Pool start-up, kept out of the times above: {started}."
        if processes and processes.get("speedup_with_startup") is not None:
            line += f" Counting it, the processes' speedup is {processes['speedup_with_startup']:.2f}x."
        lines.append(line)
    if interp:
        lines.append(_interpreters(interp, gil))
    elif "interpreters" in m:
        lines.append(f"A fourth model, InterpreterPoolExecutor, {m['interpreters']}.")
    if threads and processes and threads["finished"] and processes["finished"]:
        lines.append(_verdict(threads, processes, gil))
    if gil and python:
        lines += build_note(python)
    return lines


def _free_threads(threads: dict, k: int, cores, build: str) -> str:
    """The threads without a GIL: how far they spread over the cores, and what held them back, as measured."""
    limit = min(cores, k) if isinstance(cores, int) and cores > 0 else k
    used = threads["cores_used"]
    spread = ("ran Python on several cores at once, together" if used >= 1.2 else
              "could run Python on several cores at once, yet together used only")
    line = (f"This Python{build} runs without a GIL: the {k} threads {spread} {used:.2f} cores of the {limit} they "
            f"could (the fewer of {cores or '?'} cores and {k} threads).")
    held = []
    if (threads.get("core_wait_share") or 0.0) >= 0.1:
        held.append(f"{threads['core_wait_share']:.0%} of its time waiting for a free core")
    if (threads.get("blocked_share") or 0.0) >= 0.1:
        held.append(f"{threads['blocked_share']:.0%} blocked (neither running nor ready to)")
    if held:
        line += " Each thread spent " + " and ".join(held) + "."
    return line


def _interpreters(interp: dict, gil: bool) -> str:
    """Subinterpreters: one process, each interpreter measured from inside itself."""
    k, cores = interp["threads"], interp["cores_used"]
    head = (f"Interpreters ({k} in one process): {fmt_s(interp['wall_s'])}{so_far(interp)}{_speedup(interp)}, "
            f"{cores:.2f} cores, measured inside each interpreter")
    own = "each subinterpreter has its own GIL" if gil else "each subinterpreter runs on its own"
    if k > 1 and cores >= 1.2:
        return f"{head}: {own}, so the CPU work ran on several cores at once inside one process."
    return f"{head}: {own}, so they could run on several cores at once; here they used {cores:.2f}."


def _verdict(threads: dict, processes: dict, gil: bool) -> str:
    t, p = threads["cores_used"], processes["cores_used"]
    if not gil:
        ts, ps = threads.get("speedup"), processes.get("speedup")
        speedups = f" (speedups {ts:.2f}x and {ps:.2f}x)" if ts is not None and ps is not None else ""
        line = (f"On a build with a GIL only the processes would spread this pure-Python work over the cores; with "
                f"it off, the threads used {t:.2f} cores and the processes {p:.2f}{speedups}")
        if p > t + 0.2 or (ts is not None and ps is not None and ts < 0.85 * ps):
            return line + (": the threads could have run in parallel, yet did less than the processes here; their "
                           "lanes show what they waited for.")
        return line + ": here threads did for CPU-bound work what processes do, without starting a process."
    if p > t + 0.2:
        return (f"Why threads do not help: heavy() is pure Python and the GIL lets one thread run Python at a time, "
                f"so the threads used {t:.2f} cores; processes do not share a GIL and used {p:.2f}.")
    return (f"Threads used {t:.2f} cores and processes {p:.2f}: the processes could run in parallel but did not "
            "get the cores (see their wait for a free core); run it again on a quieter machine.")


def so_far(figures: dict) -> str:
    return "" if figures["finished"] else " so far"


def _speedup(figures: dict) -> str:
    return f", speedup {figures['speedup']:.2f}x" if figures.get("speedup") is not None else ""


# ------------------------------------------------------------------------------ interpreters compared


def interpreters_compared(m: dict, order: list[str]) -> list[str]:
    """What Exercise 3's figures say about the interpreters: serial times are the interpreter itself; speedups
    (each over its own serial) are how it runs the work in parallel."""
    models = m.get("models") or {}
    gil = {i["label"]: i.get("gil", "enabled") == "enabled" for i in m.get("interpreters", [])}
    lines = []
    serial = {label: f for label, f in models.get("serial", {}).items() if final(f)}
    if len(serial) >= 2:
        lines.append("The serial times compare the interpreters themselves: the same pure-Python heavy() on one "
                     "core, no concurrency involved.")
    threads = {label: f for label, f in models.get("threads", {}).items() if final(f)}
    if threads:
        with_gil = [label for label in order if label in threads and gil.get(label, True)]
        without = [label for label in order if label in threads and not gil.get(label, True)]
        if with_gil:
            shares = ", ".join(f"{label} {threads[label].get('gil_wait_share', 0.0):.0%}" for label in with_gil)
            lines.append(f"Threads with the GIL on ({', '.join(with_gil)}): each thread spent this share of its time "
                         f"waiting for the GIL: {shares}; one thread at a time ran Python.")
        for label in without:
            f = threads[label]
            lines.append(f"Threads under {label}, with the GIL off: {f.get('cores_used', 0.0):.2f} cores used"
                         + (f", speedup {f['speedup']:.2f}x" if f.get("speedup") is not None else "")
                         + ": threads ran Python on several cores at once.")
    pools = [(name, {label: f for label, f in models.get(name, {}).items() if final(f) and f.get("startup_s")})
             for name in ("threads", "processes", "interpreters")]
    methods = {i["label"]: i.get("start_method") for i in m.get("interpreters", [])}

    def how(name: str, label: str) -> str:  # worker processes: how they started (fork, forkserver, spawn)
        return f" ({methods[label]})" if name == "processes" and methods.get(label) else ""

    started = [f"{name} " + ", ".join(f"{label} {fmt_s(f['startup_s'])}{how(name, label)}"
                                      for label, f in found.items())
               for name, found in pools if found]
    if started:
        lines.append("Pool start-up, kept out of the times above: " + "; ".join(started) + ".")
    return lines


# ------------------------------------------------------------------------------------------ takeaways


def cores_busy(trace) -> str | None:
    m = metrics(trace, trace.duration)
    cores = trace.meta.get("machine", {}).get("cores") or "?"
    variants = m.get("variants", {})
    parts = [f"{name} {f['speedup']:.1f}x" for name, f in variants.items() if name != "serial" and f.get("speedup")]
    if not parts or "serial" not in variants:
        return None
    return (f"{label(trace)}: against serial ({fmt_s(variants['serial']['wall_s'])}), " + ", ".join(parts) +
            f" on {cores} cores{built(trace)}")


def built(trace) -> str:
    """``, on 3.14t with the GIL off``: a CPU-bound figure's build, where it is not the guide's (a GIL build)."""
    phrase = build_phrase(trace.python)
    return f", on {phrase}" if phrase else ""


def _times(v: float) -> str:
    return f"{v:.2f}x"


def _share(v: float) -> str:
    return f"{v:.0%}"


LESSON = Lesson(
    scenario="cpu-speedup",
    metrics=metrics,
    explain=explain,
    watch=watch,
    workload="cpu",
    compares=always,
    figures=(
        WALL_TIME,
        Figure("speedup", "speedup", _times, lower_is_better=False),
        Figure("cores_used", "cores used", lambda v: f"{v:.2f}", lower_is_better=False),
        Figure("gil_wait_share", "GIL wait", _share),
        Figure("core_wait_share", "core wait", _share, drop=2),
        Figure("startup_s", "pool start-up", lambda v: fmt_s(v) if v else "\u2013"),
        Figure("speedup_with_startup", "with start-up", _times, lower_is_better=False, drop=3),
    ),
    interpreters=interpreters_compared,
    takeaways={"processes model": Backing(newest(cores_busy)), "selection": Backing(newest(cores_busy))},
)

"""Exercise 1's second claim: shared memory requires synchronization. Each model's expected and actual progress.

Per model (scenarios/lost_updates.py), from the run: ``expected`` (threads x updates) and ``actual`` (what the
shared ``progress`` reached), noted by the scenario as each model ends; ``lost`` is the difference. While a model
runs, only its time so far is known: no count is guessed.
"""

from __future__ import annotations

from tui.interpreter import build_name
from tui.lessons import label
from tui.lessons.lesson import WALL_TIME, Backing, Figure, Lesson, always, fmt_count, fmt_s, newest

ORDER = ("no lock", "no lock, a window", "lock")


def metrics(trace, now: float) -> dict:
    results = trace.info.get("results") or {}
    variants = {}
    for name, variant in sorted(trace.variants.items(), key=lambda item: _rank(item[0])):
        if variant.start > now:
            continue
        finished = variant.end is not None and variant.end <= now and isinstance(results.get(name), dict)
        end = min(variant.end, now) if variant.end is not None else now
        figures: dict = {"finished": finished, "wall_s": round(max(end - variant.start, 0.0), 4),
                         "threads": len(trace.ordered_lanes(now, variant=name))}
        if finished:
            expected, actual = results[name].get("expected", 0), results[name].get("actual", 0)
            figures.update(expected=expected, actual=actual, lost=expected - actual,
                           lost_share=round((expected - actual) / expected, 4) if expected else 0.0)
        variants[name] = figures
    params = trace.meta.get("params", {})
    return {"variants": variants, "threads": params.get("threads"), "updates": params.get("updates")}


def _rank(name: str) -> int:
    return ORDER.index(name) if name in ORDER else len(ORDER)


def explain(trace, now: float) -> list[str]:
    m = metrics(trace, now)
    done = {name: f for name, f in m["variants"].items() if f["finished"]}
    lines = []
    for name, f in m["variants"].items():
        if not f["finished"]:
            lines.append(f"{name}: {f['threads']} threads updating progress, {fmt_s(f['wall_s'])} so far.")
            continue
        lost = (f"{f['lost']:,} updates lost ({f['lost_share']:.0%})" if f["lost"] else "nothing lost")
        lines.append(f"{name}: progress reached {f['actual']:,} of the {f['expected']:,} the threads added: {lost}.")
    plain, window, locked = (done.get(name) for name in ORDER)
    gil = trace.gil_enabled
    if plain is not None and not plain["lost"] and gil:
        lines.append("Without the lock, the guide's `progress += 1` lost nothing here: with a GIL, a thread is "
                     "switched out only where the interpreter checks (a loop's jump back, a call), never inside the "
                     "+=. That is how this interpreter happens to run, not a promise: a free-threaded build, or any "
                     "pause between reading and writing, loses updates.")
    elif plain is not None and plain["lost"] and gil:
        lines.append(f"Even with a GIL, the guide's `progress += 1` without the lock lost {plain['lost']:,}: the "
                     "interpreter switched threads between its read and its write.")
    elif plain is not None and not gil:
        build = build_name(trace.python)
        lines.append(f"This Python ({build}) ran with the GIL off: the threads did `progress += 1` at the same "
                     f"time on different cores, and {plain['lost']:,} of their updates were lost." if plain["lost"]
                     else f"This Python ({build}) ran with the GIL off, yet `progress += 1` lost nothing this time; "
                     "run it again, or with more updates, and it will.")
    if window is not None:
        lines.append(f"With a window between the read and the write (each a `wait` on its lane), two threads read "
                     f"the same value and both wrote it back plus one: {window['lost']:,} of {window['expected']:,} "
                     "updates lost.")
    if locked is not None:
        waited = sum(s.wait_s for s in trace.lock_stats(now))
        lines.append(f"Inside `with lock:` the same window lost {locked['lost']:,}: the lock makes the read and the "
                     f"write one step for every other thread. The price is waiting: {fmt_s(waited)} in all, the "
                     "lock wait on the lanes.")
    return lines


def headline(figures, running: bool) -> list[str]:
    """A model's header: what it lost."""
    if figures.get("lost") is None:
        return [fmt_s(figures["wall_s"]) + "\u2026"] if figures.get("wall_s") is not None and running else []
    return [f"{figures['lost']:,} lost" if figures["lost"] else "none lost"]


def lost_without_the_lock(trace) -> str | None:
    m = metrics(trace, trace.duration)
    found = {name: f for name, f in m["variants"].items() if f["finished"]}
    if "lock" not in found or not any(name in found for name in ORDER[:2]):
        return None
    unlocked = max((found[name] for name in ORDER[:2] if name in found), key=lambda f: f["lost"])
    return (f"{label(trace)}: without the lock {unlocked['lost']:,} of {unlocked['expected']:,} updates lost, with "
            f"it {found['lock']['lost']:,}")


LESSON = Lesson(
    scenario="lost-updates",
    metrics=metrics,
    explain=explain,
    compares=always,
    figures=(
        Figure("expected", "expected", fmt_count),
        Figure("actual", "actual", fmt_count, lower_is_better=False),
        Figure("lost", "lost", fmt_count),
        Figure("lost_share", "lost share", lambda v: f"{v:.0%}", drop=1),
        WALL_TIME,
    ),
    headline=headline,
    headlines=(Figure("lost", "updates lost", fmt_count), WALL_TIME),
    takeaways={"threads model": Backing(newest(lost_without_the_lock), named=False)},
)

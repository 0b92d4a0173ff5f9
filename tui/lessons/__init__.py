"""What each run teaches, in its own figures, and what its screens need: a lesson per scenario.

One module per scenario (named like the scenario module), each declaring ``LESSON = Lesson(...)``
(tui/lessons/lesson.py: the contract), with at least
    metrics(trace, now) -> dict      figures for ``summary["metrics"]`` and the screens
    explain(trace, now) -> list[str] short lines quoting those figures, never fixed numbers
and whatever its screens need besides (a panel of its own, its comparison's columns, the takeaways its runs back).
No Textual here: the run screen, the takeaways screen and headless mode all use these.

The guide was written for a Python with a GIL. On a free-threaded build (3.13t and later) with the GIL off, threads
run Python on several cores at once: no lesson says "waiting for the GIL" there, and each says what was measured
instead. ``build_note`` says, where a lesson's threads compute, that a free-threaded build had its GIL turned back on.

Every explanation ends with what may make its figures differ from another run's: other programs' load where it was
enough to change them (``busy_machine``), and runs the measuring itself distorted (``measurement_warnings``).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tui.interpreter import FORCED, REENABLED, build_name, gil_state
from tui.lessons.lesson import Lesson, fmt_s

__all__ = ["Lesson", "build_note", "busy_machine", "explain", "fmt_s", "label", "lesson_for", "lessons",
           "measurement_warnings", "metrics", "watch", "watch_for"]


@cache
def lesson_for(scenario: str) -> Lesson | None:
    """The lesson of ``scenario`` (its module's ``LESSON``), None for a name no lesson has."""
    try:
        module = importlib.import_module(f"tui.lessons.{scenario.replace('-', '_')}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("tui.lessons."):
            return None
        raise
    lesson = getattr(module, "LESSON", None)
    return lesson if isinstance(lesson, Lesson) else None


@cache
def lessons() -> tuple[Lesson, ...]:
    """Every scenario's lesson (each module of this package that declares a ``LESSON``), in the guide's order:
    their scenarios' places."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        lesson = getattr(importlib.import_module(f"{__name__}.{module.name}"), "LESSON", None)
        if isinstance(lesson, Lesson):
            found.append(lesson)
    return tuple(sorted(found, key=lambda lesson: (_place(lesson.scenario), lesson.scenario)))


def _place(scenario: str) -> int:
    """Where the scenario comes in the guide's order (its module's ``SCENARIO.place``)."""
    try:
        module = importlib.import_module(f"scenarios.{scenario.replace('-', '_')}")
    except ModuleNotFoundError:
        return 10**9
    declared = getattr(module, "SCENARIO", None)
    return getattr(declared, "place", 10**9)


def label(trace) -> str:
    """``mixed-loop model=processes``: the scenario, its model and the parameters that differ from its defaults."""
    from scenarios import catalog

    name = trace.meta.get("scenario", "?")
    params = trace.meta.get("params", {})
    try:
        defaults = catalog.get(name).defaults()
    except catalog.ParamError:
        defaults = {}
    first = ("model", "collect")  # the parameters that pick the model: named even at their defaults
    shown = [k for k in first if k in params]
    shown += [k for k in params if k not in first and k in defaults and defaults[k] != params[k]]
    return " ".join([name, *(f"{k}={params[k]}" for k in shown[:2])])


def metrics(trace, now: float | None = None) -> dict:
    """The scenario's own figures merged over what its child reported."""
    now = trace.duration if now is None else now
    reported = trace.info.get("metrics")
    found = dict(reported) if isinstance(reported, dict) else {}
    lesson = lesson_for(trace.meta.get("scenario", ""))
    if lesson is not None:
        found.update(lesson.metrics(trace, now))
    return found


def explain(trace, now: float | None = None) -> list[str]:
    now = trace.duration if now is None else now
    lesson = lesson_for(trace.meta.get("scenario", ""))
    if lesson is None or not trace.lanes:
        return []
    return lesson.explain(trace, now) + busy_machine(trace, now) + measurement_warnings(trace, now)


def busy_machine(trace, now: float | None = None) -> list[str]:
    """Other programs' load by ``now``, where it was enough to change the run's figures (``Trace.busy_notes``), as
    sentences."""
    return [note[0].upper() + note[1:] + "." for note in trace.busy_notes(now)]


def watch(trace) -> str | None:
    """The run's "what to watch" line where its lesson words it for the run's build (None: the scenario's own)."""
    return watch_for(trace.meta.get("scenario", ""), trace.python)


def watch_for(scenario: str, python: dict) -> str | None:
    """The "what to watch" line of ``scenario`` for the interpreter ``python`` (None: the scenario's own)."""
    lesson = lesson_for(scenario)
    return lesson.watch(python) if lesson is not None and lesson.watch is not None else None


def build_note(python: dict) -> list[str]:
    """For a free-threaded build whose GIL was on all the same, one line saying so (a GIL build's lessons need none,
    and a lesson run with the GIL off says so in its own words)."""
    state = gil_state(python)
    if state not in (REENABLED, FORCED):
        return []
    build = build_name(python)
    how = ("PYTHON_GIL=1 or -X gil=1 turned it on" if state == FORCED else
           "a module the scenario imported turned it back on (an extension module that does not declare itself "
           "free-threading safe)")
    return [f"This Python ({build}) is a free-threaded build, but the GIL was on in this run: {how}, so its "
            "threads took turns running Python, as on a GIL build."]


DISTORTION_SHARE = 0.25  # tracing adds at least this share of the mean hold: the lock figures are not the truth
HOT_LOCK_ACQUISITIONS = 1000


def measurement_warnings(trace, now: float | None = None) -> list[str]:
    """Runs that the measuring itself distorts, labelled as such (a hot, trivial critical section under the
    traced lock: the probe's extra Python inside it gives other threads chances to take the GIL, and they convoy).
    Uses the cost the child measured for one traced acquire and release on this machine."""
    cost_us = trace.info.get("lock_tracing_us")
    if not cost_us:
        return []
    warnings = []
    for s in trace.lock_stats(trace.duration if now is None else now):
        if s.acquisitions < HOT_LOCK_ACQUISITIONS:
            continue
        timed = s.acquisitions if s.timed < 0 else s.timed  # a busy lock's holds are timed for some only
        if not timed:
            continue
        mean_hold = s.hold_s / timed
        if cost_us / 1e6 >= DISTORTION_SHARE * mean_hold:
            warnings.append(
                f"Distorted by measurement: '{s.name}' was taken {s.acquisitions:,} times, held {fmt_s(mean_hold)} "
                f"each on average, and tracing adds about {cost_us:.1f} us to every acquisition. Read its waits "
                "as an upper bound: untraced, this critical section is shorter and contends less."
            )
    return warnings

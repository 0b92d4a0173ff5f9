"""What each run teaches, in its own figures: metrics for the JSON summary and the "what you are seeing" text.

One module per scenario (named like the scenario module), each with
    metrics(trace, now) -> dict      figures for ``summary["metrics"]`` and the screens
    explain(trace, now) -> list[str] short lines quoting those figures, never fixed numbers
No Textual here: the run screen, the takeaways screen and headless mode all use these.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def lesson_for(scenario: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"tui.lessons.{scenario.replace('-', '_')}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("tui.lessons."):
            return None
        raise


def metrics(trace, now: float | None = None) -> dict:
    """The scenario's own figures merged over what its child reported."""
    now = trace.duration if now is None else now
    found = dict(trace.info.get("metrics", {}))
    lesson = lesson_for(trace.meta.get("scenario", ""))
    if lesson is not None:
        found.update(lesson.metrics(trace, now))
    return found


def explain(trace, now: float | None = None) -> list[str]:
    now = trace.duration if now is None else now
    lesson = lesson_for(trace.meta.get("scenario", ""))
    if lesson is None or not trace.lanes:
        return []
    return lesson.explain(trace, now)


def fmt_s(seconds: float) -> str:
    """0.432 s, 12 ms or 85 us: a duration as a learner reads it."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1e6:.0f} us"

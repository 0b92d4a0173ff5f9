"""How a run's worker processes started (fork, forkserver or spawn), what that cost, and what it asks of the
guide's code: shared by every lesson with a process pool.

The child names the method it used and this Python's default (``start_method``, ``default_start_method`` in
the run's info); runs recorded before it did have neither, and get no line.
"""

from __future__ import annotations

from tui.lessons import fmt_s

HOW = {
    "fork": "each worker a copy of this process",
    "forkserver": "each worker a copy of a small server process started for the pool",
    "spawn": "each worker a new interpreter",
}


def used(trace) -> str | None:
    method = trace.info.get("start_method")
    return method if isinstance(method, str) else None


def describe(trace, startup_s: float | None = None, brief: bool = False) -> list[str]:
    """One line: the method, the slowest worker's measured start-up (``startup_s``, where the run has worker
    lanes) and what the method asks of the guide's code; ``brief`` leaves out how the method works."""
    method = used(trace)
    if method is None:
        return []
    default = trace.info.get("default_start_method")
    whose = "this Python's default" if method == default else f"this Python's default is {default}"
    line = f"Workers started by {method} ({whose})"
    if not brief:
        line += f": {HOW.get(method, 'a process of its own')}"
        if startup_s:
            line += f", the slowest up {fmt_s(startup_s)} after its launch"
    if method == "fork":
        return [f"{line}. So the guide's Section 4 code runs as written; under forkserver (Linux's default from "
                "Python 3.14) or spawn each worker imports the main module afresh, and it needs "
                "`if __name__ == \"__main__\":`."]
    return [f"{line}. Each imports the main module afresh: the guide's Section 4 code, a pool at the top of a "
            "script, needs `if __name__ == \"__main__\":` (as written it runs only under fork)."]

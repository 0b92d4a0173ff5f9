"""Regenerate screenshots/*.svg: the app draws itself from the recorded traces in tests/traces.

    .venv/bin/python screenshots/make.py            every screenshot
    .venv/bin/python screenshots/make.py run-futures   the ones whose names start with that

Every screen is a replay paused at a fixed moment, so the pictures are the same on every machine.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tui import tracefile
from tui.app import make_app

HERE = Path(__file__).parent
TRACES = HERE.parent / "tests" / "traces"
SIZE = (120, 40)


def shots():
    """(file name, app factory, keys to press first) for every main screen."""
    yield "home", lambda: make_app(), []
    yield "help", lambda: make_app(), ["question_mark"]
    traces = {path.stem: tracefile.load(path) for path in sorted(TRACES.glob("*.cvz"))}
    for name, trace in traces.items():
        yield f"run-{name}", (lambda t=trace: make_app(replay=t, playing=False, start_at=t.duration)), []
    if "mixed-loop" in traces:
        loop = traces["mixed-loop"]
        yield "params", lambda: make_app(replay=loop, playing=False, start_at=loop.duration), ["p"]
    yield "takeaways", lambda: with_runs(make_app(), list(traces.values())), ["t"]


def with_runs(app, runs):
    """The app as if ``runs`` had ended in this session (the takeaways screen quotes them)."""
    app.runs.extend(runs)
    return app


async def save(name: str, factory, keys: list[str]) -> Path:
    app = factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        app.save_screenshot(f"{name}.svg", str(HERE))
    return HERE / f"{name}.svg"


def main(prefixes: list[str]) -> None:
    for name, factory, keys in shots():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        print(asyncio.run(save(name, factory, keys)).relative_to(HERE.parent))


if __name__ == "__main__":
    main(sys.argv[1:])

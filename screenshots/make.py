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
from tui.tour import Tour

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
    yield "tour-step", lambda: make_app(tour=Tour(TRACES)), ["n", paused_at_end]
    if "mixed-loop" in traces:  # zoomed in on the heartbeat's silence, the blocking job picked
        yield "zoomed", (lambda: make_app(replay=loop, playing=False, start_at=loop.duration)), [
            "right_square_bracket", "right_square_bracket", "comma", pick_lane(7)]
    if "cpu-speedup" in traces:
        speedup = traces["cpu-speedup"]
        yield "light-cpu-speedup", lambda: make_app(replay=speedup, playing=False, start_at=speedup.duration,
                                                      theme="light"), []


async def paused_at_end(pilot) -> None:
    """A replay that plays by itself (a tour's step), stopped at its end."""
    screen = pilot.app.screen
    screen.clock.seek(screen.clock.duration)
    screen.clock.playing = False
    await pilot.resize_terminal(SIZE[0] + 1, SIZE[1])  # a layout from scratch, as in the tour's snapshot test
    await pilot.resize_terminal(*SIZE)
    screen.redraw()
    await pilot.pause()


def pick_lane(line: int):
    async def pick(pilot) -> None:
        from tui.widgets.timeline import Timeline

        await pilot.click(Timeline, offset=(2, line))
        await pilot.pause()

    return pick


def with_runs(app, runs):
    """The app as if ``runs`` had ended in this session (the takeaways screen quotes them)."""
    app.runs.extend(runs)
    return app


async def save(name: str, factory, keys: list[str]) -> Path:
    app = factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in keys:
            if callable(key):
                await key(pilot)
            else:
                await pilot.press(key)
            await pilot.pause()
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

"""The lean compositor (tui/screens/compositor.py) writes to the terminal exactly what Textual's would: for changed
regions of every shape over a run's screen, the partial updates of the two render to the same text."""

from __future__ import annotations

import random

from textual._compositor import Compositor
from textual.geometry import Region

from tests import fixtures
from tui.app import make_app
from tui.screens.compositor import LeanCompositor


def written(app, compositor, update) -> str:
    rendered = update(compositor)
    return "" if rendered is None else rendered.render_segments(app.console)


async def test_a_partial_update_writes_what_textual_would():
    app = make_app(replay=fixtures.threads_download(), playing=False, start_at=0.3)
    pick = random.Random(7)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        assert isinstance(compositor, LeanCompositor)
        width, height = compositor.size
        shapes = [[Region(0, 0, width, 1)], [Region(0, 0, width, 1), Region(0, height - 5, 30, 3)],
                  [Region(75, 2, 45, 8)], [Region(0, 0, width, height)]]
        for _ in range(40):
            shapes.append([Region(x := pick.randrange(width), y := pick.randrange(height),
                                  pick.randint(1, width - x), pick.randint(1, height - y))
                           for _ in range(pick.randint(1, 4))])
        for regions in shapes:
            compositor._dirty_regions.update(regions)
            textual = written(app, compositor, Compositor.render_partial_update)
            compositor._dirty_regions.update(regions)
            lean = written(app, compositor, LeanCompositor.render_partial_update)
            assert lean == textual and textual, regions

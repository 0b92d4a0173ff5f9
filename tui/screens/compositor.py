"""A frame that draws only what changed: Textual's compositor, with a leaner partial update.

For a partial update Textual renders every widget that overlaps the box around all the changed regions, each over its
whole height. On a run's screen the clock (the top line) and the timeline or the cores (down to the footer) change
every frame, so that box is the whole screen: the footer, the legend, the lesson and their containers were rendered
every frame, for lines that were never written out. Here a widget is rendered only if it overlaps a changed region,
and only over the lines that changed regions cover in it. What reaches the terminal is the same (tests/test_app.py
compares the two)."""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


class LeanCompositor(Compositor):
    _changed: list[Region] | None = None  # the regions of the partial update being rendered

    def render_partial_update(self) -> ChopsUpdate | None:
        self._changed = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._changed = None

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        changed = self._changed
        if not changed:  # a full update, a screenshot
            yield from super()._get_renders(crop)
            return
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            covered = [shown.intersection(r) for r in changed if shown.overlaps(r)]
            if not covered:
                continue  # nothing of it is written out
            top = min(c.y for c in covered)
            lines = Region(shown.x, top, shown.width, max(c.bottom for c in covered) - top)
            yield lines, lines, widget.render_lines(lines.translate((-region.x, -region.y)))

"""The keys along the bottom of a screen: Textual's footer, made again only when the keys it shows change.

Textual makes its footer again (a widget per key, each styled: some 20) whenever the screen's bindings are
refreshed, and a screen refreshes them each time it comes back, from under the help for one: that alone took longer
than drawing the screen again. This footer keeps what it shows and skips making it again when nothing changed."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class Keys(Footer):
    _shown: tuple | None = None

    def shows(self, screen: Screen) -> tuple:
        """What the footer would show for ``screen``: its keys (Footer.compose) and the width it fits."""
        return (self.app.size.width, self.show_command_palette,
                tuple((binding.key, binding.description, binding.action, binding.group, enabled, tooltip)
                      for _, binding, enabled, tooltip in screen.active_bindings.values() if binding.show))

    def bindings_changed(self, screen: Screen) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # not made again now: made again the next time
            return
        shown = self.shows(screen)
        if shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        super().bindings_changed(screen)

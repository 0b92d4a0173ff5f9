"""What ended a run that did not finish: the scenario's exception and the process's exit."""

from __future__ import annotations

from rich.text import Text

from tui.model import Trace
from tui.theme import DARK_INK, Ink
from tui.widgets.panel import TextPanel

ASKED_FOR = ("cancelled", "run again", "back to home", "quit")  # ends the learner asked for: not a failure


def failure(trace: Trace, hint: str = "r runs again, h goes home, q quits", ink: Ink = DARK_INK) -> Text | None:
    """The failure of ``trace`` in a few lines, or None when it ended normally (or by the learner's choice)."""
    exit = trace.exit or {}
    failed_exit = bool(exit) and exit.get("status") != 0 and exit.get("reason") not in ASKED_FOR
    if not trace.error and not failed_exit:
        return None
    out = Text()
    if trace.error:
        error = trace.error
        out.append("The scenario raised ", style="bold")
        out.append(f"{error.get('type', 'an exception')}", style=f"bold {ink.bad}")
        if error.get("message"):
            out.append(f": {error['message']}")
        if error.get("where"):
            out.append(f"\n  at {error['where']}", style=ink.muted)
    else:
        out.append("The run did not finish", style=f"bold {ink.bad}")
    if exit:
        out.append(f"\n  exit: {exit.get('reason', '?')}")
        if exit.get("signal"):
            out.append(f" (signal {exit['signal']})")
        elif exit.get("status") is not None:
            out.append(f" (status {exit['status']})")
        if exit.get("stream_error"):
            out.append(f"\n  event stream: {exit['stream_error']}", style=ink.muted)
        last = [ln for ln in (exit.get("stderr") or "").splitlines() if ln.strip()][-1:]
        if last and not trace.error:
            out.append(f"\n  stderr: {last[0]}", style=ink.muted)
    if hint:
        out.append(f"\n  {hint}", style=ink.muted)
    return out


class CrashPanel(TextPanel):
    DEFAULT_CSS = """
    CrashPanel {
        height: auto;
        padding: 0 1;
        border: round $error;
        display: none;
    }
    CrashPanel.-failed {
        display: block;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = "the run failed"

    def show(self, trace: Trace, hint: str = "r runs again, h goes home, q quits") -> None:
        text = failure(trace, hint, self.ink)
        self.set_class(text is not None, "-failed")
        if text is not None:
            self.show_text(text)

"""What ended a run that did not finish: the scenario's exception and the process's exit."""

from __future__ import annotations

from rich.text import Text

from tui.model import Trace
from tui.text import printable
from tui.theme import DARK_INK, Ink
from tui.widgets.panel import TextPanel

ASKED_FOR = ("cancelled", "run again", "back to home", "quit")  # ends the learner asked for: not a failure


def failure(trace: Trace, hint: str = "r runs again, h goes home, q quits", ink: Ink = DARK_INK) -> Text | None:
    """The failure of ``trace`` in a few lines, or None when it ended normally (or by the learner's choice). What
    the child reported (its exception, where, its stderr) is shown escaped, its newlines as ``\\n``."""
    exit = trace.exit or {}
    failed_exit = bool(exit) and exit.get("status") != 0 and exit.get("reason") not in ASKED_FOR
    if not trace.error and not failed_exit:
        return None
    out = Text()
    if trace.error:
        error = trace.error
        out.append("The scenario raised ", style="bold")
        out.append(printable(error.get("type", "an exception"), 80), style=f"bold {ink.bad}")
        if error.get("message"):
            out.append(f": {printable(error['message'], 400)}")
        if error.get("where"):
            out.append(f"\n  at {printable(error['where'])}", style=ink.muted)
    else:
        out.append("The run did not finish", style=f"bold {ink.bad}")
    if exit:
        out.append(f"\n  exit: {printable(exit.get('reason', '?'))}")
        if exit.get("signal"):
            out.append(f" (signal {printable(exit['signal'], 20)})")
        elif exit.get("status") is not None:
            out.append(f" (status {printable(exit['status'], 20)})")
        if exit.get("stream_error"):
            out.append(f"\n  event stream: {printable(exit['stream_error'])}", style=ink.muted)
        last = [ln for ln in str(exit.get("stderr") or "").splitlines() if ln.strip()][-1:]
        if last and not trace.error:
            out.append(f"\n  stderr: {printable(last[0])}", style=ink.muted)
    if hint:
        out.append(f"\n  {printable(hint)}", style=ink.muted)
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

"""The status line: which scenario, where in the run, its counters, and the interpreter it runs on."""

from __future__ import annotations

from rich.text import Text

from tui import lessons
from tui.interpreter import describe
from tui.lessons import fmt_s
from tui.model import Trace
from tui.pacing import BUSY_FRAME_S
from tui.text import printable
from tui.theme import DARK_INK, Ink
from tui.widgets.panel import TextPanel

BUSY_WORDS = (f"  every core busy: redrawn every {BUSY_FRAME_S:g} s", f"  cores busy: {BUSY_FRAME_S:g} s frames")


def run_state(trace: Trace, clock, ink: Ink = DARK_INK) -> tuple[str, str]:
    """(words, colour) for where the run is: live, finished, cancelled, crashed, or the replay's play head."""
    if not clock.live:
        return clock.describe(), ink.accent
    if trace.t0_ns is None and trace.exit is None:
        return "starting", ink.muted
    if trace.exit is None:
        return "running", ink.good
    if trace.error or trace.exit.get("status"):
        return printable(trace.exit.get("reason", "failed"), 60), ink.bad
    return printable(trace.exit.get("reason", "finished"), 60), ink.muted


def counters_text(trace: Trace, now: float, only: tuple[str, ...] | None = None, ink: Ink = DARK_INK) -> Text:
    out = Text()
    lesson = lessons.lesson_for(trace.meta.get("scenario", ""))
    totals = lesson.totals(trace.meta.get("params", {})) if lesson is not None and lesson.totals else {}
    for name in trace.counters:
        if only is not None and name not in only:
            continue
        value = trace.counter(name, now)
        if value is None:
            continue
        label, shown = counter_words(name, value)
        out.append(f"  {label} ", style=ink.muted)
        out.append(shown, style="bold")
        if name in totals:
            out.append(f"/{totals[name]}")
    return out


def counter_words(name: str, value: int) -> tuple[str, str]:
    """``latency_us``, 7226 -> ``latency``, ``7 ms``: a counter as a learner reads it (its name, from the trace,
    escaped)."""
    if name.endswith("_us"):
        return printable(name[:-3].replace("_", " "), 60), fmt_s(value / 1e6)
    return printable(name.replace("_", " "), 60), f"{value:,}"


def gil_words(info: dict, short: bool | int) -> str:
    """The interpreter and its GIL (tui.interpreter.describe): ``short`` False or 0 the longest form, True or 1
    shorter, 2 the shortest (``GIL on``, ``3.14t, GIL off``, ``GIL off``)."""
    return printable(describe(info, int(short)), 80)  # the version is the child's: escaped


def start_words(trace: Trace) -> tuple[str, ...]:
    """How the run's worker processes started, long to short (none for a run without them)."""
    method = trace.info.get("start_method")
    if not isinstance(method, str):
        return ()
    default = " (default)" if method == trace.info.get("default_start_method") else ""
    method = printable(method, 30)  # as the child reported it: escaped
    return f"  workers: {method}{default}", f"  {method}"


def short_state(trace: Trace, clock, ink: Ink = DARK_INK) -> tuple[str, str]:
    """``paused 1x`` rather than ``replay 1x paused at 0.30 s`` (the time is shown beside it anyway)."""
    if clock.live or not hasattr(clock, "speed"):
        return run_state(trace, clock, ink)
    return f"{'playing' if clock.playing else 'paused'} {clock.speed:g}x", ink.accent


class StatusLine(TextPanel):
    """``NAME  running  1.23 s  progress 7/10  ...  Python 3.11.7, GIL on``; on a narrow terminal the
    same facts in fewer words: the scenario, where the run is, the time, its progress and the GIL always show (on a
    free-threaded build, whether the GIL was off after the scenario's imports: ``3.14t, GIL off``)."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)

    def show(self, trace: Trace, now: float, clock, busy: bool = False) -> None:
        """``busy``: the scenario can use every core, so the screen draws less often (tui.pacing); said where
        there is room."""
        width = self.size.width - 2
        for short_python, short_words, only in ((0, False, None), (1, False, None), (1, True, None), (2, True, None),
                                                (2, True, ("progress",))):
            text, python = self.compose_line(trace, now, clock, short_python, short_words, only, self.ink)
            if text.cell_len + 2 + len(python) <= width:
                break
        for words in BUSY_WORDS if busy else ():
            if text.cell_len + len(words) + 2 + len(python) <= width:
                text.append(words, style=self.ink.muted)
                break
        for words in start_words(trace):
            if text.cell_len + len(words) + 2 + len(python) <= width:
                text.append(words, style=self.ink.muted)
                break
        text.append(" " * max(width - text.cell_len - len(python), 2))
        text.append(python, style=self.ink.muted)
        self.show_text(text)

    @staticmethod
    def compose_line(trace: Trace, now: float, clock, short_python: bool | int, short_words: bool,
                     only: tuple[str, ...] | None, ink: Ink = DARK_INK) -> tuple[Text, str]:
        words, colour = short_state(trace, clock, ink) if short_words else run_state(trace, clock, ink)
        text = Text.assemble(
            (printable(trace.meta.get("scenario", "?"), 60), "bold"),
            "  ",
            (f"\u25cf {words}", colour),
            "  ",
            (f"{now:6.2f} s", "bold"),
        )
        text.append_text(counters_text(trace, now, only, ink))
        return text, gil_words(trace.python, short_python)

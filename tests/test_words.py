"""Figures and words are never run together in any panel (issue 15: '735 usin all', '0.00cores · 4threads',
'72beats' in the screenshots).

Those three were rsvg's doing, not concviz's: Textual writes a segment's leading space as ``&#160;``, and rsvg
draws a ``<text>`` element's leading no-break space after a bold one as nothing (the app's text, a terminal and
``tmux capture-pane`` all have the space). This test keeps the text itself right: it reads what every panel says
for every recorded trace (tests/traces), at a moment mid-run and at the end, as the panels build it (the cores panel,
full and in two lines, the locks, the status line at every width it has, the lesson, the notices, the crash panel,
every lesson's own panel, the comparison's table and its explanation, the takeaways).

The rule: a number is followed by a space or punctuation, never directly by a word. The only letters written onto
a number are ``x`` for a multiple (``2.03x``, ``taken 10x``) and ``t`` for a free-threaded build (``3.14t``).
Units are words (``12 ms``, ``25 MiB``, ``0.99 cores``), so they are never attached.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from tests import fixtures
from tui import lessons, tracefile
from tui.clock import ReplayClock
from tui.lessons import interpreters
from tui.model import Trace
from tui.runs import Runs
from tui.screens.takeaways import takeaways
from tui.theme import DARK_INK
from tui.widgets.compare_table import figures_table
from tui.widgets.cores import CoresPanel, compact
from tui.widgets.crash import failure
from tui.widgets.locks import describe_locks
from tui.widgets.notices import notices
from tui.widgets.status import StatusLine

TRACES = Path(__file__).parent / "traces"
ALL = sorted(TRACES.glob("*.cvz")) + sorted((TRACES / "interpreters").glob("*.cvz"))
ATTACHED = {"x", "t"}  # 2.03x, taken 10x; 3.14t
RUN_TOGETHER = re.compile(r"(?<![\w.])(\d[\d,_.]*\d|\d)([A-Za-z]+)")  # a number starting a word, letters after it


def run_together(text: str) -> list[str]:
    """Every figure in ``text`` with a word written onto it (``735us``, ``4threads``), but ``2.03x`` and ``3.14t``."""
    return [m.group(0) for m in RUN_TOGETHER.finditer(text) if m.group(2) not in ATTACHED]


def test_the_rule_finds_what_it_must():
    assert run_together("held 735 usin all, 0.00cores \u00b7 4threads, 72beats of ~90") == ["0.00cores", "4threads",
                                                                                           "72beats"]
    assert run_together("2.03x, taken 10x, Python 3.14t, p50 12 ms, heavy(1_000_000), core 0, send('a1b')") == []


def table_text(table) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(table)
    return out.getvalue()


def traces() -> list[Trace]:
    found = [fixtures.threads_download(), fixtures.crashed(), fixtures.cpu_threads()]
    for path in ALL:
        loaded = tracefile.load(path)
        found.extend(loaded if isinstance(loaded, Runs) else [loaded])
    return found


def panel_texts(trace: Trace, now: float) -> list[str]:
    """What every panel of a run's screen says of ``trace`` at ``now``."""
    texts = [CoresPanel().describe(trace, now, 42).plain, compact(trace, now, 56).plain,
             describe_locks(trace, now).plain]
    clock = ReplayClock(trace.duration, 1.0, playing=False, position=now)
    for level in ((0, False, None), (1, False, None), (1, True, None), (2, True, None), (2, True, ("progress",))):
        text, python = StatusLine.compose_line(trace, now, clock, *level)
        texts += [text.plain, python]
    texts += lessons.explain(trace, now) + [lessons.watch(trace) or ""]
    texts += [f"{label}: {line}" for label, line in notices(trace, now)]
    crashed = failure(trace)
    texts.append(crashed.plain if crashed is not None else "")
    lesson = lessons.lesson_for(trace.meta.get("scenario", ""))
    if lesson is not None and lesson.panel is not None:
        texts.append(lesson.panel.describe(trace, now, (0.0, max(now, 0.5)), 40, DARK_INK).plain)
    if lesson is not None and trace.variants:
        variants = lessons.metrics(trace, now).get("variants", {})
        if variants:
            texts.append(table_text(figures_table(variants, lesson.figures, 200)))
            texts.append(table_text(figures_table(variants, lesson.figures, 56)))  # headings on two lines
            texts += [" ".join(lesson.headline(figures, False)) for figures in variants.values()]
    return texts


@pytest.mark.parametrize("trace", traces(), ids=lambda t: t.meta.get("scenario", "?"))
@pytest.mark.parametrize("share", [0.5, 1.0])
def test_every_panel_puts_a_space_between_a_figure_and_its_word(trace, share):
    now = trace.duration * share
    found = {text: run_together(text) for text in panel_texts(trace, now) if run_together(text)}
    assert not found, found


def test_the_comparison_of_interpreters_and_the_takeaways_too():
    runs = tracefile.load(TRACES / "interpreters" / "cpu-speedup.cvz")
    assert isinstance(runs, Runs)
    texts = interpreters.explain(runs, runs.duration)
    found = interpreters.metrics(runs, runs.duration)
    lesson = lessons.lesson_for("cpu-speedup")
    table = {f"{model} {label}": figures for model, by_label in found["models"].items()
             for label, figures in by_label.items()}
    texts.append(table_text(figures_table(table, lesson.figures, 200)))
    every = [trace for trace in traces() if (trace.exit or {}).get("status") == 0]
    for _, items in takeaways(every):
        for item in items:
            texts += item.evidence + [item.to_see, item.more]
    bad = {text: run_together(text) for text in texts if run_together(text)}
    assert not bad, bad

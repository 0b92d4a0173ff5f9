"""Every string from a trace or a child is shown escaped on every screen (issue 15): task, lock and counter names,
output lines, the crash panel, notices, the lessons' texts and panels, the Python version, the takeaways, the
comparison's model names and interpreter labels, a scenario name that no scenario has, the replay's path.

Each test replays a recorded-style trace (written with tui.tracefile and loaded back) whose every string carries
escape sequences and control characters, opens every screen over it, and reads what each screen draws, strip by
strip, as the compositor hands it to the terminal: no control character (C0, DEL, C1), no bidi or other format
character, and the visible escapes instead. tests/test_escapes.py covers the command line and headless output.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from textual.strip import Strip

from tests.conftest import TraceBuilder, ns
from tests.test_escapes import EVIL, SHOWN
from tui import tracefile
from tui.app import make_app
from tui.model import Trace
from tui.runs import Runs
from tui.screens.compare import CompareScreen
from tui.screens.help import HelpScreen
from tui.screens.params import ParamsScreen
from tui.screens.run import RunScreen
from tui.screens.takeaways import TakeawaysScreen
from tui.session import Batch

NASTY = EVIL + "\x00"  # OSC 0 ... BEL, CSI 2 J, a C1 CSI, a right-to-left override, a lone CR, a NUL
NASTY_SHOWN = SHOWN + "\\x00"
START = "\\x1b]0;pwned"  # where an escaped name begins: what is left of it where a name is cut short
PYTHON = {"version": "3.12.1" + NASTY, "implementation": "CPython", "gil": "enabled", "free_threaded_build": False,
          "executable": "/opt/python" + NASTY}


def controls(text: str) -> list[str]:
    """The characters of ``text`` no terminal may be sent as data: C0 (but for none), DEL, C1, and format
    characters (bidi overrides and isolates, zero-width joiners, ...)."""
    return [f"U+{ord(c):04X}" for c in text
            if ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or unicodedata.category(c) in ("Cf", "Zl", "Zp", "Cs")]


def drawn(app) -> str:
    """Every line every screen of the app draws (the one on top and each under it), as the terminal gets it."""
    lines = []
    for screen in app.screen_stack:
        update = screen._compositor.render_full_update()
        for row in update.strips:
            strips = [row] if isinstance(row, Strip) else list(row)
            lines.append("".join(segment.text for strip in strips for segment in strip if not segment.control))
    return "\n".join(lines)


def clean(app) -> str:
    """What the app draws, checked line by line: no control or format character in any."""
    text = drawn(app)
    bad = [(controls(line)[:3], line) for line in text.split("\n") if controls(line)]
    assert not bad, bad[:3]
    return text


def saved(tmp_path, meta: dict, batch: Batch, name: str = "hostile.cvz") -> Trace:
    """``batch`` written to a trace file under ``meta`` and loaded back, as ``concviz replay`` would."""
    recorder = tracefile.Recorder()
    recorder.add(batch)
    path = tmp_path / name
    recorder.save(path, meta)
    loaded = tracefile.load(path)
    assert isinstance(loaded, Trace)
    return loaded


def meta(scenario: str = "threads-download", **params) -> dict:
    return {"scenario": scenario, "params": params, "seed": 1, "python": dict(PYTHON), "machine": {"cores": 2},
            "started": "2026-01-01T00:00:00+0000" + NASTY}


def downloads(crashed: bool) -> Batch:
    """threads-download with every name hostile: two tasks, a lock one holds while the other waits at 0.4 s, a
    counter, an output line, the child's Python and start method, and (``crashed``) an exception and an exit."""
    b = TraceBuilder().hello(cores=2)
    b.info(json.dumps({"python": PYTHON, "start_method": "fork" + NASTY, "default_start_method": "fork"}))
    b.task(1, "download" + NASTY, 0.0).state(1, "cpu", 0.0).task(2, "worker" + NASTY, 0.0).state(2, "io", 0.0)
    b.lock(1, "lock" + NASTY, 0.0).request(1, 1, 0.1).acquired(1, 1, 0.1).state(1, "lock_hold", 0.1)
    b.state(2, "cpu", 0.2).request(1, 2, 0.2).state(2, "lock_wait", 0.2)
    b.count("progress" + NASTY, 5, 0.3, ident=1)
    b.released(1, 1, 0.6).acquired(1, 2, 0.6).released(1, 2, 0.7).end(1, 0.8).end(2, 0.8)
    if crashed:
        b.error(json.dumps({"type": "Error" + NASTY, "message": "line one\nline two" + NASTY, "where": NASTY}))
    b.run_end(1.0)
    exit = ({"status": 1, "signal": None, "reason": "crashed" + NASTY, "stderr": "stderr" + NASTY} if crashed else
            {"status": 0, "signal": None, "reason": "finished"})
    return Batch(records=b.records, output=[(ns(0.3), "output" + NASTY)], exit=exit)


def futures() -> Batch:
    """futures collected as_completed: its panel and its lesson quote each future's name and the handled order."""
    b = TraceBuilder().hello(cores=2)
    b.task(1, "send(" + NASTY + ")", 0.0).state(1, "cpu", 0.0).end(1, 0.2)
    b.task(2, "send('b" + NASTY + "')", 0.0).state(2, "io", 0.0).end(2, 0.3)
    b.info(json.dumps({"handled": {"1": ns(0.25), "2": ns(0.35)}}))
    b.run_end(0.5)
    return Batch(records=b.records, exit={"status": 0, "signal": None, "reason": "finished"})


def models() -> Batch:
    """A comparison whose two models are named with escapes (the comparison screen: headers, table, lanes)."""
    b = TraceBuilder().hello(cores=2)
    b.info(json.dumps({"python": PYTHON, "start_method": "fork" + NASTY, "default_start_method": "fork"}))
    b.variant(1, "model" + NASTY, 0.0).task(1, "task" + NASTY, 0.0, variant=1).state(1, "cpu", 0.0).end(1, 0.3)
    b.variant_end(1, 0.3)
    b.variant(2, "other" + NASTY, 0.3).task(2, "task" + NASTY, 0.3, variant=2).state(2, "io", 0.3).end(2, 0.5)
    b.variant_end(2, 0.5).run_end(0.5)
    b.error(json.dumps({"type": "Error" + NASTY, "message": NASTY}))
    return Batch(records=b.records, output=[(ns(0.2), "printed" + NASTY)],
                 exit={"status": 1, "signal": None, "reason": "crashed" + NASTY})


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    if hasattr(pilot.app.screen, "draw"):
        pilot.app.screen.redraw()
    await pilot.pause()


async def visit(pilot, *keys: str) -> str:
    await pilot.press(*keys)
    await settle(pilot)
    return clean(pilot.app)


def test_the_check_finds_what_it_must():
    assert controls(NASTY) == ["U+001B", "U+0007", "U+001B", "U+009B", "U+202E", "U+000D", "U+0000"]
    assert controls("caf\u00e9 \u4e2d\u6587 \u2502\u25a0\u26a0 \\x1b") == []


async def test_the_run_screen_and_every_screen_over_it_show_a_hostile_run_escaped(tmp_path):
    trace = saved(tmp_path, meta(tasks="10" + NASTY), downloads(crashed=True))
    trace.meta["notice"] = "cut short" + NASTY
    app = make_app(replay=trace, playing=False, start_at=0.4, replay_path=str(tmp_path / f"run{NASTY}.cvz"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        text = clean(app)
        for shown in ("download" + START, "worker" + START,  # lanes, and the lock's holder and waiter
                      "lock" + NASTY_SHOWN,  # the lock panel
                      "progress" + START,  # the status line's counter
                      "output" + START,  # the output panel
                      "Error" + NASTY_SHOWN, "line one\\nline", "two" + NASTY_SHOWN, "at " + NASTY_SHOWN,  # the crash
                      "crashed" + NASTY_SHOWN,
                      "cut short" + NASTY_SHOWN,  # the notice
                      "'lock" + NASTY_SHOWN + "' was taken"):  # the lesson quoting the lock
            assert shown in text, shown
        assert app.sub_title == f"{tmp_path}/run{NASTY_SHOWN}.cvz"
        assert "download" + START in await visit(pilot, "d")  # dense rows name their first task
        await visit(pilot, "d")
        help_text = await visit(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen) and "download" + START in help_text  # the run under it
        await visit(pilot, "escape", "p")
        assert isinstance(app.screen, ParamsScreen)
        await visit(pilot, "escape", "t")
        assert isinstance(app.screen, TakeawaysScreen)
        await visit(pilot, "escape")


async def test_the_takeaways_quote_hostile_runs_escaped(tmp_path):
    app = make_app()
    app.runs.append(saved(tmp_path, meta(tasks="10" + NASTY), downloads(crashed=False), "a.cvz"))
    app.runs.append(saved(tmp_path, meta("futures", collect="as_completed" + NASTY), futures(), "b.cvz"))
    async with app.run_test(size=(120, 60)) as pilot:
        text = await visit(pilot, "t")
        assert isinstance(app.screen, TakeawaysScreen)
        assert "threads-download tasks=10" + NASTY_SHOWN in text  # a run's label quotes its parameters
        assert "futures collect=as_completed" + START in text
        await visit(pilot, "question_mark")


async def test_a_lessons_panel_and_text_quote_hostile_names_escaped(tmp_path):
    trace = saved(tmp_path, meta("futures", collect="as_completed"), futures())
    app = make_app(replay=trace, playing=False, start_at=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = clean(app)
        assert "send(\\x1b]0;pwn" in text  # the results panel: each name cut to its column
        assert "send(" + NASTY_SHOWN + ")" in text  # the lesson's handled order
        await visit(pilot, "question_mark")


async def test_the_comparison_shows_hostile_model_names_escaped(tmp_path):
    trace = saved(tmp_path, meta(), models())
    app = make_app(replay=trace, playing=False, start_at=0.5)
    async with app.run_test(size=(200, 40)) as pilot:  # wide: the status line has room for the start method
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        text = clean(app)
        assert "model" + START in text and "other" + START in text and "task" + START in text
        assert "Error" + NASTY_SHOWN in text
        assert "3.12.1" + START in text and "fork" + START in text  # the status line: its Python, its workers
        await visit(pilot, "question_mark")
        await visit(pilot, "escape", "t")


async def test_interpreters_compared_show_hostile_versions_escaped():
    from tests.test_interpreters_compared import FINISHED, a_run
    from tests.test_interpreters_compared import meta as run_meta

    other = {**PYTHON, "version": "3.14.0" + NASTY, "implementation": "PyPy" + NASTY}
    runs = Runs({k: v for k, v in run_meta(PYTHON).items() if k != "python"},
                [Trace(run_meta(PYTHON)), Trace(run_meta(other))])
    for trace, python, pid in zip(runs, (PYTHON, other), (100, 200)):
        Batch(records=a_run(python, 0.3, 0.35, pid), exit=FINISHED).apply_to(trace)
    runs.current = 1
    app = make_app(replay=runs, playing=False, start_at=runs.duration)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        text = clean(app)
        assert "PyPy\\x1b]0;" in text  # its label, on its models and in the table
        await visit(pilot, "question_mark")
        await visit(pilot, "escape", "t")


@pytest.mark.parametrize("size", [(120, 40), (60, 20)])
async def test_a_scenario_no_scenario_has_is_shown_escaped_and_so_is_why_its_form_cannot_open(size):
    """A trace file naming such a scenario is refused (tui.tracefile); a trace made in memory shows it escaped."""
    trace = Trace(meta("name" + NASTY))
    downloads(crashed=False).apply_to(trace)
    app = make_app(replay=trace, playing=False, start_at=0.4)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert "name" + START in clean(app)  # the status line
        text = await visit(pilot, "p")  # refused, with a toast naming it
        assert "name" + START in text.replace("\n", "")
        await visit(pilot, "question_mark")

"""Every string from a trace, a child or the command line is data: what the command line prints outside the app
(error lines, headless tables, ``concviz list``, export's lines) shows control characters and escape sequences
escaped, never sends them to the terminal (issue 15)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tests.conftest import TraceBuilder, ns
from tui import tracefile
from tui.report import render
from tui.session import Batch
from tui.summary import summarize
from tui.text import printable, strict_json

CONCVIZ = str(Path(sys.executable).with_name("concviz"))
TRACE = str(Path(__file__).parent / "traces" / "threads-download.cvz")

TITLE = "\x1b]0;pwned\x07"  # OSC 0: sets the terminal's title
CLEAR = "\x1b[2J"  # CSI 2 J: clears the screen
EVIL = f"{TITLE}{CLEAR}\x9b31m\u202e\r"  # and a C1 CSI, a right-to-left override, a carriage return
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\r")  # none of these may reach the terminal
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e\\r"  # how EVIL reads once escaped


def clean(text: str) -> bool:
    return not any(c in text for c in RAW)


# ---------------------------------------------------------------------------------------------- printable


def test_printable_escapes_controls_and_keeps_the_rest():
    assert printable(EVIL) == SHOWN
    assert printable("caf\u00e9 \u4e2d\u6587 \U0001f600 a\\b") == "caf\u00e9 \u4e2d\u6587 \U0001f600 a\\b"  # any script
    assert printable("a\nb\tc\x00") == "a\\nb\\tc\\x00"
    assert printable("\u2028\U000e0001") == "\\u2028\\U000e0001"  # a line separator, a tag character
    assert printable(os.fsdecode(b"run\xff.cvz")) == "run\\xff.cvz"  # a byte that was not UTF-8, as that byte
    assert printable(42) == "42"


def test_printable_cuts_to_its_limit():
    assert printable("x" * 300) == "x" * 199 + "\u2026"
    assert printable("x" * 300, None) == "x" * 300
    assert printable("\x1b" * 10, 12) == "\\x1b\\x1b\\x1"[:11] + "\u2026"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.one_of(st.none(), st.integers(1, 80)))
def test_printable_output_is_printable_and_a_fixed_point(text, limit):
    shown = printable(text, limit)
    assert shown.isprintable()
    assert printable(shown, limit) == shown
    assert limit is None or len(shown) <= limit
    if text.isprintable() and (limit is None or len(text) <= limit):
        assert shown == text


def test_strict_json_writes_null_for_non_finite_numbers_and_says_where():
    doc = {"a": float("nan"), "b": [1.5, float("inf")], "c": {"d": -float("inf")}, "e": "NaN"}
    out = json.loads(strict_json(doc), parse_constant=_refuse)
    assert out == {"a": None, "b": [1.5, None], "c": {"d": None}, "e": "NaN", "non_finite": ["a", "b[1]", "c.d"]}
    assert doc["a"] != doc["a"]  # the caller's object is left as it was
    assert strict_json({"a": 1}) == '{"a": 1}'  # nothing to note: nothing added


def _refuse(constant: str):
    raise AssertionError(f"not strict JSON: {constant}")


# ---------------------------------------------------------------------------------------------- a hostile trace

HOSTILE_META = {"scenario": "threads-download", "params": {"tasks" + EVIL: "v" + EVIL}, "seed": EVIL,
                "python": {"version": "3.11" + EVIL, "implementation": EVIL, "executable": EVIL, "gil": EVIL},
                "machine": {"cores": 2}, "started": EVIL}


def hostile_batch() -> Batch:
    """A run whose every name and string carries escape sequences."""
    b = TraceBuilder().hello(cores=2)
    b.task(1, "task" + EVIL, 0.0).state(1, "cpu", 0.0)
    b.lock(1, "lock" + EVIL, 0.0).request(1, 1, 0.1).acquired(1, 1, 0.1).released(1, 1, 0.2)
    b.count("counter" + EVIL, 5, 0.3, ident=1)
    b.variant(1, "variant" + EVIL, 0.0).variant_end(1, 0.5)
    b.info(json.dumps({"python": {"version": "3.12" + EVIL}, "start_method": EVIL, "default_start_method": EVIL,
                       "results": [EVIL], "metrics": {"note" + EVIL: EVIL}}))
    b.error(json.dumps({"type": EVIL, "message": "line one\nline two" + EVIL, "where": EVIL}))
    b.end(1, 0.9).run_end(1.0)
    return Batch(records=b.records, output=[(ns(0.5), "output" + EVIL)],
                 exit={"status": 1, "signal": None, "reason": "crashed" + EVIL})


@pytest.fixture
def hostile_file(tmp_path) -> Path:
    recorder = tracefile.Recorder()
    recorder.add(hostile_batch())
    path = tmp_path / "hostile.cvz"
    recorder.save(path, HOSTILE_META)
    return path


def test_the_headless_tables_show_every_string_of_a_hostile_trace_escaped(hostile_file):
    out = io.StringIO()
    Console(file=out, width=400, force_terminal=False, color_system=None).print(render(summarize(
        tracefile.load(hostile_file))))
    text = out.getvalue()
    assert clean(text), [c for c in RAW if c in text]
    for name in ("task", "lock", "line one\\nline two", "crashed"):
        assert name + SHOWN in text or name + SHOWN[:40] in text, name


def test_the_headless_json_of_a_hostile_trace_is_strict_and_escapes_every_string(hostile_file):
    text = strict_json(summarize(tracefile.load(hostile_file)))
    assert text.isascii() and text.isprintable()
    summary = json.loads(text, parse_constant=_refuse)
    assert summary["tasks"][0]["name"] == "task" + EVIL  # the data itself is kept: JSON says exactly what it was


def concviz(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([CONCVIZ, *map(str, args)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, **kwargs)


def test_export_of_a_hostile_trace_prints_nothing_raw_and_writes_strict_json(hostile_file, tmp_path):
    out = tmp_path / f"out{EVIL}.json"
    done = concviz("export", hostile_file, "-o", out)
    assert done.returncode == 0, done.stderr
    assert clean(done.stdout + done.stderr) and SHOWN in done.stdout
    doc = json.loads(out.read_text(), parse_constant=_refuse)
    names = {e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "thread_name"}
    assert "task" + EVIL in names


@pytest.mark.parametrize("args", [
    ["replay", f"/no/such/{EVIL}.cvz"],
    ["export", f"/no/such/{EVIL}.cvz", "-o", "/tmp/x.json"],
    ["export", TRACE, "-o", f"/no/such/dir{EVIL}/x.json"],
    ["record", "threads-download", "-o", f"/no/such/dir{EVIL}/x.cvz"],
    ["run", f"name{EVIL}"],
    ["run", "threads-download", "-p", f"tasks={EVIL}"],
    ["run", "threads-download", "-p", f"{EVIL}=1"],
    ["run", "threads-download", "-p", EVIL],
    ["run", "threads-download", "--python", f"/no/such/python{EVIL}"],
    ["list", EVIL],  # argparse names an unrecognized argument as it was typed
    [f"--{EVIL}"],
])
def test_error_lines_show_what_the_user_typed_escaped(args):
    done = concviz(*args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("concviz: ") and done.stdout == ""
    assert clean(done.stderr), done.stderr
    assert "\\x1b" in done.stderr, done.stderr


def test_a_damaged_file_with_an_escape_in_its_name_is_one_clean_line(tmp_path):
    bad = tmp_path / f"bad{EVIL}.cvz"
    bad.write_bytes(b"\x89concviz" + b"\x00" * 3)
    done = concviz("replay", bad)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and clean(done.stderr)
    assert f"bad{SHOWN}.cvz is truncated" in done.stderr


def test_list_shows_a_scenarios_text_escaped(monkeypatch, capsys):
    from scenarios import catalog
    from scenarios.catalog import Param, Scenario
    from tui import cli

    odd = Scenario("odd", "tests.odd", "title" + EVIL, "guide" + EVIL, "watch [bold]" + EVIL,
                   params=(Param("p", "x" + EVIL, "help", choices=("x" + EVIL,)), Param("q", 1, "help")))
    monkeypatch.setattr(catalog, "_catalog", {"odd": odd})
    assert cli.cmd_list() == 0
    out = capsys.readouterr().out
    assert clean(out) and "guide\\x1b]0;" in out and "[bold]" in out  # shown, not read as Rich markup
    assert "q=1" in out.splitlines()[-2]  # each parameter on a line of its own

"""The command line's contract beyond the run path: every bad input is one line on stderr and exit status 2,
decided before Textual is imported or a child is started; --help and --version work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONCVIZ = os.path.join(os.path.dirname(sys.executable), "concviz")  # the one installed beside this Python
TRACE = str(Path(__file__).parent / "traces" / "threads-download.cvz")


def concviz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONCVIZ, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args, says", [
    (["frob"], "invalid choice: 'frob'"),
    (["run"], "the following arguments are required: NAME"),
    (["run", "no-such-scenario"], "unknown scenario 'no-such-scenario'"),  # the app path, not --headless
    (["run", "threads-download", "-p", "tasks=1000000"], "tasks takes a whole number from 1 to 500"),
    (["record", "threads-download"], "the following arguments are required: -o/--output"),
    (["record", "threads-download", "-o", "/no/such/dir/run.cvz"], "/no/such/dir"),
    (["replay", "/no/such/file.cvz"], "/no/such/file.cvz"),
    (["replay", TRACE, "--speed", "50"], "--speed 50 is out of range"),
    (["replay", TRACE, "--speed", "0"], "--speed 0 is out of range"),
    (["replay", __file__], "not a concviz trace"),
    (["export", TRACE, "-o", TRACE], "is the trace itself"),
    (["export", "/no/such/file.cvz", "-o", "/tmp/out.json"], "/no/such/file.cvz"),
    (["export", "/no/such/file.cvz", "-o", TRACE], "/no/such/file.cvz"),  # not a traceback from comparing the two
])
def test_bad_input_is_one_line_and_status_2(args, says):
    done = concviz(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("concviz: ")
    assert says in lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_an_existing_output_is_untouched_when_the_run_is_refused(tmp_path):
    out = tmp_path / "keep.cvz"
    out.write_bytes(b"precious")
    assert concviz("record", "threads-download", "-p", "tasks=0", "-o", str(out)).returncode == 2
    assert out.read_bytes() == b"precious"


def test_help_and_version():
    from tui import __version__

    assert concviz("--version").stdout.strip() == f"concviz {__version__}"
    helped = concviz("--help")
    assert helped.returncode == 0
    for command in ("list", "run", "record", "replay", "export"):
        assert command in helped.stdout
    assert "--headless" in concviz("run", "--help").stdout


def test_list_names_every_scenario_with_its_parameters():
    from scenarios.catalog import scenarios

    listed = subprocess.run([CONCVIZ, "list"], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, COLUMNS="250")).stdout
    for scenario in scenarios().values():
        assert scenario.name in listed
        for param in scenario.params:
            assert f"{param.name}={param.default}" in listed
    assert "\\n" not in listed  # a parameter a line

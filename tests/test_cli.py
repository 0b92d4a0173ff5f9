"""The command line's contract beyond the run path: every bad input is one line on stderr and exit status 2,
decided before Textual is imported or a child is started; --help and --version work."""

from __future__ import annotations

import os
import re
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


def listed(env: dict, **run) -> str:
    """``concviz list``'s output, its environment ``env`` (no ``COLUMNS`` unless given)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run([CONCVIZ, "list"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**clean, **env}, **run).stdout


def test_list_piped_wraps_nothing():
    """To a pipe (a pager, a file): as wide as its longest cells; every cell on one line, a parameter a line."""
    from scenarios.catalog import scenarios

    out = listed({})
    lines = out.splitlines()
    for scenario in scenarios().values():
        assert any(scenario.watch in line and scenario.guide in line and f"\u2502 {scenario.name} " in line
                   for line in lines), scenario.name
    table = [line for line in lines[1:] if line]
    assert len({len(line) for line in table}) == 1 and len(table[0]) > 80  # one width, wider than a terminal's


@pytest.mark.parametrize("columns", [60, 100])
def test_list_fits_the_columns_it_is_given(columns):
    from scenarios.catalog import scenarios

    out = listed({"COLUMNS": str(columns)})
    assert max(len(line) for line in out.splitlines()) <= columns
    for scenario in scenarios().values():
        assert scenario.name in out


def test_list_fits_the_terminal_it_prints_to():
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 72, 0, 0))
    try:
        done = subprocess.run([CONCVIZ, "list"], stdout=follower, stderr=subprocess.PIPE, timeout=60,
                              stdin=subprocess.DEVNULL,
                              env={**{k: v for k, v in os.environ.items() if k != "COLUMNS"}, "TERM": "xterm"})
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed: everything is read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    out = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode()).replace("\r\n", "\n")  # its styles aside
    assert "threads-download" in out
    assert max(len(line) for line in out.splitlines()) <= 72

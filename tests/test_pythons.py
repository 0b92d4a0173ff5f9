"""``--python PATH``: the interpreter is checked before anything runs (one line and status 2 for anything that cannot
run a scenario), and the child under it sees concviz's ``scenarios`` and that interpreter's own site-packages only.

The interpreters that cannot run a scenario are small scripts written here (a "Python 3.10", a program that is not
Python, one that hangs); the one that can is this very Python (``sys.executable``), run as "another" interpreter
through the same path as any other. A real second version is used where the machine has one, and skipped where not.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.catalog import get
from tui import pythons
from tui.pythons import InterpreterError
from tui.session import run_headless

CONCVIZ = str(Path(sys.executable).with_name("concviz"))
ROOT = Path(__file__).resolve().parent.parent


def concviz(*args: str, cwd: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CONCVIZ, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          cwd=cwd)


def script(tmp_path: Path, name: str, body: str, mode: int = 0o755) -> str:
    path = tmp_path / name
    path.write_text(body)
    path.chmod(mode)
    return str(path)


def fake_python(tmp_path: Path, version: list[int], missing: list[str] = (), name: str = "python") -> str:
    """A program that answers concviz's check as a Python of ``version`` would (and lacking ``missing``)."""
    answer = {"version_info": version, "implementation": "CPython"}
    if tuple(version[:2]) >= (3, 11):
        answer["python"] = {"version": ".".join(map(str, version)), "implementation": "CPython",
                            "executable": "x", "gil": "enabled", "free_threaded_build": False}
        answer["missing"] = [[m, f"ModuleNotFoundError: No module named '{m}'"] for m in missing]
    return script(tmp_path, name, f"#!/bin/sh\necho '{pythons.MARKER}{json.dumps(answer)}'\n")


def other_python(version: str) -> str | None:
    """A real CPython ``version`` beside this one (pyenv's, as CI has them), or None."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for path in sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", "python")), reverse=True):
        if subprocess.run([path, "-c", "import sys"], capture_output=True).returncode == 0:
            return path
    return None


# ------------------------------------------------------------------------------------------------- check


def test_this_python_passes_and_describes_itself():
    found = pythons.check(sys.executable)
    assert found.executable == sys.executable and found.version == platform.python_version()
    assert found.info["gil"] in ("enabled", "disabled") and "free_threaded_build" in found.info


@pytest.mark.parametrize("make, says", [
    (lambda tmp: fake_python(tmp, [3, 10, 13]), "is CPython 3.10.13: the scenarios need Python 3.11 or newer"),
    (lambda tmp: fake_python(tmp, [2, 7, 18]), "is CPython 2.7.18: the scenarios need Python 3.11 or newer"),
    (lambda tmp: script(tmp, "true", "#!/bin/sh\nexit 0\n"), "is not a Python interpreter"),
    (lambda tmp: script(tmp, "chatty", "#!/bin/sh\necho hello; echo 'concviz-python-check {nope'\n"),
     "printed nothing a Python would"),
    (lambda tmp: script(tmp, "fails", "#!/bin/sh\necho 'no such version' >&2\nexit 127\n"),
     "exited with status 127: no such version"),
    (lambda tmp: script(tmp, "plain", "print('hi')\n", mode=0o644), "is not executable"),
    (lambda tmp: script(tmp, "noshebang", "\x7fELF nonsense\n"), "cannot be run"),
    (lambda tmp: str(tmp), "is a directory"),
    (lambda tmp: str(tmp / "missing" / "python"), "no such file"),
    (lambda tmp: "concviz-no-such-python-anywhere", "no such program on PATH"),
])
def test_what_cannot_run_a_scenario_is_refused_in_one_line(tmp_path, make, says):
    with pytest.raises(InterpreterError) as refused:
        pythons.check(make(tmp_path))
    message = str(refused.value)
    assert says in message and "\n" not in message and message.startswith("--python ")


def test_a_module_the_scenario_needs_is_named_with_how_to_install_it(tmp_path):
    fake = fake_python(tmp_path, [3, 12, 1], missing=["aiohttp"])
    with pytest.raises(InterpreterError) as refused:
        pythons.check(fake, ("aiohttp",), "async-fetch")
    assert str(refused.value) == (f"--python {fake} (CPython 3.12.1) lacks aiohttp, which async-fetch needs: "
                                  f"install it with {fake} -m pip install aiohttp")
    with pytest.raises(InterpreterError, match="lacks concviz_surely_absent, which x needs"):
        pythons.check(sys.executable, ("concviz_surely_absent",), "x")  # a real import, really missing


def test_an_interpreter_that_does_not_answer_is_given_up_on(tmp_path):
    hangs = script(tmp_path, "hangs", "#!/bin/sh\nexec sleep 60\n")
    with pytest.raises(InterpreterError, match="did not answer within 0.5 s"):
        pythons.check(hangs, timeout_s=0.5)


def test_a_path_from_outside_is_shown_escaped():
    with pytest.raises(InterpreterError) as refused:
        pythons.check("/no/such/\x1b[2Jpython")
    assert "\x1b" not in str(refused.value) and "\\x1b[2J" in str(refused.value)


# ---------------------------------------------------------------------------------------- what the child sees


def test_the_child_path_holds_only_the_scenarios_package_and_drops_the_apps_site_packages(monkeypatch):
    site_dir = next(p for p in sys.path if p.endswith("site-packages"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([site_dir, "/somewhere/of/mine"]))
    monkeypatch.setenv("PYTHONHOME", "/the/apps/home")
    env = pythons.child_env()
    first, *rest = env["PYTHONPATH"].split(os.pathsep)
    assert os.listdir(first) == ["scenarios"]
    assert os.path.realpath(os.path.join(first, "scenarios")) == str(ROOT / "scenarios")
    assert rest == ["/somewhere/of/mine"] and "PYTHONHOME" not in env


def test_the_child_imports_concviz_scenarios_not_a_package_of_that_name_where_it_runs(tmp_path):
    decoy = tmp_path / "scenarios"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise SystemExit('the decoy was imported')\n")
    me = pythons.check(sys.executable)
    cmd = pythons.child_command(me, [])[:-2] + ["-c", "import scenarios, sys; print(scenarios.__file__)"]
    done = subprocess.run(cmd, env=pythons.child_env(), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert os.path.realpath(done.stdout.strip()) == str(ROOT / "scenarios" / "__init__.py")


@pytest.mark.e2e
def test_another_version_runs_without_the_apps_packages():
    other = other_python("3.12") or other_python("3.13")
    if other is None:
        pytest.skip("no Python 3.12 or 3.13 beside this one")
    found = pythons.check(other)
    cmd = [found.executable, "-P", "-c", "import importlib.util as u; print(u.find_spec('textual') is None)"]
    done = subprocess.run(cmd, env=pythons.child_env(), capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr  # concviz's own packages are not on its path
    trace = run_headless(get("cpu-speedup"), get("cpu-speedup").resolve({"n": 20_000, "items": 2, "workers": 2}), 1,
                         python=found)
    assert trace.exit["status"] == 0, trace.exit
    assert trace.python["version"] == found.version and trace.python["executable"] == other
    assert {"serial", "threads", "processes"} <= set(trace.variants)


# --------------------------------------------------------------------------------------------- command line


def test_bad_interpreters_are_one_line_and_status_2_before_anything_runs(tmp_path):
    old = fake_python(tmp_path, [3, 10, 13])
    out = tmp_path / "keep.cvz"
    out.write_bytes(b"precious")
    for args in (["run", "threads-download", "--python", old, "--headless"],
                 ["run", "threads-download", "--python", old],  # the app path: refused before Textual starts
                 ["record", "cpu-speedup", "--python", sys.executable, "--python", old, "-o", str(out)],
                 ["run", "async-fetch", "--python", fake_python(tmp_path, [3, 13, 0], ["aiohttp"], "bare"),
                  "--headless"]):
        done = concviz(*args)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("concviz: --python "), done.stderr
        assert done.stdout == "" and "Traceback" not in done.stderr
    assert "-m pip install aiohttp" in lines[0]
    assert out.read_bytes() == b"precious"


@pytest.mark.e2e
def test_a_run_under_another_interpreter_reports_it(tmp_path):
    done = concviz("run", "threads-download", "-p", "tasks=3", "-p", "max_s=0.2", "--python", sys.executable,
                   "--headless", "--json", cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["python"]["executable"] == sys.executable
    assert summary["python"]["version"] == platform.python_version()
    assert summary["exit"]["status"] == 0 and len(summary["tasks"]) == 3
    record = tmp_path / "one.cvz"
    done = concviz("record", "threads-download", "-p", "tasks=2", "-p", "max_s=0.2", "--python", sys.executable,
                   "-o", str(record))
    assert done.returncode == 0, done.stderr
    from tui import tracefile

    trace = tracefile.load(record)
    assert trace.meta["python"]["executable"] == sys.executable  # the header says which interpreter ran it
    assert not tracefile.has_runs(tracefile.PREFIX.unpack_from(record.read_bytes())[1])  # a single run's format


def test_the_check_leaves_the_private_directory_alone_after_a_refusal(tmp_path):
    before = pythons.scenarios_dir()
    with pytest.raises(InterpreterError):
        pythons.check(fake_python(tmp_path, [3, 9, 0]))
    assert pythons.scenarios_dir() == before and stat.S_ISLNK(os.lstat(os.path.join(before, "scenarios")).st_mode)

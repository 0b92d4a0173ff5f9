"""Another interpreter for the scenario's child (``--python PATH``): checked before anything runs, then given only
``scenarios``. No Textual here.

``check(path, needs)`` asks the interpreter about itself with a short script it can run whatever its version
(Python 2 included): its version, and, from 3.11 on, what ``scenarios.pyinfo`` says of it and whether each module
the scenario needs beyond the stdlib imports. Anything else (no such file, not executable, not Python, too old, a
module missing) is an ``InterpreterError``: one line that says what to do.

The child under that interpreter must import concviz's ``scenarios`` package and nothing else of the app's: the
app's site-packages hold C extensions built for the app's Python. So ``child_env`` puts a private directory first on
PYTHONPATH that holds only a link to the package, and the child runs with ``-P`` (the working directory is not put
on ``sys.path``); the interpreter keeps its own site-packages (a venv's aiohttp), and the user's own PYTHONPATH
entries follow, less any of the app's site-packages directories. Pool workers and the fetch server inherit it.
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import shutil
import signal
import site
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass, field

import scenarios
from tui.text import printable  # re-exported: tui.lessons.interpreters imports it from here

OLDEST = (3, 11)
CHECK_TIMEOUT_S = 30.0  # importing a module the scenario needs (aiohttp) on a slow, busy machine
MARKER = "concviz-python-check "

# Runs under any Python from 2.6 on: no f-strings, no annotations. argv: the modules the scenario needs.
CHECK_SCRIPT = r"""
import sys, json, platform
out = {"version_info": list(sys.version_info[:3]), "implementation": platform.python_implementation()}
if tuple(sys.version_info[:2]) >= (3, 11):
    try:
        from scenarios import pyinfo
        out["python"] = pyinfo.python_info()
    except Exception as exc:
        out["scenarios_error"] = "%s: %s" % (type(exc).__name__, exc)
    missing = []
    for name in sys.argv[1:]:
        try:
            __import__(name)
        except Exception as exc:
            missing.append([name, "%s: %s" % (type(exc).__name__, exc)])
    out["missing"] = missing
sys.stdout.write("concviz-python-check " + json.dumps(out) + "\n")
sys.stdout.flush()
"""


class InterpreterError(Exception):
    """An interpreter concviz cannot run the scenario on; the message is one line (the command line exits 2)."""


@dataclass(frozen=True)
class Interpreter:
    """An interpreter the scenario's child runs on: its path as given (a venv's ``python`` link stays a link,
    so the venv's site-packages stay its own) and what it said of itself (scenarios.pyinfo.python_info)."""

    executable: str
    info: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def version(self) -> str:
        return str(self.info.get("version", "?"))


def check(path: str, needs: tuple[str, ...] = (), scenario: str = "the scenario",
          timeout_s: float | None = None) -> Interpreter:
    """The interpreter at ``path`` (or a name looked up on PATH), if it can run a scenario that imports ``needs``;
    else InterpreterError."""
    shown = printable(path)
    executable = _find(path, shown)
    limit = CHECK_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        proc = subprocess.Popen([executable, "-c", CHECK_SCRIPT, *needs], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(),
                                cwd=scenarios_dir(), start_new_session=True)
    except OSError as exc:  # not a program this system can run (a text file without #!, another architecture)
        raise InterpreterError(f"--python {shown} cannot be run: {exc.strerror or exc}") from None
    try:
        stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"--python {shown} did not answer within {limit:g} s: is it a Python "
                               "interpreter?") from None
    finally:
        _end_group(proc)
    answer = _answer(stdout)
    if answer is None:
        said = f"exited with status {proc.returncode}" if proc.returncode else "printed nothing a Python would"
        last = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()][:1]
        if last:
            said += f": {printable(last[0].strip(), 120)}"
        raise InterpreterError(f"--python {shown} is not a Python interpreter (asked for its version, it {said})")
    version = ".".join(str(part) for part in answer.get("version_info", [])[:3]) or "?"
    implementation = printable(answer.get("implementation") or "Python", 40)
    if tuple(answer.get("version_info", [0])[:2]) < OLDEST:
        raise InterpreterError(f"--python {shown} is {implementation} {printable(version, 40)}: the scenarios need "
                               f"Python {'.'.join(map(str, OLDEST))} or newer")
    if answer.get("scenarios_error") or not isinstance(answer.get("python"), dict):
        why = printable(answer.get("scenarios_error") or "it did not describe itself", 160)
        raise InterpreterError(f"--python {shown} ({implementation} {version}) cannot import concviz's scenarios: "
                               f"{why}")
    missing = [printable(m[0], 60) for m in answer.get("missing") or []]
    if missing:
        names = " and ".join(missing)
        install = f"{shlex.quote(executable)} -m pip install {' '.join(missing)}"
        raise InterpreterError(f"--python {shown} ({implementation} {version}) lacks {names}, which {scenario} "
                               f"needs: install it with {printable(install)}")
    info = {k: v for k, v in answer["python"].items() if isinstance(k, str)}
    info["executable"] = executable  # as given: a venv's python link, not where it leads
    return Interpreter(executable, info)


def _find(path: str, shown: str) -> str:
    if os.sep not in path:  # a name: looked up on PATH, as a shell would
        found = shutil.which(path)
        if found is None:
            raise InterpreterError(f"--python {shown}: no such program on PATH (give the interpreter's path)")
        path = found
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.exists(path):
        raise InterpreterError(f"--python {shown}: no such file")
    if os.path.isdir(path):
        raise InterpreterError(f"--python {shown} is a directory: give the interpreter itself, e.g. "
                               f"{printable(os.path.join(path, 'bin', 'python'))}")
    if not os.access(path, os.X_OK):
        raise InterpreterError(f"--python {shown} is not executable")
    return path


def _answer(stdout: bytes) -> dict | None:
    for line in stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(MARKER):
            try:
                answer = json.loads(line[len(MARKER):])
            except ValueError:
                return None
            if not isinstance(answer, dict):
                return None
            version = answer.get("version_info")
            if not isinstance(version, list) or not version or not all(type(v) is int for v in version):
                return None
            missing = answer.get("missing") or []
            if not isinstance(missing, list) or not all(isinstance(m, list) and m and isinstance(m[0], str)
                                                        for m in missing):
                return None
            return answer
    return None


def _end_group(proc: subprocess.Popen) -> None:
    """End the interpreter and whatever it started (its session is its own), and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


# ------------------------------------------------------------------------------------------- the child's path

_private: str | None = None


def scenarios_dir() -> str:
    """A directory holding only a link named ``scenarios`` to concviz's scenarios package (made once per process,
    removed at exit)."""
    global _private
    if _private is None or not os.path.isdir(_private):
        folder = tempfile.mkdtemp(prefix="concviz-scenarios-")
        os.symlink(os.path.dirname(os.path.abspath(scenarios.__file__)), os.path.join(folder, "scenarios"),
                   target_is_directory=True)
        _private = folder
        atexit.register(shutil.rmtree, folder, True)
    return _private


def _app_site_dirs() -> set[str]:
    """The app's own site-packages directories (never on another interpreter's path)."""
    dirs = set()
    for get in (site.getsitepackages, lambda: [site.getusersitepackages()]):
        try:
            dirs.update(get())
        except (AttributeError, OSError):
            pass
    for key in ("purelib", "platlib"):
        dirs.add(sysconfig.get_paths().get(key, ""))
    return {os.path.realpath(d) for d in dirs if d}


def child_env(base: dict | None = None) -> dict:
    """The environment of a child under another interpreter: ``scenarios`` first on PYTHONPATH, then the user's
    own entries less the app's site-packages; no PYTHONHOME (it would point that interpreter at the app's)."""
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONHOME", None)
    theirs = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    app_dirs = _app_site_dirs()
    kept = [p for p in theirs if os.path.realpath(p) not in app_dirs]
    env["PYTHONPATH"] = os.pathsep.join([scenarios_dir(), *kept])
    return env


def child_command(interpreter: Interpreter | None, args: list[str]) -> list[str]:
    """``python -m scenarios ARGS`` under ``interpreter`` (None: the app's own, as before)."""
    import sys

    if interpreter is None:
        return [sys.executable, "-m", "scenarios", *args]
    return [interpreter.executable, "-P", "-m", "scenarios", *args]


# ----------------------------------------------------------------------------------------------- labels


def labels(infos: list[dict]) -> list[str]:
    """A short distinct name for each interpreter of a comparison: ``3.12``, ``3.14t`` (free-threaded build),
    ``PyPy 3.11``; the whole version where two share a minor version, then ``#1``, ``#2`` where two are the same."""
    def short(info: dict, whole: bool) -> str:
        version = printable(info.get("version", "?"), 24)
        if not whole:
            version = ".".join(version.split(".")[:2])
        if info.get("free_threaded_build"):
            version += "t"
        implementation = info.get("implementation") or "CPython"
        return version if implementation == "CPython" else f"{printable(implementation, 16)} {version}"

    names = [short(info, False) for info in infos]
    if len(set(names)) < len(names):
        names = [short(info, names.count(name) > 1) for info, name in zip(infos, names)]
    if len(set(names)) < len(names):
        counts: dict[str, int] = {}
        out = []
        for name in names:
            if names.count(name) > 1:
                counts[name] = counts.get(name, 0) + 1
                out.append(f"{name} #{counts[name]}")
            else:
                out.append(name)
        names = out
    return names

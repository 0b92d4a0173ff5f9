"""concviz in a real terminal: a tmux session on a private socket (``tmux -L bench``), never the user's own.

    with Terminal(["run", "threads-download"], 120, 40) as term:
        term.app          # psutil.Process of the concviz process itself (not the scenario child)
        term.screen()     # the text on screen now
        term.keys("q")
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from benchmarks.common import ROOT

SOCKET = "bench"
CONCVIZ = ROOT / ".venv" / "bin" / "concviz"


def missing() -> str | None:
    """What is missing to run the app in a terminal, or None."""
    if shutil.which("tmux") is None:
        return "tmux is not installed"
    if not CONCVIZ.exists():
        return f"{CONCVIZ} does not exist (the editable install)"
    try:
        import importlib.util

        if importlib.util.find_spec("tui.app") is None:
            return "tui/app.py does not exist yet"
    except ImportError as exc:
        return f"tui.app cannot be found: {exc}"
    return None


def tmux(*args: str, check: bool = True) -> str:
    done = subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


class Terminal:
    """A detached tmux session of ``width`` x ``height`` running ``concviz ARGS`` (exec'd: the pane's process is
    concviz itself), in ``cwd``; everything it started is ended on exit."""

    count = 0

    def __init__(self, args: list[str], width: int, height: int, cwd: str | Path | None = None,
                 env: dict | None = None, program: list[str] | None = None) -> None:
        Terminal.count += 1
        self.name = f"concviz-bench-{os.getpid()}-{Terminal.count}"
        self.command = [*(program or [str(CONCVIZ)]), *args]
        self.width, self.height = width, height
        self.cwd = str(cwd or ROOT)
        self.env = {"COLORTERM": "truecolor", **(env or {})}
        self.app = None
        self.started = 0.0

    def __enter__(self) -> "Terminal":
        import psutil

        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        shell = f"cd {shlex.quote(self.cwd)} && exec env {exports} {shlex.join(self.command)}"
        self.started = time.monotonic()
        tmux("new-session", "-d", "-s", self.name, "-x", str(self.width), "-y", str(self.height), shell)
        pid = int(tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())
        self.app = psutil.Process(pid)
        return self

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name, check=False)

    def keys(self, *keys: str) -> None:
        tmux("send-keys", "-t", self.name, *keys, check=False)

    def alive(self) -> bool:
        try:
            return self.app.is_running() and self.app.status() != "zombie"
        except Exception:
            return False

    def wait_for(self, text: str, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.screen():
                return True
            time.sleep(0.1)
        return False

    def __exit__(self, *exc) -> None:
        import psutil

        procs = []
        try:
            procs = [self.app, *self.app.children(recursive=True)]
        except psutil.Error:
            pass
        tmux("kill-session", "-t", self.name, check=False)
        gone, alive = psutil.wait_procs(procs, timeout=3)
        for p in alive:  # only what this terminal started
            try:
                p.kill()
            except psutil.Error:
                pass
        if not tmux("list-sessions", check=False).strip():
            tmux("kill-server", check=False)


def cpu_seconds(proc) -> float:
    """CPU (user + system) of this process alone, not its children."""
    t = proc.cpu_times()
    return t.user + t.system

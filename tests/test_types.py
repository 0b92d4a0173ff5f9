"""The type checker, as CI runs it: mypy, strict, on what pyproject.toml's [tool.mypy] lists (scenarios/ today).

mypy runs in a process of its own (``python -m mypy``, this Python's), from the repository root, with a cache of
its own in a temporary directory: nothing is written into the clone, and nothing of mypy stays in the test
process. About 3 s. Skipped where mypy is not installed (it comes with the ``test`` extras).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_mypy_strict_passes(tmp_path):
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"mypy (exit {done.returncode}):\n{done.stdout}{done.stderr}"
    assert "Success" in done.stdout, done.stdout

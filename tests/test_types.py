"""The type checker, as CI runs it: mypy, strict, on what pyproject.toml's [tool.mypy] lists (scenarios/ and the trace
model, tui/model/).

mypy runs in a process of its own (``python -m mypy``, this Python's), from the repository root, with a cache of
its own in a temporary directory: nothing is written into the clone, and nothing of mypy stays in the test
process. About 4 s. Skipped where mypy is not installed (it comes with the ``test`` extras).

A checked module's types are only as good as those of what it imports: a module of tui it imports is read silently
(pyproject.toml's override), its annotations taken on trust. So whatever the checked files import from tui must be
checked too (``test_what_the_checked_files_import_from_tui_is_checked``): today the trace model imports only itself.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib

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


def checked_files() -> list[str]:
    """The Python files under what [tool.mypy] lists, relative to the root."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        listed = tomllib.load(f)["tool"]["mypy"]["files"]
    found = []
    for entry in listed:
        if entry.endswith(".py"):
            found.append(entry)
            continue
        for folder, _, names in os.walk(os.path.join(ROOT, entry)):
            found += [os.path.relpath(os.path.join(folder, n), ROOT) for n in names if n.endswith(".py")]
    return sorted(found)


def module_file(module: str) -> str | None:
    """The file of a module of this repository (``tui.model.cells`` -> tui/model/cells.py), None if it has none."""
    base = os.path.join(*module.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.exists(os.path.join(ROOT, path)):
            return path
    return None


def imported_modules(path: str) -> set[str]:
    """The modules a file imports, anywhere in it (``from a import b``: a, and a.b where that is a module)."""
    package = os.path.dirname(path).replace(os.sep, ".")
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package, up level - 1
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if module_file(f"{base}.{alias.name}"))
    return found


def test_what_the_checked_files_import_from_tui_is_checked():
    files = checked_files()
    assert "tui/model/ingest.py" in files, f"the trace model is not checked: {files}"
    unchecked = []
    for path in files:
        for module in sorted(imported_modules(path)):
            if module == "tui" or not module.startswith("tui."):
                continue  # the package's own __init__ holds only its version
            target = module_file(module)
            if target is not None and target not in files:
                unchecked.append(f"{path} imports {module} ({target}), which mypy reads without checking it")
    assert not unchecked, ("add these to [tool.mypy] files in pyproject.toml, or import them from no checked "
                           "module:\n" + "\n".join(unchecked))

"""The layers, checked from the source: every import of every module in scenarios/ and tui/, read with ``ast``.

Imports are read statically, wherever they are written: at the top of a module, inside a function (the imports that
wait until a screen opens) or under ``if TYPE_CHECKING:``. An import by a computed name (``importlib.import_module``,
as ``tui.lessons.lesson_for`` does) is not seen.

The rules:
  - scenarios never import tui, nor the parent's third-party packages (textual, rich, psutil): the child runs the
    scenarios package under any Python 3.11+, seeing that Python's own site-packages, not concviz's.
  - the trace model (tui/model.py, or the package tui/model/) never imports textual, tui.screens or tui.widgets,
    neither itself nor through the tui modules it imports; and it never imports tui.lessons (the lessons read the
    model: importing them makes the model depend on what is built on it).
  - lessons never import textual, tui.screens or tui.widgets (headless runs and exports read them), nor do the
    other modules with no Textual in them (TEXTUAL_FREE: the run's control, clocks, session, theme, ...).
  - widgets never import screens, neither themselves nor through the tui modules they import.
  - no import cycles among the modules of scenarios/ and tui/.

A rule still broken today, with the change that ends it under way, is listed in PENDING with that change; an
entry that no longer matches anything fails too, so that the list only ever says what is still true.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scenarios", "tui")

# Known breaks, each keyed (file, imported module) for an import, or ("cycle", modules...) for a cycle, with what
# ends it. Empty when every rule holds.
PENDING: dict[tuple[str, ...], str] = {}


@dataclass(frozen=True)
class Import:
    path: str  # the importing file, relative to the repository root
    line: int
    target: str  # the module imported, absolute: "textual.app", "tui.lessons", "tui.lessons.futures"
    written: str  # the statement as written in the file

    def where(self) -> str:
        return f"{self.path}:{self.line} `{self.written}`"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def source_files() -> dict[str, list[Path]]:
    """Module name -> its files (two while tui/model.py and tui/model/__init__.py both exist)."""
    found: dict[str, list[Path]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                found.setdefault(module_name(path), []).append(path)
    return found


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute name of ``from [.]*X import ...`` written in ``module``."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path) -> list[Import]:
    """Every import written in ``path``, at any depth, each naming the module it brings in."""
    module = module_name(path)
    rel = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    known = source_files()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(rel, node.lineno, alias.name, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            source = resolve(node, module, path.name == "__init__.py")
            names = ", ".join(a.name for a in node.names)
            written = f"from {'.' * node.level}{node.module or ''} import {names}"
            for alias in node.names:
                # `from tui import lessons` imports the module tui.lessons; `from tui.lessons import fmt_s` a name
                sub = f"{source}.{alias.name}"
                found.append(Import(rel, node.lineno, sub if sub in known else source, written))
    return found


@cache
def graph() -> dict[str, list[Import]]:
    """Module name -> its imports."""
    return {name: [i for path in paths for i in imports_of(path)] for name, paths in source_files().items()}


def project_module(target: str) -> str | None:
    """The module of scenarios/ or tui/ that importing ``target`` runs, None for the stdlib and third parties."""
    known = source_files()
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def parents(module: str) -> list[str]:
    """The packages whose __init__ runs before ``module``: tui.lessons.futures -> tui, tui.lessons."""
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def chains(start: str, forbidden: tuple[str, ...]) -> list[list[Import]]:
    """For each forbidden module reached from ``start``, the shortest chain of imports that reaches it, following
    imports of tui and scenarios modules (and the package __init__ files they run on the way)."""
    via: dict[str, list[Import]] = {start: []}
    queue = deque([start])
    hits: dict[str, list[Import]] = {}
    while queue:
        module = queue.popleft()
        for imp in graph().get(module, []):
            hit = next((f for f in forbidden if within(imp.target, f)), None)
            if hit is not None:
                hits.setdefault(hit, via[module] + [imp])
                continue
            reached = project_module(imp.target)
            for nxt in [p for p in parents(reached) if p in source_files()] + [reached] if reached else []:
                if nxt not in via:
                    via[nxt] = via[module] + [imp]
                    queue.append(nxt)
    return [hits[f] for f in forbidden if f in hits]


def describe(chain: list[Import]) -> str:
    return " -> ".join(i.where() for i in chain)


def unexpected(breaks: list[tuple[tuple[str, ...], str]]) -> list[str]:
    return [message for key, message in breaks if key not in PENDING]


def layer_breaks(layer: str, forbidden: tuple[str, ...], rule: str) -> list[tuple[tuple[str, ...], str]]:
    breaks = []
    for module in sorted(m for m in source_files() if within(m, layer)):
        for chain in chains(module, forbidden):
            first = chain[0]
            direct = len(chain) == 1
            if not direct and within(project_module(first.target) or "", layer):
                continue  # reported from that module of the layer, where the chain leaves it
            key = (first.path, chain[-1].target if direct else first.target)
            how = f"imports {first.target}" if direct else f"reaches {chain[-1].target} through {first.target}"
            breaks.append((key, f"{first.path} {how}: {describe(chain)}\n    ({rule})"))
    return breaks


def direct_breaks(layer: str, forbidden: tuple[str, ...], rule: str) -> list[tuple[tuple[str, ...], str]]:
    breaks = []
    for module in sorted(m for m in source_files() if within(m, layer)):
        for imp in graph()[module]:
            if any(within(imp.target, f) for f in forbidden):
                breaks.append(((imp.path, imp.target), f"{imp.where()}\n    ({rule})"))
    return breaks


def scenarios_breaks():
    return direct_breaks("scenarios", ("tui", "textual", "rich", "psutil"),
                         "scenarios never import tui or the parent's dependencies: the child runs this package under "
                         "any Python 3.11+, with that Python's own site-packages")


def model_breaks():
    return layer_breaks("tui.model", ("textual", "tui.screens", "tui.widgets"),
                        "the trace model never imports Textual, screens or widgets") + layer_breaks(
        "tui.model", ("tui.lessons",), "the model never imports tui.lessons: the lessons read the model")


def lesson_breaks():
    return layer_breaks("tui.lessons", ("textual", "tui.screens", "tui.widgets"),
                        "lessons never import Textual, screens or widgets: headless runs and exports read them")


# modules with no Textual in them: the headless summary, exports, benchmarks and plain tests use them
TEXTUAL_FREE = ("tui.control", "tui.clock", "tui.pacing", "tui.runs", "tui.session", "tui.stream", "tui.theme",
                "tui.strips", "tui.summary", "tui.tracefile", "tui.export", "tui.dense", "tui.interpreter",
                "tui.guide", "tui.tour", "tui.view")


def textual_free_breaks():
    return [b for module in TEXTUAL_FREE for b in layer_breaks(
        module, ("textual", "tui.screens", "tui.widgets"), f"{module} has no Textual in it (plain tests, headless)")]


def widget_breaks():
    return layer_breaks("tui.widgets", ("tui.screens",), "widgets never import screens: screens compose widgets")


def cycles() -> list[list[str]]:
    """The strongly connected components of the import graph with more than one module (or a module importing
    itself), each as a closed path through its modules."""
    edges = {m: sorted({p for i in imps if (p := project_module(i.target)) and p in source_files()})
             for m, imps in graph().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm; the graph is small, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                components.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [closed_path(c, edges) for c in components]


def closed_path(component: list[str], edges: dict[str, list[str]]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    start, members = component[0], set(component)
    via = {start: [start]}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in edges[v]:
            if w == start:
                return via[v] + [start]
            if w in members and w not in via:
                via[w] = via[v] + [w]
                queue.append(w)
    raise AssertionError(f"no cycle through {component}")


def edge(a: str, b: str) -> Import:
    return next(i for i in graph()[a] if project_module(i.target) == b)


def cycle_breaks():
    breaks = []
    for path in cycles():
        steps = " -> ".join(edge(a, b).where() for a, b in zip(path, path[1:]))
        key = ("cycle", *sorted(set(path)))
        breaks.append((key, f"import cycle {' -> '.join(path)}: {steps}\n    (no import cycles: one of these "
                            "modules must stop importing the other)"))
    return breaks


def fail_with(messages: list[str]) -> None:
    if messages:
        pytest.fail("\n".join(messages), pytrace=False)


def test_the_sources_are_found():
    names = source_files()
    assert "scenarios.probe" in names and "tui.session" in names
    assert "tui.model" in names, "the trace model is neither tui/model.py nor tui/model/: update this test's rules"
    assert any(i.target == "scenarios.wire" for i in graph()["scenarios.probe"])


def test_scenarios_never_import_tui():
    fail_with(unexpected(scenarios_breaks()))


def test_the_model_never_imports_textual_screens_widgets_or_lessons():
    fail_with(unexpected(model_breaks()))


def test_lessons_never_import_textual_screens_or_widgets():
    fail_with(unexpected(lesson_breaks()))


def test_the_textual_free_modules_stay_so():
    assert set(TEXTUAL_FREE) <= set(source_files())
    fail_with(unexpected(textual_free_breaks()))


def test_widgets_never_import_screens():
    fail_with(unexpected(widget_breaks()))


def test_no_import_cycles():
    fail_with(unexpected(cycle_breaks()))


def test_every_pending_break_still_exists():
    found = {key for key, _ in scenarios_breaks() + model_breaks() + lesson_breaks() + textual_free_breaks()
             + widget_breaks() + cycle_breaks()}
    fail_with([f"PENDING lists {key} ({why}), which no longer happens: remove it from tests/test_layering.py"
               for key, why in PENDING.items() if key not in found])


# The checker itself, on small made-up sources


def test_relative_imports_resolve():
    node = ast.parse("from ..model import Trace").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert resolve(node, "tui.widgets.cores", is_package=False) == "tui.model"
    assert resolve(node, "tui.widgets", is_package=True) == "tui.model"
    node = ast.parse("from . import palette").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert resolve(node, "tui.widgets.cores", is_package=False) == "tui.widgets"


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A made-up scenarios/ and tui/ under tmp_path: call it with {relative path: source}."""

    def make(files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        for package in PACKAGES:
            (tmp_path / package).mkdir(exist_ok=True)
        monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
        source_files.cache_clear()
        graph.cache_clear()

    yield make
    source_files.cache_clear()
    graph.cache_clear()


def test_imports_inside_functions_are_read(tree):
    tree({"tui/__init__.py": "", "tui/widgets/__init__.py": "",
          "tui/widgets/w.py": "def f():\n    if True:\n        from tui.screens import run\n"})
    assert [(i.path, i.line, i.target, i.written) for i in graph()["tui.widgets.w"]] == [
        ("tui/widgets/w.py", 3, "tui.screens", "from tui.screens import run")]


def test_a_break_through_other_modules_names_the_whole_chain(tree):
    tree({"tui/__init__.py": "", "tui/model/__init__.py": "from tui.model import cells\n",
          "tui/model/cells.py": "from tui import colours\n",
          "tui/colours.py": "def f():\n    import textual.color\n"})
    (message,) = [m for _, m in model_breaks()]  # once: from the model's module where the chain leaves the model
    assert message.startswith("tui/model/cells.py reaches textual.color through tui.colours: "
                              "tui/model/cells.py:1 `from tui import colours` -> "
                              "tui/colours.py:2 `import textual.color`")


def test_a_cycle_is_named_with_each_import_in_it(tree):
    tree({"scenarios/__init__.py": "", "scenarios/a.py": "from scenarios import b\n",
          "scenarios/b.py": "def f():\n    from scenarios.a import x\n"})
    assert [m for _, m in cycle_breaks()] == [
        "import cycle scenarios.a -> scenarios.b -> scenarios.a: scenarios/a.py:1 `from scenarios import b` -> "
        "scenarios/b.py:2 `from scenarios.a import x`\n    (no import cycles: one of these modules must stop "
        "importing the other)"]

"""The contract between scenarios and screens: every scenario has a lesson that declares what its screens need
(tui/lessons/lesson.py), and nothing else in tui/ knows a scenario by its name."""

from __future__ import annotations

import ast
from pathlib import Path

from scenarios import catalog
from tui import lessons
from tui.lessons.lesson import Lesson, always, never
from tui.screens.takeaways import GUIDE

ROOT = Path(__file__).resolve().parent.parent


def test_every_scenario_has_a_lesson_and_every_lesson_a_scenario():
    names = list(catalog.scenarios())
    assert [lesson.scenario for lesson in lessons.lessons()] == names  # and in the guide's order
    for name in names:
        lesson = lessons.lesson_for(name)
        assert isinstance(lesson, Lesson) and lesson.scenario == name


def test_what_the_lessons_declare_is_well_formed():
    keys = {key for _, items in GUIDE for key, _, _ in items}
    for lesson in lessons.lessons():
        assert lesson.workload in ("", "io", "cpu"), lesson.scenario
        assert set(lesson.takeaways) <= keys, lesson.scenario  # only takeaways the guide has
        figures = [f.key for f in lesson.figures]
        assert len(figures) == len(set(figures)), lesson.scenario
        if lesson.figures or lesson.counters:
            assert lesson.compares is not never, f"{lesson.scenario}: comparison columns, yet it never compares"
        if lesson.compares not in (always, never):
            assert lesson.compares_how, f"{lesson.scenario}: say how a run of it compares (compares_how)"
        if lesson.panel is not None:
            assert lesson.panel.title and lesson.panel.help


def strings_in_code(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module that is not a docstring, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_scenario_is_known_by_name_outside_its_lesson():
    """A scenario's knowledge lives in its two files: a name in tui/'s code elsewhere is a rule in the wrong place
    (docstrings may name one as an example)."""
    names = list(catalog.scenarios())
    found = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        if "lessons" in path.relative_to(ROOT / "tui").parts:
            continue
        for line, value in strings_in_code(path):
            named = [n for n in names if value == n or ("-" in n and n in value)]
            found += [f"{path.relative_to(ROOT)}:{line} names {n!r}" for n in named]
    assert not found, "\n".join(found)


def test_the_check_sees_a_name_in_code(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""Docs may name cpu-speedup."""\nSPECIAL = {"cpu-speedup": 1}\n')
    assert strings_in_code(module) == [(2, "cpu-speedup")]

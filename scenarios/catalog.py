"""What each scenario is and which parameters it takes: the command line's contract.

Every scenario module defines ``SCENARIO = Scenario(...)`` and ``run(**params)``; the catalog finds them in this
package by themselves (a module of it that assigns ``SCENARIO`` or ``SCENARIOS``), and orders them by their
``place``: the guide's order, which the home screen and the tour follow. Modules keep their imports light at the
top (heavy libraries inside ``run``), so listing the catalog stays fast.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass, field

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from collections.abc import Mapping

Value = int | float | str  # a parameter's value (the type of its default)


class ParamError(ValueError):
    """A parameter value that is unknown, malformed or out of range (the message names what is allowed)."""


def quoted(text: object, limit: int = 60) -> str:
    """What the user typed, for a message: quoted and escaped as ``repr`` does (control characters, escape
    sequences), and cut to ``limit`` characters."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 2] + "\u2026" + shown[-1]


@dataclass(frozen=True)
class Param:
    name: str
    default: Value
    help: str
    min: int | float | None = None
    max: int | float | None = None
    choices: tuple[str, ...] = ()

    @property
    def type(self) -> type:
        return type(self.default)

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = "a whole number" if self.type is int else "a number"
        if self.min is not None and self.max is not None:
            return f"{kind} from {self.bound(self.min)} to {self.bound(self.max)}"
        if self.min is not None:
            return f"{kind} of at least {self.bound(self.min)}"
        if self.max is not None:
            return f"{kind} of at most {self.bound(self.max)}"
        return kind

    def bound(self, value: int | float) -> str:
        """10, 100_000 or 0.5: how a limit reads (and parses back)."""
        return f"{value:_}" if self.type is int else f"{value:g}"

    def parse(self, text: Value) -> Value:
        """The value of ``text`` for this parameter, or ParamError naming what is allowed."""
        value: Value
        try:
            if self.type is int:
                value = int(str(text).replace("_", ""))
            elif self.type is float:
                value = float(text)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError
            else:
                value = str(text)
        except (ValueError, OverflowError):  # OverflowError: float() of an int too large for a float
            raise ParamError(f"{self.name}={quoted(text)} is not valid: {self.name} takes {self.allowed()}") from None
        if self.choices and value not in self.choices:
            raise ParamError(f"{self.name}={quoted(text)} is not valid: {self.name} takes {self.allowed()}")
        if isinstance(value, str):  # a choice, checked above: strings have no range
            return value
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise ParamError(f"{self.name}={quoted(text)} is out of range: {self.name} takes {self.allowed()}")
        return value


START_METHODS = ("fork", "forkserver", "spawn")  # how multiprocessing starts a worker process


def start_param(what: str = "worker processes") -> Param:
    """The ``start`` parameter of every scenario with a process pool: how its workers start."""
    return Param("start", "default", f"how {what} start: this Python's default, fork, forkserver or spawn",
                 choices=("default",) + START_METHODS)


@dataclass(frozen=True)
class Scenario:
    name: str  # the command-line name, e.g. "threads-download"
    module: str  # e.g. "scenarios.threads_download"
    title: str  # one short line
    guide: str  # the guide's section or exercise it runs
    watch: str  # one line: what to watch on screen
    params: tuple[Param, ...] = field(default_factory=tuple)
    lesson: str = ""  # the takeaway line it teaches (home and takeaways screens)
    entry: str = "run"  # the function of ``module`` that runs it
    needs: tuple[str, ...] = ()  # modules beyond the stdlib it imports (checked in another Python: --python)
    place: int = 1000  # where it comes in the guide's order (home screen, tour): lower first

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        names = ", ".join(p.name for p in self.params) or "none"
        raise ParamError(f"unknown parameter {quoted(name)} for {self.name}: its parameters are {names}")

    def defaults(self) -> dict[str, Value]:
        return {p.name: p.default for p in self.params}

    def resolve(self, given: Mapping[str, Value]) -> dict[str, Value]:
        """Defaults overridden by ``given`` (strings or values), each checked against its range."""
        values = self.defaults()
        for name, text in given.items():
            values[name] = self.param(name).parse(text)
        return values


_DECLARES = re.compile(r"^SCENARIOS? *[:=]", re.M)  # a module of this package that declares a scenario


def modules() -> list[str]:
    """The modules of this package that declare scenarios (read as text first: only those are imported)."""
    here = os.path.dirname(os.path.abspath(__file__))
    found = []
    for entry in sorted(os.listdir(here)):
        stem, dot, ext = entry.rpartition(".")
        if ext != "py" or not dot or stem.startswith("_") or stem == "catalog":
            continue
        with open(os.path.join(here, entry), encoding="utf-8") as source:
            if _DECLARES.search(source.read()):
                found.append(f"scenarios.{stem}")
    return found


def _load() -> dict[str, Scenario]:
    found: list[Scenario] = []
    extra = tuple(m.strip() for m in os.environ.get("CONCVIZ_EXTRA_SCENARIOS", "").split(",") if m.strip())
    for module in modules() + list(extra):  # extra: modules of scenarios for tests (importable from PYTHONPATH)
        try:
            loaded = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module and module in extra:  # not there (a test's module, say)
                continue
            raise
        found += getattr(loaded, "SCENARIOS", None) or (loaded.SCENARIO,)
    return {scenario.name: scenario for scenario in sorted(found, key=lambda s: (s.place, s.name))}


_catalog: dict[str, Scenario] | None = None


def scenarios() -> dict[str, Scenario]:
    global _catalog
    if _catalog is None:
        _catalog = _load()
    return _catalog


def get(name: str) -> Scenario:
    found = scenarios()
    if name not in found:
        raise ParamError(f"unknown scenario {quoted(name)}: choose one of {', '.join(found)}")
    return found[name]

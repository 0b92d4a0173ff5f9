"""The contract between a scenario and the screens: what its lesson declares, in one place. No Textual here.

A scenario is two files. ``scenarios/NAME.py`` is the guide's code with a few probe calls; ``tui/lessons/NAME.py``
says what a run of it teaches and how the screens show it, in one declaration::

    LESSON = Lesson(
        scenario="futures",
        metrics=metrics,            # (trace, now) -> figures: the JSON summary's "metrics", the screens' numbers
        explain=explain,            # (trace, now) -> lines quoting those figures, never fixed numbers
        panel=Panel("results handled", describe_handled, help="..."),
        takeaways={"futures model": Backing(newest(futures_handled), hint="then p to set collect=as_completed")},
    )

Everything else is optional, and says what a screen needs that no other scenario has: its own panel beside the
cores, whether a run of it is a comparison and what its comparison shows (table columns, the header of each model,
counter rows, the figures interpreters are compared by), which of the guide's final takeaways its runs back, how
the takeaways classify its workload, totals for the status line's counters. The run screen, comparison screen,
takeaways, status line, help, headless summary and benchmarks read these declarations; no scenario's name
appears anywhere else in tui/ (tests/test_lessons.py checks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

    from tui.model import Trace
    from tui.theme import Ink

Window = tuple[float, float]  # the timeline's (t0, t1): a panel's strips line up with the lanes


def fmt_count(count: int) -> str:
    """12,345: a count as a learner reads it."""
    return f"{count:,}"


def fmt_s(seconds: float) -> str:
    """0.432 s, 12 ms or 85 us: a duration as a learner reads it."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds * 1e6:.0f} us"


@dataclass(frozen=True)
class Figure:
    """A figure of each model of a comparison: its key in the model's figures (``metrics(...)["variants"][model]``),
    what it is called, and how a value reads."""

    key: str
    heading: str
    reads: Callable[[Any], str]
    lower_is_better: bool = True  # (interpreters compared: which did better)
    drop: int = 0  # a table too wide leaves out the columns with the highest ``drop`` first; 0: never left out


@dataclass(frozen=True)
class CounterRow:
    """A counter drawn as a strip under each model of a comparison, on one scale for every model."""

    counter: str
    label: str
    reads: Callable[[float], str]
    level: bool  # the value holds until the next one (a count in flight), rather than marking an event
    state: str  # drawn in the colour of this state


@dataclass(frozen=True)
class Panel:
    """A panel of the scenario's own, beside the cores and locks of the run screen, redrawn with the timeline."""

    title: str
    describe: Callable[[Trace, float, Window, int, Ink], Text]  # (trace, now, window, width, ink) -> its text
    help: str  # what it shows, for the help screen
    titled: Callable[[Mapping[str, Any]], str] | None = None  # its title for the run's parameters, if they change it


@dataclass(frozen=True)
class Backing:
    """A lesson's figures for one of the guide's final takeaways (tui/screens/takeaways.py names them)."""

    lines: Callable[[list[Trace]], list[str]]  # from the scenario's runs that finished this session, newest first
    hint: str = ""  # what to do once it runs, where nothing backs the takeaway yet: "then p to set model=threads"
    named: bool = True  # whether "to see it" names the scenario
    per: str = ""  # a parameter each value of which is a model: "run it again with another" until two are seen


def never(params: Mapping[str, Any]) -> bool:
    return False


def always(params: Mapping[str, Any]) -> bool:
    return True


def wall_and_speedup(figures: Mapping[str, Any], running: bool) -> list[str]:
    """A model's header on the comparison screen: its wall time (``…`` while it runs) and speedup, where it has them."""
    out = []
    if figures.get("wall_s") is not None:
        out.append(fmt_s(figures["wall_s"]) + ("\u2026" if running else ""))
    if figures.get("speedup") is not None:
        out.append(f"{figures['speedup']:.2f}x")
    return out


WALL_TIME = Figure("wall_s", "wall time", fmt_s)


def final(figures: Mapping[str, Any]) -> bool:
    """Whether a model's figures are final, not so far (each lesson says so in its own words)."""
    if "finished" in figures:
        return bool(figures["finished"])
    return figures.get("measured_by", "client") == "client"


@dataclass(frozen=True)
class Lesson:
    """What a scenario's run teaches, and everything the screens need to show it (see the module's docstring)."""

    scenario: str
    metrics: Callable[[Trace, float], dict]
    explain: Callable[[Trace, float], list[str]]
    watch: Callable[[Mapping[str, Any]], str | None] | None = None  # the "what to watch" line for a build, None: as is
    workload: str = ""  # "io" or "cpu": how the takeaways classify it ("": neither, or both)
    panel: Panel | None = None
    compares: Callable[[Mapping[str, Any]], bool] = never  # whether a run with these parameters compares models
    compares_how: str = ""  # how to make it compare, for a one-line refusal: "-p model=compare"
    figures: tuple[Figure, ...] = ()  # the comparison's table, in column order
    headline: Callable[[Mapping[str, Any], bool], list[str]] = wall_and_speedup  # (figures, running) -> header
    counters: tuple[CounterRow, ...] = ()  # strips under each model of a comparison
    headlines: tuple[Figure, ...] = (WALL_TIME,)  # what interpreters compared are compared by, first first
    interpreters: Callable[[Mapping[str, Any], list[str]], list[str]] | None = None  # more lines when they are
    totals: Callable[[Mapping[str, Any]], dict[str, int]] | None = None  # counter -> its total, for these params
    takeaways: Mapping[str, Backing] = field(default_factory=dict)  # takeaway key -> this lesson's figures for it


def newest(line: Callable[[Trace], str | list[str] | None]) -> Callable[[list[Trace]], list[str]]:
    """A takeaway's lines from the newest run only (``line`` gives a line, several, or None)."""

    def lines(runs: list[Trace]) -> list[str]:
        found = line(runs[0]) if runs else None
        return [found] if isinstance(found, str) else list(found or [])

    return lines


def latest_per(runs: list[Trace], param: str) -> list[Trace]:
    """The newest run for each value of ``param`` (each model, say), newest first."""
    seen, out = set(), []
    for trace in runs:
        value = trace.meta.get("params", {}).get(param)
        if value not in seen:
            seen.add(value)
            out.append(trace)
    return out

"""The takeaways screen (``t``): the guide's Final Takeaways, each backed by a figure from a run of this session.

The guide ends with four things concurrency is about, four models and what each is for, and one sentence. Each of
them is shown with the figures that back it, quoted from the runs that ended in this session (``app.runs``,
newest first, through tui.lessons' metrics), or with the scenario to run to see it. ``takeaways(runs)`` builds
the content without drawing it, so it can be checked against fixed traces.

The guide's CPU-bound takeaway holds as written on a build with a GIL. A figure from a run on a free-threaded
build names that build and whether its GIL was off (tui.interpreter.build_phrase), and where such a run had the GIL
off, "Processes -> CPU parallelism" says that threads can run Python in parallel there too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui import lessons
from tui.lessons import Lesson, fmt_s, label
from tui.model import Trace
from tui.text import printable
from tui.theme import DARK_INK, Ink, ink_of

SEP = " \u00b7 "
NARROW = 80  # narrower than this: each takeaway's figures under its words


@dataclass
class Takeaway:
    claim: str  # the guide's words
    meaning: str  # what it means, in one line
    evidence: list[str] = field(default_factory=list)  # figures from this session's runs, each naming its run
    to_see: str = ""  # what to run to see it (shown when nothing backs it yet)
    more: str = ""  # what to run to see more (shown when something backs it)


# The guide's Final Takeaways in its order: (section, [(key, claim, meaning)]). A lesson backs one by its key
# (tui/lessons/lesson.py: ``Lesson.takeaways``); "workload classification" is every lesson with a ``workload``.
GUIDE = (
    ("Concurrency is about", (
        ("latency hiding", "latency hiding", "overlap the waits: the total tracks the slowest wait, not their sum"),
        ("responsiveness", "responsiveness", "a service that keeps answering while work runs"),
        ("architecture choices", "architecture choices",
         "the model decides what waiting costs: threads, memory, switches"),
        ("workload classification", "workload classification", "first ask: does this work wait, or compute?"),
    )),
    ("Which model for which work", (
        ("threads model", "Threads \u2192 simple I/O overlap", "blocking code, each wait on its own thread"),
        ("async model", "Async \u2192 scalable network systems", "one thread, one loop, any number of waits in flight"),
        ("processes model", "Processes \u2192 CPU parallelism", "an interpreter (and a GIL) per process, a core each"),
        ("futures model", "Futures \u2192 structured task management",
         "submit now, handle each result when it suits you"),
    )),
    ("The guide's last line", (
        ("selection", "Correct model selection matters more than syntax",
         "the same work, another model, other figures"),
    )),
)
PROCESSES_MEANING = "an interpreter (and a GIL) per process, a core each"
# where a quoted run had the GIL off: Section 4's "threads do not bypass the GIL" is the guide's for a GIL build
PROCESSES_MEANING_NO_GIL = ("an interpreter per process, a core each; on a build with a GIL only processes run "
                            "Python in parallel, with the GIL off threads can too")
TWO_MODELS = "one scenario with two models (p changes the model)"  # the last line's other way to see it


# ------------------------------------------------------------------------------------------- the runs


def finished(runs: list[Trace]) -> list[Trace]:
    """The runs that ended normally, newest first (a crashed or cancelled run backs nothing)."""
    return [t for t in reversed(runs) if not t.error and (t.exit or {}).get("status") == 0]


def of(runs: list[Trace], scenario: str) -> list[Trace]:
    return [t for t in runs if t.meta.get("scenario") == scenario]


WAITING = ("io",)  # on something outside Python (waiting for a lock or another task is neither kind)
COMPUTING = ("cpu", "gil_wait", "core_wait", "lock_hold")  # running Python, or ready to and waiting for a turn


def time_split(t: Trace) -> str | None:
    """How the run's tasks spent their time: waiting on I/O, or computing (on a core, or ready for one)."""
    totals: dict[str, float] = {}
    for lane in t.ordered_lanes():
        if lane.kind == "main":
            continue  # the main thread mostly waits for the others: it would count their time twice
        for state, seconds in t.lane_states(lane).items():
            totals[state] = totals.get(state, 0.0) + seconds
    waiting = sum(totals.get(s, 0.0) for s in WAITING)
    computing = sum(totals.get(s, 0.0) for s in COMPUTING)
    if waiting + computing <= 0:
        return None
    share = waiting / (waiting + computing)
    kind = "I/O-bound" if share >= 0.5 else "CPU-bound"
    return (f"{label(t)}: its tasks spent {fmt_s(waiting)} waiting on I/O, {fmt_s(computing)} computing "
            f"({share:.0%} on I/O): {kind}")


# ------------------------------------------------------------------------------------------ the content


def backed(key: str, claim: str, meaning: str, runs: dict[str, list[Trace]], every: list[Lesson]) -> Takeaway:
    """One takeaway: the lines each lesson backing it gives from its scenario's runs, or what to run to see it."""
    evidence, named, more = [], [], ""
    for lesson in every:
        backing = lesson.takeaways.get(key)
        if backing is None:
            continue
        mine = runs.get(lesson.scenario, [])
        evidence += backing.lines(mine) if mine else []
        if backing.named:
            named.append(f"{lesson.scenario}, {backing.hint}" if backing.hint else lesson.scenario)
        models = {t.meta.get("params", {}).get(backing.per) for t in mine} if backing.per else set()
        if backing.per and len(models) == 1 and not any(t.variants for t in mine):
            more = f"run {lesson.scenario} again with another {backing.per} (p) to compare"
    to_see = "run " + " or ".join(named) if named else ""
    if key == "selection":
        to_see = f"{to_see}, or {TWO_MODELS}" if to_see else f"run {TWO_MODELS}"
    return Takeaway(claim, meaning, evidence, to_see, more)


def classified(runs: dict[str, list[Trace]], every: list[Lesson]) -> Takeaway:
    """Workload classification: the newest run of every scenario whose workload is plainly I/O- or CPU-bound."""
    kinds = [lesson for lesson in every if lesson.workload in ("io", "cpu")]
    evidence = [line for lesson in kinds if runs.get(lesson.scenario)
                if (line := time_split(runs[lesson.scenario][0]))]
    first = {kind: next((lesson.scenario for lesson in kinds if lesson.workload == kind), "?")
             for kind in ("io", "cpu")}
    _, claim, meaning = GUIDE[0][1][3]
    return Takeaway(claim, meaning, evidence, f"run {first['io']}, then {first['cpu']}")


def takeaways(runs: list[Trace]) -> list[tuple[str, list[Takeaway]]]:
    """The guide's Final Takeaways, in its order, each with the figures of ``runs`` (oldest first) that back it."""
    by_scenario: dict[str, list[Trace]] = {}
    for t in finished(runs):
        by_scenario.setdefault(t.meta.get("scenario", "?"), []).append(t)
    every = lessons.lessons()
    out = []
    for section, items in GUIDE:
        found = []
        for key, claim, meaning in items:
            if key == "workload classification":
                found.append(classified(by_scenario, every))
                continue
            if key == "processes model":
                computing = [by_scenario[lesson.scenario][0] for lesson in every
                             if lesson.workload == "cpu" and by_scenario.get(lesson.scenario)]
                meaning = PROCESSES_MEANING_NO_GIL if any(not t.gil_enabled for t in computing) else meaning
            found.append(backed(key, claim, meaning, by_scenario, every))
        out.append((section, found))
    return out


def lines(item: Takeaway, ink: Ink = DARK_INK) -> list[Text]:
    """The figures backing ``item``, or what to run to see it (they quote each run's label and parameters, and the
    names in it: escaped)."""
    out = [Text.assemble(("\u21b3 ", ink.accent), printable(line, None)) for line in item.evidence]
    if not item.evidence:
        out.append(Text(f"to see it: {printable(item.to_see, None)}", style=f"italic {ink.muted}"))
    elif item.more:
        out.append(Text(f"to see more: {printable(item.more, None)}", style=f"italic {ink.muted}"))
    return out


def render(items: list[Takeaway], ink: Ink = DARK_INK, stacked: bool = False) -> Table:
    """The guide's words on the left, the figures on the right (each wrapping under itself); ``stacked`` (a narrow
    screen): the figures under the words."""
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(ratio=1, min_width=24)
    if not stacked:
        table.add_column(ratio=2)
    for i, item in enumerate(items):
        if i:
            table.add_row(*[""] * len(table.columns))
        figures = Table.grid(expand=True, padding=(0, 0, 0, 2 if stacked else 0), pad_edge=stacked)
        figures.add_column(ratio=1)
        for line in lines(item, ink):
            figures.add_row(line)
        words = Text.assemble((item.claim, "bold"), "\n", (item.meaning, ink.muted))
        if stacked:
            table.add_row(words)
            table.add_row(figures)
        else:
            table.add_row(words, figures)
    return table


def session_line(runs: list[Trace], ink: Ink = DARK_INK) -> Text:
    done = finished(runs)
    if not runs:
        return Text("No run has ended in this session yet: every line below says which scenario shows it. "
                    "h goes home to run one.", style=ink.muted)
    others = len(runs) - len(done)
    return Text.assemble(
        ("Figures from this session's runs: ", ink.muted), (f"{len(done)}", "bold"),
        (f" finished{f', {others} cancelled or failed (not quoted)' if others else ''}; the newest run of each "
         "scenario is quoted, and each model's newest where models are compared.", ink.muted))


class TakeawaysScreen(Screen):
    """The guide's Final Takeaways with this session's figures."""

    BINDINGS = [
        Binding("escape", "back", "back"),
        Binding("h", "home", "home"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, runs: list[Trace] | None = None) -> None:
        super().__init__()
        self.runs = runs  # None: the app's runs
        self._stacked = False  # whether the figures are drawn under the words (a narrow screen)

    def _runs(self) -> list[Trace]:
        return self.runs if self.runs is not None else getattr(self.app, "runs", [])

    def compose(self) -> ComposeResult:
        runs = self._runs()
        with VerticalScroll(id="takeaways"):
            yield Static(Text("Final takeaways, measured in this session", style="bold"), id="takeaways-title")
            ink = ink_of(self.app.theme)
            yield Static(session_line(runs, ink), id="takeaways-session")
            for i, (title, items) in enumerate(takeaways(runs)):
                panel = Static(render(items, ink), id=f"takeaways-{i}", classes="panel")
                panel.border_title = title
                yield panel
        yield Footer(show_command_palette=False)  # ctrl+p: the help screen lists it

    def on_resize(self, event) -> None:
        """Narrower than 80 cells: each takeaway's figures under its words rather than beside them."""
        stacked = event.size.width < NARROW
        if stacked == self._stacked:
            return
        self._stacked = stacked
        ink = ink_of(self.app.theme)
        for i, (_, items) in enumerate(takeaways(self._runs())):
            self.query_one(f"#takeaways-{i}", Static).update(render(items, ink, stacked))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_home(self) -> None:
        self.app.go_home()

    def action_help(self) -> None:
        from tui.screens.help import show_help

        show_help(self.app, "takeaways", [("Esc", "back to the screen you came from"),
                                          ("h", "home"), ("?", "this help"), ("q", "quit")])

    async def action_quit(self) -> None:
        await self.app.action_quit()

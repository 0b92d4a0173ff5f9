"""The home screen: the guide's Section 1 as a table to read in ten seconds, then the scenarios to run.

The guide was written for a Python with a GIL. Where the scenarios run on a free-threaded build, the table says
under it that threads can run CPU-bound Python in parallel there, and that Section 4's "threads do not bypass the
GIL" is about builds with a GIL; each scenario's "what to watch" is worded for the GIL off where its lesson does so
(tui.lessons.watch_for). On a GIL build the screen is the guide's as written."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from scenarios import catalog
from tui import lessons
from tui.interpreter import build_name, free_threaded, python_info
from tui.text import printable
from tui.theme import DARK_INK, Ink, ink_of
from tui.widgets.keys import Keys

# The guide's Overview and Section 1: what each kind of work spends its time on, and the model that fits it.
WORKLOADS = (
    # (work, what it spends its time on, examples, the model that fits, the state whose colour names it)
    ("I/O-bound", "waiting on external systems", "network calls, disk reads, APIs, databases", "threads or async",
     "io"),
    ("high-latency I/O", "waiting long, on many things at once", "hundreds of slow requests", "event-driven async",
     "lock_hold"),
    ("CPU-bound", "consuming processor time", "heavy math, simulations, encoding, parsing large datasets",
     "processes", "cpu"),
    ("mixed", "some of both", "a service that computes between requests", "futures + executors", "lock_wait"),
)


def build_note(python: dict, short: bool = False, ink: Ink = DARK_INK) -> Text | None:
    """Under the table, for a free-threaded build: what Section 1 and Section 4 mean there (None: a GIL build);
    ``short``: for a narrow screen."""
    if not free_threaded(python):
        return None
    more = "" if short else " Each run says whether the GIL stayed off after its imports."
    return Text.assemble(
        (f"This Python ({build_name(python)}) is a free-threaded build: ", "bold"),
        "with the GIL off, threads run CPU-bound work in parallel too. Section 4's \"threads do not bypass the "
        f"GIL\" is about builds with a GIL.{more}",
        style=ink.muted,
    )


def workloads(python: dict, examples: bool = True, ink: Ink = DARK_INK, spends: bool = True):
    """The table, and under it what it means on this build (tui.interpreter) where that is not a GIL build;
    ``spends``: with what each kind of work spends its time on (not on a small screen, where it would wrap)."""
    note = build_note(python, short=not examples, ink=ink)
    table = workload_table(examples, ink, spends)
    if note is None:
        return table
    return Group(table, Text(), note) if examples else Group(table, note)


def workload_table(examples: bool = True, ink: Ink = DARK_INK, spends: bool = True) -> Table:
    """The table; without the examples column where the screen is narrow, and only the work and the model that
    fits it where it is narrower still."""
    table = Table(expand=True, box=None, padding=(0, 2), header_style=f"bold {ink.muted}", pad_edge=False)
    table.add_column("work", no_wrap=True)
    if spends:
        table.add_column("spends its time", ratio=2)
    if examples and spends:
        table.add_column("for example", ratio=3)
    table.add_column("model that fits", no_wrap=True)
    for work, spent, example, model, state in WORKLOADS:
        cells = [Text(work, style=f"bold {ink.state[state]}")]
        cells += [spent] if spends else []
        cells += [Text(example, style=ink.muted)] if examples and spends else []
        table.add_row(*cells, Text(model, style="bold"))
    return table


def intro(ink: Ink = DARK_INK) -> Text:
    return Text.assemble(
        ("Python programs spend most time waiting, not computing. ", "bold"),
        "Concurrency hides that latency; which model fits depends on how the work waits.\n",
        ("Threads help I/O. Processes help CPU. Async scales high-latency I/O. ", "italic"),
        ("Choosing the wrong model wastes performance.", ink.muted),
    )


def scenario_options(python: dict | None = None, ink: Ink = DARK_INK) -> list[Option]:
    """One option per scenario: its name and the guide's section, then what to watch (on a free-threaded build,
    worded for the GIL off where the scenario's lesson does so)."""
    options = []
    off = {**python, "gil": "disabled"} if python is not None and free_threaded(python) else None
    for scenario in catalog.scenarios().values():
        watch = (lessons.watch_for(scenario.name, off) if off is not None else None) or scenario.watch
        row = Table.grid(padding=(0, 1))
        row.add_column(width=18, no_wrap=True)
        row.add_column(ratio=1)
        row.add_row(Text(printable(scenario.name), style="bold"),  # a scenario module's words: shown, never obeyed
                    Text.assemble((printable(scenario.guide), ink.accent), "\n", (printable(watch, None), ink.muted)))
        options.append(Option(row, id=scenario.name))
    return options


class HomeScreen(Screen):
    """Section 1 of the guide, then one row per scenario: arrows choose, Enter runs it."""

    BINDINGS = [
        Binding("enter", "run", "run", key_display="\u23ce"),
        Binding("t", "takeaways", "takeaways"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, python: dict | None = None) -> None:
        """``python``: the interpreter the scenarios will run on (tui.interpreter.python_info; default this one)."""
        super().__init__()
        self.python = python if python is not None else python_info()
        self._painted: Ink | None = None  # the ink the scenarios' list was drawn in

    def compose(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static(Text("concviz  \u00b7  Python concurrency, measured live", style="bold"), id="title")
            self._painted = ink = ink_of(self.app.theme)
            yield Static(intro(ink), id="intro")
            yield Static(workloads(self.python, ink=ink), id="workloads", classes="panel")
            yield OptionList(*scenario_options(self.python, ink), id="scenarios", classes="panel")
        yield Keys(show_command_palette=False)  # ctrl+p: the help screen lists it

    def on_mount(self) -> None:
        self.query_one("#workloads").border_title = "Section 1: I/O-bound vs CPU-bound work"
        scenarios = self.query_one("#scenarios", OptionList)
        scenarios.border_title = "scenarios: \u2191\u2193 choose, Enter runs"
        scenarios.focus()
        self.app.theme_changed_signal.subscribe(self, lambda theme: self.paint())

    def on_resize(self, event) -> None:
        self.paint()
        self.query_one("#intro").display = event.size.height >= 30

    def paint(self) -> None:
        """Draw the text in the theme's colours, the table as wide as the screen allows."""
        ink = ink_of(self.app.theme)
        self.query_one("#intro", Static).update(intro(ink))
        width = self.size.width
        self.query_one("#workloads", Static).update(workloads(self.python, examples=width >= 100, ink=ink,
                                                              spends=width >= 80))
        scenarios = self.query_one("#scenarios", OptionList)
        if self._painted != ink:
            highlighted = scenarios.highlighted
            scenarios.clear_options()
            scenarios.add_options(scenario_options(self.python, ink))
            scenarios.highlighted = highlighted
        self._painted = ink

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.app.start_run(event.option.id)

    def action_run(self) -> None:
        scenarios = self.query_one("#scenarios", OptionList)
        if scenarios.highlighted is not None:
            self.app.start_run(scenarios.get_option_at_index(scenarios.highlighted).id)

    def action_help(self) -> None:
        from tui.screens.help import show_help

        show_help(self.app, "home", [("\u2191 \u2193", "choose a scenario"), ("Enter", "run it"),
                                     ("t", "the guide's takeaways, with this session's figures"),
                                     ("?", "this help"), ("q", "quit")])

    def action_takeaways(self) -> None:
        from tui.screens.takeaways import TakeawaysScreen

        self.app.push_screen(TakeawaysScreen())

    async def action_quit(self) -> None:
        self.app.exit()

"""The help screen (``?`` anywhere): what the screen shows, what each colour means, and its keys.

Opened over a run, it reads that run's interpreter (the screen under it): the comparison's text says that threads do
not speed up CPU-bound Python on a build with a GIL, not that they never do; over a run with the GIL off it says what
threads did there, and the colours say no thread waited for a GIL."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import lessons
from tui.interpreter import FORCED, GIL_OFF, GIL_ON, REENABLED, gil_state
from tui.theme import DARK_INK, Ink, ink_of
from tui.widgets.palette import STATE_LABELS, SWATCH, states_in_order
from tui.widgets.timeline import MARK

TOPICS = {
    "compare": (
        "The comparison screen",
        "The same work ran under each model, one after another, in one run. Each model is drawn from its own start "
        "on one time scale (the axis in its header counts from its start), so the lengths compare by eye: a model "
        "that took twice as long is twice as wide. Its header gives its name, wall time and speedup against the "
        "first; under its lanes, each core's load while it ran (the machine's samples, one every 100 ms, each "
        "drawn over the time it measured, so a model shorter than that shows the sample that covers it) and the "
        "run's counters (requests in flight, the responder's latency), on one scale for every model. "
        "When a model has more tasks than rows, tasks share rows and a row shows the state most of them are in. "
        "The table gives every model's figures, and the explanation below it (scroll it with the mouse or the "
        "arrow keys up and down) reads them: {threads}, why async scales. In a small terminal each model's lanes "
        "come first: its core and counter rows give way to them (the table still has their figures).",
    ),
    "home": (
        "The home screen",
        "The table sums up the guide's Section 1: I/O-bound work waits on something outside Python, CPU-bound work "
        "keeps a core busy, and each fits a different concurrency model. Below it, each scenario runs one part of "
        "the guide in its own child process; concviz measures it and shows the measurements as it runs.",
    ),
    "run": (
        "The run screen",
        "Each lane is one task (a thread, a process's work item or an asyncio task); time runs left to right, and "
        "the colour says what the task was doing, measured in this run. The label shows the task's state now. "
        "Cores shows each core's load and its last seconds, and how many cores of CPU the scenario's processes use. "
        "Locks shows how often each traced lock was taken, the time spent waiting for it and holding it, and who "
        "holds or waits for it now. 'What you are seeing' explains the lesson with this run's own figures. "
        "Some scenarios add a panel of their own: {panels}. A yellow bar above "
        "says when figures are distorted by the measuring itself or were aggregated to keep up. p edits the "
        "parameters and runs again; t shows the guide's takeaways with this session's figures. In a terminal smaller "
        "than 80 x 24 the lanes come first: cores take two lines, and the locks and the scenario's own panel are "
        "left out (the lesson quotes their figures).",
    ),
    "tour": (
        "The tour",
        "The guide, section by section in its order: each step runs the section's scenario (or replays its "
        "recording, with concviz tour --from DIR) under a bar with the guide's own words for it; the overview "
        "and the final takeaways are read, and the takeaways quote the tour's own runs. n goes to the next step, p "
        "to the step before, r runs a step again, P edits its parameters.",
    ),
    "takeaways": (
        "The takeaways",
        "The guide's Final Takeaways, each followed by the figures that back it, quoted from the runs that ended "
        "in this session (the newest run of each scenario; each model's newest where you ran several). Where no "
        "run backs a line yet, it says which scenario to run. Runs that crashed or were cancelled are not quoted.",
    ),
}


# What the comparison's explanation says of threads on CPU-bound Python, by the GIL of the run (tui.interpreter).
# The guide's Section 4 ("threads do not bypass the GIL") is for a build with a GIL: said as such.
THREADS_ON_CPU = {
    None: "why threads do not speed up CPU-bound Python on a build with a GIL",
    GIL_ON: "why threads do not speed up CPU-bound Python on a build with a GIL (this run's Python has one)",
    GIL_OFF: ("what threads do for CPU-bound Python with the GIL off, as on this run's free-threaded build (with a "
              "GIL they take turns on one core)"),
    REENABLED: ("why threads do not speed up CPU-bound Python with the GIL on (this run's build is free-threaded, but "
                "an import turned the GIL back on)"),
    FORCED: ("why threads do not speed up CPU-bound Python with the GIL on (this run's build is free-threaded, but "
             "the GIL was forced on)"),
}


def topic(name: str, python: dict | None = None) -> tuple[str, str]:
    """The title and text of a topic; ``python``: the interpreter of the run the screen shows (None: no run)."""
    title, text = TOPICS.get(name, TOPICS["run"])
    text = text.replace("{panels}", panels())
    return title, text.replace("{threads}", THREADS_ON_CPU[gil_state(python) if python is not None else None])


def panels() -> str:
    """``requests in flight (NAME), ...``: every lesson's own panel, as it names it."""
    return ", ".join(f"{lesson.panel.help} ({lesson.scenario})" for lesson in lessons.lessons() if lesson.panel)


def colour_table(gil: bool = True, ink: Ink = DARK_INK) -> Table:
    """Every state's colour and meaning; ``gil``: whether the run's GIL was on (without it, no thread waits for it,
    and the table says so)."""
    table = Table(box=None, padding=(0, 2), show_header=False)
    table.add_column(no_wrap=True)
    table.add_column()
    for state, colour, meaning in states_in_order(ink):
        if state == "gil_wait" and not gil:
            meaning += " (none in this run: its Python ran with the GIL off)"
        elif state == "io" and not gil:
            meaning = meaning.replace(" (GIL released)", "")  # no GIL to release
        table.add_row(Text.assemble((SWATCH * 2, colour), " ", (STATE_LABELS[state], "bold")), meaning)
    table.add_row(Text.assemble((MARK, "bold"), "  lock taken"), "a traced lock was acquired in this cell")
    return table


PALETTE_KEY = ("ctrl+p", "the command palette: the dark or light theme (for projectors), a screenshot, ...")


def keys_table(keys: list[tuple[str, str]]) -> Table:
    table = Table(box=None, padding=(0, 2), show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, what in keys:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen):
    """Explains the screen it was opened from (open it with ``show_help``)."""

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "close"),
    ]

    def __init__(self, topic: str, keys: list[tuple[str, str]], python: dict | None = None, gil: bool = True) -> None:
        """``python``: the interpreter of the run under the help, if that screen shows one run; ``gil``: whether
        any run under it had the GIL on (no run: as on a GIL build)."""
        super().__init__()
        self.topic = topic
        self.keys = keys
        self.python = python
        self.gil = gil

    def compose(self) -> ComposeResult:
        title, text = topic(self.topic, self.python)
        with VerticalScroll(id="help"):
            yield Static(Text(title, style="bold"))
            yield Static(text, classes="help-text")
            yield Static(Text("Colours", style="bold"))
            yield Static(colour_table(self.gil, ink_of(self.app.theme)))
            yield Static(Text("Keys", style="bold"))
            yield Static(keys_table([*self.keys, PALETTE_KEY]))
            yield Static(Text("Escape, ? or q closes this help", style=ink_of(self.app.theme).muted))

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "help"

    def on_screen_resume(self) -> None:
        self.query_one("#help").scroll_home(animate=False)  # kept from the last time: open at its top

    def action_close(self) -> None:
        self.dismiss()


KEPT = 6  # help screens kept made, the oldest let go past that


def under(screen) -> tuple[dict | None, bool]:
    """(the interpreter of the run ``screen`` shows, if it shows one run; whether any run on it had the GIL on)."""
    trace = getattr(screen, "trace", None)
    runs = getattr(screen, "runs", None)
    python = trace.python if not runs and hasattr(trace, "python") else None
    gil = any(bool(getattr(run, "gil_enabled", True)) for run in (runs or [trace]))
    return python, gil


def show_help(app, topic: str, keys: list[tuple[str, str]]) -> None:
    """Open the help for ``topic`` over the current screen. Each help is made once (per topic, keys, the run's
    interpreter and GIL, and theme) and kept installed: opening it again repaints it, where making it composes,
    styles and lays out its text and tables three times over (~0.1 s of a busy run's screen here)."""
    python, gil = under(app.screen)
    key = (topic, tuple(keys), gil_state(python) if python is not None else None, gil, app.theme)
    kept: dict[tuple, HelpScreen] = app.__dict__.setdefault("_concviz_help", {})
    screen = kept.pop(key, None)
    if screen is None:
        screen = HelpScreen(topic, keys, python, gil)
        app.install_screen(screen, f"help {id(screen)}")
        while len(kept) >= KEPT:
            old = kept.pop(next(iter(kept)))
            if old not in app.screen_stack:
                app.uninstall_screen(old)
                old.remove()
    kept[key] = screen  # the newest last
    app.push_screen(screen)

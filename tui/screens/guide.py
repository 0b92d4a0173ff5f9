"""A tour step that is read, not run: the guide's overview and Section 1 (with its table of workloads), or its final
takeaways (with the figures of the tour's own runs)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui.theme import ink_of
from tui.tour import Step
from tui.widgets.keys import Keys


class GuideScreen(Screen):
    """The section's words in the guide's own, and what goes with them."""

    BINDINGS = [
        Binding("n", "tour_next", "next step"),
        Binding("p", "tour_previous", "step before"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
    ]
    DEFAULT_CSS = """
    GuideScreen #guide {
        padding: 1 2 0 2;
    }
    GuideScreen #guide > Static {
        margin-bottom: 1;
    }
    """

    in_tour = True  # the next step replaces this screen (tui/app.py: show_step)

    def __init__(self, step: Step, runs: list | None = None) -> None:
        super().__init__()
        self.step = step
        self.runs = runs or []  # the tour's runs (the takeaways quote them)

    def compose(self) -> ComposeResult:
        ink = ink_of(self.app.theme)
        step = self.step
        with VerticalScroll(id="guide"):
            yield Static(Text.assemble((f"Tour {step.number}/{step.of}  ", f"bold {ink.accent}"),
                                       (step.section.heading, "bold")), id="guide-title")
            yield Static(Text("\n".join(step.section.prose), style=ink.label), id="guide-prose")
            if step.takeaways:
                from tui.screens.takeaways import render, session_line, takeaways

                yield Static(session_line(self.runs, ink), id="guide-session")
                for i, (title, items) in enumerate(takeaways(self.runs)):
                    panel = Static(render(items, ink), id=f"guide-takeaways-{i}", classes="panel")
                    panel.border_title = title
                    yield panel
            else:
                from tui.interpreter import python_info
                from tui.screens.home import workloads

                table = Static(workloads(python_info(), ink=ink), id="guide-workloads", classes="panel")
                table.border_title = "Section 1: I/O-bound vs CPU-bound work"
                yield table
            hint = "n starts the tour's first run" if step.number == 1 else "the tour ends here: p goes back"
            yield Static(Text(hint, style=ink.faint), id="guide-hint")
        yield Keys(show_command_palette=False)

    def action_tour_next(self) -> None:
        self.app.tour_move(1)

    def action_tour_previous(self) -> None:
        self.app.tour_move(-1)

    def action_help(self) -> None:
        from tui.screens.help import show_help

        show_help(self.app, "tour", [("n", "the next step of the tour"), ("p", "the step before"),
                                     ("?", "this help"), ("q", "quit")])

    async def action_quit(self) -> None:
        await self.app.action_quit()

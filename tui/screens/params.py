"""The parameter form (``p`` on a run screen): the scenario's parameters and seed, each within its allowed range.

Every field is checked as it is typed with the parameter's own ``Param.parse`` (scenarios.catalog), so the form
refuses exactly what the command line refuses, with the same reason, shown under the field. Enter (or the run
button) answers a ParamsChoice when every field is valid; Escape answers None.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from scenarios.catalog import Param, ParamError, Scenario
from tui.text import printable
from tui.theme import ink_of

SEED = Param("seed", 1, "the same seed gives the same random delays and sizes", min=0, max=2**31 - 1)


@dataclass(frozen=True)
class ParamsChoice:
    """What the form answers: every parameter's value (parsed) and the seed."""

    params: dict
    seed: int


class ParamField(Vertical):
    """One parameter: its name, an input (a list for choices), what it means and allows, and why a value is refused."""

    DEFAULT_CSS = """
    ParamField {
        height: auto;
        margin-bottom: 1;
    }
    ParamField > Horizontal {
        height: auto;
    }
    ParamField .name {
        width: 16;
        padding-right: 1;
    }
    ParamField Input, ParamField Select {
        width: 24;
    }
    ParamField Input {
        background: $boost;
    }
    ParamField Input:focus {
        background: $accent 30%;
    }
    ParamField .about {
        width: 1fr;
        padding-left: 2;
        color: $text-muted;
    }
    ParamField .about-below {
        display: none;
        padding-left: 16;
        color: $text-muted;
    }
    ParamField .refused {
        display: none;
        padding-left: 16;
        color: $error;
    }
    ParamField.-invalid .refused {
        display: block;
    }
    ParamField.-invalid .name {
        color: $error;
    }
    """

    def __init__(self, param: Param, value) -> None:
        super().__init__(id=f"field-{param.name}")
        self.param = param
        self.initial = value

    def compose(self) -> ComposeResult:
        param = self.param
        with Horizontal():
            yield Static(Text(param.name, style="bold"), classes="name")
            if param.choices:
                yield Select([(c, c) for c in param.choices], value=self.initial, allow_blank=False, compact=True,
                             id=f"param-{param.name}")
            else:
                yield Input(param.bound(self.initial) if not isinstance(self.initial, str) else self.initial,
                            compact=True, select_on_focus=True, id=f"param-{param.name}")
            yield Static(self.about(), classes="about")
        yield Static(self.about(), classes="about-below")  # on a narrow screen, under the input
        yield Static("", classes="refused")

    def about(self) -> Text:
        param = self.param
        default = param.default if isinstance(param.default, str) else param.bound(param.default)
        return Text.assemble(param.help, (f"\n{param.allowed()}; default {default}", ink_of(self.app.theme).muted))

    @property
    def text(self) -> str:
        field = self.query_one(f"#param-{self.param.name}")
        return str(field.value)

    def check(self) -> bool:
        """Parse the field's text; show why it is refused, or hide the reason. True when valid."""
        try:
            self.param.parse(self.text)
        except ParamError as exc:
            self.query_one(".refused", Static).update(Text(f"\u2717 {printable(exc, None)}"))  # what was typed: text
            self.add_class("-invalid")
            return False
        self.remove_class("-invalid")
        return True

    def value(self):
        return self.param.parse(self.text)


class ParamsScreen(ModalScreen[ParamsChoice | None]):
    """Edit a scenario's parameters and seed; run again with them or cancel."""

    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+r", "run", "run", show=False),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def __init__(self, scenario: Scenario, values: dict, seed: int, *, new_run: bool = False) -> None:
        super().__init__()
        self.scenario = scenario
        self.values = values
        self.seed = seed
        self.new_run = new_run  # opened from a replay: running starts a new live run

    def compose(self) -> ComposeResult:
        scenario = self.scenario
        with Vertical(id="params"):
            yield Static(Text.assemble((printable(scenario.title), "bold"), "  ",
                                       (printable(scenario.guide), ink_of(self.app.theme).accent)),
                         id="params-title")
            with VerticalScroll(id="params-fields"):
                for param in scenario.params:
                    yield ParamField(param, self.values.get(param.name, param.default))
                yield ParamField(SEED, self.seed)
            with Vertical(id="params-foot"):  # in view at the bottom, however many fields scroll above it
                yield Static(self.hint(), id="params-hint")
                with Horizontal(id="params-buttons"):
                    yield Button("run with these", variant="primary", compact=True, id="run")
                    yield Button("cancel", compact=True, id="cancel")

    def hint(self) -> Text:
        then = "starts a new live run with them" if self.new_run else "runs the scenario again with them"
        return Text.assemble(("Enter", "bold"), f" {then} \u00b7 ", ("Esc", "bold"), " cancels \u00b7 ",
                             ("Tab", "bold"), " next field", style=ink_of(self.app.theme).muted)

    def on_mount(self) -> None:
        self.query_one("#params").border_title = Text(f"{printable(self.scenario.name)}: parameters")
        self.query(ParamField).first().query_one("Input, Select").focus()

    @property
    def fields(self) -> list[ParamField]:
        return list(self.query(ParamField))

    @on(Input.Changed)
    @on(Select.Changed)
    def _check_one(self, event) -> None:
        for field in event.control.ancestors:
            if isinstance(field, ParamField):
                field.check()
                break

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_run(self) -> None:
        """Answer the values when every field is valid; else stay, with each reason shown and the first bad field
        focused."""
        fields = self.fields
        refused = [field for field in fields if not field.check()]
        if refused:
            refused[0].query_one("Input, Select").focus()
            self.query_one("#params-hint", Static).update(
                Text(f"{len(refused)} value{'s' if len(refused) > 1 else ''} refused: fix what is marked in red, "
                     "or Esc to cancel", style=ink_of(self.app.theme).bad))
            return
        values = {field.param.name: field.value() for field in fields}
        seed = values.pop(SEED.name)
        self.dismiss(ParamsChoice(values, seed))

    def action_cancel(self) -> None:
        self.dismiss(None)

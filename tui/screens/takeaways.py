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

from scenarios import catalog
from tui import lessons
from tui.interpreter import build_phrase
from tui.lessons import fmt_s
from tui.model import Trace

MUTED = "#8b949e"
ACCENT = "#a371f7"
IO_BOUND = ("threads-download", "async-dashboard", "async-fetch")
CPU_BOUND = ("cpu-processes", "cpu-speedup")
SEP = " \u00b7 "
FIRST = ("model", "collect")  # the parameters a label names first: the ones that pick the model


@dataclass
class Takeaway:
    claim: str  # the guide's words
    meaning: str  # what it means, in one line
    evidence: list[str] = field(default_factory=list)  # figures from this session's runs, each naming its run
    to_see: str = ""  # what to run to see it (shown when nothing backs it yet)
    more: str = ""  # what to run to see more (shown when something backs it)


# ------------------------------------------------------------------------------------------- the runs


def finished(runs: list[Trace]) -> list[Trace]:
    """The runs that ended normally, newest first (a crashed or cancelled run backs nothing)."""
    return [t for t in reversed(runs) if not t.error and (t.exit or {}).get("status") == 0]


def of(runs: list[Trace], scenario: str) -> list[Trace]:
    return [t for t in runs if t.meta.get("scenario") == scenario]


def latest_per(runs: list[Trace], scenario: str, param: str) -> list[Trace]:
    """The newest run of ``scenario`` for each value of ``param`` (e.g. each model), newest first."""
    seen, out = set(), []
    for t in of(runs, scenario):
        value = t.meta.get("params", {}).get(param)
        if value not in seen:
            seen.add(value)
            out.append(t)
    return out


def label(trace: Trace) -> str:
    """``mixed-loop model=processes``: the scenario, its model and the parameters that differ from its defaults."""
    name = trace.meta.get("scenario", "?")
    params = trace.meta.get("params", {})
    try:
        defaults = catalog.get(name).defaults()
    except catalog.ParamError:
        defaults = {}
    shown = [k for k in FIRST if k in params]  # the model, even the default one: runs are compared by it
    shown += [k for k in params if k not in FIRST and k in defaults and defaults[k] != params[k]]
    return " ".join([name, *(f"{k}={params[k]}" for k in shown[:2])])


# ------------------------------------------------------------------------------ one figure per scenario


def waits_overlapped(t: Trace) -> str | None:
    m = lessons.metrics(t)
    if t.meta.get("scenario") == "threads-download":
        return (f"{label(t)}: {len(t.lanes)} threads waited {fmt_s(m['io_sum_s'])} in all, yet the run took "
                f"{fmt_s(t.duration)}: about {m['overlap']:.1f} waits at once")
    if m.get("tasks"):
        return (f"{label(t)}: total {fmt_s(m['wall_s'])} ~ slowest task {fmt_s(m['slowest_task_s'])}, while the "
                f"{m['tasks']} waits summed to {fmt_s(m['sum_delays_s'])}, on one thread")
    return None


def lateness(t: Trace) -> str:
    m = lessons.metrics(t)
    lag = m["loop_lag_ms"]
    return (f"{label(t)}: heartbeat late by {fmt_s(lag['p99'] / 1000)} at p99 (worst {fmt_s(lag['max'] / 1000)}), "
            f"{m['missed_beats']} of ~{m['expected_beats']} beats missed")


def fetch_cost(t: Trace) -> list[str]:
    m = lessons.metrics(t)
    models = m.get("variants") or {m.get("model", "?"): m}
    name = label(t)
    return [f"{name if len(models) == 1 else name + SEP + model}: {m.get('urls')} URLs in {fmt_s(f['wall_s'])}, "
            f"{f['peak_threads']} OS threads at most, {f['in_flight_max']} in flight at once, "
            f"{f['peak_rss_mb']:.0f} MB" for model, f in models.items()]


def built(t: Trace) -> str:
    """``, on 3.14t with the GIL off``: a CPU-bound figure's build, where it is not the guide's (a GIL build)."""
    phrase = build_phrase(getattr(t, "python", {}))
    return f", on {phrase}" if phrase else ""


def cores_busy(t: Trace) -> str | None:
    m = lessons.metrics(t)
    cores = t.meta.get("machine", {}).get("cores") or "?"
    if t.meta.get("scenario") == "cpu-processes":
        return (f"{label(t)}: {m['items']} items on {m['workers']} worker processes kept {m['cores_used']:.1f} of "
                f"{cores} cores busy{built(t)}")
    variants = m.get("variants", {})
    parts = [f"{name} {f['speedup']:.1f}x" for name, f in variants.items() if name != "serial" and f.get("speedup")]
    if not parts or "serial" not in variants:
        return None
    return (f"{label(t)}: against serial ({fmt_s(variants['serial']['wall_s'])}), " + ", ".join(parts) +
            f" on {cores} cores{built(t)}")


PROCESSES_MEANING = "an interpreter (and a GIL) per process, a core each"
# where a quoted run had the GIL off: Section 4's "threads do not bypass the GIL" is the guide's for a GIL build
PROCESSES_MEANING_NO_GIL = ("an interpreter per process, a core each; on a build with a GIL only processes run "
                            "Python in parallel, with the GIL off threads can too")


def futures_handled(t: Trace) -> str:
    m = lessons.metrics(t)
    order = "as they completed" if m["collect"] == "as_completed" else "in submission order"
    return (f"{label(t)}: {m['futures']} futures on {m['pool_threads']} pool threads, results handled {order}; "
            f"done results waited {fmt_s(m['handle_delay_s'])} in all for the main thread")


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


def convoy_rise(t: Trace) -> str | None:
    m = lessons.metrics(t)
    alone, loaded = m.get("baseline_latency_ms"), m.get("latency_ms")
    if not alone or not loaded:
        return None
    return (f"{label(t)}: the I/O thread's median answer went from {alone['p50']:.1f} ms alone to "
            f"{loaded['p50']:.1f} ms beside CPU-bound threads")


# ------------------------------------------------------------------------------------------ the content


def _some(*lines) -> list[str]:
    return [line for line in lines if line]


def takeaways(runs: list[Trace]) -> list[tuple[str, list[Takeaway]]]:
    """The guide's Final Takeaways, in its order, each with the figures of ``runs`` (oldest first) that back it."""
    done = finished(runs)
    first: dict[str, Trace] = {}  # each scenario's newest finished run
    for t in done:
        first.setdefault(t.meta.get("scenario", "?"), t)
    loops = latest_per(done, "mixed-loop", "model")
    fetches = latest_per(done, "async-fetch", "model")

    about = [
        Takeaway("latency hiding", "overlap the waits: the total tracks the slowest wait, not their sum",
                 _some(*(waits_overlapped(first[n]) for n in ("threads-download", "async-dashboard") if first.get(n))),
                 "run threads-download or async-dashboard"),
        Takeaway("responsiveness", "a service that keeps answering while work runs",
                 [lateness(t) for t in loops], "run mixed-loop, then p to set model=processes",
                 "" if len(loops) > 1 else "run mixed-loop again with another model (p) to compare"),
        Takeaway("architecture choices", "the model decides what waiting costs: threads, memory, switches",
                 [line for t in fetches for line in fetch_cost(t)], "run async-fetch, then p to set model=threads",
                 "" if len(fetches) > 1 or any(t.variants for t in fetches) else
                 "run async-fetch again with another model (p) to compare"),
        Takeaway("workload classification", "first ask: does this work wait, or compute?",
                 _some(*(time_split(first[n]) for n in (*IO_BOUND, *CPU_BOUND) if first.get(n))),
                 "run threads-download, then cpu-processes"),
    ]
    models = [
        Takeaway("Threads \u2192 simple I/O overlap", "blocking code, each wait on its own thread",
                 _some(waits_overlapped(first["threads-download"]) if first.get("threads-download") else None),
                 "run threads-download"),
        Takeaway("Async \u2192 scalable network systems", "one thread, one loop, any number of waits in flight",
                 _some(*(fetch_cost(first["async-fetch"]) if first.get("async-fetch") else ()),
                       waits_overlapped(first["async-dashboard"]) if first.get("async-dashboard") else None),
                 "run async-fetch or async-dashboard"),
        Takeaway("Processes \u2192 CPU parallelism",
                 PROCESSES_MEANING_NO_GIL if any(not getattr(first[n], "gil_enabled", True) for n in CPU_BOUND
                                                 if first.get(n))
                 else PROCESSES_MEANING,
                 _some(*(cores_busy(first[n]) for n in CPU_BOUND if first.get(n))),
                 "run cpu-processes or cpu-speedup"),
        Takeaway("Futures \u2192 structured task management", "submit now, handle each result when it suits you",
                 _some(futures_handled(first["futures"]) if first.get("futures") else None,
                       *(lateness(t) for t in loops if t.meta.get("params", {}).get("model") != "loop")),
                 "run futures, then p to set collect=as_completed"),
    ]
    choice = [
        Takeaway("Correct model selection matters more than syntax", "the same work, another model, other figures",
                 _some(cores_busy(first["cpu-speedup"]) if first.get("cpu-speedup") else None,
                       *([line for t in fetches for line in fetch_cost(t)] if len(fetches) > 1 else ()),
                       *([lateness(t) for t in loops] if len(loops) > 1 else ()),
                       convoy_rise(first["convoy"]) if first.get("convoy") else None),
                 "run cpu-speedup, or one scenario with two models (p changes the model)"),
    ]
    return [("Concurrency is about", about), ("Which model for which work", models), ("The guide's last line", choice)]


def lines(item: Takeaway) -> list[Text]:
    """The figures backing ``item``, or what to run to see it."""
    out = [Text.assemble(("\u21b3 ", ACCENT), line) for line in item.evidence]
    if not item.evidence:
        out.append(Text(f"to see it: {item.to_see}", style=f"italic {MUTED}"))
    elif item.more:
        out.append(Text(f"to see more: {item.more}", style=f"italic {MUTED}"))
    return out


def render(items: list[Takeaway]) -> Table:
    """The guide's words on the left, the figures on the right (each wrapping under itself)."""
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(ratio=1, min_width=24)
    table.add_column(ratio=2)
    for i, item in enumerate(items):
        if i:
            table.add_row("", "")
        figures = Table.grid(expand=True)
        figures.add_column(ratio=1)
        for line in lines(item):
            figures.add_row(line)
        table.add_row(Text.assemble((item.claim, "bold"), "\n", (item.meaning, MUTED)), figures)
    return table


def session_line(runs: list[Trace]) -> Text:
    done = finished(runs)
    if not runs:
        return Text("No run has ended in this session yet: every line below says which scenario shows it. "
                    "h goes home to run one.", style=MUTED)
    others = len(runs) - len(done)
    return Text.assemble(
        ("Figures from this session's runs: ", MUTED), (f"{len(done)}", "bold"),
        (f" finished{f', {others} cancelled or failed (not quoted)' if others else ''}; the newest run of each "
         "scenario is quoted, and each model's newest where models are compared.", MUTED))


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

    def compose(self) -> ComposeResult:
        runs = self.runs if self.runs is not None else getattr(self.app, "runs", [])
        with VerticalScroll(id="takeaways"):
            yield Static(Text("Final takeaways, measured in this session", style="bold"), id="takeaways-title")
            yield Static(session_line(runs), id="takeaways-session")
            for i, (title, items) in enumerate(takeaways(runs)):
                panel = Static(render(items), id=f"takeaways-{i}", classes="panel")
                panel.border_title = title
                yield panel
        yield Footer()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_home(self) -> None:
        self.app.go_home()

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen("takeaways", [("Esc", "back to the screen you came from"),
                                                      ("h", "home"), ("?", "this help"), ("q", "quit")]))

    async def action_quit(self) -> None:
        await self.app.action_quit()

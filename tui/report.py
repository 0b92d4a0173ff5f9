"""The headless summary as Rich tables (``concviz run NAME --headless``). No Textual here.

Every string in the summary came from a child or a trace (names, output, a reported version, an error message):
``render`` escapes them all first (tui.text.printable) and puts them in ``Text``, so that neither an escape
sequence reaches the terminal nor a ``[`` is read as Rich markup."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tui.interpreter import describe
from tui.lessons import fmt_s
from tui.model import BASE_STATES
from tui.text import printable

# figure -> (heading, how it reads): the interpreters comparison's table, in this order
COMPARED = {
    "wall_s": ("wall time", fmt_s),
    "speedup": ("speedup", lambda v: f"{v:.2f}x"),
    "cores_used": ("cores used", lambda v: f"{v:.2f}"),
    "gil_wait_share": ("GIL wait", lambda v: f"{v:.0%}"),
    "startup_s": ("pool start-up", lambda v: fmt_s(v) if v else "\u2013"),
    "p50": ("latency p50", lambda v: f"{v:.1f} ms"),
    "p99": ("latency p99", lambda v: f"{v:.1f} ms"),
    "peak_threads": ("peak threads", str),
    "peak_rss_mb": ("peak memory", lambda v: f"{v:.0f} MB"),
    "ctx_switches": ("ctx switches", lambda v: f"{v:,}"),
}


def render(summary: dict) -> Group:
    """Tasks, locks, cores and the run's explanation, from ``tui.summary.summarize(trace)``; an interpreters
    comparison (``Runs.summary()``): each run so, then the models side by side and what differs."""
    summary = escaped(summary)
    if "runs" in summary:
        return render_runs(summary)
    title = f"{summary['scenario']}  {fmt_s(summary['wall_s'])}  {describe(summary.get('python', {}))}"
    if summary.get("label"):
        title += f"  ({summary['label']}: {summary.get('python', {}).get('executable', '?')})"
    tasks = Table(title=Text(title), title_justify="left", expand=False)  # Text: what the run named is data
    tasks.add_column("task")
    tasks.add_column("kind")
    tasks.add_column("start", justify="right")
    tasks.add_column("end", justify="right")
    states = [s for s in BASE_STATES if any(s in t["states"] for t in summary["tasks"])]
    for state in states:
        tasks.add_column(state, justify="right")
    rows = summary["tasks"]
    for t in rows[:40]:
        end = f"{t['end_s']:.3f}" if t["end_s"] is not None else "-"
        cells = [fmt_s(t["states"][s]) if s in t["states"] else "" for s in states]
        tasks.add_row(Text(printable(t["name"])), Text(str(t["kind"])), f"{t['start_s']:.3f}", end, *cells)
    if len(rows) > 40:
        tasks.add_row(f"... {len(rows) - 40} more", "", "", "", *[""] * len(states))
    parts: list = [tasks]
    if summary["locks"]:
        locks = Table(title="locks", title_justify="left")
        for col in ("lock", "acquisitions", "wait", "hold", "max waiters"):
            locks.add_column(col, justify="left" if col == "lock" else "right")
        for lk in summary["locks"]:
            locks.add_row(Text(printable(lk["name"])), str(lk["acquisitions"]), fmt_s(lk["wait_s"]),
                          fmt_s(lk["hold_s"]), str(lk["max_waiters"]))
        parts.append(locks)
    cores = summary["cores"]["busy_pct_mean"]
    if cores:
        parts.append(Text("cores busy (mean): " + "  ".join(f"cpu{i} {v:.0f}%" for i, v in enumerate(cores))))
    for line in summary.get("explanation", []):
        parts.append(Text("- " + line))
    error = summary.get("error")
    if error:
        parts.append(Text(f"the scenario raised {error.get('type')}: {error.get('message')} at {error.get('where')}",
                          style="bold red"))
    exit_info = summary.get("exit") or {}
    if exit_info.get("reason") not in (None, "finished"):
        parts.append(Text(f"run ended: {exit_info['reason']}", style="yellow"))
    return Group(*parts)


def escaped(value: object) -> object:
    """``value`` with every string in it, keys too, through ``printable`` (uncut: names are cut where shown)."""
    if isinstance(value, str):
        return printable(value, None)
    if isinstance(value, dict):
        return {escaped(k): escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [escaped(v) for v in value]
    return value


def render_runs(summary: dict) -> Group:
    """An interpreters comparison's summary, already ``escaped`` (``render`` calls this)."""
    parts: list = [render(run) for run in summary["runs"]]
    models = summary.get("models") or {}
    rows = [(model, label, figures) for model, by_label in models.items() for label, figures in by_label.items()]
    keys = [k for k in COMPARED if any(f.get(k) is not None for _, _, f in rows)]
    if rows:
        table = Table(title=Text(f"{summary['scenario']} under {len(summary['runs'])} interpreters"),
                      title_justify="left")
        table.add_column("model")
        table.add_column("python")
        for key in keys:
            table.add_column(COMPARED[key][0], justify="right")
        for model, label, figures in rows:
            cells = [COMPARED[k][1](figures[k]) if figures.get(k) is not None else "\u2013" for k in keys]
            table.add_row(Text(printable(model)), Text(printable(label)), *cells)
        parts.append(table)
    for line in summary.get("explanation", []):
        parts.append(Text("- " + line))
    exit_info = summary.get("exit") or {}
    if exit_info.get("reason") not in (None, "finished"):
        parts.append(Text(f"runs ended: {exit_info['reason']}", style="yellow"))
    return Group(*parts)

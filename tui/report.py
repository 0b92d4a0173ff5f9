"""The headless summary as Rich tables (``concviz run NAME --headless``). No Textual here."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tui.interpreter import describe
from tui.lessons import fmt_s
from tui.model import BASE_STATES



def render(summary: dict) -> Group:
    """Tasks, locks, cores and the run's explanation, from ``Trace.summary()``."""
    title = f"{summary['scenario']}  {fmt_s(summary['wall_s'])}  {describe(summary.get('python', {}))}"
    tasks = Table(title=title, title_justify="left", expand=False)
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
        tasks.add_row(t["name"], t["kind"], f"{t['start_s']:.3f}", end, *cells)
    if len(rows) > 40:
        tasks.add_row(f"... {len(rows) - 40} more", "", "", "", *[""] * len(states))
    parts: list = [tasks]
    if summary["locks"]:
        locks = Table(title="locks", title_justify="left")
        for col in ("lock", "acquisitions", "wait", "hold", "max waiters"):
            locks.add_column(col, justify="left" if col == "lock" else "right")
        for lk in summary["locks"]:
            locks.add_row(lk["name"], str(lk["acquisitions"]), fmt_s(lk["wait_s"]), fmt_s(lk["hold_s"]),
                          str(lk["max_waiters"]))
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

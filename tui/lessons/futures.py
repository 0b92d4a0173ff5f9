"""Section 3: each future runs on its own; when its result is handled depends on how the results are collected."""

from __future__ import annotations

from rich.text import Text

from tui.lessons.lesson import Backing, Lesson, Panel, fmt_s, newest
from tui.text import printable
from tui.theme import STATE_LABELS, Ink

MAX_ROWS = 10  # futures listed in the panel


def _futures(trace, now: float) -> list:
    return [lane for lane in trace.ordered_lanes(now) if lane.name.startswith("send(")]


def handling(trace, now: float) -> list[tuple]:
    """``(lane, done_s, handled_s)`` for each result handled by ``now``, in the order it was handled."""
    out = []
    for ident, t_ns in (trace.info.get("handled") or {}).items():  # the child's clock is the trace's clock
        t = trace.seconds(t_ns)
        lane = trace.lanes.get((trace.root_pid, int(ident)))
        if t <= now and lane is not None and lane.end is not None:
            out.append((lane, lane.end, t))
    return sorted(out, key=lambda h: h[2])


def metrics(trace, now: float) -> dict:
    futures = _futures(trace, now)
    done = [lane for lane in futures if lane.end is not None and lane.end <= now]
    handled = handling(trace, now)
    delays = [max(h - d, 0.0) for _, d, h in handled]
    queued = [trace.lane_states(lane, now).get("queued", 0.0) for lane in futures]
    return {
        "collect": trace.meta.get("params", {}).get("collect"),
        "futures": len(futures),
        "done": len(done),
        "handled": len(handled),
        "pool_threads": len({lane.tid for lane in futures if lane.tid}),
        "queued_max_s": round(max(queued, default=0.0), 6),
        "handle_delay_s": round(sum(delays), 6),  # done results waiting for the main thread, added up
        "handle_delay_max_s": round(max(delays, default=0.0), 6),
        "handled_order": [lane.name for lane, _, _ in handled],
        "done_order": [lane.name for lane in sorted(done, key=lambda lane: lane.end)],
    }


def explain(trace, now: float) -> list[str]:
    m = metrics(trace, now)
    if not m["futures"]:
        return ["No future has been submitted yet."]
    progress = "all done and handled" if m["handled"] == m["futures"] else \
        f"{m['done']} done and {m['handled']} handled so far"
    lines = [
        f"{m['futures']} futures submitted at once, {progress}, on {m['pool_threads']} pool threads (longest "
        f"wait in the queue for a free thread {fmt_s(m['queued_max_s'])})."
    ]
    handled = handling(trace, now)
    if not handled:
        return lines + ["The main thread is blocked on the first result it asked for."]
    late = max(handled, key=lambda h: h[2] - h[1])
    if m["collect"] == "as_completed":
        lines.append(
            f"as_completed handed over each result as soon as it was done: at most {fmt_s(m['handle_delay_max_s'])} "
            f"later. Handled in order of completion: {', '.join(m['handled_order'])}."
        )
    elif late[2] - late[1] > 0 and m["handled_order"] != m["done_order"][: m["handled"]]:
        lines.append(
            f"Handled in submission order: {late[0].name} was done at {fmt_s(late[1])} but waited "
            f"{fmt_s(late[2] - late[1])} for the main thread, blocked on an earlier future's result."
        )
    else:
        lines.append(f"Handled in submission order, which here was also the order they finished: each result "
                     f"waited at most {fmt_s(m['handle_delay_max_s'])}.")
    lines.append(f"Done results waited {fmt_s(m['handle_delay_s'])} in all before being handled: the futures "
                 "ran independently; only the handling order differs.")
    return lines


# ------------------------------------------------------------------------------------------ the panel


def describe_handled(trace, now: float, window, width: int, ink: Ink, rows: int = MAX_ROWS) -> Text:
    """Each future's result: when it was done and when the main thread handled it."""
    futures = _futures(trace, now)
    if not futures:
        return Text("no future submitted yet", style=ink.faint)
    handled = {lane.key: (i, done, at) for i, (lane, done, at) in enumerate(handling(trace, now), start=1)}
    collect = trace.meta.get("params", {}).get("collect", "?")
    out = Text()
    out.append(f"{len(handled)}", style="bold")
    out.append(f" of {len(futures)} results handled \u00b7 collect ")
    out.append(printable(collect, 40), style="bold")  # names from the trace: escaped (tui.text)
    out.append(f"\n{'future':<16}{'done at':>8}  {'handled':<12}", style=ink.faint)
    for lane in futures[:rows]:
        out.append(f"\n{printable(lane.name, 15):<16}")
        if lane.key in handled:
            order, done, at = handled[lane.key]
            late = at - done
            out.append(f"{fmt_s(done):>8}  ")
            out.append(f"#{order} ", style="bold")
            out.append(f"+{fmt_s(late)}", style=ink.bad if late >= 0.001 else ink.good)
        elif lane.end is not None and lane.end <= now:
            out.append(f"{fmt_s(lane.end):>8}  ")
            out.append("waits for main", style=f"bold {ink.bad}")
        else:
            state = lane.state_at(now)
            out.append(f"{'':>8}  ")
            out.append(STATE_LABELS.get(state, state), style=ink.state.get(state, ink.faint))
    if len(futures) > rows:
        out.append(f"\n+{len(futures) - rows} more futures", style=ink.faint)
    out.append("\n#n: handled n-th \u00b7 +: waited after done", style=ink.faint)
    return out


# ------------------------------------------------------------------------------------------ takeaways


def futures_handled(trace) -> str:
    from tui.lessons import label

    m = metrics(trace, trace.duration)
    order = "as they completed" if m["collect"] == "as_completed" else "in submission order"
    return (f"{label(trace)}: {m['futures']} futures on {m['pool_threads']} pool threads, results handled {order}; "
            f"done results waited {fmt_s(m['handle_delay_s'])} in all for the main thread")


LESSON = Lesson(
    scenario="futures",
    metrics=metrics,
    explain=explain,
    panel=Panel("results handled", describe_handled, help="results handled"),
    takeaways={"futures model": Backing(newest(futures_handled), hint="then p to set collect=as_completed")},
)

"""futures' panel: each future's result, when it was done and when the main thread handled it
(tui.lessons.futures's figures: the ``handled`` times the child noted)."""

from __future__ import annotations

from rich.text import Text

from tui.lessons import fmt_s
from tui.lessons import futures as lesson
from tui.model import Trace
from tui.widgets.palette import STATE_COLOURS, STATE_LABELS
from tui.widgets.panel import ScenarioPanel
from tui.widgets.strips import BAD, GOOD, MUTED

MAX_ROWS = 10


def describe_handled(trace: Trace, now: float, rows: int = MAX_ROWS) -> Text:
    futures = [lane for lane in trace.ordered_lanes(now) if lane.name.startswith("send(")]
    if not futures:
        return Text("no future submitted yet", style=MUTED)
    handled = {lane.key: (i, done, at) for i, (lane, done, at) in enumerate(lesson.handling(trace, now), start=1)}
    collect = trace.meta.get("params", {}).get("collect", "?")
    out = Text()
    out.append(f"{len(handled)}", style="bold")
    out.append(f" of {len(futures)} results handled \u00b7 collect ")
    out.append(str(collect), style="bold")
    out.append(f"\n{'future':<16}{'done at':>8}  {'handled':<12}", style=MUTED)
    for lane in futures[:rows]:
        out.append(f"\n{lane.name[:15]:<16}")
        if lane.key in handled:
            order, done, at = handled[lane.key]
            late = at - done
            out.append(f"{fmt_s(done):>8}  ")
            out.append(f"#{order} ", style="bold")
            out.append(f"+{fmt_s(late)}", style=BAD if late >= 0.001 else GOOD)
        elif lane.end is not None and lane.end <= now:
            out.append(f"{fmt_s(lane.end):>8}  ")
            out.append("waits for main", style=f"bold {BAD}")
        else:
            state = lane.state_at(now)
            out.append(f"{'':>8}  ")
            out.append(STATE_LABELS.get(state, state), style=STATE_COLOURS.get(state, MUTED))
    if len(futures) > rows:
        out.append(f"\n+{len(futures) - rows} more futures", style=MUTED)
    out.append("\n#n: handled n-th \u00b7 +: waited after done", style=MUTED)
    return out


class HandledPanel(ScenarioPanel):
    """When each future was done and when its result was handled, for futures."""

    TITLE = "results handled"

    def describe(self, trace: Trace, now: float, window: tuple[float, float] | None, width: int) -> Text:
        return describe_handled(trace, now)

"""Snapshots drawn from the recorded traces in tests/traces: every scenario's run screen replayed and paused mid-run,
the parameter form, the takeaways screen fed with those runs, and the run screen's help.

Traces with variants (comparisons) belong to the comparison screen's snapshots. Regenerate after a deliberate
change: ``.venv/bin/pytest tests/test_snapshots_traces.py --snapshot-update``, then look at the pictures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui import tracefile
from tui.app import make_app

TRACES = Path(__file__).parent / "traces"
MID_RUN = 0.8  # of each run's duration: every recorded scenario is busy there
SIZE = (120, 40)


def single_runs() -> list[Path]:
    return [path for path in sorted(TRACES.glob("*.cvz")) if not tracefile.load(path).variants]


def paused(path: Path, share: float = MID_RUN):
    trace = tracefile.load(path)
    return make_app(replay=trace, playing=False, start_at=round(trace.duration * share, 3),
                    replay_path=f"tests/traces/{path.name}")


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def test_every_single_run_trace_is_covered():
    names = {path.stem for path in single_runs()}
    assert {"threads-download", "async-dashboard", "async-fetch", "futures", "cpu-processes", "mixed-loop"} <= names


@pytest.mark.parametrize("path", single_runs(), ids=lambda path: path.stem)
def test_run_mid_run(snap_compare, path):
    assert snap_compare(paused(path), terminal_size=SIZE, run_before=settle)


def test_run_80x24_async_fetch(snap_compare):
    assert snap_compare(paused(TRACES / "async-fetch.cvz"), terminal_size=(80, 24), run_before=settle)


def test_param_form(snap_compare):
    assert snap_compare(paused(TRACES / "mixed-loop.cvz"), terminal_size=SIZE, press=["p"], run_before=settle)


def test_param_form_refusing_a_value(snap_compare):
    async def refuse(pilot) -> None:
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("tab", "end", "ctrl+u", "0", "enter")  # jobs (after model): at least 1
        await settle(pilot)

    assert snap_compare(paused(TRACES / "mixed-loop.cvz"), terminal_size=SIZE, run_before=refuse)


def test_takeaways(snap_compare):
    app = make_app()
    app.runs.extend(tracefile.load(path) for path in sorted(TRACES.glob("*.cvz")))
    assert snap_compare(app, terminal_size=SIZE, press=["t"], run_before=settle)


def test_takeaways_without_runs(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["t"], run_before=settle)


def test_run_help(snap_compare):
    assert snap_compare(paused(TRACES / "futures.cvz"), terminal_size=SIZE, press=["question_mark"],
                        run_before=settle)

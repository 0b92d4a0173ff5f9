"""lost-updates (Exercise 1's second claim, shared memory requires synchronization): a real run, its lesson against
fixed figures, and its comparison screen from the recorded trace.

What a run loses without the lock depends on how the threads were scheduled, so the end-to-end test asserts what
always holds (counts add up, the lock loses nothing, each model has its lanes and its window on them); what the
lesson says of each outcome is checked with figures fixed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TraceBuilder

from scenarios import catalog
from tui import lessons
from tui.lessons import lost_updates as lesson
from tui.session import run_headless
from tui.summary import summarize

TRACES = Path(__file__).parent / "traces"
MODELS = ("no lock", "no lock, a window", "lock")


@pytest.mark.e2e
def test_a_run_counts_every_models_updates_and_the_lock_loses_none():
    scenario = catalog.get("lost-updates")
    trace = run_headless(scenario, scenario.resolve({"threads": 3, "updates": 50}), 1, time_limit_s=60)
    assert trace.exit["status"] == 0, trace.exit
    m = lessons.metrics(trace)
    assert list(m["variants"]) == list(MODELS)
    for name, f in m["variants"].items():
        assert f["finished"] and f["expected"] == 150 and 0 < f["actual"] <= 150, name
        assert f["lost"] == f["expected"] - f["actual"]
        assert len(trace.ordered_lanes(variant=name)) == 3
    assert m["variants"]["lock"]["lost"] == 0  # what the lock is for
    window = trace.ordered_lanes(variant="no lock, a window")
    assert all(trace.lane_states(lane).get("wait", 0.0) > 0 for lane in window)  # the window, on every lane
    (stats,) = trace.lock_stats()
    assert stats.acquisitions == 150  # the lock model took it once per update
    summary = summarize(trace)
    json.dumps(summary)
    assert summary["variants"]["lock"]["lost"] == 0


def fixed(lost: dict[str, int], gil: bool = True):
    """A run of 2 threads x 100 updates whose models lost ``lost``."""
    build = TraceBuilder()
    build.hello()
    build.info(json.dumps({"results": {name: {"expected": 200, "actual": 200 - lost[name]} for name in MODELS}}))
    for k, name in enumerate(MODELS, start=1):
        build.variant(k, name, k * 0.1).task(k, "thread 0", k * 0.1, variant=k).end(k, k * 0.1 + 0.05)
        build.variant_end(k, k * 0.1 + 0.06)
    python = {"version": "3.11.7", "gil": "enabled"} if gil else {"version": "3.14.0", "gil": "disabled",
                                                                  "free_threaded_build": True}
    return build.trace({"scenario": "lost-updates", "params": {"threads": 2, "updates": 100}, "python": python})


def test_with_a_gil_the_guides_update_may_lose_nothing_and_the_lesson_says_why_not_that_it_is_safe():
    lines = lesson.explain(fixed({"no lock": 0, "no lock, a window": 150, "lock": 0}), 1.0)
    text = " ".join(lines)
    assert "no lock: progress reached 200 of the 200 the threads added: nothing lost." in lines
    assert "150 updates lost (75%)" in text
    assert "not a promise" in text and "never inside the +=" in text


def test_without_a_gil_the_lesson_quotes_what_the_guides_update_lost():
    text = " ".join(lesson.explain(fixed({"no lock": 37, "no lock, a window": 150, "lock": 0}, gil=False), 1.0))
    assert "ran with the GIL off" in text and "37 of their updates were lost" in text
    assert "never inside" not in text  # the GIL's reason does not hold there


def test_a_model_still_running_has_no_counts_yet():
    trace = fixed({"no lock": 0, "no lock, a window": 150, "lock": 0})
    m = lesson.metrics(trace, 0.22)  # during the second model
    assert m["variants"]["no lock"]["finished"] and not m["variants"]["no lock, a window"]["finished"]
    assert "lost" not in m["variants"]["no lock, a window"]  # nothing guessed
    assert "lock" not in m["variants"]


def test_the_takeaway_quotes_the_unlocked_loss_against_the_lock():
    line = lesson.lost_without_the_lock(fixed({"no lock": 0, "no lock, a window": 150, "lock": 0}))
    assert line == "lost-updates threads=2 updates=100: without the lock 150 of 200 updates lost, with it 0"


def test_snapshot_lost_updates(snap_compare):
    from test_snapshots_traces import paused, settle

    assert snap_compare(paused(TRACES / "lost-updates.cvz", 1.0), terminal_size=(120, 40), run_before=settle)

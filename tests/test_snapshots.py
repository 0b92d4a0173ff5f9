"""Snapshots of every screen of the app, drawn from fixed traces (tests/fixtures.py) at a fixed moment.

Regenerate after a deliberate change: ``.venv/bin/pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest

from scenarios import catalog
from scenarios.threads_download import SCENARIO as THREADS_DOWNLOAD
from tests import fixtures
from tui.app import make_app


@pytest.fixture(autouse=True)
def fixed_catalog(monkeypatch):
    """The home screen lists a fixed catalog, so adding a scenario does not change these pictures."""
    monkeypatch.setattr(catalog, "scenarios", lambda: {THREADS_DOWNLOAD.name: THREADS_DOWNLOAD})


def paused(trace, at: float):
    return make_app(replay=trace, playing=False, start_at=at, replay_path="fixture.cvz")


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def test_home(snap_compare):
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=settle)


def test_home_help(snap_compare):
    assert snap_compare(make_app(), terminal_size=(120, 40), press=["question_mark"], run_before=settle)


def test_run_threads_download_mid_run(snap_compare):
    assert snap_compare(paused(fixtures.threads_download(), 0.3), terminal_size=(120, 40), run_before=settle)


def test_run_threads_download_ended(snap_compare):
    trace = fixtures.threads_download()
    assert snap_compare(paused(trace, trace.duration), terminal_size=(120, 40), run_before=settle)


def test_run_cpu_bound_threads(snap_compare):
    assert snap_compare(paused(fixtures.cpu_threads(), 0.9), terminal_size=(120, 40), run_before=settle)


def test_run_help(snap_compare):
    assert snap_compare(paused(fixtures.threads_download(), 0.3), terminal_size=(120, 40), press=["question_mark"],
                        run_before=settle)


def test_run_crashed(snap_compare):
    trace = fixtures.crashed()
    assert snap_compare(paused(trace, trace.duration), terminal_size=(120, 40), run_before=settle)


def test_run_80x24(snap_compare):
    assert snap_compare(paused(fixtures.threads_download(), 0.3), terminal_size=(80, 24), run_before=settle)


def test_run_dense(snap_compare):
    """200 lanes: the timeline turns dense by itself."""
    assert snap_compare(paused(fixtures.many_tasks(), 0.2), terminal_size=(120, 40), run_before=settle)


def test_run_too_small(snap_compare):
    assert snap_compare(paused(fixtures.threads_download(), 0.3), terminal_size=(50, 14), run_before=settle)

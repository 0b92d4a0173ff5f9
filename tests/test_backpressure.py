"""Back-pressure from the app to the child: a sink that falls behind stops the pump reading events (a real child; no
timing, no sleeps). The pipe then fills and the child's probe waits for room rather than its buffer growing: that
half is tests/test_probe.py's (test_the_buffer_stays_bounded_while_concviz_does_not_read)."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

import pytest

from scenarios import catalog, wire
from tui.model import Trace
from tui.session import MAX_IN_FLIGHT, Session, end_all_runs

TESTS = Path(__file__).parent
ROOT = TESTS.parent

pytestmark = pytest.mark.e2e


@pytest.fixture
def flood_scenario(monkeypatch):
    monkeypatch.setenv("CONCVIZ_EXTRA_SCENARIOS", "flood_scenarios")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(str(TESTS))
    monkeypatch.setattr(catalog, "_catalog", None)
    yield catalog.get("test-flood")
    catalog._catalog = None


def test_a_sink_that_falls_behind_holds_the_child_back_and_loses_nothing(flood_scenario):
    events = 300_000
    handed: queue.Queue = queue.Queue()
    in_flight: list[int] = []

    def sink(batch):
        in_flight.append(session.handed - session.applied)
        handed.put(batch)

    session = Session(flood_scenario, {"events": events}, 1, sink=sink, time_limit_s=120)
    trace = Trace(session.meta())
    pump = threading.Thread(target=session.pump, daemon=True)
    pump.start()
    first = handed.get(timeout=60)
    first.apply_to(trace)  # a sink that applies: from now on the pump waits for it
    held = [handed.get(timeout=60) for _ in range(MAX_IN_FLIGHT)]
    with pytest.raises(queue.Empty):  # nothing more while those wait: a batch now would be back-pressure failing
        handed.get(timeout=1.0)
    done = False
    while not done:  # the sink catches up, to the end
        for batch in held:
            batch.apply_to(trace)
            done = done or batch.exit is not None
        held = [] if done else [handed.get(timeout=60)]
    pump.join(30)
    assert max(in_flight) <= MAX_IN_FLIGHT
    assert trace.exit["status"] == 0, trace.exit
    marks = sum(len(lane.segments) for lane in trace.lanes.values())
    assert marks == 1 + events  # the task's start and every mark: none lost


def test_a_sink_that_never_applies_is_never_held_up(flood_scenario):
    handed: list = []
    session = Session(flood_scenario, {"events": 100_000}, 1, sink=handed.append, time_limit_s=120)
    session.pump()
    assert handed[-1].exit["status"] == 0 and session.paused == 0
    assert sum(1 for b in handed for r in b.records if r[1] == wire.STATE) == 1 + 100_000


def test_the_childs_waits_for_room_are_a_load_note():
    trace = Trace()
    trace.info["probe"] = {"waited_for_room": 3, "waited_s": 0.25}
    assert trace.load_notes() == ["the scenario waited 3 times (0.250 s in all) for concviz to read its events"]


def test_a_run_whose_sink_has_gone_ends_when_the_app_does(flood_scenario):
    """The app ended (SIGHUP, say) while its pump was held back by batches no one will apply: ending every run
    cancels it, so the pump returns and the child's tree is gone (Python joins the pump's thread at exit, before
    any atexit hook: a pump waiting for ever kept concviz alive at 90% of a core, its child blocked)."""
    handed: queue.Queue = queue.Queue()
    session = Session(flood_scenario, {"events": 3_000_000}, 1, sink=handed.put, time_limit_s=120)
    pump = threading.Thread(target=session.pump, daemon=True)
    pump.start()
    handed.get(timeout=60).apply_to(Trace(session.meta()))  # from now on the pump waits for the sink
    for _ in range(MAX_IN_FLIGHT):
        handed.get(timeout=60)  # handed over, never applied: the sink has gone
    assert pump.is_alive()
    end_all_runs()
    pump.join(30)
    assert not pump.is_alive()
    assert session.proc.poll() is not None


def test_give_back_trims_the_heap_where_the_c_library_can(monkeypatch):
    """glibc keeps what the app freed in its heap (140 MB of the live app's RSS at the largest threads-download):
    give_back calls malloc_trim where there is one, and does nothing where there is none."""
    from tui import session

    calls = []
    monkeypatch.setattr(session, "_trim", lambda: calls.append(1))
    session.give_back()
    monkeypatch.setattr(session, "_trim", None)
    session.give_back()
    assert calls == [1]
    trim = session._malloc_trim()
    if trim is not None:  # glibc: the real call returns 0 or 1 (whether memory was given back)
        assert trim() in (0, 1)

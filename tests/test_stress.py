"""A hundred start/cancel cycles (run on purpose: ``pytest -m stress tests/test_stress.py``)."""

from __future__ import annotations

import psutil
import pytest

from test_lifecycle import group_members, misbehaving_scenarios, start_session, wait_until  # noqa: F401

pytestmark = pytest.mark.stress


def test_a_hundred_start_cancel_cycles_leave_nothing_behind():
    me = psutil.Process()
    threads = fds = None
    groups = []
    for i in range(100):
        session, thread, batches = start_session("test-chatter", {"seconds": 30.0},
                                                 lambda s, b: s.cancel() if b.records else None)
        groups.append(session.proc.pid)
        thread.join(15)
        assert not thread.is_alive(), f"cycle {i}: the pump did not return"
        assert batches[-1].exit["reason"] == "cancelled"
        if i == 9:  # after warm-up (imports, psutil's first calls, allocator arenas)
            threads, fds, rss = me.num_threads(), me.num_fds(), me.memory_info().rss
    wait_until(lambda: not any(group_members(g) for g in groups), timeout=10, what="every run to end")
    assert me.num_threads() <= threads
    assert me.num_fds() <= fds
    assert me.memory_info().rss - rss < 16 * 2**20  # 90 more runs leave no more than noise behind

"""Synthetic traces of a chosen size, built from decoded records, for measuring the model's per-frame cost."""

from __future__ import annotations

from scenarios import wire

PID = 1000
NS = 1_000_000_000


def _rec(typ, a=0, b=0, ident=0, t=0.0, y=0, z=0, text=None):
    return (PID, typ, a, b, ident, int(t * NS), y, z, text)


def long_run(events: int, lanes: int = 10, period_s: float = 0.3) -> tuple[list, float]:
    """``lanes`` threads each cycling io -> cpu -> lock request/acquire/release -> count every ``period_s``:
    the same density at any length, so a run with more events is a longer run. Returns (records, end time)."""
    out = [_rec(wire.HELLO, t=0.0, y=wire.VERSION, z=2),
           _rec(wire.TEXT, wire.TEXT_LOCK, 1, 1, 0.0, text="progress lock"), _rec(wire.LOCK, b=1, t=0.0),
           _rec(wire.TEXT, wire.TEXT_COUNTER, 1, 1, 0.0, text="progress")]
    for lane in range(1, lanes + 1):
        out.append(_rec(wire.TEXT, wire.TEXT_TASK, 1, lane, 0.0, text=f"download {lane}"))
        out.append(_rec(wire.TASK, 0, 0, lane, 0.0))
        out.append(_rec(wire.BIND, 0, 0, lane, 0.0, y=PID + lane))
    cycles = max(events // (6 * lanes), 1)
    cpu = [0] * (lanes + 1)
    t = 0.0
    progress = 0
    for c in range(cycles):
        for lane in range(1, lanes + 1):
            t = c * period_s + lane * period_s / (lanes + 1)
            cpu[lane] += 1_000_000
            out.append(_rec(wire.STATE, wire.STATE_CODE["io"], 0, lane, t, cpu[lane], 0))
            cpu[lane] += 2_000_000
            out.append(_rec(wire.STATE, wire.STATE_CODE["cpu"], 0, lane, t + period_s * 0.4, cpu[lane], 0))
            out.append(_rec(wire.LOCK_REQUEST, 0, 1, lane, t + period_s * 0.5))
            out.append(_rec(wire.LOCK_ACQUIRED, 0, 1, lane, t + period_s * 0.52))
            progress += 1
            out.append(_rec(wire.COUNT, 0, 1, lane, t + period_s * 0.53, progress))
            out.append(_rec(wire.LOCK_RELEASED, 0, 1, lane, t + period_s * 0.55))
    return out, (cycles + 1) * period_s


def many_tasks(events: int, per_task: int = 5, spacing_s: float = 0.001) -> tuple[list, float]:
    """Short-lived asyncio tasks (queued, cpu, io, cpu, end), one starting every ``spacing_s``: async-fetch's
    shape, where more events means more lanes. Returns (records, end time)."""
    out = [_rec(wire.HELLO, t=0.0, y=wire.VERSION, z=2)]
    tasks = max(events // per_task, 1)
    end = 0.0
    for k in range(1, tasks + 1):
        t = k * spacing_s
        out.append(_rec(wire.TEXT, wire.TEXT_TASK, 1, k, t, text=f"fetch({k})"))
        out.append(_rec(wire.TASK, wire.KIND_CODE["async"], 0, k, t))
        out.append(_rec(wire.STATE, wire.STATE_CODE["cpu"], 0, k, t + 0.0005, 1000, 0))
        out.append(_rec(wire.STATE, wire.STATE_CODE["io"], 0, k, t + 0.0006, 90_000, 0))
        out.append(_rec(wire.STATE, wire.STATE_CODE["cpu"], 0, k, t + 0.2, 100_000, 0))
        out.append(_rec(wire.END, 0, 0, k, t + 0.2001, 180_000, 0))
        end = t + 0.2001
    return out, end

"""Shared test helpers: synthetic decoded records for the model, and probe scripts run in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from scenarios import wire
from tui.model import Trace
from tui.stream import Decoder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T0_NS = 1_000_000_000_000  # an arbitrary monotonic start


def ns(seconds: float) -> int:
    return T0_NS + round(seconds * 1e9)


class TraceBuilder:
    """Decoded records ``(pid, type, a, b, id, x, y, z, text)`` as tui.stream would hand them to the model.

    Times are seconds from the run start; CPU readings (on-CPU, run-queue) are in seconds too, -1 for unmeasured.
    """

    def __init__(self, pid: int = 100) -> None:
        self.pid = pid
        self.records: list[tuple] = []
        self._counters: dict[str, int] = {}

    def _add(self, typ, a=0, b=0, ident=0, t=0.0, y=0, z=0, text=None, pid=None):
        self.records.append((pid or self.pid, typ, a, b, ident, ns(t), y, z, text))
        return self

    @staticmethod
    def _cpu(value):
        return -1 if value is None or value < 0 else round(value * 1e9)

    def hello(self, t=0.0, cores=2, pid=None):
        return self._add(wire.HELLO, t=t, y=wire.VERSION, z=cores, pid=pid)

    def task(self, ident, name, t, kind="thread", variant=0, parent=0, pid=None):
        self._add(wire.TEXT, wire.TEXT_TASK, 1, ident, t, text=name, pid=pid)
        return self._add(wire.TASK, wire.KIND_CODE[kind], variant, ident, t, 0, parent, pid=pid)

    def bind(self, ident, tid, t, pid=None):
        return self._add(wire.BIND, 0, 0, ident, t, tid, pid=pid)

    def state(self, ident, state, t, on_cpu=None, run_queue=None, pid=None):
        return self._add(wire.STATE, wire.STATE_CODE[state], 0, ident, t, self._cpu(on_cpu), self._cpu(run_queue),
                         pid=pid)

    def end(self, ident, t, on_cpu=None, run_queue=None, pid=None):
        return self._add(wire.END, 0, 0, ident, t, self._cpu(on_cpu), self._cpu(run_queue), pid=pid)

    def lock(self, lock_id, name, t=0.0, pid=None):
        self._add(wire.TEXT, wire.TEXT_LOCK, 1, lock_id, t, text=name, pid=pid)
        return self._add(wire.LOCK, 0, lock_id, 0, t, pid=pid)

    def request(self, lock_id, ident, t, pid=None):
        return self._add(wire.LOCK_REQUEST, 0, lock_id, ident, t, pid=pid)

    def acquired(self, lock_id, ident, t, pid=None):
        return self._add(wire.LOCK_ACQUIRED, 0, lock_id, ident, t, pid=pid)

    def released(self, lock_id, ident, t, gave_up=False, pid=None):
        return self._add(wire.LOCK_RELEASED, 0, lock_id, ident, t, 0, int(gave_up), pid=pid)

    def taken(self, lock_id, ident, requested, acquired, released, pid=None):
        """One whole acquisition sent after its release."""
        return self._add(wire.LOCK_TAKEN, 0, lock_id, ident, requested, ns(acquired), ns(released), pid=pid)

    def counted(self, lock_id, ident, t_from, t_to, n, pid=None):
        """``n`` acquisitions counted between two times, their holds not timed."""
        return self._add(wire.LOCK_SUM, 0, lock_id, ident, t_from, ns(t_to), n, pid=pid)

    def counted_waits(self, lock_id, ident, longest, wait, waited, pid=None):
        """Of the count just sent: how many waited, how long in all and at most (seconds)."""
        self.records.append((pid or self.pid, wire.LOCK_SUM_WAITS, 0, lock_id, ident, round(longest * 1e9),
                             round(wait * 1e9), waited, None))
        return self

    def count(self, name, value, t, ident=0, pid=None):
        cid = self._counters.get(name)
        if cid is None:
            cid = self._counters[name] = len(self._counters) + 1
            self._add(wire.TEXT, wire.TEXT_COUNTER, 1, cid, t, text=name, pid=pid)
        return self._add(wire.COUNT, 0, cid, ident, t, value, pid=pid)

    def info(self, text, t=0.0):
        return self._add(wire.TEXT, wire.TEXT_INFO, 1, 0, t, text=text)

    def error(self, text, t=0.0):
        return self._add(wire.TEXT, wire.TEXT_ERROR, 1, 0, t, text=text)

    def variant(self, vid, name, t):
        self._add(wire.TEXT, wire.TEXT_VARIANT, 1, vid, t, text=name)
        return self._add(wire.VARIANT, 0, vid, 0, t)

    def variant_end(self, vid, t):
        return self._add(wire.VARIANT, 1, vid, 0, t)

    def run_end(self, t, pid=None):
        return self._add(wire.RUN_END, t=t, pid=pid)

    def trace(self, meta=None) -> Trace:
        trace = Trace(meta)
        trace.apply(self.records)
        return trace


@pytest.fixture
def build() -> TraceBuilder:
    return TraceBuilder()


# ------------------------------------------------------------------------------------ probe in a child process

PROBE_PREAMBLE = """
import os, sys
from scenarios import probe, wire
"""


class ProbeRun:
    def __init__(self, records: list[tuple], proc: subprocess.CompletedProcess, raw: bytes) -> None:
        self.records, self.proc, self.raw = records, proc, raw
        self.pid = next((r[0] for r in records if r[1] == wire.HELLO), None)  # the process that called init

    def of(self, *types) -> list[tuple]:
        return [r for r in self.records if r[1] in types]

    def texts(self, kind) -> list[tuple]:
        return [r for r in self.records if r[1] == wire.TEXT and r[2] == kind]

    def frames(self) -> list[tuple[int, int]]:
        """(body length, pid) of every frame in the raw stream."""
        out, pos = [], 0
        while pos < len(self.raw):
            length, pid = wire.FRAME_HEAD.unpack_from(self.raw, pos)
            out.append((length, pid))
            pos += wire.FRAME_HEAD.size + length
        return out


def run_probe(body: str, init: bool = True, timeout: float = 60) -> ProbeRun:
    """Run ``body`` in a fresh Python with the probe writing to a pipe (``probe.init(FD)`` first if ``init``);
    return the decoded records. ``FD`` is the pipe's write end; the script ends with ``probe.flush()``."""
    read_fd, write_fd = os.pipe()
    script = PROBE_PREAMBLE + f"FD = {write_fd}\n"
    if init:
        script += "probe.init(FD)\n"
    script += textwrap.dedent(body) + "\nprobe.flush()\n"
    try:
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, pass_fds=(write_fd,),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finally:
        os.close(write_fd)
    raw = bytearray()
    with os.fdopen(read_fd, "rb", buffering=0) as events:
        while chunk := events.read(65536):
            raw += chunk
    out, err = proc.communicate(timeout=timeout)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode())
    assert proc.returncode == 0, done.stderr
    return ProbeRun(Decoder().feed(bytes(raw)), done, bytes(raw))

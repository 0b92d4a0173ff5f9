"""Honest on a busy machine (issue 15): other programs' CPU while a run went is the machine's busy cores less the
scenario tree's and concviz's own. The sampler's count of the tree's CPU and of concviz's own, with a fake clock
and made-up /proc files; the trace file's field for concviz's own CPU, and older files without it. Nothing here
depends on this machine's load or speed."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ns
from tui import session, tracefile
from tui.runs import Runs
from tui.session import Batch

TRACES = Path(__file__).parent / "traces"
META = {"scenario": "cpu-speedup", "params": {}, "seed": 1, "python": {"gil": "enabled"}, "machine": {"cores": 2}}


# ------------------------------------------------------------------------------------------ the trace file


def test_a_recording_holds_concviz_own_cpu_and_loads_it_back():
    recorder = tracefile.Recorder()
    recorder.add(Batch(samples=[(ns(0.1), (30.0, 20.0), 0.25, 3, 4096, 7, 1, 0.125),
                                (ns(0.2), (30.0, 20.0), 0.25, 3, 4096, 9, 1, None)]))
    data = b"".join(recorder.file_parts(META))
    assert tracefile.PREFIX.unpack_from(data)[1] == tracefile.OWN_VERSION
    _, (batch,), _ = tracefile.read_batches(data)
    assert [s[7] for s in batch.samples] == [0.125, None]  # one not measured: -1 in the file
    trace = tracefile.loads(data)
    assert [s.own_cores for s in trace.samples] == [0.125, None]


def test_several_runs_with_it_are_version_6():
    recorder = tracefile.Recorder(runs=True)
    for run in (0, 1):
        recorder.run = run
        recorder.add(Batch(samples=[(ns(0.1 * i), (50.0, 50.0), 0.5, 3, 4096, i, 1, 0.1) for i in range(1, 4)]))
    runs_meta = dict(META, runs=[dict(META), dict(META)])
    data = b"".join(recorder.file_parts(runs_meta))
    assert tracefile.PREFIX.unpack_from(data)[1] == tracefile.OWN_RUNS_VERSION
    loaded = tracefile.loads(data)
    assert isinstance(loaded, Runs) and [s.own_cores for s in loaded[1].samples] == [0.1] * 3


def test_an_older_file_without_it_loads_and_a_copy_of_it_keeps_its_version():
    data = (TRACES / "threads-download.cvz").read_bytes()
    version = tracefile.PREFIX.unpack_from(data)[1]
    assert version < tracefile.OWN_VERSION
    meta, batches, _ = tracefile.read_batches(data)
    recorder = tracefile.Recorder()
    for batch in batches:
        recorder.add(batch)
    again = b"".join(recorder.file_parts(meta))
    assert tracefile.PREFIX.unpack_from(again)[1] == version
    assert tracefile.loads(again).samples == tracefile.loads(data).samples


def test_an_own_cpu_that_is_not_a_number_is_refused():
    recorder = tracefile.Recorder()
    recorder.add(Batch(samples=[(ns(0.1), (30.0, 20.0), 0.25, 3, 4096, 7, 1, float("nan"))]))
    with pytest.raises(tracefile.TraceFileError, match="not a number"):
        tracefile.loads(b"".join(recorder.file_parts(META)))


# ------------------------------------------------------------------------------------------------ the sampler


@pytest.fixture
def sleeper():
    """A process that only sleeps: a scenario tree for the sampler."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_the_sampler_measures_its_own_process_cpu_between_looks(sleeper, monkeypatch):
    readings = iter([10.0, 10.0, 10.05, 10.05])
    monkeypatch.setattr(session.time, "process_time", lambda: next(readings))
    sampler = session._Sampler(sleeper)
    assert sampler.sample(ns(1.0)) is None  # the first look only starts the counts
    first, second = sampler.sample(ns(1.1)), sampler.sample(ns(1.2))
    monkeypatch.undo()
    sampler.close()
    assert first[7] == pytest.approx(0.5) and second[7] == 0.0  # 50 ms of CPU in 100 ms, then none


def test_the_sampler_counts_at_least_the_cpu_it_was_seen_to_use(sleeper):
    sampler = session._Sampler(sleeper)
    sampler.sample(ns(1.0))
    start = time.process_time()
    while time.process_time() - start < 0.02:
        pass
    used = time.process_time() - start
    own = sampler.sample(ns(1.1))[7]
    sampler.close()
    assert math.isfinite(own) and own * 0.1 >= used


class _Files:
    """A process's /proc files as the sampler reads them, made up: its start (seconds since boot) and CPU."""

    TICK_S = 0.01

    def __init__(self, started: float, cpu_s: float) -> None:
        self.started, self.cpu_s = started, cpu_s

    def read(self) -> tuple[float, int, int, int]:
        return self.cpu_s, 1, 4096, 0

    def close(self) -> None:
        pass


def test_a_process_that_started_since_the_last_look_counts_its_cpu_from_its_start(sleeper):
    sampler = session._Sampler(sleeper)
    sampler._find_children = lambda: None
    sampler.procs = {}
    assert sampler.sample(ns(1.0)) is None
    worker = _Files(sampler.last_look + 0.02, cpu_s=0.08)  # a worker's start-up, between two looks
    found_late = _Files(0.0, cpu_s=5.0)  # a process that ran long before the sampler found it
    sampler.procs = {1: worker, 2: found_late}
    assert sampler.sample(ns(1.1))[2] == pytest.approx(0.8)  # the worker's 80 ms; the other's 5 s are not this tick's
    worker.cpu_s, found_late.cpu_s = 0.1, 5.02
    assert sampler.sample(ns(1.2))[2] == pytest.approx(0.4)  # from then on, both


def test_a_real_process_knows_when_it_started(sleeper):
    files = session._ProcFiles(sleeper)
    try:
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        assert 0 < files.started <= uptime + files.TICK_S
    finally:
        files.close()

"""Honest on a busy machine (issue 15): other programs' CPU while a run went is the machine's busy cores less the
scenario tree's and concviz's own, so the sampler must count all of the tree's. Nothing here depends on this
machine's load or speed: the sampler reads made-up /proc files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ns
from tui import session


# ------------------------------------------------------------------------------------------------ the sampler


@pytest.fixture
def sleeper():
    """A process that only sleeps: a scenario tree for the sampler."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


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

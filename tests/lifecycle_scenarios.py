"""Scenarios that misbehave on purpose, for the lifecycle tests (loaded through CONCVIZ_EXTRA_SCENARIOS)."""

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from scenarios import probe
from scenarios.catalog import Param, Scenario


def crash(depth=1):
    with probe.task("doomed"):
        raise ValueError(f"broken on purpose (depth {depth})")


def _sleep_forever(_=None):
    time.sleep(3600)


def hang(workers=2):
    """A tree to leave behind: pool workers, a plain process and a thread, all sleeping."""
    multiprocessing.Process(target=_sleep_forever).start()
    pool = ProcessPoolExecutor(workers)
    for _ in range(workers):
        pool.submit(_sleep_forever)
    threading.Thread(target=_sleep_forever, daemon=True).start()
    with probe.task("hanging"):
        probe.count("pid", os.getpid())
        probe.flush()
        _sleep_forever()


def chatter(seconds=30.0):
    """Emits events steadily until its time is up or it is ended."""
    end = time.monotonic() + seconds
    with probe.task("chatter"):
        i = 0
        while time.monotonic() < end:
            i += 1
            probe.count("i", i)
            with probe.waiting("io"):
                time.sleep(0.001)


def _scenario(name, entry, *params):
    return Scenario(name=name, module=__name__, title=name, guide="tests", watch="", params=params, entry=entry)


SCENARIOS = (
    _scenario("test-crash", "crash", Param("depth", 1, "", min=1, max=5)),
    _scenario("test-hang", "hang", Param("workers", 2, "", min=1, max=4)),
    _scenario("test-chatter", "chatter", Param("seconds", 30.0, "", min=0.1, max=600.0)),
)

"""A scenario for the latency benchmark (loaded through CONCVIZ_EXTRA_SCENARIOS): one lane whose state flips
between io and wait at random moments. Each flip's time (time.monotonic_ns, one clock for every process on
Linux) is appended to the file named by CONCVIZ_MARKER_LOG, so the benchmark can tell when the screen showed it."""

from __future__ import annotations

import os
import time

from scenarios import probe, seeding
from scenarios.catalog import Param, Scenario

SCENARIO = Scenario(
    name="marker",
    module=__name__,
    title="Marker (benchmark)",
    guide="-",
    watch="the marker lane's state flipping",
    params=(Param("flips", 30, "state changes", 1, 1000), Param("min_s", 0.2, "shortest gap", 0.01, 5.0),
            Param("max_s", 0.4, "longest gap", 0.01, 5.0)),
    lesson="",
)


def run(flips: int = 30, min_s: float = 0.2, max_s: float = 0.4) -> None:
    log = os.environ.get("CONCVIZ_MARKER_LOG")
    marker = probe.Task("marker", kind="thread", state="io")
    time.sleep(1.0)  # the app's first frames: layout and the lane's first appearance
    with open(log, "a") if log else open(os.devnull, "w") as out:
        for k in range(flips):
            time.sleep(seeding.uniform(("gap", k), min_s, max_s))
            state = "wait" if k % 2 == 0 else "io"
            out.write(f"{time.monotonic_ns()} {state}\n")
            out.flush()
            marker.mark(state)
    time.sleep(0.5)
    marker.end()

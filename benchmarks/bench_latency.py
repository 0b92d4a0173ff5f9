"""Event to pixel: how long after the scenario's probe records an event the terminal shows it.

The marker scenario (benchmarks/marker.py) runs in the app under tmux at 120x40: one lane whose state flips
between io and wait at random moments, each flip's time appended to a log. This process polls the terminal's
text (tmux capture-pane, a few ms apart) and notes when the marker lane's state word changes. The delay is the
poll's time minus the flip's time (time.monotonic_ns, one clock for every process on Linux): it includes the
probe's flush, the pipe, the session's delivery, the app's next frame, Textual's rendering, the terminal, and up
to one poll interval (stated). What it waits on, at most: the probe's flush period, plus the app's frame period.
"""

from __future__ import annotations

import os
import re
import tempfile
import time

from benchmarks.common import ROOT, Row, cli, median, skipped, verdict

SECTION = "2. event pipeline"
FIGURE = "event to pixel: a probe event until the terminal shows it"
BUDGET = "<= 100 ms"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def measure(flips: int) -> tuple[list[float], list[float]]:
    """(delays in seconds, poll intervals in seconds) for one run of ``flips`` state changes."""
    from benchmarks.terminal import Terminal

    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "flips.log")
        env = {"CONCVIZ_EXTRA_SCENARIOS": "benchmarks.marker", "CONCVIZ_MARKER_LOG": log, "PYTHONPATH": str(ROOT)}
        args = ["run", "marker", "-p", f"flips={flips}", "--time-limit", "120"]
        row = re.compile(r"^marker\s+(\S+)", re.M)
        seen: list[tuple[int, str]] = []  # (poll time, the state word shown), when it changed
        polls: list[float] = []
        with Terminal(args, 120, 40, env=env) as term:
            end = time.monotonic() + 10 + flips * 0.5
            last, previous = None, None
            while time.monotonic() < end and term.alive():
                screen = term.screen()
                t = time.monotonic_ns()
                if previous is not None:
                    polls.append((t - previous) / 1e9)
                previous = t
                found = row.search(screen)
                word = found.group(1) if found else None
                if word != last:
                    seen.append((t, word))
                    last = word
                if word == "done" or "finished" in screen:
                    break
        flips_at = []
        with open(log) as f:
            for line in f:
                t, state = line.split()
                flips_at.append((int(t), state))
    delays = []
    for t, state in flips_at:  # the first look at the screen after the flip that shows the new state
        shown = next((s for s, word in seen if s >= t and word and word.startswith(state)), None)
        if shown is not None:
            delays.append((shown - t) / 1e9)
    return delays, polls


def main(quick: bool = False) -> list[Row]:
    from benchmarks.terminal import missing

    why = missing()
    if why:
        return [skipped(SECTION, FIGURE, why, BUDGET)]
    delays, polls = [], []
    for _ in range(1 if quick else 2):
        d, p = measure(15 if quick else 30)
        delays += d
        polls += p
    if not delays:
        return [Row(SECTION, FIGURE, "-", BUDGET, "miss", "no flip was seen on screen")]
    ms = [d * 1000 for d in delays]
    p95 = percentile(ms, 0.95)
    note = (f"median {median(ms):.0f} ms, 95th percentile {p95:.0f} ms, worst {max(ms):.0f} ms over {len(ms)} "
            f"state changes; the terminal was polled every {median(polls) * 1000:.1f} ms (median), which the "
            f"figures include")
    return [Row(SECTION, FIGURE, f"{p95:.0f} ms (95th percentile; median {median(ms):.0f}, n={len(ms)})", BUDGET,
                verdict(p95 <= 100), note)]


if __name__ == "__main__":
    cli(main)

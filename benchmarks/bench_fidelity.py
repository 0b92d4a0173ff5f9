"""Fidelity: does watching change the result? cpu-speedup's processes speedup measured with the UI live (the app
in tmux at 120x40, animating the run) against the same run headless.

The live run's figures come from the app itself: when its status line says the run finished, the benchmark
presses ``s`` (save) and reads the saved trace with tui.tracefile, so both figures come from the same lesson code
(tui.lessons.metrics). Live and headless runs alternate.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row, cli, fmt_num, fmt_ratio, get_scenario, has_scenario, median, skipped, verdict
from benchmarks.terminal import Terminal, missing

SECTION = "4. fidelity"
SCENARIO = "cpu-speedup"


def speedups(trace) -> tuple[float, float | None, int]:
    """(processes speedup against serial, the same counting pool start-up, workers) from the run's own figures."""
    exit = trace.exit or {}
    if exit.get("stream_error"):
        raise RuntimeError(f"the event stream broke: {exit['stream_error']}")
    if exit.get("status") not in (0, None):
        raise RuntimeError(f"the run failed: {exit.get('reason')}")
    from tui import lessons

    variants = lessons.metrics(trace, trace.duration).get("variants", {})
    processes = variants.get("processes") or {}
    if processes.get("speedup") is None:
        raise RuntimeError(f"no processes speedup in the run's metrics (variants: {sorted(variants)})")
    workers = int(trace.info.get("workers") or trace.meta.get("params", {}).get("workers") or os.cpu_count())
    return processes["speedup"], processes.get("speedup_with_startup"), workers


def headless(seed: int = 1):
    from tui.session import run_headless

    scenario = get_scenario(SCENARIO)
    return speedups(run_headless(scenario, scenario.defaults(), seed, time_limit_s=300))


def live(timeout: float = 120.0):
    from tui import tracefile

    with tempfile.TemporaryDirectory() as tmp:
        with Terminal(["run", SCENARIO, "--time-limit", str(int(timeout))], 120, 40, cwd=tmp) as term:
            if not term.wait_for("finished", timeout):
                raise RuntimeError(f"the live run did not finish: {term.screen().strip()[-200:]}")
            term.keys("s")
            end = time.monotonic() + 15
            while time.monotonic() < end:
                saved = list(Path(tmp).glob("*.cvz"))
                if saved and "saved" in term.screen():
                    return speedups(tracefile.load(saved[0]))
                time.sleep(0.1)
            raise RuntimeError("pressing s did not save the run (no .cvz file appeared)")


def main(quick: bool = False) -> list[Row]:
    budget_ratio, budget_headless = ">= 0.95 of headless", ">= 0.90 x min(cores, workers)"
    why = None if has_scenario(SCENARIO) else f"scenarios/{SCENARIO.replace('-', '_')}.py is not present"
    why = why or missing()
    if why:
        return [skipped(SECTION, "processes speedup, UI live / headless", why, budget_ratio),
                skipped(SECTION, "processes speedup, headless", why, budget_headless)]
    reps = 1 if quick else 3
    heads, lives = [], []
    try:
        for _ in range(reps):
            heads.append(headless())
            lives.append(live())
    except Exception as exc:
        return [Row(SECTION, "processes speedup, UI live / headless", "-", budget_ratio, "miss", f"failed: {exc}"),
                Row(SECTION, "processes speedup, headless", "-", budget_headless, "miss", f"failed: {exc}")]
    cores = os.cpu_count() or 1
    workers = heads[0][2]
    limit = min(cores, workers)
    head = [h[0] for h in heads]
    ratio = [lv[0] / h[0] for lv, h in zip(lives, heads)]
    return [
        Row(SECTION, "processes speedup, UI live / headless", fmt_ratio(ratio), budget_ratio,
            verdict(median(ratio) >= 0.95),
            f"live {median([lv[0] for lv in lives]):.2f}x, headless {median(head):.2f}x (pool start-up counted: live "
            f"{median([lv[1] or 0 for lv in lives]):.2f}x, headless {median([h[1] or 0 for h in heads]):.2f}x)"),
        Row(SECTION, "processes speedup, headless", fmt_num(head, "x"), budget_headless,
            verdict(median(head) >= 0.9 * limit), f"{workers} workers, {cores} cores: limit {limit}x"),
    ]


if __name__ == "__main__":
    cli(main)

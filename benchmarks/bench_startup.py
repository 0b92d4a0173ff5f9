"""Start-up: from launching ``concviz`` to its first drawn frame, under tmux at 120x40.

The first frame is the first time the pane shows anything (tmux capture-pane polled as fast as it answers). The
same measurement of a program that prints one word at once gives what tmux and the polling add; the figure
answering the budget is the difference. For context, the import times of textual.app and tui.app alone.
"""

from __future__ import annotations

import time

from benchmarks.common import Row, cli, fmt_num, median, run_python, skipped, verdict
from benchmarks.terminal import Terminal, missing

SECTION = "6. start-up"
BUDGET_S = 0.7


def first_frame(args: list[str], program: list[str] | None = None, timeout: float = 10.0) -> float:
    with Terminal(args, 120, 40, program=program) as term:
        while time.monotonic() - term.started < timeout:
            if term.screen().strip():
                return time.monotonic() - term.started
        raise RuntimeError(f"nothing on screen after {timeout:g} s")


def import_time(module: str) -> float:
    done = run_python(["-c", f"import time; t = time.perf_counter(); import {module}; "
                             "print(time.perf_counter() - t)"])
    return float(done.stdout.strip())


def main(quick: bool = False) -> list[Row]:
    why = missing()
    if why:
        return [skipped(SECTION, "concviz to first frame (home screen)", why, f"<= {BUDGET_S} s")]
    reps = 3 if quick else 7
    rows = []
    base, home, run = [], [], []
    for _ in range(reps):  # interleaved, so the three see the same machine
        base.append(first_frame([], program=["sh", "-c", "echo ready; exec sleep 30"]))
        home.append(first_frame([]))
        run.append(first_frame(["run", "threads-download"]))
    overhead = median(base)
    net_home = [t - overhead for t in home]
    net_run = [t - overhead for t in run]
    rows.append(Row(SECTION, "concviz to first frame (home screen)", fmt_num(net_home, "s", 3), f"<= {BUDGET_S} s",
                    verdict(median(net_home) <= BUDGET_S),
                    f"raw {median(home):.3f} s, of which tmux + polling ~{overhead * 1000:.0f} ms"))
    rows.append(Row(SECTION, "concviz run threads-download to first frame", fmt_num(net_run, "s", 3),
                    f"<= {BUDGET_S} s", verdict(median(net_run) <= BUDGET_S), f"raw {median(run):.3f} s"))
    for module in ("textual.app", "tui.app"):
        times = [import_time(module) for _ in range(reps)]
        rows.append(Row(SECTION, f"import {module} alone", fmt_num(times, "s", 3), "", "info"))
    return rows


if __name__ == "__main__":
    cli(main)

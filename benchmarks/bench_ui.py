"""UI cost: the concviz process's own CPU (not the scenario child's) while a live run animates, under tmux at
120x40 and 200x60, and idle on the home screen.

The live run is threads-download with long sleeps (so it animates for the whole window while its child barely
uses a CPU). The figure is the app process's CPU over a window after it settled, as % of one core; its threads
are split into the UI's own (the main thread, Textual's) and the rest (the session's pump: reading events and
sampling with psutil at 10 Hz).
"""

from __future__ import annotations

import time

from benchmarks.common import Row, cli, fmt_num, median, skipped, verdict
from benchmarks.terminal import Terminal, cpu_seconds, missing

SECTION = "3. UI cost"
LIVE_RUN = ["run", "threads-download", "-p", "tasks=20", "-p", "min_s=8", "-p", "max_s=10", "--time-limit", "60"]


def thread_times(proc) -> dict[int, float]:
    return {t.id: t.user_time + t.system_time for t in proc.threads()}


def measure(args: list[str], width: int, height: int, settle_s: float, window_s: float) -> tuple[float, float, bool]:
    """(% of one core for the whole app process, % for its main thread, whether the screen changed meanwhile)."""
    with Terminal(args, width, height) as term:
        time.sleep(settle_s)
        if not term.alive():
            raise RuntimeError(f"concviz exited: {term.screen().strip()[-300:]}")
        before_screen = term.screen()
        c0, th0, t0 = cpu_seconds(term.app), thread_times(term.app), time.monotonic()
        time.sleep(window_s)
        c1, th1, t1 = cpu_seconds(term.app), thread_times(term.app), time.monotonic()
        changed = term.screen() != before_screen
        main = term.app.pid
        wall = t1 - t0
        return (c1 - c0) / wall * 100, (th1.get(main, 0) - th0.get(main, 0)) / wall * 100, changed


def main(quick: bool = False) -> list[Row]:
    why = missing()
    cases = [("animating a live run, 120x40", LIVE_RUN, 120, 40, "<= 10% of one core", 10.0),
             ("animating a live run, 200x60", LIVE_RUN, 200, 60, "<= 10% of one core", 10.0),
             ("idle on the home screen, 120x40", [], 120, 40, "<= 1% of one core", 1.0)]
    if why:
        return [skipped(SECTION, name, why, budget) for name, *_, budget, _ in cases]
    reps = 1 if quick else 3
    rows = []
    for name, args, width, height, budget, limit in cases:
        try:
            runs = [measure(args, width, height, settle_s=3.0, window_s=4.0 if quick else 6.0) for _ in range(reps)]
        except Exception as exc:
            rows.append(Row(SECTION, name, "-", budget, "miss", f"failed: {exc}"))
            continue
        total = [r[0] for r in runs]
        ui = [r[1] for r in runs]
        animating = all(r[2] for r in runs)
        note = f"main (Textual) thread {median(ui):.1f}%, other threads (session pump, psutil) " \
               f"{median(total) - median(ui):.1f}%"
        if args and not animating:
            note += "; the screen did not change during the window: not animating?"
        rows.append(Row(SECTION, name, fmt_num(total, "% of a core", 2), budget, verdict(median(total) <= limit),
                        note))
    return rows


if __name__ == "__main__":
    cli(main)

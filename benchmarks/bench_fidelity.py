"""Fidelity: does watching change the result? cpu-speedup's processes speedup measured with the UI live (the app
in tmux at 120x40, animating the run) against the same run headless.

The live run's figures come from the app itself: when its status line says the run finished, the benchmark
presses ``s`` (save) and reads the saved trace with tui.tracefile, so both figures come from the same lesson code
(tui.lessons.metrics). Each repetition is a live and a headless run back to back, which goes first alternating.
While the live run goes on the benchmark only looks at the app's list of children, not at the screen (a tmux
client per look would compete with the run for the cores).

The processes' window is ~0.12 s on every core, so anything else running takes its time straight out of it:
each run also measures other programs' load (bench_probe.OthersLoad; the app, its scenario and tmux count as
ours), and the figures are medians over the quiet repetitions (bench_probe.QUIET_CORES), repeated until there
are ``reps`` of them or twice that many were tried. The observer's CPU during the processes' window (the app's
threads live, the session's thread headless) is stated beside: on 2 cores the processes variant pays for it
(serial has a core to spare), so it is what watching costs this figure.

Even headless, with no other program running in the machine, a run's speedup spreads from ~1.3x to ~2x: the host
itself takes a core from a worker now and then (one work item of ~55 ms takes 70-90 ms), and the window is short.
Hence 11 pairs, and the processes' cores used beside, which such a hiccup moves far less.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_probe import QUIET_CORES, OthersLoad
from benchmarks.common import Row, cli, fmt_num, fmt_ratio, get_scenario, has_scenario, median, skipped, verdict
from benchmarks.terminal import Terminal, missing, tmux

SECTION = "4. fidelity"
SCENARIO = "cpu-speedup"


def speedups(trace) -> tuple[float, float | None, int, float]:
    """(processes speedup against serial, the same counting pool start-up, workers, the cores the processes' work
    used: their CPU over their wall time) from the run's own figures. Cores used does not move when the machine's
    speed drifts between the serial and the processes parts (a shared host does that by 10% and more)."""
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
    return processes["speedup"], processes.get("speedup_with_startup"), workers, processes["cores_used"]


class CpuPoller:
    """The CPU of some threads over time, read every 10 ms from their /proc/PID/task/TID/schedstat (nanoseconds;
    every thread of ``pid`` when ``tid`` is None) on a thread of its own; ``share(t0, t1)``: their CPU between
    two moments (time.monotonic(), the clock of the trace's timestamps), in cores."""

    def __init__(self, pid: int, tid: int | None = None) -> None:
        self.pid, self.tid = pid, tid
        self.readings: list[tuple[float, int]] = []
        self.last: dict[str, int] = {}  # each thread's latest reading: a thread that ends keeps what it used
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> "CpuPoller":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _cpu_ns(self) -> int:
        tids = [str(self.tid)] if self.tid is not None else os.listdir(f"/proc/{self.pid}/task")
        for tid in tids:
            try:
                with open(f"/proc/{self.pid}/task/{tid}/schedstat", "rb") as f:
                    self.last[tid] = int(f.read().split()[0])
            except (OSError, ValueError):  # the thread ended meanwhile
                pass
        return sum(self.last.values())

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                self.readings.append((time.monotonic(), self._cpu_ns()))
            except OSError:  # the process is gone
                return
            self._stop.wait(0.01)

    def _at(self, t: float) -> float:
        before = [r for r in self.readings if r[0] <= t] or self.readings[:1]
        after = [r for r in self.readings if r[0] >= t] or self.readings[-1:]
        (ta, ca), (tb, cb) = before[-1], after[0]
        return ca if tb <= ta else ca + (cb - ca) * (t - ta) / (tb - ta)

    def share(self, t0: float, t1: float) -> float:
        return (self._at(t1) - self._at(t0)) / 1e9 / (t1 - t0) if self.readings and t1 > t0 else 0.0


def processes_window(trace) -> tuple[float, float]:
    """The processes variant's start and end on time.monotonic()'s clock."""
    variant = trace.variants["processes"]
    t0 = trace.t0_ns / 1e9
    return t0 + variant.start, t0 + (variant.end if variant.end is not None else trace.duration)


def headless(seed: int = 1) -> dict:
    from tui.session import run_headless

    scenario = get_scenario(SCENARIO)
    with OthersLoad() as load, CpuPoller(os.getpid(), threading.get_native_id()) as session:
        trace = run_headless(scenario, scenario.defaults(), seed, time_limit_s=300)  # pumps on this thread
    return {"speedups": speedups(trace), "others": load.cores, "observer": session.share(*processes_window(trace))}


def ours_in_tmux(term: Terminal):
    """The CPU of what runs in the terminal, as a function for OthersLoad: the app (with its scenario child, which
    it waits for) and the tmux server drawing its pane."""
    import psutil

    server = psutil.Process(int(tmux("display-message", "-p", "-t", term.name, "#{pid}").strip()))

    def cpu() -> float:
        total = 0.0
        for proc, children in ((term.app, True), (server, False)):
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            total += t.user + t.system + ((t.children_user + t.children_system) if children else 0.0)
        return total

    return cpu


def children_of(pid: int) -> set[int]:
    kids: set[int] = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                kids.update(int(k) for k in f.read().split())
        except OSError:
            pass
    return kids


def wait_for_the_run(app_pid: int, timeout: float) -> None:
    """Until the app's scenario child has come and gone, looking every 20 ms at the app's children only (~0.1 ms of
    CPU a look), not at the screen: a tmux client per look (~1.5 ms) would compete with the run it measures."""
    end, seen = time.monotonic() + timeout, set()
    while time.monotonic() < end:
        kids = children_of(app_pid)
        if seen and not kids & seen:
            return
        seen |= kids
        time.sleep(0.02)
    raise RuntimeError("the live run's child did not start and end in time")


def live(timeout: float = 120.0) -> dict:
    from tui import tracefile

    with tempfile.TemporaryDirectory() as tmp:
        with Terminal(["run", SCENARIO, "--time-limit", str(int(timeout))], 120, 40, cwd=tmp) as term:
            with OthersLoad(ours_in_tmux(term)) as load, CpuPoller(term.app.pid) as app:
                wait_for_the_run(term.app.pid, timeout)
                if not term.wait_for("finished", 15):
                    raise RuntimeError(f"the live run did not finish: {term.screen().strip()[-200:]}")
            term.keys("s")
            end = time.monotonic() + 15
            while time.monotonic() < end:
                saved = list(Path(tmp).glob("*.cvz"))
                if saved and "saved" in term.screen():
                    trace = tracefile.load(saved[0])
                    return {"speedups": speedups(trace), "others": load.cores,
                            "observer": app.share(*processes_window(trace))}
                time.sleep(0.1)
            raise RuntimeError("pressing s did not save the run (no .cvz file appeared)")


def main(quick: bool = False) -> list[Row]:
    budget_ratio, budget_headless = ">= 0.95 of headless", ">= 0.90 x min(cores, workers)"
    why = None if has_scenario(SCENARIO) else f"scenarios/{SCENARIO.replace('-', '_')}.py is not present"
    why = why or missing()
    if why:
        return [skipped(SECTION, "processes speedup, UI live / headless", why, budget_ratio),
                skipped(SECTION, "processes speedup, headless", why, budget_headless)]
    reps = 1 if quick else 11  # a ~0.12 s window: a host's hiccup moves one run's speedup by a third, so 11 pairs
    pairs = []  # (headless, live), each {"speedups": (speedup, with start-up, workers), "others": cores, ...}
    try:
        while len(pairs) < 2 * reps and (len(pairs) < reps or sum(quiet(p) for p in pairs) < reps):
            if len(pairs) % 2 == 0:
                head = headless()
                pairs.append((head, live()))
            else:
                lv = live()
                pairs.append((headless(), lv))
    except Exception as exc:
        return [Row(SECTION, "processes speedup, UI live / headless", "-", budget_ratio, "miss", f"failed: {exc}"),
                Row(SECTION, "processes speedup, headless", "-", budget_headless, "miss", f"failed: {exc}")]
    calm = [p for p in pairs if quiet(p)]
    used = calm if len(calm) >= reps // 2 + 1 else pairs
    load_note = (f"{len(calm)} of {len(pairs)} repetitions quiet (others' load < {QUIET_CORES} cores in both runs; "
                 f"median others' load {median([max(h['others'], lv['others']) for h, lv in pairs]):.2f} cores)"
                 + ("" if used is calm else ": too few quiet ones, the figures are over all of them and unreliable"))
    cores = os.cpu_count() or 1
    workers = pairs[0][0]["speedups"][2]
    limit = min(cores, workers)
    head = [h["speedups"][0] for h, _ in used]
    ratio = [lv["speedups"][0] / h["speedups"][0] for h, lv in used]
    every = [lv["speedups"][0] / h["speedups"][0] for h, lv in pairs]
    return [
        Row(SECTION, "processes speedup, UI live / headless", fmt_ratio(ratio), budget_ratio,
            verdict(median(ratio) >= 0.95),
            f"live {median([lv['speedups'][0] for _, lv in used]):.2f}x, headless {median(head):.2f}x (pool start-up "
            f"counted: live {median([lv['speedups'][1] or 0 for _, lv in used]):.2f}x, headless "
            f"{median([h['speedups'][1] or 0 for h, _ in used]):.2f}x); during the processes' window the app (all its "
            f"threads) used {median([lv['observer'] for _, lv in used]) * 100:.1f}% of a core, the headless session "
            f"{median([h['observer'] for h, _ in used]) * 100:.1f}%: the processes variant pays for it, serial has a "
            f"core to spare; {load_note}; over every repetition: {fmt_ratio(every)}"),
        Row(SECTION, "processes speedup, headless", fmt_num(head, "x"), budget_headless,
            verdict(median(head) >= 0.9 * limit),
            f"{workers} workers, {cores} cores: limit {limit}x; over every repetition: "
            f"{fmt_num([h['speedups'][0] for h, _ in pairs], 'x')}"),
        Row(SECTION, "processes' cores used (their CPU / their wall), headless and live",
            f"{median([h['speedups'][3] for h, _ in used]):.2f} / {median([lv['speedups'][3] for _, lv in used]):.2f}",
            "", "info", f"of {limit} possible; unlike the speedup, not moved by the machine's speed drifting between "
            f"the serial and processes parts; headless {fmt_num([h['speedups'][3] for h, _ in used], 'cores')}, "
            f"live {fmt_num([lv['speedups'][3] for _, lv in used], 'cores')}"),
    ]


def quiet(pair) -> bool:
    return all(run["others"] < QUIET_CORES for run in pair)


if __name__ == "__main__":
    cli(main)

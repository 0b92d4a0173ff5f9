"""Scale: a frame costs what is visible, not the run's length; and async-fetch at its largest, live.

Model side (no terminal needed): the queries one frame of the run screen makes (tui/screens/run.py ``draw``: the
timeline's lanes and cells for the visible rows, the status counters, the cores panel's samples, and every 5th
frame the lock statistics and the lesson) on a synthetic trace of 1,000 and of 100,000 events of the same density,
the visible window being the last 20 s either way. Two shapes: a long run (10 threads, more events = a longer run)
and many tasks (async-fetch's shape, more events = more lanes). Then the same traces drawn: the timeline widget in
a headless app, ``show`` and Textual rendering its lines, frame after frame 0.1 s apart (what caching across frames
saves shows only there).

Live: async-fetch with the most URLs it allows (issue 7 asks for 5,000) in the app under tmux at 120x40: how often
the screen changes while it runs (a lower bound of the redraw rate: tmux capture-pane polled at 25 Hz) and the
app process's peak memory.

Memory at the largest parameters the scenarios allow (issue 14): threads-download tasks=500 updates=100000 (50
million traced acquisitions) and cpu-processes n=20000000 items=64 workers=64, each run headless in a process of its
own (benchmarks/big_run.py): that process's peak (the app's side without its UI: session, decoder, model) and the
child's, whole tree and largest process; and threads-download's in the app under tmux at 120x40 (with its UI and
recorder): its peak and how often its screen changes while the run goes on (a frozen screen changes never).
"""

from __future__ import annotations

import time

from benchmarks.common import Row, cli, fmt_num, fmt_ratio, get_scenario, has_scenario, median, skipped, verdict
from benchmarks.synthetic import long_run, many_tasks

SECTION = "5. scale"
COLUMNS, ROWS = 88, 19  # the timeline's cells and lanes at 120x40 (label 30 wide, two lines per lane)


def build(records: list, end: float, scenario: str):
    from tui.model import Sample, Trace

    trace = Trace({"scenario": scenario, "params": {}, "python": {"gil": "enabled"}, "machine": {"cores": 2}})
    trace.apply(records)
    t = 0.0
    while t <= end:  # the parent's psutil samples at 10 Hz
        trace.add_sample(Sample(t, (50.0, 50.0), 1.0, 11, 30_000_000, int(t * 100), 1))
        t += 0.1
    return trace


def frame_parts(trace, now: float) -> dict[str, float]:
    """Seconds each part of one frame's model queries takes."""
    from tui import lessons
    from tui.widgets.timeline import WINDOW_S, visible_window

    parts = {}
    t = time.perf_counter
    a = t()
    lanes = trace.ordered_lanes(now)
    t0, t1 = visible_window(now, now, WINDOW_S, COLUMNS)
    b = t()
    for lane in lanes[:ROWS]:
        trace.cells(lane, t0, t1, COLUMNS, now)
        lane.state_at(now)
    c = t()
    for name in trace.counters:
        trace.counter(name, now)
    trace.samples_between(t0, t1)
    trace.sample_at(now)
    trace.peak("proc_cores", now)
    trace.peak("threads", now)
    d = t()
    trace.lock_stats(now)
    lessons.metrics(trace, now)
    lessons.explain(trace, now)
    e = t()
    parts["lanes (ordered_lanes)"] = b - a
    parts["cells + state_at, visible rows"] = c - b
    parts["counters and samples"] = d - c
    parts["locks + lesson (every 5th frame)"] = (e - d) / 5
    return parts


def frame_cost(trace, now: float, reps: int, budget_s: float = 5.0) -> dict[str, float]:
    """Median seconds per part over ``reps`` frames (fewer if a frame is so slow that they would take over
    ``budget_s``: a pathological case needs no precision)."""
    runs, started = [], time.perf_counter()
    while len(runs) < reps and (not runs or time.perf_counter() - started < budget_s):
        runs.append(frame_parts(trace, now))
    return {k: median([r[k] for r in runs]) for k in runs[0]}


def model_rows(quick: bool) -> list[Row]:
    reps = 5 if quick else 21
    rows = []
    for shape, make, scenario in (("long run, 10 lanes", lambda n: long_run(n, period_s=1.25), "threads-download"),
                                  ("many tasks (async-fetch's shape)", many_tasks, "async-fetch")):
        small, big = (build(*make(n), scenario) for n in (1_000, 100_000))
        ratios, cells_ratios, totals = [], [], {}
        started = time.perf_counter()
        for _ in range(3):
            if ratios and time.perf_counter() - started > 20:
                break  # a pathological frame: one measurement says enough
            cost_small = frame_cost(small, small.duration, reps)
            cost_big = frame_cost(big, big.duration, reps)
            ratios.append(sum(cost_big.values()) / sum(cost_small.values()))
            visible = "cells + state_at, visible rows"
            cells_ratios.append(cost_big[visible] / cost_small[visible])
            totals = {"1k": cost_small, "100k": cost_big}
        worst = max(totals["100k"], key=totals["100k"].get)
        rows.append(Row(SECTION, f"frame's model queries, 100k / 1k events: {shape}", fmt_ratio(ratios, 2),
                        "<= 1.5x", verdict(median(ratios) <= 1.5),
                        f"{sum(totals['1k'].values()) * 1000:.2f} ms vs {sum(totals['100k'].values()) * 1000:.2f} ms "
                        f"per frame; at 100k the largest part is {worst} "
                        f"({totals['100k'][worst] * 1000:.2f} ms; " + ", ".join(
                            f"{k} {v * 1000:.2f}" for k, v in totals['100k'].items()) + " ms)"))
        rows.append(Row(SECTION, f"Trace.cells() for the visible rows, 100k / 1k events: {shape}",
                        fmt_ratio(cells_ratios, 2), "<= 1.5x", verdict(median(cells_ratios) <= 1.5)))
    return rows


def drawn_frames(trace, frames: int, size: tuple[int, int] = (120, 40), spacing: float | None = None) -> list[float]:
    """Seconds each frame of the timeline itself takes (``show`` and Textual rendering its lines, as the run screen
    does every 100 ms, dense when the lanes far outnumber its rows), ``frames`` frames ``spacing`` apart (run
    time; 0.1 s by default) up to the end of ``trace``, in a headless app of ``size``."""
    import asyncio

    from textual.app import App
    from textual.geometry import Region

    from tui.screens.run import DENSE_OVER, FRAME_S
    from tui.widgets.timeline import Timeline

    from tui.themes import NAMES, themes, variable_defaults

    class Frame(App):
        """The timeline alone, in concviz's dark theme (the variables its CSS reads)."""

        def __init__(self) -> None:
            super().__init__()
            for made in themes():
                self.register_theme(made)
            self.theme = NAMES[0]

        def get_theme_variable_defaults(self) -> dict[str, str]:
            return {**super().get_theme_variable_defaults(), **variable_defaults()}

        def compose(self):
            yield Timeline(trace)

    costs: list[float] = []

    async def run() -> None:
        app = Frame()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            timeline = app.query_one(Timeline)
            for k in range(frames, -1, -1):
                now = max(trace.duration - k * (spacing or FRAME_S), 0.0)
                started = time.perf_counter()
                timeline.show(trace, now)
                room = timeline.scrollable_content_region.height - 1
                dense = timeline.lanes_shown > DENSE_OVER * room
                if dense != timeline.dense:
                    timeline.dense = dense
                timeline.render_lines(Region(0, 0, timeline.size.width, timeline.size.height))
                costs.append(time.perf_counter() - started)

    asyncio.run(run())
    return costs[1:]  # the first frame draws everything from nothing


def drawing_rows(quick: bool) -> list[Row]:
    """The timeline's frames (not only the model's queries): a long run slides its window every few frames; many
    tasks are drawn dense, every lane in some row. Both traces are drawn frame after frame as the same stretch of
    run time goes by, so that as much happens between two frames in either (a run of many tasks that lasts 0.2 s
    at 1,000 events: its frames come closer together than 0.1 s, and the big trace's frames as close); what
    differs is only how much came before."""
    from tui.screens.run import FRAME_S

    frames = 10 if quick else 30
    rows = []
    for shape, make, scenario in (("long run, 10 lanes", lambda n: long_run(n, period_s=1.25), "threads-download"),
                                  ("many tasks (async-fetch's shape)", many_tasks, "async-fetch")):
        small, big = (build(*make(n), scenario) for n in (1_000, 100_000))
        spacing = min(FRAME_S, small.duration / (frames + 1))
        medians, means, slowest = [], [], []
        for _ in range(1 if quick else 3):
            cost_small = drawn_frames(small, frames, spacing=spacing)
            cost_big = drawn_frames(big, frames, spacing=spacing)
            medians.append(median(cost_big) / median(cost_small))
            means.append((sum(cost_big) / len(cost_big)) / (sum(cost_small) / len(cost_small)))
            slowest.append((median(cost_small), median(cost_big), max(cost_small), max(cost_big)))
        a, b, c, d = (median([x[i] for x in slowest]) * 1000 for i in range(4))
        rows.append(Row(SECTION, f"a drawn frame of the timeline, 100k / 1k events: {shape}", fmt_ratio(medians, 2),
                        "<= 1.5x", verdict(median(medians) <= 1.5),
                        f"median frame {a:.2f} ms vs {b:.2f} ms; mean 100k / 1k {median(means):.2f}x; slowest "
                        f"{c:.1f} ms vs {d:.1f} ms (120x40, {frames} frames {spacing * 1000:.0f} ms of run time apart "
                        f"up to the run's end)"))
    return rows


def live_rows(quick: bool) -> list[Row]:
    from benchmarks.terminal import Terminal, missing

    names = ("async-fetch live: screen changes per second while running", "async-fetch live: app peak memory")
    why = missing() or (None if has_scenario("async-fetch") else "scenarios/async_fetch.py is not present")
    if why:
        return [skipped(SECTION, names[0], why, ">= 8/s (10 Hz frames)"), skipped(SECTION, names[1], why, "< 200 MB")]
    from tui.screens.run import FRAME_S

    param = get_scenario("async-fetch").param("urls")
    urls = min(5000, int(param.max))
    from benchmarks.terminal import cpu_seconds

    rates, peaks, durations, busy = [], [], [], []
    for _ in range(1 if quick else 3):
        with Terminal(["run", "async-fetch", "-p", f"urls={urls}", "--time-limit", "120"], 120, 40) as term:
            changes, last, peak = 0, "", 0
            cpu_at = {}
            first_change = last_change = None
            end = time.monotonic() + 120
            while time.monotonic() < end:
                screen = term.screen()
                now = time.monotonic()
                try:
                    peak = max(peak, term.app.memory_info().rss)
                except Exception:
                    break
                if screen != last and screen.strip():
                    changes += 1
                    first_change = first_change or now
                    last_change = now
                    last = screen
                    try:
                        cpu_at.setdefault("first", (now, cpu_seconds(term.app)))
                        cpu_at["last"] = (now, cpu_seconds(term.app))
                    except Exception:
                        pass
                if "finished" in screen or "failed" in screen or not term.alive():
                    break
                time.sleep(0.04)
            span = (last_change or 0) - (first_change or 0)
            rates.append(changes / span if span > 0 else 0.0)
            peaks.append(peak / 2**20)
            durations.append(span)
            if "first" in cpu_at and cpu_at["last"][0] > cpu_at["first"][0]:
                busy.append((cpu_at["last"][1] - cpu_at["first"][1]) / (cpu_at["last"][0] - cpu_at["first"][0]) * 100)
    target = 0.8 / FRAME_S
    note = f"{urls:,} URLs (the scenario's maximum; issue 7 asks for 5,000), runs lasted ~{median(durations):.1f} s"
    return [
        Row(SECTION, names[0], fmt_num(rates, "/s", 1), f">= {target:.0f}/s ({1 / FRAME_S:.0f} Hz frames)",
            verdict(median(rates) >= target), note + "; a lower bound: only frames that change the text count"
            + (f"; the app process used {median(busy):.0f}% of a core meanwhile" if busy else "")),
        Row(SECTION, names[1], fmt_num(peaks, "MB", 0), "< 200 MB", verdict(max(peaks) < 200), note),
    ]


BIG = (  # the largest parameters each scenario allows (issue 14), and a smaller stand-in for --quick
    ("threads-download", {"tasks": 500, "updates": 100_000}, {"tasks": 100, "updates": 20_000}),
    ("cpu-processes", {"n": 20_000_000, "items": 64, "workers": 64}, {"n": 1_000_000, "items": 64, "workers": 64}),
)
APP_BUDGET_MB = 300


def memory_rows(quick: bool) -> list[Row]:
    """Peak memory of the app's side and of the child at the largest parameters, headless, in fresh processes."""
    import json

    from benchmarks.common import run_python

    rows = []
    for name, largest, smaller in BIG:
        params = smaller if quick else largest
        label = f"{name} " + " ".join(f"{k}={v:_}" for k, v in params.items())
        if not has_scenario(name):
            rows.append(skipped(SECTION, f"{label}: app-side peak memory, headless", "not present"))
            continue
        done = run_python(["-m", "benchmarks.big_run", name, json.dumps(params), "1800"], timeout=2400)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BIG ")), None)
        if done.returncode != 0 or line is None:
            rows.append(Row(SECTION, f"{label}: app-side peak memory, headless", "-", "", "miss",
                            f"failed: {done.stderr.strip()[-300:]}"))
            continue
        big = json.loads(line[4:])
        mb = 2**20
        note = (f"run {big['run_s']:.1f} s ({big['exit']}), {big['events']:,} events, {big['lanes']} lanes"
                + (f", lock acquisitions {big['lock_acquisitions']}" if big["lock_acquisitions"] else "")
                + (f"; load notes: {' | '.join(big['load_notes'])}" if big["load_notes"] else ""))
        rows.append(Row(SECTION, f"{label}: app-side peak memory, headless (session, decoder, model)",
                        f"{big['app_peak_bytes'] / mb:.0f} MB", f"< {APP_BUDGET_MB} MB",
                        verdict(big["app_peak_bytes"] < APP_BUDGET_MB * mb), note))
        rows.append(Row(SECTION, f"{label}: the child's peak memory", f"{big['child_tree_peak_bytes'] / mb:.0f} MB "
                        f"(tree), {big['child_process_peak_bytes'] / mb:.0f} MB (largest process)", "bounded", "info",
                        "the whole process tree at its sampled peak, and its largest single process"))
    return rows


def live_big_rows(quick: bool) -> list[Row]:
    """threads-download at its largest in the app under tmux at 120x40: the app's peak memory and screen changes."""
    from benchmarks.terminal import Terminal, cpu_seconds, missing

    name, largest, smaller = BIG[0]
    params = smaller if quick else largest
    label = f"{name} " + " ".join(f"{k}={v:_}" for k, v in params.items()) + " live"
    why = missing() or (None if has_scenario(name) else "not present")
    if why:
        return [skipped(SECTION, f"{label}: app peak memory", why, f"< {APP_BUDGET_MB} MB")]
    args = ["run", name, *(a for k, v in params.items() for a in ("-p", f"{k}={v}")), "--time-limit", "1800"]
    with Terminal(args, 120, 40) as term:
        changes, last, peak, first, latest = 0, "", 0, None, None
        started, cpu0 = time.monotonic(), None
        while time.monotonic() - started < 1900:
            screen = term.screen()
            now = time.monotonic()
            try:
                peak = max(peak, term.app.memory_info().rss)
                cpu0 = cpu0 if cpu0 is not None else (now, cpu_seconds(term.app))
                cpu1 = (now, cpu_seconds(term.app))
            except Exception:
                break
            if "finished" in screen or "failed" in screen or not term.alive():
                break
            if screen != last and screen.strip():
                changes += 1
                first, latest, last = first or now, now, screen
            time.sleep(0.04)
    span = (latest or 0) - (first or 0)
    busy = (cpu1[1] - cpu0[1]) / (cpu1[0] - cpu0[0]) * 100 if cpu0 and cpu1[0] > cpu0[0] else 0.0
    note = f"the run lasted ~{time.monotonic() - started:.0f} s; the app used {busy:.0f}% of a core meanwhile"
    return [
        Row(SECTION, f"{label}: app peak memory (UI, recorder, model)", f"{peak / 2**20:.0f} MB",
            f"< {APP_BUDGET_MB} MB", verdict(peak < APP_BUDGET_MB * 2**20), note),
        Row(SECTION, f"{label}: screen changes per second while running", f"{changes / span if span else 0:.1f}/s",
            "> 0 (not frozen)", verdict(changes > 1 and span > 0), note),
    ]


def main(quick: bool = False) -> list[Row]:
    return model_rows(quick) + drawing_rows(quick) + live_rows(quick) + memory_rows(quick) + live_big_rows(quick)


if __name__ == "__main__":
    cli(main)

"""Probe overhead: each scenario's workload as the guide's plain code, as concviz's module with the probe off,
and as the real child (``python -m scenarios NAME``, events flowing through the pipe to a live Session).

Per repetition the three run back to back (the order rotates), so each ratio compares runs made moments apart on
the same noisy machine; the figure is the median ratio over the repetitions, with its spread.
Wall time is the workload alone: ``run()`` timed inside the child for plain and probe-off, HELLO to RUN_END from
the trace for the real child. CPU is the whole child process tree (getrusage of waited children), which is where
the probe's cost shows in sleep-dominated scenarios.
"""

from __future__ import annotations

import inspect
import json
import re

from benchmarks.common import (Row, children_cpu_s, cli, fmt_num, fmt_pct, get_scenario, has_scenario, median,
                               run_python, skipped, verdict)

SECTION = "1. probe overhead"
BUDGET = 1.03

# name, budgeted (<= 3% slower), sleep-dominated (CPU is the telling figure)
SCENARIOS = (
    ("threads-download", True, True),
    ("async-dashboard", True, True),
    ("futures", True, True),
    ("cpu-processes", True, False),
    ("cpu-speedup", True, False),
    ("async-fetch", False, True),
    ("mixed-loop", False, False),
)


# longer workloads than the defaults, to tell a fixed cost (pool and thread start-up) from a per-event one
EXTRA = (
    ("cpu-processes", {"n": 4_000_000}),
    ("threads-download", {"updates": 10_000}),  # the scenario's hot-lock knob: 100k traced acquisitions
)


def timed_child(mode: str, name: str, params: dict, seed: int) -> tuple[float, float, list[str]]:
    before = children_cpu_s()
    done = run_python(["-m", "benchmarks.timed_child", mode, name, "--seed", str(seed),
                       "--params", json.dumps(params)])
    cpu = children_cpu_s() - before
    timed = [ln for ln in done.stderr.splitlines() if ln.startswith("TIMED ")]
    if done.returncode != 0 or not timed:
        raise RuntimeError(f"{mode} {name} failed: {done.stderr.strip()[-300:]}")
    return json.loads(timed[-1][6:])["wall_s"], cpu, done.stdout.splitlines()


def real_child_off(name: str, params: dict, seed: int) -> tuple[float, float, list[str]]:
    """The real child (``python -m scenarios NAME``) with no event pipe: its whole CPU, the "probe off" baseline
    for CPU (same imports and start-up as the probed child; only the probe's work differs)."""
    before = children_cpu_s()
    done = run_python(["-m", "scenarios", name, "--seed", str(seed), "--params", json.dumps(params)])
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed without the probe: {done.stderr.strip()[-300:]}")
    return 0.0, children_cpu_s() - before, done.stdout.splitlines()


def probed_child(scenario, params: dict, seed: int) -> tuple[float, float, list[str]]:
    from tui.session import run_headless

    before = children_cpu_s()
    trace = run_headless(scenario, params, seed, time_limit_s=600)
    cpu = children_cpu_s() - before
    exit = trace.exit or {}
    if exit.get("status") != 0 or trace.ended is None or exit.get("stream_error"):
        raise RuntimeError(f"the probed run failed: {exit.get('stream_error') or exit.get('reason')}")
    return trace.ended, cpu, [line for _, line in trace.output]


def plain_mismatch(name: str, scenario) -> str | None:
    """Why the plain version cannot stand in for the scenario (a parameter it does not take), or None."""
    from benchmarks.guide import PLAIN

    plain = PLAIN.get(name)
    if plain is None:
        return "no plain version of the guide's code in benchmarks/guide.py"
    takes = set(inspect.signature(plain).parameters)
    unknown = [p.name for p in scenario.params if p.name not in takes]
    if unknown:
        return f"benchmarks/guide.py's plain version does not take {', '.join(unknown)}: update it to the module"
    return None


def measure(name: str, budgeted: bool, sleepy: bool, reps: int, seed: int = 1, given: dict | None = None) -> list[Row]:
    budget = "<= +3.0% vs plain" if budgeted else "state the figure"
    label = name + "".join(f" {k}={v:_}" if isinstance(v, int) else f" {k}={v}" for k, v in (given or {}).items())
    if not has_scenario(name):
        return [skipped(SECTION, f"{label}: real child vs plain (wall)", "not present", budget)]
    scenario = get_scenario(name)
    why = plain_mismatch(name, scenario)
    if why:
        return [skipped(SECTION, f"{label}: real child vs plain (wall)", why, budget)]
    params = scenario.resolve(given or {})
    name_for_rows = label
    runs = {"plain": [], "off": [], "off_real": [], "on": []}
    outputs = {}
    order = list(runs)
    for rep in range(reps):
        for mode in order[rep % 4:] + order[: rep % 4]:
            if mode == "on":
                wall, cpu, out = probed_child(scenario, params, seed)
            elif mode == "off_real":
                wall, cpu, out = real_child_off(name, params, seed)
            else:
                wall, cpu, out = timed_child("plain" if mode == "plain" else "probe-off", name, params, seed)
            runs[mode].append((wall, cpu))
            outputs[mode] = sorted(re.sub(r"\d+\.\d+", "#", line) for line in out)
    wall = {m: [w for w, _ in v] for m, v in runs.items()}
    cpu = {m: [c for _, c in v] for m, v in runs.items()}
    on_plain = [a / b for a, b in zip(wall["on"], wall["plain"])]
    off_plain = [a / b for a, b in zip(wall["off"], wall["plain"])]
    on_off = [a / b for a, b in zip(wall["on"], wall["off"])]
    same = outputs["plain"] == outputs["off"] == outputs["off_real"] == outputs["on"]
    note = (f"plain {median(wall['plain']):.3f} s; params {params}; "
            + ("same printed output in all runs (decimals masked)" if same else "printed output differs between plain and module: check the plain version"))
    rows = [
        Row(SECTION, f"{name_for_rows}: real child vs plain (wall)", fmt_pct(on_plain), budget,
            verdict(median(on_plain) <= BUDGET) if budgeted else "info", note),
        Row(SECTION, f"{name_for_rows}: probe off vs plain (wall)", fmt_pct(off_plain), "", "info"),
        Row(SECTION, f"{name_for_rows}: probe on vs off (wall)", fmt_pct(on_off), "", "info"),
    ]
    added = [a - b for a, b in zip(cpu["on"], cpu["off_real"])]
    rows.append(Row(SECTION, f"{name_for_rows}: child CPU added by the probe", fmt_num([a * 1000 for a in added], "ms"),
                    "", "info",
                    f"whole child tree, python -m scenarios with vs without the pipe: on "
                    f"{median(cpu['on']) * 1000:.0f} ms, off {median(cpu['off_real']) * 1000:.0f} ms (ratio "
                    f"{median([a / b for a, b in zip(cpu['on'], cpu['off_real'])]):.3f}); the plain guide code's child: "
                    f"{median(cpu['plain']) * 1000:.0f} ms" + ("; sleep-dominated: wall time hides this" if sleepy else "")))
    return rows


def main(quick: bool = False) -> list[Row]:
    reps = 3 if quick else 7
    rows = []
    for name, budgeted, sleepy in SCENARIOS:
        try:
            rows += measure(name, budgeted, sleepy, reps)
        except Exception as exc:  # one failing scenario must not hide the others' figures
            rows.append(Row(SECTION, f"{name}: real child vs plain (wall)", "-", "", "miss",
                            f"failed: {exc}"))
    for name, given in EXTRA:
        try:
            rows += measure(name, False, False, reps, given=given)
        except Exception as exc:
            rows.append(Row(SECTION, f"{name} {given}: real child vs plain (wall)", "-", "", "miss", f"failed: {exc}"))
    return rows


if __name__ == "__main__":
    cli(main)

"""Run every benchmark and write benchmarks/RESULTS.md: ``.venv/bin/python -m benchmarks.run_all [--quick]``.

Each benchmark runs in a fresh process, one after another (they must not compete for the 2 cores), and reports
rows: a figure, its value (median of repetitions, with the spread), its budget and pass / miss / info / skipped.
A benchmark that crashes becomes one "miss" row saying so; the others still run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from benchmarks.common import PYTHON, ROOT, Row, clean_env, machine

BENCHMARKS = (
    ("bench_probe", "probe overhead per scenario"),
    ("bench_probe_calls", "probe cost per call, hot lock"),
    ("bench_pipeline", "event pipeline"),
    ("bench_latency", "event to pixel"),
    ("bench_ui", "UI cost"),
    ("bench_keys", "a key answered during heavy runs"),
    ("bench_fidelity", "fidelity"),
    ("bench_scale", "scale"),
    ("bench_startup", "start-up"),
)
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HISTORY = "## History"  # a hand-kept section at the end of RESULTS.md (figures before and after fixes): kept


def kept_history() -> str:
    """The previous RESULTS.md's history section, carried over to the new one."""
    old = RESULTS.read_text() if RESULTS.exists() else ""
    return "\n" + old[old.index(HISTORY):] if HISTORY in old else ""


def run_one(module: str, quick: bool) -> tuple[list[Row], float]:
    started = time.monotonic()
    cmd = [PYTHON, "-m", f"benchmarks.{module}", "--json"] + (["--quick"] if quick else [])
    done = subprocess.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True)
    rows = [Row(**json.loads(line[4:])) for line in done.stdout.splitlines() if line.startswith("ROW ")]
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        rows.append(Row(module, "the benchmark itself", "-", "", "miss",
                        f"crashed (exit {done.returncode}): {tail[0][:300]}"))
    return rows, time.monotonic() - started


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write(rows: list[Row], info: dict, quick: bool, took: dict[str, float], only: list[str]) -> None:
    counts = {s: sum(r.status == s for r in rows) for s in ("pass", "miss", "skipped", "info")}
    lines = [
        "# concviz benchmark results",
        "",
        f"Written by `.venv/bin/python -m benchmarks.run_all{' --quick' if quick else ''}`"
        + (f" (only {', '.join(only)})" if only else "") + f" on {info['date']}.",
        "",
        "| machine | |",
        "|---|---|",
        f"| cores | {info['cores']} |",
        f"| CPU | {info['cpu']} |",
        f"| kernel | {info['kernel']} |",
        f"| Python | {info['python']} |",
        f"| textual / rich / psutil | {info['textual']} / {info['rich']} / {info['psutil']} |",
        f"| load average (1, 5, 15 min) at start / end | {info['load']} / {info.get('load_end', '?')} |",
        "",
        "Figures are medians over repetitions, with (lowest-highest, n) after them; ratios compare runs made moments "
        "apart in the same run of this script. The machine is shared and noisy: read the spread before the median.",
        "",
        f"**{counts['pass']} pass, {counts['miss']} miss, {counts['skipped']} skipped, {counts['info']} for "
        "information.**",
        "",
    ]
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            lines += ["", f"## {section}", "", "| figure | value | budget | verdict | note |", "|---|---|---|---|---|"]
        mark = {"pass": "pass", "miss": "**MISS**", "skipped": "skipped", "info": ""}.get(row.status, row.status)
        lines.append(f"| {cell(row.figure)} | {cell(row.value)} | {cell(row.budget)} | {mark} | {cell(row.note)} |")
    lines += ["", "## time each benchmark took", ""]
    lines += [f"- {name}: {seconds:.0f} s" for name, seconds in took.items()]
    RESULTS.write_text("\n".join(lines) + "\n" + kept_history())


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_all", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a smoke run, noisier figures")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this benchmark (repeatable): " + ", ".join(m for m, _ in BENCHMARKS))
    args = parser.parse_args()
    known = {m for m, _ in BENCHMARKS}
    unknown = [name for name in args.only if name not in known]
    if unknown:
        print(f"run_all: unknown benchmark {unknown[0]!r}: choose from {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    info = machine()
    rows: list[Row] = []
    took: dict[str, float] = {}
    for module, what in BENCHMARKS:
        if args.only and module not in args.only:
            continue
        print(f"{module}: {what} ...", flush=True)
        got, took[module] = run_one(module, args.quick)
        for row in got:
            print(f"  [{row.status:7}] {row.figure}: {row.value}" + (f"  ({row.note})" if row.status in
                                                                      ("miss", "skipped") else ""), flush=True)
        rows += got
    import os

    info["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    write(rows, info, args.quick, took, args.only)
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

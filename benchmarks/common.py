"""What every benchmark shares: repetitions, medians and spreads, the machine's description, result rows.

A benchmark module defines ``main(quick: bool) -> list[Row]`` and can be run alone
(``python -m benchmarks.bench_probe``): it prints its rows as a table, or as JSON lines with ``--json``
(how run_all collects them, each benchmark in a fresh process).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Row:
    """One figure: what was measured, its value, the budget it answers to and whether it met it."""

    section: str
    figure: str
    value: str
    budget: str = ""
    status: str = "info"  # pass | miss | info | skipped
    note: str = ""


def skipped(section: str, figure: str, why: str, budget: str = "") -> Row:
    return Row(section, figure, "-", budget, "skipped", f"skipped: {why}")


def verdict(ok: bool) -> str:
    return "pass" if ok else "miss"


# ------------------------------------------------------------------------------------------- statistics


def median(values) -> float:
    return statistics.median(values)


def spread(values) -> tuple[float, float]:
    """The lowest and highest of the repetitions."""
    return min(values), max(values)


def fmt_ratio(values, digits: int = 3) -> str:
    lo, hi = spread(values)
    return f"{median(values):.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f}, n={len(values)})"


def fmt_pct(values) -> str:
    """Ratios (1.02 = 2% slower) as a signed percentage: median (min..max)."""
    m = (median(values) - 1) * 100
    lo, hi = ((v - 1) * 100 for v in spread(values))
    return f"{m:+.1f}% ({lo:+.1f}..{hi:+.1f}, n={len(values)})"


def fmt_num(values, unit: str, digits: int = 2) -> str:
    lo, hi = spread(values)
    return f"{median(values):.{digits}f} {unit} ({lo:.{digits}f}-{hi:.{digits}f}, n={len(values)})"


# ---------------------------------------------------------------------------------------- availability


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def scenario_module(name: str) -> str:
    """The module of a scenario's command-line name: ``threads-download`` -> ``scenarios.threads_download``."""
    return "scenarios." + name.replace("-", "_")


def has_scenario(name: str) -> bool:
    return has_module(scenario_module(name))


def get_scenario(name: str):
    from scenarios import catalog

    return catalog.get(name)


# ------------------------------------------------------------------------------------------- processes


def run_python(args: list[str], env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python ARGS`` from the repository's root, output captured (never a stray process: it is waited for)."""
    return subprocess.run([PYTHON, *args], cwd=ROOT, env=env or clean_env(), capture_output=True, text=True,
                          timeout=timeout)


def clean_env() -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("CONCVIZ_EVENTS_FD", None)
    return env


def children_cpu_s() -> float:
    """CPU seconds (user + system) of every child this process has waited for so far, with their children."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------------------------------------- machine


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("textual", "rich", "psutil"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "not installed"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cores": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        **versions,
    }


# ------------------------------------------------------------------------------------------ entry point


def cli(main) -> None:
    """Run one benchmark module: ``python -m benchmarks.bench_x [--quick] [--json]``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run, noisier figures)")
    parser.add_argument("--json", action="store_true", help="print rows as JSON lines (for run_all)")
    args = parser.parse_args()
    rows = main(quick=args.quick)
    for row in rows:
        if args.json:
            print("ROW " + json.dumps(asdict(row)), flush=True)
        else:
            print(f"[{row.status:7}] {row.section} | {row.figure}: {row.value}  (budget: {row.budget or '-'})"
                  + (f"  {row.note}" if row.note else ""), flush=True)

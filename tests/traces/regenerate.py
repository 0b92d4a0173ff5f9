"""Re-record the small traces the tests replay: one per scenario in the catalog, with small parameters.

    .venv/bin/python tests/traces/regenerate.py [NAME ...]

Each file is a real run (tui.session.run_headless) saved with tui.tracefile; keep them at tens of KiB. A scenario
missing from SMALL runs with its defaults (and the script says so): add a line for it. COMPARED recordings run a
scenario under several interpreters in turn (tui.session.run_each, format version 2) into tests/traces/interpreters/;
an interpreter this machine lacks is said, and that recording is not made.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from scenarios.catalog import scenarios  # noqa: E402
from tui import pythons, tracefile  # noqa: E402
from tui.session import run_each, run_headless  # noqa: E402

SEED = 1
TIME_LIMIT_S = 60.0
SMALL = {  # the guide's own sizes where a run is short; parameters a scenario does not have are reported
    "threads-download": {},  # 10 threads, 0.1-0.5 s
    "lost-updates": {"threads": 4, "updates": 200},
    "async-dashboard": {},  # three fetches, 0.5-1.5 s
    "async-fetch": {"urls": 30, "workers": 10, "min_ms": 20, "max_ms": 100},
    "futures": {},
    "cpu-processes": {},  # the guide's 4 x heavy(1_000_000)
    "cpu-speedup": {},
    "mixed-loop": {},
    "convoy": {"requests": 50},
}
EXTRA = {  # more recordings of a scenario, under a name of their own: file stem -> (scenario, parameters)
    "async-fetch-compare": ("async-fetch", {"model": "compare", "urls": 40, "workers": 10, "min_ms": 20, "max_ms": 100}),
}


COMPARED = {  # interpreters compared: file stem -> (scenario, parameters, interpreters: "self" or a version to find)
    "interpreters/cpu-speedup": ("cpu-speedup", {}, ("3.12", "self")),
}


def find_python(version: str) -> str | None:
    """This Python ("self"), or the newest pyenv X.Y.*, or pythonX.Y on PATH (a pyenv shim on PATH may not run)."""
    if version == "self":
        return sys.executable
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", "python")),
                        key=lambda p: [int(x) for x in p.split(os.sep)[-3].split(".") if x.isdigit()])
    return candidates[-1] if candidates else shutil.which(f"python{version}")


def record_compared(name: str) -> bool:
    scenario_name, wanted, versions = COMPARED[name]
    scenario = scenarios()[scenario_name]
    paths = [find_python(v) for v in versions]
    if None in paths:
        print(f"{name}: NOT saved: no Python {versions[paths.index(None)]} on this machine", file=sys.stderr)
        return False
    interpreters = [pythons.check(path, scenario.needs, scenario.name) for path in paths]
    recorder = tracefile.Recorder(runs=True)

    def add(run: int, batch) -> None:
        recorder.run = run
        recorder.add(batch)

    runs = run_each(scenario, scenario.resolve(wanted), SEED, interpreters, time_limit_s=TIME_LIMIT_S, on_batch=add)
    if (runs.exit or {}).get("status") != 0 or any("stream_error" in (t.exit or {}) or not t.lanes for t in runs):
        print(f"{name}: NOT saved: {(runs.exit or {}).get('reason')}", file=sys.stderr)
        return False
    size = recorder.save(path_for(name), runs.file_meta())
    each = ", ".join(f"{label} {t.duration:.2f} s" for label, t in zip(runs.labels, runs))
    print(f"{name}: {each}, {sum(t.events for t in runs)} events -> {size / 1024:.1f} KiB")
    return True


def path_for(name: str) -> str:
    return os.path.join(HERE, f"{name}{tracefile.SUFFIX}")


def record(name: str) -> bool:
    """Record one scenario (or one EXTRA recording); a run that failed or whose stream broke is not saved."""
    if name in COMPARED:
        return record_compared(name)
    scenario_name, wanted = EXTRA.get(name, (name, SMALL.get(name)))
    scenario = scenarios()[scenario_name]
    if wanted is None:
        print(f"{name}: no small parameters in SMALL, recording its defaults")
        wanted = {}
    known = {p.name for p in scenario.params}
    dropped = sorted(set(wanted) - known)
    if dropped:
        print(f"{name}: has no parameter {', '.join(dropped)} (update SMALL)")
    params = scenario.resolve({k: v for k, v in wanted.items() if k in known})
    recorder = tracefile.Recorder()
    trace = run_headless(scenario, params, SEED, time_limit_s=TIME_LIMIT_S, on_batch=recorder.add)
    end = trace.exit or {}
    if end.get("status") != 0 or "stream_error" in end or not trace.lanes:
        problem = end.get("stream_error") or end.get("reason") or "no lanes"
        print(f"{name}: NOT saved: {problem}", file=sys.stderr)
        return False
    size = recorder.save(path_for(name), trace.meta)
    print(f"{name}: {trace.duration:.2f} s, {trace.events} events -> {size / 1024:.1f} KiB")
    return True


def main(names: list[str]) -> int:
    found = list(scenarios()) + list(EXTRA) + list(COMPARED)
    unknown = [n for n in names if n not in found]
    if unknown:
        print(f"unknown recording {', '.join(unknown)}: choose from {', '.join(found)}", file=sys.stderr)
        return 2
    failed = [name for name in names or found if not record(name)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

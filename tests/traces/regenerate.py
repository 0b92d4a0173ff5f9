"""Re-record the small traces the tests replay: one per scenario in the catalog, with small parameters.

    .venv/bin/python tests/traces/regenerate.py [NAME ...]

Each file is a real run (tui.session.run_headless) saved with tui.tracefile; keep them at tens of KiB. A scenario
missing from SMALL runs with its defaults (and the script says so): add a line for it.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from scenarios.catalog import scenarios  # noqa: E402
from tui import tracefile  # noqa: E402
from tui.session import run_headless  # noqa: E402

SEED = 1
TIME_LIMIT_S = 60.0
SMALL = {  # the guide's own sizes where a run is short; parameters a scenario does not have are reported
    "threads-download": {},  # 10 threads, 0.1-0.5 s
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


def path_for(name: str) -> str:
    return os.path.join(HERE, f"{name}{tracefile.SUFFIX}")


def record(name: str) -> bool:
    """Record one scenario (or one EXTRA recording); a run that failed or whose stream broke is not saved."""
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
    found = list(scenarios()) + list(EXTRA)
    unknown = [n for n in names if n not in found]
    if unknown:
        print(f"unknown recording {', '.join(unknown)}: choose from {', '.join(found)}", file=sys.stderr)
        return 2
    failed = [name for name in names or found if not record(name)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

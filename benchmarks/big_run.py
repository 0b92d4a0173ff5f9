"""One scenario run headless, in a process of its own, to measure memory: ``python -m benchmarks.big_run NAME JSON``.

Prints one line ``BIG {...}`` on stdout: this process's peak resident memory (the app's side without its UI: session,
decoder, trace model), the child's (its largest process, from the kernel's accounting of waited children, and its
whole tree at its peak, from the session's samples), how long the run took, its exit, and the model's figures that
say whether anything was lost (lock acquisitions, events) and what it summarised (load notes).
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(argv: list[str]) -> int:
    from scenarios import catalog
    from tui.session import run_headless

    name, params = argv[0], json.loads(argv[1])
    limit = float(argv[2]) if len(argv) > 2 else 900.0
    scenario = catalog.get(name)
    started = time.monotonic()
    trace = run_headless(scenario, scenario.resolve(params), seed=1, time_limit_s=limit)
    wall = time.monotonic() - started
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print("BIG " + json.dumps({
        "wall_s": round(wall, 2), "run_s": round(trace.duration, 2), "exit": (trace.exit or {}).get("reason"),
        "app_peak_bytes": me, "child_process_peak_bytes": child, "child_tree_peak_bytes": trace.peak("rss"),
        "events": trace.events, "lanes": len(trace.lanes),
        "lock_acquisitions": [s.acquisitions for s in trace.lock_stats()],
        "load_notes": trace.load_notes(),
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

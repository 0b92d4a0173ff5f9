"""A child that times one workload: ``python -m benchmarks.timed_child plain|probe-off NAME --seed N --params J``.

``plain`` runs the guide's code (benchmarks.guide), ``probe-off`` the scenario module with the probe inactive
(no event pipe: every probe call is a no-op). Both start like the real child (``scenarios.__main__.find``: the
scenario's own module imported, nothing else; the seed set), so what ``run`` imports on its way (e.g.
``concurrent.futures.process``) costs the same in all three; then time ``run`` alone and print one line
``TIMED {"wall_s": .., "cpu_s": ..}`` on stderr.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(argv: list[str]) -> int:
    mode, name = argv[0], argv[1]
    seed = int(argv[argv.index("--seed") + 1])
    params = json.loads(argv[argv.index("--params") + 1])

    from scenarios import seeding
    from scenarios.__main__ import find

    scenario = find(name)
    params = scenario.resolve(params)
    seeding.seed(seed)
    if mode == "plain":
        from benchmarks.guide import plain_version

        run = plain_version(name)
        if run is None:
            raise SystemExit(f"benchmarks/guide.py has no plain version of {name}")
    else:
        run = __import__(scenario.module, fromlist=["run"]).run

    def cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    cpu0, t0 = cpu(), time.perf_counter()
    run(**params)
    wall, used = time.perf_counter() - t0, cpu() - cpu0
    sys.stdout.flush()
    print("TIMED " + json.dumps({"wall_s": wall, "cpu_s": used}), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

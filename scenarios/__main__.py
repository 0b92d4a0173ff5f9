"""The child process: ``python -m scenarios NAME --seed N --params JSON``.

concviz starts it in a session of its own (so the whole tree can be ended together), hands it the write end of
the event pipe in CONCVIZ_EVENTS_FD, and keeps its stdin open as a lifeline: when stdin reaches end of file
(concviz closed it to cancel the run, or concviz died) the child ends its whole process group at once.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import traceback

from scenarios import catalog, probe, seeding


def _end_everything(*_) -> None:
    """End this run's whole process tree (pool workers, the HTTP server) and this process."""
    try:
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os._exit(4)


def _watch_lifeline() -> None:
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    _end_everything()


def _describe(exc: BaseException) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    inner = frames[-1] if frames else None
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "where": f"{os.path.basename(inner.filename)}:{inner.lineno} in {inner.name}" if inner else "",
        "traceback": "".join(traceback.format_exception(exc)),
    }


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m scenarios")
    parser.add_argument("name")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--params", default="{}", help="JSON object of parameter values")
    args = parser.parse_args(argv)

    scenario = catalog.get(args.name)
    params = scenario.resolve(json.loads(args.params))
    seeding.seed(args.seed)

    fd = os.environ.get("CONCVIZ_EVENTS_FD")
    if fd is not None:
        signal.signal(signal.SIGTERM, _end_everything)
        signal.signal(signal.SIGHUP, _end_everything)
        threading.Thread(target=_watch_lifeline, name="concviz-lifeline", daemon=True).start()
        probe.init(int(fd))

    run = getattr(importlib.import_module(scenario.module), scenario.entry)
    status = 0
    try:
        run(**params)
    except BaseException as exc:  # report any failure of the scenario, then exit non-zero
        probe.error(_describe(exc))
        traceback.print_exc()
        status = 1
    probe.run_end()
    if probe.locks_made():
        probe.note(lock_tracing_us=round(probe.lock_tracing_cost_us(), 3))
    probe.flush()
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The child process: ``python -m scenarios NAME --seed N --params JSON``.

concviz starts it in a session of its own (so the whole tree can be ended together), hands it the write end of
the event pipe in CONCVIZ_EVENTS_FD, and keeps its stdin open as a lifeline: when stdin reaches end of file
(concviz closed it to cancel the run, or concviz died) the child ends its whole process group at once.

The child imports only the scenario it runs (the whole catalog only for a name outside the naming convention):
the other scenarios' imports (asyncio, urllib, ssl) cost ~60 ms of start-up, ~10 ms of shutdown and a larger
process for every pool worker to fork.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import sys
import threading
import traceback

from scenarios import catalog, probe, pyinfo, seeding


def _end_everything(*_: object) -> None:
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


def _describe(exc: BaseException) -> dict[str, str]:
    frames = traceback.extract_tb(exc.__traceback__)
    inner = frames[-1] if frames else None
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "where": f"{os.path.basename(inner.filename)}:{inner.lineno} in {inner.name}" if inner else "",
        "traceback": "".join(traceback.format_exception(exc)),
    }


def find(name: str) -> catalog.Scenario:
    """The scenario called ``name``, from its own module ``scenarios.<name with _ for ->`` when there is one, else
    from the catalog (which knows every name, and says which exist when ``name`` is none of them)."""
    if re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name):
        module = "scenarios." + name.replace("-", "_")
        try:
            loaded = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
        else:
            for scenario in getattr(loaded, "SCENARIOS", None) or (getattr(loaded, "SCENARIO", None),):
                if isinstance(scenario, catalog.Scenario) and scenario.name == name:
                    return scenario
    return catalog.get(name)


def _parse(argv: list[str]) -> tuple[catalog.Scenario, dict[str, catalog.Value], int]:
    """The scenario, its parameters and the seed; bad input ends the child with one line on stderr, exit 2."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m scenarios")
    parser.add_argument("name")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--params", default="{}", help="JSON object of parameter values")
    args = parser.parse_args(argv)
    try:
        try:
            given = json.loads(args.params)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--params is not JSON ({exc})") from None
        if not isinstance(given, dict):
            raise ValueError("--params takes a JSON object, e.g. '{\"n\": 1000}'")
        scenario = find(args.name)
        return scenario, scenario.resolve(given), args.seed
    except ValueError as exc:  # a ParamError is a ValueError
        parser.exit(2, f"python -m scenarios: {str(exc).splitlines()[0]}\n")


def _stop_multiprocessing_helpers() -> None:
    """multiprocessing's own helper processes (the resource tracker that spawn and forkserver start, and the fork
    server itself) outlive a pool by design, until their parent exits. End them with the scenario, and wait for
    them, so that a finished run leaves no process behind even for a moment."""
    for module, attr in (("multiprocessing.forkserver", "_forkserver"),
                         ("multiprocessing.resource_tracker", "_resource_tracker")):
        helper = getattr(sys.modules.get(module), attr, None)
        if helper is not None:
            try:
                helper._stop()
            except (OSError, AttributeError, ChildProcessError):  # not started, or already gone
                pass


def main(argv: list[str]) -> int:
    scenario, params, seed = _parse(argv)
    seeding.seed(seed)

    fd = os.environ.get("CONCVIZ_EVENTS_FD")
    if fd is not None:
        signal.signal(signal.SIGTERM, _end_everything)
        signal.signal(signal.SIGHUP, _end_everything)
        threading.Thread(target=_watch_lifeline, name="concviz-lifeline", daemon=True).start()
        probe.init(int(fd))

    run = getattr(importlib.import_module(scenario.module), scenario.entry)
    python = pyinfo.python_info()  # after the scenario's imports: an extension module may have turned the GIL on
    probe.note(python=python)
    status = 0
    try:
        run(**params)
    except BaseException as exc:  # report any failure of the scenario, then exit non-zero
        probe.error(_describe(exc))
        traceback.print_exc()
        status = 1
    probe.run_end()
    _stop_multiprocessing_helpers()  # after the run's end: off its timeline
    if pyinfo.python_info()["gil"] != python["gil"]:  # something the run imported changed it
        probe.note(python=pyinfo.python_info())
    if probe.active() and probe.locks_made():  # after the run's end: off its timeline (~6 ms)
        probe.note(lock_tracing_us=round(probe.lock_tracing_cost_us(rounds=1000), 3))
    probe.flush()
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

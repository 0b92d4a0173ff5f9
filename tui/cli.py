"""The command line: ``concviz [--theme dark|light] [list | run | record | replay | export | tour | serve]``.

Bad input (an unknown scenario or parameter, a value out of range, a damaged file, a path that cannot be
written) prints one line to stderr and exits with status 2, never a traceback.

Everything printed here that came from outside (a path, a name or line from a trace or a child) goes through
tui.text.printable: control characters and escape sequences are shown escaped, never sent to the terminal. JSON
(``--json``, ``export``) is strict: json escapes every control character, and a non-finite number is written as null.
"""

from __future__ import annotations

import argparse
import signal
import sys

from tui import __version__
from tui.text import printable

EXIT_USAGE = 2
DEFAULT_SEED = 1


class UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="concviz",
        description="Watch Python's concurrency models run: per-task timelines, lock contention and per-core load, "
        "measured live. With no command, opens the app on its home screen.",
    )
    parser.add_argument("--version", action="version", version=f"concviz {__version__}")
    themes = ("dark", "light")  # tui/theme.py's palettes
    theme_help = "the colours: dark (the default) or light, high contrast for projectors"
    parser.add_argument("--theme", choices=themes, default="dark", help=theme_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sub.add_parser("list", help="list the scenarios and their parameters")

    def scenario_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("name", metavar="NAME", help="a scenario (see 'concviz list')")
        p.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                       help="set a scenario parameter (repeatable)")
        p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
        p.add_argument("--time-limit", type=float, default=None, metavar="S",
                       help="end the run after S seconds (default 120, at most 3600)")
        p.add_argument("--python", action="append", default=[], metavar="PATH",
                       help="run the scenario under this interpreter (3.11 or newer) rather than concviz's own; "
                       "given two or more times (a comparison scenario), run it under each in turn and compare")

    run = sub.add_parser("run", help="run a scenario live in the app, or headless")
    scenario_args(run)
    run.add_argument("--headless", action="store_true", help="no UI: print a summary when the run ends")
    run.add_argument("--json", action="store_true", help="with --headless: print the summary as one JSON object")
    run.add_argument("--theme", choices=themes, default=argparse.SUPPRESS, help=theme_help)

    record = sub.add_parser("record", help="run a scenario headless and save its trace to a file")
    scenario_args(record)
    record.add_argument("-o", "--output", required=True, metavar="FILE", help="the trace file to write")

    replay = sub.add_parser("replay", help="replay a recorded trace in the app")
    replay.add_argument("file", metavar="FILE")
    replay.add_argument("--speed", type=float, default=1.0, help="playback speed, 0.1 to 10 (default 1)")
    replay.add_argument("--theme", choices=themes, default=argparse.SUPPRESS, help=theme_help)

    tour = sub.add_parser("tour", help="the guide as a tour: each section in order, its scenarios run, the takeaways")
    tour.add_argument("--from", dest="recordings", metavar="DIR", default=None,
                      help="replay DIR/NAME.cvz for each scenario instead of running it (concviz record writes them)")
    tour.add_argument("--theme", choices=themes, default=argparse.SUPPRESS, help=theme_help)

    export = sub.add_parser("export", help="convert a recorded trace to Chrome Trace Event JSON (Perfetto)")
    export.add_argument("file", metavar="FILE")
    export.add_argument("-o", "--output", required=True, metavar="OUT.json")

    serve = sub.add_parser("serve", help="serve the app to web browsers: each tab runs a concviz of its own")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this "
                       "machine only; anyone who can reach any other can run scenarios here)")
    serve.add_argument("--port", type=int, default=8000, help="the port (default 8000; 0: any free port)")
    serve.add_argument("--font-size", type=int, default=16, metavar="PX",
                       help="the terminal's font size in the browser, 8 to 64 pixels (default 16)")
    serve.add_argument("--theme", choices=themes, default=argparse.SUPPRESS, help=theme_help)
    return parser


def parse_params(pairs: list[str]) -> dict[str, str]:
    from scenarios.catalog import quoted

    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-p takes KEY=VALUE, got {quoted(pair)}")
        params[key.strip()] = value.strip()
    return params


def resolve_run(args) -> tuple:
    """The scenario, its checked parameters, the time limit and the interpreters to run it on (none: concviz's
    own), or UsageError."""
    from scenarios.catalog import ParamError, get

    try:
        scenario = get(args.name)
        params = scenario.resolve(parse_params(args.param))
    except ParamError as exc:
        raise UsageError(str(exc)) from None
    limit = args.time_limit
    if limit is not None and not (1 <= limit <= 3600):
        raise UsageError(f"--time-limit {limit:g} is out of range: it takes 1 to 3600 seconds")
    return scenario, params, limit, resolve_pythons(args.python, scenario, params)


def resolve_pythons(paths: list[str], scenario, params: dict) -> list:
    """Each ``--python`` checked (tui.pythons.check): two or more compare, which only a comparison scenario can."""
    from tui import pythons
    from tui.runs import MAX_RUNS, comparison_names, compares

    if len(paths) > MAX_RUNS:
        raise UsageError(f"--python is given {len(paths)} times: a comparison takes at most {MAX_RUNS} interpreters")
    if len(paths) > 1 and not compares(scenario.name, params):
        what = f"{scenario.name} -p model={params['model']}" if "model" in params else scenario.name
        raise UsageError(f"comparing interpreters (--python given {len(paths)} times) takes a comparison scenario "
                         f"({comparison_names()}); {what} is not one: run it under one --python at a time")
    try:
        return [pythons.check(path, scenario.needs, scenario.name) for path in paths]
    except pythons.InterpreterError as exc:
        raise UsageError(str(exc)) from None


def cmd_list() -> int:
    """The scenarios as a table: as wide as the terminal (or ``COLUMNS``), its cells wrapped to fit; piped to a
    file or a pager, as wide as its longest cells, nothing wrapped (a row's parameters still a line each)."""
    import os

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from scenarios.catalog import scenarios

    table = Table(title="concviz scenarios", title_justify="left")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("guide")
    table.add_column("what to watch")
    table.add_column("parameters: default (allowed)")
    for s in scenarios().values():  # Text: a scenario module (CONCVIZ_EXTRA_SCENARIOS too) is shown, never obeyed
        params = "\n".join(printable(f"{p.name}={p.default} ({_allowed(p)})") for p in s.params)  # a line each
        table.add_row(*(Text(printable(cell, None)) for cell in (s.name, s.guide, s.watch)), Text(params))
    console = Console()
    if not console.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        unbounded = console.options.update(width=10**6, max_width=10**6)
        console = Console(width=console.measure(table, options=unbounded).maximum)
    console.print(table)
    return 0


def _allowed(p) -> str:
    if p.choices:
        return "|".join(p.choices)
    return f"{p.bound(p.min)}..{p.bound(p.max)}" if p.min is not None else p.type.__name__


def cmd_headless(args) -> int:
    from tui.runs import Runs
    from tui.session import DEFAULT_TIME_LIMIT_S, run_each, run_headless
    from tui.summary import summarize
    from tui.text import strict_json

    scenario, params, limit, pythons = resolve_run(args)
    if len(pythons) > 1:
        trace = run_each(scenario, params, args.seed, pythons, time_limit_s=limit or DEFAULT_TIME_LIMIT_S)
    else:
        trace = run_headless(scenario, params, args.seed, time_limit_s=limit or DEFAULT_TIME_LIMIT_S,
                             python=pythons[0] if pythons else None)
    summary = trace.summary() if isinstance(trace, Runs) else summarize(trace)
    if args.json:
        print(strict_json(summary))  # a non-finite number (a child may report one) becomes null, listed
    else:
        from rich.console import Console

        from tui.report import render

        Console().print(render(summary))
    return 0 if (trace.exit or {}).get("status") == 0 else 1


def cmd_record(args) -> int:
    from tui import tracefile
    from tui.session import DEFAULT_TIME_LIMIT_S, run_each, run_headless

    scenario, params, limit, pythons = resolve_run(args)
    tracefile.check_writable(args.output)
    limit = limit or DEFAULT_TIME_LIMIT_S
    if len(pythons) > 1:
        recorder = tracefile.Recorder(runs=True)

        def add(run: int, batch) -> None:
            recorder.run = run
            recorder.add(batch)

        runs = run_each(scenario, params, args.seed, pythons, time_limit_s=limit, on_batch=add)
        size = recorder.save(args.output, runs.file_meta())
        each = ", ".join(f"{label} {trace.duration:.2f} s" for label, trace in zip(runs.labels, runs))
        print(f"recorded {scenario.name} under {len(runs)} interpreters ({each}; "
              f"{sum(t.events for t in runs)} events) to {printable(args.output)}: {size / 1024:.1f} KiB")
        return 0 if (runs.exit or {}).get("status") == 0 else 1
    recorder = tracefile.Recorder()
    trace = run_headless(scenario, params, args.seed, time_limit_s=limit, on_batch=recorder.add,
                         python=pythons[0] if pythons else None)
    size = recorder.save(args.output, trace.meta)
    print(f"recorded {scenario.name} ({trace.duration:.2f} s, {trace.events} events) to {printable(args.output)}: "
          f"{size / 1024:.1f} KiB")
    return 0 if (trace.exit or {}).get("status") == 0 else 1


def cmd_export(args) -> int:
    import os

    from tui import export, tracefile

    trace = tracefile.load(args.file)
    if os.path.exists(args.output) and os.path.samefile(args.file, args.output):
        raise UsageError(f"-o {printable(args.output)} is the trace itself: choose another file for the export")
    tracefile.check_writable(args.output)
    count = export.write_chrome_trace(trace, args.output)
    if trace.meta.get("truncated"):  # what it has is exported (otherData.truncated says so too)
        print(f"concviz: {printable(args.file)} ends early (a run or a copy cut short): exported its first "
              f"{trace.duration:.2f} s", file=sys.stderr)
    print(f"wrote {count} trace events to {printable(args.output)} (open it in ui.perfetto.dev or chrome://tracing)")
    return 0


def cmd_serve(args) -> int:
    from tui import serve

    try:
        return serve.serve(args.host, args.port, args.font_size, args.theme)
    except serve.ServeError as exc:
        raise UsageError(str(exc)) from None


def cmd_app(args) -> int:
    kwargs: dict = {}
    if args.command == "run":
        scenario, params, limit, pythons = resolve_run(args)
        kwargs = dict(scenario=scenario.name, params=params, seed=args.seed, time_limit_s=limit, pythons=pythons)
    elif args.command == "tour":
        from tui.tour import Tour, TourError

        try:
            kwargs = dict(tour=Tour(args.recordings))
        except TourError as exc:
            raise UsageError(printable(str(exc))) from None
    elif args.command == "replay":
        from tui import tracefile

        if not (0.1 <= args.speed <= 10):
            raise UsageError(f"--speed {args.speed:g} is out of range: it takes 0.1 to 10")
        kwargs = dict(replay=tracefile.load(args.file), speed=args.speed, replay_path=printable(args.file))
    from tui.app import make_app  # Textual is imported only once the input is known to be good

    try:
        make_app(**kwargs, theme=args.theme).run()
    finally:
        from tui.session import end_all_runs

        end_all_runs()  # before Python joins the pumps' threads at exit, which would wait for runs no one reads
    return 0


def _on_terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the app and the atexit hook that ends every run


def main(argv: list[str] | None = None) -> int:
    from scenarios.catalog import ParamError

    args_list = sys.argv[1:] if argv is None else argv
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_terminate)
    try:
        args = build_parser().parse_args(args_list)
        if args.command == "list":
            return cmd_list()
        if args.command == "run" and (args.headless or args.json):
            if args.json and not args.headless:
                raise UsageError("--json goes with --headless")
            return cmd_headless(args)
        if args.command == "record":
            return cmd_record(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "serve":
            return cmd_serve(args)
        return cmd_app(args)
    except (UsageError, ParamError, *_file_errors()) as exc:
        print(f"concviz: {printable(exc, None)}", file=sys.stderr)  # argparse quotes what the user typed raw
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _file_errors() -> tuple[type[BaseException], ...]:
    try:
        from tui.tracefile import TraceFileError
    except ImportError:
        return (OSError,)
    return (TraceFileError,)


if __name__ == "__main__":
    sys.exit(main())

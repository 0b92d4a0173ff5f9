"""Fuzzing (Hypothesis): whatever bytes or strings come in, the wire decoder, the trace reader and the command line's
parameter parsing give a valid result or a clean error, never a traceback, a hang or unbounded memory (issue 15).

tests/test_tracefile.py fuzzes the trace file's bytes and records; this file adds its header's values and hostile
strings all the way to what is printed and written. Every test is bounded in examples and size, with no deadline:
the suite never depends on the machine's speed.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from scenarios import wire
from scenarios.catalog import ParamError, scenarios
from tests.conftest import TraceBuilder
from tui import cli, export, tracefile
from tui.report import render
from tui.session import Batch
from tui.stream import Decoder, StreamError
from tui.summary import summarize
from tui.text import strict_json

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTROLS = "\x00\x07\x08\x1b\x7f\x9b\u202e\u2028\n\r\t"


def strict_load(text: str):
    def refuse(constant: str):
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


# ------------------------------------------------------------------------------------------ the wire decoder

_i64 = st.integers(-(2**63), 2**63 - 1)


@st.composite
def records(draw) -> bytes:
    """One record as the probe writes it, or nearly: a known or unknown type, a text payload right or wrong."""
    typ = draw(st.one_of(st.sampled_from(sorted(wire.RECORD_TYPES)), st.integers(0, 255)))
    a, b = draw(st.integers(0, 255)), draw(st.integers(0, 2**16 - 1))
    ident, x, z = draw(st.integers(0, 2**32 - 1)), draw(_i64), draw(_i64)
    if typ != wire.TEXT:
        return wire.RECORD.pack(typ, a, b, ident, x, draw(_i64), z)
    payload = draw(st.one_of(st.binary(max_size=40), st.text(alphabet=st.characters(), max_size=20).map(
        lambda s: s.encode("utf-8", "surrogatepass"))))
    y = draw(st.one_of(st.just(len(payload)), st.integers(-5, 200), _i64))
    return wire.RECORD.pack(typ, a, b, ident, x, y, z) + payload


@st.composite
def streams(draw) -> bytes:
    """Frames of such records, their stated lengths mostly right, sometimes anything."""
    out = bytearray()
    for _ in range(draw(st.integers(0, 6))):
        body = b"".join(draw(st.lists(records(), max_size=6)))
        length = draw(st.one_of(st.just(len(body)), st.just(len(body)), st.integers(0, 2**32 - 1)))
        out += wire.FRAME_HEAD.pack(length, draw(st.integers(0, 2**32 - 1))) + body
    if draw(st.booleans()):  # and then damage
        out += draw(st.binary(max_size=64))
    return bytes(out)


def decode(pieces: list[bytes]) -> tuple[list[tuple], str | None, int]:
    decoder, got = Decoder(), []
    for piece in pieces:
        try:
            got += decoder.feed(piece)
        except StreamError as exc:
            assert "\n" not in str(exc)
            return got, "error", decoder.leftover
    return got, None, decoder.leftover


@FUZZ
@given(st.one_of(streams(), st.binary(max_size=512)), st.lists(st.integers(1, 300), max_size=12))
def test_any_stream_decodes_or_is_refused_the_same_in_pieces_of_any_size(data, cuts):
    whole, whole_error, leftover = decode([data])
    for rec in whole:
        assert len(rec) == 9 and rec[1] in wire.RECORD_TYPES
        assert (rec[8] is None) == (rec[1] != wire.TEXT) and (rec[8] is None or isinstance(rec[8], str))
    assert leftover <= len(data)
    pieces, at = [], 0
    for cut in cuts:
        pieces.append(data[at : at + cut])
        at += cut
    pieces.append(data[at:])
    split, split_error, split_leftover = decode(pieces)
    assert split_error == whole_error
    if whole_error is None:
        assert split == whole and split_leftover == leftover
    else:  # a feed that meets a bad frame raises, and the records of that feed before it are not handed over:
        every, _, _ = decode([data[i : i + 1] for i in range(len(data))])  # one byte a feed loses none of them
        assert whole == [] and split == every[: len(split)]


def test_texts_that_never_end_are_refused_before_memory_runs_away():
    """40 MiB of text parts that never get their last part (1 MiB to each of 40 texts): the decoder should refuse the
    stream by then, whatever bound it keeps on the parts it holds (a trace file's chunk holds 32 MiB at most)."""
    step = wire.MAX_BODY - wire.RECORD.size
    part = b"x" * step
    decoder = Decoder()
    with pytest.raises(StreamError):
        for i in range(40 * 2**20 // step):
            rec = wire.RECORD.pack(wire.TEXT, wire.TEXT_TASK, 0, i * step // 2**20, 0, step, 0) + part
            decoder.feed(wire.FRAME_HEAD.pack(len(rec), 1) + rec)


# ------------------------------------------------------------------------------------------ parameters

PARAMS = [(s.name, p) for s in scenarios().values() for p in s.params]
_number_like = st.one_of(
    st.integers(-(10**6), 10**6).map(str), st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["nan", "-inf", "1e400", "1_000", "_1_", "0x10", " 5 ", "\u0663", "1e-400", "9" * 5000,
                     "\udcff", "5\x1b[2J", "", "-0", "+3", "1.5e3", "2.0"]))
_values = st.one_of(st.text(max_size=30), _number_like, st.integers(), st.floats(),
                    st.sampled_from([10**400, -(10**400), True]))


@FUZZ
@given(st.sampled_from(PARAMS), _values)
def test_a_parameter_takes_any_value_or_names_what_it_takes(named, text):
    name, param = named
    try:
        value = param.parse(text)
    except ParamError as exc:
        message = str(exc)
        assert "\n" not in message and message.isprintable() and len(message) < 400, message
        assert param.allowed() in message
        return
    assert type(value) is param.type
    if param.choices:
        assert value in param.choices
    else:
        assert math.isfinite(value)
        assert (param.min is None or value >= param.min) and (param.max is None or value <= param.max)
    assert param.parse(str(value)) == value  # what it reads back as is what it is


@contextlib.contextmanager
def command_line():
    """Run cli.main in this process: its signal handlers put back after, its stdout and stderr caught."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield out, err
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


_pair = st.one_of(st.text(max_size=20), st.tuples(st.sampled_from([p.name for _, p in PARAMS] + ["x", ""]),
                  st.sampled_from(["=", "= ", "==", ":"]), st.one_of(_number_like, st.text(max_size=10))).map("".join))
_option = st.one_of(st.tuples(st.just("-p"), _pair), st.tuples(st.sampled_from(["--seed", "--time-limit"]),
                    st.one_of(_number_like, st.text(max_size=10))))


@FUZZ
@given(st.sampled_from(sorted(scenarios())), st.lists(_option, max_size=4))
def test_the_command_lines_parameters_give_one_clean_line(name, options):
    """Whatever -p, --seed and --time-limit say, the command line answers in one line with status 2, before any run
    (the output's directory does not exist, so even good values stop there)."""
    argv = ["record", name, *(part for option in options for part in option), "-o", "/no/such/dir/concviz-fuzz.cvz"]
    with command_line() as (out, err):
        status = cli.main(argv)
    assert status == 2 and out.getvalue() == ""
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("concviz: ") and lines[0].isprintable(), err.getvalue()


# ------------------------------------------------------------------------------------------ a trace's header

_strings = st.one_of(st.text(max_size=12), st.text(alphabet=st.sampled_from(CONTROLS + "ab[]"), max_size=12))
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), _strings)
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(_strings, inner, max_size=3)), max_leaves=8)
_objects = st.dictionaries(_strings, _json, max_size=4)


_names = st.sampled_from(sorted(scenarios()))


def mostly(good: st.SearchStrategy) -> st.SearchStrategy:
    """``good`` about seven times in eight, else any JSON value (which the loader may refuse)."""
    return st.tuples(st.booleans(), st.booleans(), st.booleans()).flatmap(lambda bits: _json if all(bits) else good)


@st.composite
def headers(draw, scenario: st.SearchStrategy = mostly(_names)) -> dict:
    """A header a file could hold: the keys the loader checks, mostly of the right kind, holding anything."""
    meta = {"scenario": draw(scenario), "params": draw(mostly(_objects)), "python": draw(mostly(_objects)),
            "machine": draw(mostly(st.one_of(st.fixed_dictionaries({"cores": _json}), _objects)))}
    for key in ("seed", "started", "stopped"):
        if draw(st.booleans()):
            meta[key] = draw(_json)
    return meta


def a_run_named(names: list[str]) -> Batch:
    """A small run whose names, output and reports are the given strings."""
    task, lock, counter, line = (names + ["t", "l", "c", "o"])[:4]
    b = TraceBuilder().hello(cores=2).task(1, task, 0.0).state(1, "cpu", 0.0)
    b.lock(1, lock, 0.0).request(1, 1, 0.1).acquired(1, 1, 0.1).released(1, 1, 0.2).count(counter, 3, 0.2, ident=1)
    b.info(json.dumps({"python": {"version": line}, "metrics": {line: line}}))
    b.error(json.dumps({"type": task, "message": line, "where": lock})).end(1, 0.4).run_end(0.4)
    return Batch(records=b.records, samples=[(10**12 + 10**8, (50.0, 20.0), 0.7, 3, 10**6, 10, 1)],
                 output=[(10**12, line)], exit={"status": 0, "reason": line})


def everything_written_and_printed(trace) -> None:
    """What export, --json and the headless tables make of a trace: strict JSON, and nothing raw on a terminal."""
    strict_load(export.to_json(export.chrome_trace(trace)))
    summary = trace.summary() if hasattr(trace, "summary") else summarize(trace)
    text = strict_json(summary)
    strict_load(text)
    assert text.isascii()
    out = io.StringIO()
    Console(file=out, width=160, force_terminal=False, color_system=None).print(render(summary))
    assert not any(c in out.getvalue() for c in "\x00\x07\x1b\x9b\u202e\r"), out.getvalue()


@FUZZ
@given(headers(), st.lists(_strings, max_size=4))
def test_any_header_and_names_load_or_are_refused_and_export_strictly(meta, names):
    recorder = tracefile.Recorder()
    recorder.add(a_run_named(names))
    head = json.dumps({"format": tracefile.FORMAT, "version": tracefile.VERSION, **meta}).encode()
    data = b"".join([tracefile.PREFIX.pack(tracefile.MAGIC, tracefile.VERSION, len(head)), head,
                     *recorder.file_parts({})[2:]])  # the recorder's chunks and end marker after that header
    try:
        trace = tracefile.loads(data, name="fuzz.cvz")
    except tracefile.TraceFileError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.cvz")
        return
    everything_written_and_printed(trace)


@settings(FUZZ, max_examples=100)
@given(_names, st.lists(_strings, max_size=4), st.data())
def test_any_comparison_header_loads_or_is_refused_and_exports_strictly(scenario, names, data):
    """Format version 2 (interpreters compared): each run's meta holding anything, the run list mostly right."""
    runs = data.draw(st.lists(headers(scenario=mostly(st.just(scenario))), min_size=2, max_size=3), label="runs")
    recorder = tracefile.Recorder(runs=True)
    for i in range(data.draw(st.integers(1, len(runs)), label="recorded")):
        recorder.run = i
        recorder.add(a_run_named(names))
    meta = dict(data.draw(headers(scenario=st.just(scenario)), label="header"))
    meta["runs"] = data.draw(mostly(st.just(runs)), label="run list")
    head = json.dumps({"format": tracefile.FORMAT, "version": tracefile.RUNS_VERSION, **meta}).encode()
    parts = recorder.file_parts({"runs": [{}]})
    blob = b"".join([tracefile.PREFIX.pack(tracefile.MAGIC, tracefile.RUNS_VERSION, len(head)), head, *parts[2:]])
    try:
        loaded = tracefile.loads(blob, name="fuzz.cvz")
    except tracefile.TraceFileError as exc:
        assert "\n" not in str(exc)
        return
    everything_written_and_printed(loaded)


def test_the_header_fuzz_reaches_loadable_files():
    """The strategies above are not all refused: a plain header with hostile names loads and exports."""
    recorder = tracefile.Recorder()
    recorder.add(a_run_named(["\x1b]0;t\x07", "l\x1b[2J", "c\u202e", "o\r"]))
    meta = {"scenario": "threads-download", "params": {"x": float("inf")}, "python": {"version": "3\x1b[2J"},
            "machine": {"cores": 2}}
    trace = tracefile.loads(b"".join(recorder.file_parts(meta)))
    everything_written_and_printed(trace)

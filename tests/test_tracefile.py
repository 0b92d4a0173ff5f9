"""The trace file: round trips against the live model, and the loader against damaged and hostile files."""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios import wire
from scenarios.catalog import get
from tests.conftest import ns
from tui import tracefile
from tui.session import Batch, run_headless
from tui.summary import summarize
from tui.tracefile import TraceFileError

TRACES = Path(__file__).parent / "traces"
RECORDED = sorted(TRACES.glob("*.cvz"))
CONCVIZ = str(Path(sys.executable).with_name("concviz"))
SMALL_RUN = {"tasks": 4, "min_s": 0.2, "max_s": 0.3}  # long enough for the 100 ms sampler to look twice


def shape(trace) -> list:
    """Everything the screens read from a lane, exactly."""
    return [
        (lane.key, lane.name, lane.kind, lane.start, lane.end, lane.tid, lane.variant,
         [(s.t0, s.t1, s.state, s.split) for s in lane.segments], lane.overlays, lane.marks)
        for lane in trace.ordered_lanes()
    ]


def rerecord(data: bytes, chunk_bytes: int, batch_records: int = 8) -> bytes:
    """The same run in a file with smaller batches and chunks (many chunks make a cut file load a prefix)."""
    meta, batches, _ = tracefile.read_batches(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tracefile, "MAX_BATCH_RECORDS", batch_records)
        recorder = tracefile.Recorder(chunk_bytes=chunk_bytes)
        for batch in batches:
            recorder.add(batch)
    return save_bytes(recorder, meta)


def chunk_count(data: bytes) -> int:
    pos, count = tracefile.PREFIX.size + tracefile.PREFIX.unpack_from(data)[2], 0
    while (packed_len := tracefile.CHUNK.unpack_from(data, pos)[0]) > 0:
        pos += tracefile.CHUNK.size + packed_len
        count += 1
    return count


def save_bytes(recorder, meta) -> bytes:
    return b"".join(recorder.file_parts(meta))


@pytest.fixture(scope="module")
def small_file() -> bytes:
    """The checked-in threads-download trace, re-recorded in chunks of ~400 bytes."""
    return rerecord((TRACES / "threads-download.cvz").read_bytes(), chunk_bytes=400)


META = {"scenario": "threads-download", "params": {}, "seed": 1, "python": {"gil": "enabled"},
        "machine": {"cores": 2}}


def crafted(batches: list[Batch], meta: dict = META) -> bytes:
    """A well-formed file (right checksums) around whatever batches a test makes up."""
    recorder = tracefile.Recorder()
    for batch in batches:
        recorder.add(batch)
    return save_bytes(recorder, meta)


def file_with(header: bytes, chunks: tuple[bytes, ...] | list[bytes] = (), version: int = tracefile.VERSION) -> bytes:
    """A file assembled by hand: prefix, header bytes, raw chunk bytes, end marker."""
    end = tracefile.CHUNK.pack(0, 0, 0)
    return tracefile.PREFIX.pack(tracefile.MAGIC, version, len(header)) + header + b"".join(chunks) + end


def chunk(data: bytes, stated_len: int | None = None) -> bytes:
    packed = zlib.compress(data)
    return tracefile.CHUNK.pack(len(packed), len(data) if stated_len is None else stated_len,
                                zlib.crc32(packed)) + packed


def header(**fields) -> bytes:
    return json.dumps({"format": tracefile.FORMAT, "version": tracefile.VERSION, **META, **fields}).encode()


def refused(data: bytes) -> str:
    with pytest.raises(TraceFileError) as caught:
        tracefile.loads(data, name="x.cvz")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("x.cvz")
    return message


# ------------------------------------------------------------------------------------------ round trips


@pytest.mark.e2e
def test_a_recorded_run_loads_as_the_live_model(tmp_path):
    recorder = tracefile.Recorder(chunk_bytes=512)
    live = run_headless(get("threads-download"), SMALL_RUN, seed=3, time_limit_s=60, on_batch=recorder.add)
    path = tmp_path / "run.cvz"
    size = recorder.save(path, live.meta)
    assert size == path.stat().st_size

    loaded = tracefile.load(path)

    assert tracefile.PREFIX.unpack_from(path.read_bytes())[1] == tracefile.OWN_VERSION
    assert all(s.own_cores is not None and s.own_cores >= 0 for s in loaded.samples)
    assert summarize(loaded) == summarize(live)
    assert len(loaded.lanes) == SMALL_RUN["tasks"] and loaded.lock_stats()[0].acquisitions == SMALL_RUN["tasks"]
    assert shape(loaded) == shape(live)
    assert loaded.samples == live.samples and loaded.samples
    assert loaded.output == live.output and loaded.exit == live.exit == {"status": 0, "signal": None,
                                                                          "reason": "finished"}
    assert loaded.counters == live.counters and loaded.info == live.info
    assert {k: loaded.meta[k] for k in live.meta} == live.meta
    assert loaded.meta["concviz"] and "truncated" not in loaded.meta


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
def test_checked_in_traces_load_whole_and_stay_small(path):
    trace = tracefile.load(path)
    # the scenario's name, or it and more (async-fetch-compare)
    assert path.stem == trace.meta["scenario"] or path.stem.startswith(trace.meta["scenario"] + "-")
    assert trace.lanes and trace.exit and trace.exit["status"] == 0 and "stream_error" not in trace.exit
    assert "truncated" not in trace.meta
    assert path.stat().st_size < 64 * 1024
    again = tracefile.loads(rerecord(path.read_bytes(), chunk_bytes=300))
    assert summarize(again) == summarize(trace) and shape(again) == shape(trace)


def test_rerecording_gives_the_same_model_whatever_the_chunking(small_file):
    original = tracefile.load(TRACES / "threads-download.cvz")
    again = tracefile.loads(small_file)
    assert summarize(again) == summarize(original) and shape(again) == shape(original)
    _, batches, truncated = tracefile.read_batches(small_file)
    assert not truncated and len(batches) > 5 and chunk_count(small_file) > 5


def test_a_huge_batch_is_stored_as_several_with_the_same_result(monkeypatch, build):
    build.hello()
    for i in range(1, 8):
        build.task(i, f"t{i}", i * 0.01).state(i, "io", i * 0.01).end(i, 0.5)
    build.run_end(0.5)
    whole = Batch(records=build.records, samples=[(ns(0.1), (10.0, 20.0), 0.5, 3, 1000, 7, 1)],
                  output=[(ns(0.2), "hello")], exit={"status": 0, "signal": None, "reason": "finished"})
    monkeypatch.setattr(tracefile, "MAX_BATCH_RECORDS", 4)
    data = crafted([whole])
    _, batches, _ = tracefile.read_batches(data)
    assert len(batches) == -(-len(build.records) // 4)
    assert sum(len(b.records) for b in batches) == len(build.records)
    loaded = tracefile.loads(data)
    assert shape(loaded) == shape(build.trace(META)) and loaded.exit == whole.exit
    assert loaded.output == [(0.2, "hello")] and len(loaded.samples) == 1


# ------------------------------------------------------------------------------------------ damaged files


def test_a_file_cut_at_any_byte_loads_a_prefix_or_is_refused(small_file):
    whole = tracefile.loads(small_file)
    assert "truncated" not in whole.meta
    loaded_events = []
    for cut in range(len(small_file)):
        try:
            trace = tracefile.loads(small_file[:cut])
        except TraceFileError as exc:
            assert "\n" not in str(exc)
            continue
        assert trace.meta["truncated"] is True and "ends early" in trace.meta["notice"]
        loaded_events.append(trace.events)
        assert summarize(trace)  # a prefix is a whole model
    assert len(loaded_events) > len(small_file) // 2
    assert loaded_events == sorted(loaded_events) and loaded_events[-1] <= whole.events


def test_cut_inside_the_header_or_first_chunk_is_refused_as_truncated(small_file):
    assert "truncated" in refused(small_file[:20])
    head_len = tracefile.PREFIX.unpack_from(small_file)[2]
    assert "truncated" in refused(small_file[: tracefile.PREFIX.size + head_len + 5])


def test_every_flipped_byte_is_refused_or_reads_as_cut_short(small_file):
    whole = summarize(tracefile.loads(small_file))
    for i in range(len(small_file)):
        damaged = bytearray(small_file)
        damaged[i] ^= 0xFF
        try:
            trace = tracefile.loads(bytes(damaged))
        except TraceFileError:
            continue
        # only a chunk length made larger can pass: the file then looks cut short there, and says so
        assert trace.meta.get("truncated") or summarize(trace) == whole, i


def test_foreign_files_are_refused_with_a_hint():
    assert "not a concviz trace (it is empty)" in refused(b"")
    assert "not a concviz trace" in refused(b"PK\x03\x04 a zip file")
    assert "exported Chrome trace" in refused(b'{"traceEvents": []}')
    assert "gzip" in refused(b"\x1f\x8b\x08\x00rest")
    assert "truncated" in refused(tracefile.MAGIC[:5])


def test_a_newer_format_version_asks_for_a_newer_concviz():
    newer = tracefile.NEWEST + 1  # (version 2 is a comparison of interpreters: tests/test_interpreters_compared.py)
    message = refused(file_with(header(version=newer), version=newer))
    assert "newer concviz" in message and f"version {newer}" in message


@pytest.mark.parametrize("raw, why", [
    (b"not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[1, 2]", "format"),
    (json.dumps({"format": "something-else", "version": 1}).encode(), "format"),
    (header(version=3), "disagree"),
    (header(params="tasks=3"), "'params'"),
    (header(python="3.11"), "'python'"),
    (header(scenario="../../etc"), "not a scenario name"),
    (b"[" * 100_000, "not valid JSON"),
    (header(machine={"cores": {"": None}}), "its header gives {'': None} cores, not a whole number from 1 to 8192"),
    (header(machine={"cores": 10**9}), "gives 1000000000 cores"),  # the screens would draw a row for each
    (header(machine={"cores": True}), "gives True cores"),
    (header(machine={"cores": 2.0}), "gives 2.0 cores"),
])
def test_a_bad_header_is_refused(raw, why):
    assert why in refused(file_with(raw))


def test_damaged_chunks_and_end_markers_are_refused():
    good = crafted([Batch(records=[(1, wire.HELLO, 0, 0, 0, 5, 1, 2, None)])])
    first = chunk(b"\x00" * tracefile.COUNTS.size)
    assert tracefile.loads(good).meta["scenario"] == "threads-download"
    assert "follow its end marker" in refused(good + b"\x00")
    assert "end marker" in refused(good[:-8] + struct.pack("<II", 5, 0))  # claims 5 batches, not 1
    assert "checksum" in refused(file_with(header(), [first[:-1] + bytes([first[-1] ^ 1])]))
    assert "stated length" in refused(file_with(header(), [chunk(b"\x00" * 40, stated_len=20)]))
    assert "stated length" in refused(file_with(header(), [chunk(b"\x00" * 20, stated_len=40)]))
    assert "past the end" in refused(file_with(header(), [chunk(b"\x00" * 7)]))


def test_oversized_files_and_zip_bombs_are_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.cvz"
    with open(big, "wb") as f:
        f.write(tracefile.MAGIC)
        f.truncate(tracefile.MAX_FILE_BYTES + 1)  # sparse: nothing is really written
    with pytest.raises(TraceFileError, match="big.cvz is 64.0 MiB, over the 64 MiB limit for trace files"):
        tracefile.load(big)
    bomb = chunk(b"\x00" * 1000, stated_len=tracefile.MAX_CHUNK_BYTES + 1)
    assert "chunk 1 unpacks to 32.0 MiB, over the 32 MiB limit" in refused(file_with(header(), [bomb]))
    monkeypatch.setattr(tracefile, "MAX_DATA_BYTES", 1000)
    empty_batches = chunk(tracefile.COUNTS.pack(0, 0, 0, 0, 0) * 30)  # 600 bytes each
    assert "by chunk 2 it unpacks to over the 0 MiB limit" in refused(file_with(header(), [empty_batches] * 2))


@pytest.mark.parametrize("record, why", [
    ((1, 99, 0, 0, 0, 0, 0, 0, None), "unknown record type"),
    ((1, wire.STATE, 200, 0, 1, 0, 0, 0, None), "unknown state"),
    ((1, wire.TASK, 9, 0, 1, 0, 0, 0, None), "task kind"),
    ((1, wire.TEXT, wire.TEXT_INFO, 1, 0, 0, 0, 0, "[" * 100_000), "nested too deeply"),
    ((1, wire.TEXT, wire.TEXT_INFO, 1, 0, 0, 0, 0, '{"metrics": [1]}'), "metrics are not a JSON object"),
    ((1, wire.HELLO, 0, 0, 0, 0, 1, 0, None), "its start record gives 0 cores, not 1 to 8192"),
    ((1, wire.HELLO, 0, 0, 0, 0, 1, 2**40, None), "gives 1099511627776 cores"),
])
def test_records_the_model_cannot_take_are_refused(record, why):
    assert why in refused(crafted([Batch(records=[(1, wire.HELLO, 0, 0, 0, 0, 1, 2, None), record])]))


def test_samples_that_are_not_numbers_and_exits_that_are_not_objects_are_refused():
    nan_sample = (5, (float("nan"), 1.0), 0.5, 1, 1, 1, 1)
    assert "not a number" in refused(crafted([Batch(samples=[nan_sample])]))
    two, three = (5, (1.0, 2.0), 0.5, 1, 1, 1, 1), (6, (1.0, 2.0, 3.0), 0.5, 1, 1, 1, 1)
    assert "3 cores, not 2" in refused(crafted([Batch(samples=[two]), Batch(samples=[three])]))
    assert "exit" in refused(crafted([Batch(exit=[1, 2])]))


def test_a_missing_or_unreadable_path_is_one_line(tmp_path):
    with pytest.raises(TraceFileError, match="cannot read .*missing.cvz: No such file"):
        tracefile.load(tmp_path / "missing.cvz")
    with pytest.raises(TraceFileError, match="is a directory"):
        tracefile.load(tmp_path)
    fifo = tmp_path / "pipe.cvz"
    os.mkfifo(fifo)
    with pytest.raises(TraceFileError, match="not a regular file"):
        tracefile.load(fifo)  # opening it would wait for a writer forever


# ------------------------------------------------------------------------------------------ any bytes at all

ANY_BYTES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ANY_BYTES
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_cleanly(data):
    for candidate in (data, tracefile.MAGIC + data, file_with(data[:64]) + data[64:]):
        try:
            tracefile.loads(candidate)
        except TraceFileError:
            pass


@ANY_BYTES
@given(st.data())
def test_mutated_files_load_or_are_refused_cleanly(small_file, data):
    damaged = bytearray(small_file)
    for _ in range(data.draw(st.integers(1, 8), label="edits")):
        i = data.draw(st.integers(0, len(damaged) - 1), label="at")
        kind = data.draw(st.sampled_from(["set", "insert", "delete", "cut"]), label="edit")
        if kind == "set":
            damaged[i] = data.draw(st.integers(0, 255))
        elif kind == "insert":
            damaged[i:i] = data.draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del damaged[i : i + data.draw(st.integers(1, 8))]
        else:
            del damaged[i:]
        if not damaged:
            break
    try:
        trace = tracefile.loads(bytes(damaged))
    except TraceFileError:
        return
    summarize(trace)


_u8, _u16, _u32 = st.integers(0, 255), st.integers(0, 2**16 - 1), st.integers(0, 2**32 - 1)
_i64 = st.integers(-(2**63), 2**63 - 1)
_text = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(
    ['{"results": [1, 2], "metrics": {"x": 1}}', '{"metrics": 5}', '{"results": 5}', "[1]", "null"]))
_record = st.tuples(st.sampled_from([1, 2, 3]), st.integers(0, 14), _u8, _u16, st.integers(0, 5),
                    st.integers(0, 2 * 10**9), _i64, _i64, _text)
_sample = st.tuples(st.integers(0, 2 * 10**9), st.lists(st.floats(0, 100), max_size=3).map(tuple),
                    st.floats(0, 4), _u32, st.integers(0, 2**40), st.integers(0, 2**40), _u32)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_record, max_size=60), st.lists(_sample, max_size=5))
def test_any_well_formed_file_gives_a_model_that_answers(records, samples):
    """Checksums right, content made up: the loader refuses what the model cannot take, the rest works."""
    records = [(1, wire.HELLO, 0, 0, 0, 0, 1, 2, None)] + [
        (pid, typ, a, b if typ != wire.TEXT else 1, ident, x, y, z, text if typ == wire.TEXT else None)
        for pid, typ, a, b, ident, x, y, z, text in records
    ]
    data = crafted([Batch(records=records, samples=samples, exit={"status": 0})])
    try:
        trace = tracefile.loads(data)
    except TraceFileError:
        return
    json.dumps(summarize(trace))
    from tui.export import chrome_trace

    json.dumps(chrome_trace(trace), allow_nan=False)


# ------------------------------------------------------------------------------------------ writing


def test_check_writable_refuses_paths_that_cannot_be_written(tmp_path):
    tracefile.check_writable(tmp_path / "new.cvz")
    (tmp_path / "old.cvz").write_bytes(b"x")
    tracefile.check_writable(tmp_path / "old.cvz")
    with pytest.raises(TraceFileError, match="does not exist"):
        tracefile.check_writable(tmp_path / "nowhere" / "t.cvz")
    with pytest.raises(TraceFileError, match="is a directory"):
        tracefile.check_writable(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_check_writable_refuses_a_read_only_directory(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(TraceFileError, match="no permission"):
        tracefile.check_writable(locked / "t.cvz")


def test_a_failed_save_leaves_the_existing_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "keep.cvz"
    path.write_bytes(b"the previous recording")
    recorder = tracefile.Recorder()
    recorder.add(Batch(records=[(1, wire.HELLO, 0, 0, 0, 0, 1, 2, None)]))

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tracefile.os, "fsync", disk_full)
    with pytest.raises(TraceFileError, match="cannot write .*keep.cvz: No space left on device"):
        recorder.save(path, META)
    assert path.read_bytes() == b"the previous recording"
    assert os.listdir(tmp_path) == ["keep.cvz"]  # no temporary file left behind

    monkeypatch.undo()
    path.chmod(0o640)
    size = recorder.save(path, META)
    assert path.stat().st_size == size and (path.stat().st_mode & 0o777) == 0o640
    assert tracefile.load(path).meta["scenario"] == "threads-download"


def _special_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (a path holding something that is not a regular file, what the refusal calls it)."""
    fifo = tmp_path / "fifo.cvz"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.cvz"
    folder.mkdir()
    sock_path = tmp_path / "sock.cvz"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()  # the socket file stays
    real = tmp_path / "real.cvz"
    real.write_bytes(b"the file a link points to")
    link = tmp_path / "link.cvz"
    link.symlink_to(real)
    dangling = tmp_path / "dangling.cvz"
    dangling.symlink_to(tmp_path / "nowhere.cvz")
    return {"fifo": (fifo, "it is a named pipe (FIFO)"), "directory": (folder, "it is a directory"),
            "socket": (sock_path, "it is a socket"), "device": (Path("/dev/null"), "it is a device"),
            "link": (link, f"it is a symbolic link, and concviz writes only regular files: give the file it points "
                           f"to, {real}"),
            "dangling link": (dangling, "it is a symbolic link")}


def _what_is(path: Path) -> tuple:
    info = os.lstat(path)
    return info.st_mode, info.st_ino, info.st_rdev, os.readlink(path) if path.is_symlink() else None


@pytest.mark.parametrize("kind", ["fifo", "directory", "socket", "device", "link", "dangling link"])
def test_only_regular_files_are_written_over(tmp_path, kind):
    path, says = _special_files(tmp_path)[kind]
    before, listing = _what_is(path), sorted(os.listdir(tmp_path))
    for write in (tracefile.check_writable, lambda p: tracefile.write_atomic(p, [b"data"])):
        with pytest.raises(TraceFileError) as refused:
            write(path)
        assert str(refused.value) == f"cannot write {path}: {says}" or str(refused.value).startswith(
            f"cannot write {path}: {says}, and concviz writes only regular files")
    assert _what_is(path) == before and sorted(os.listdir(tmp_path)) == listing  # untouched, no temporary file
    assert (tmp_path / "real.cvz").read_bytes() == b"the file a link points to"


def test_what_is_at_the_target_is_checked_again_right_before_the_rename(tmp_path, monkeypatch):
    path = tmp_path / "out.cvz"
    real_fsync = os.fsync

    def a_fifo_appears(fd):  # while the file is being written, something else takes the path
        real_fsync(fd)
        os.mkfifo(path)

    monkeypatch.setattr(tracefile.os, "fsync", a_fifo_appears)
    with pytest.raises(TraceFileError, match="out.cvz: it is a named pipe"):
        tracefile.write_atomic(path, [b"data"])
    assert stat.S_ISFIFO(os.lstat(path).st_mode) and os.listdir(tmp_path) == ["out.cvz"]


def test_saving_a_recording_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tracefile, "MAX_FILE_BYTES", 100)
    recorder = tracefile.Recorder()
    recorder.add(Batch(output=[(i, f"line {i} " * 10) for i in range(100)]))
    with pytest.raises(TraceFileError, match="over the 0 MiB"):
        recorder.save(tmp_path / "t.cvz", META)
    assert not os.listdir(tmp_path)


# ------------------------------------------------------------------------------------------ the command line


def concviz(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([CONCVIZ, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.e2e
def test_record_then_export_from_the_command_line(tmp_path):
    trace_path, out = tmp_path / "run.cvz", tmp_path / "run.json"
    params = [arg for k, v in SMALL_RUN.items() for arg in ("-p", f"{k}={v}")]
    recorded = concviz("record", "threads-download", *params, "-o", trace_path)
    assert recorded.returncode == 0, recorded.stderr
    assert "recorded threads-download" in recorded.stdout and trace_path.exists()
    exported = concviz("export", trace_path, "-o", out)
    assert exported.returncode == 0, exported.stderr
    doc = json.loads(out.read_text())
    assert f"wrote {len(doc['traceEvents'])} trace events" in exported.stdout
    names = {e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "thread_name"}
    assert {f"download {i}" for i in range(SMALL_RUN["tasks"])} <= names


@pytest.mark.parametrize("command", ["export", "replay"])
def test_a_damaged_file_is_one_line_and_status_2(tmp_path, small_file, command):
    bad = tmp_path / "bad.cvz"
    bad.write_bytes(small_file[:40] + b"\x00" * 10 + small_file[50:])
    args = ["export", bad, "-o", tmp_path / "out.json"] if command == "export" else ["replay", bad]
    result = concviz(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("concviz: ") and "bad.cvz" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out.json").exists()


def test_record_to_a_path_that_cannot_be_written_fails_before_running(tmp_path):
    result = concviz("record", "threads-download", "-o", tmp_path / "nowhere" / "t.cvz")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "does not exist" in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "link"])
@pytest.mark.parametrize("command", ["record", "export"])
def test_the_command_line_refuses_an_output_that_is_not_a_regular_file(tmp_path, kind, command):
    path, says = _special_files(tmp_path)[kind]
    before = _what_is(path)
    args = ["record", "threads-download"] if command == "record" else ["export", TRACES / "threads-download.cvz"]
    result = concviz(*args, "-o", path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"concviz: cannot write {path}: {says}")
    assert _what_is(path) == before


# ------------------------------------------------------------------------------------- counted lock acquisitions


def counted_lock_batches() -> list[Batch]:
    from tests.conftest import TraceBuilder

    build = TraceBuilder()
    build.hello().lock(1, "progress lock").task(1, "w", 0.0).state(1, "cpu", 0.0, 1.0, 1.0)
    build.taken(1, 1, 0.01, 0.01, 0.02).counted(1, 1, 0.03, 0.08, 5000).counted_waits(1, 1, 0.002, 0.003, 4)
    build.end(1, 0.1, 1.05, 1.0).run_end(0.1)
    return [Batch(records=build.records)]


def test_a_recording_with_counted_lock_acquisitions_is_format_3_and_replays_them():
    data = crafted(counted_lock_batches())
    assert tracefile.PREFIX.unpack_from(data)[1] == tracefile.COUNTED_VERSION
    (stats,) = tracefile.loads(data).lock_stats()
    assert (stats.acquisitions, stats.timed) == (5001, 1)
    assert stats.wait_s == pytest.approx(0.003) and stats.hold_s == pytest.approx(0.01)


def test_a_recording_without_them_stays_format_1():
    data = crafted([Batch(records=[r for r in counted_lock_batches()[0].records if r[1] < wire.FIRST_SUM_TYPE])])
    assert tracefile.PREFIX.unpack_from(data)[1] == tracefile.VERSION


def test_a_format_1_file_holding_counted_records_is_damaged():
    data = bytearray(crafted(counted_lock_batches()))
    struct.pack_into("<H", data, 8, tracefile.VERSION)  # the prefix's version, the header's as well
    header_at, head_len = tracefile.PREFIX.size, tracefile.PREFIX.unpack_from(data)[2]
    head = bytes(data[header_at : header_at + head_len]).replace(b'"version":3', b'"version":1')
    data[header_at : header_at + head_len] = head
    with pytest.raises(TraceFileError, match="unknown record type 16"):
        tracefile.loads(bytes(data))

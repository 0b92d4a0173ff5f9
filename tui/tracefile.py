"""The trace file: a recorded run that replays and exports exactly like the live one.

A file holds the batches the session delivered during the run (tui.session.Batch), in order; loading applies
them to a fresh model, so a replay sees exactly what the live run saw. Little-endian throughout.

    file    = prefix, header, chunk*, end
    prefix  = magic b"\\x89concviz" (8 bytes), format version (u16: 1, or 2 below), header length (u32)
    header  = UTF-8 JSON object: {"format": "concviz-trace", "version": 1, "concviz": "0.1.0", "scenario",
              "params", "seed", "python", "machine": {"cores"}, "started", ...}: the run's meta
    chunk   = compressed length (u32, > 0), data length (u32), CRC-32 of the compressed bytes (u32),
              then zlib(data); data is whole batches, and a chunk holds about 64 KiB of data
    end     = 0 (u32), number of batches in the file (u32), 0 (u32)
    batch   = counts (5 x u32): records, samples, thread samples, output lines, exit JSON length (0: none),
              then each part in that order:
    record  = pid (u32) + a scenarios.wire RECORD (type, a, b, id, x, y, z); a TEXT record has its whole
              string (UTF-8) after it, b = 1 and y = its length in bytes
    sample  = t_ns (i64), scenario CPU in cores (f64), threads (u32), rss (u64), context switches (u64),
              processes (u32), core count n (u16), then n x busy % per core (f64) (versions 5 and 6: concviz's
              own CPU in cores (f64) after the scenario's)
    thread sample = pid (u32), tid (u32), t_ns (i64), on-CPU ns (i64), run-queue ns (i64)
    output  = t_ns (i64), length (u32), the line (UTF-8)
    exit    = UTF-8 JSON object {"status", "signal", "reason", ...}
Times are time.monotonic_ns() of the recording machine; the model counts from the HELLO record.

Format version 2 holds an interpreters comparison (``concviz run NAME --python A --python B``, tui.runs.Runs):
several runs of one scenario, one after another, each under its own interpreter. It differs from version 1 in two
places only; a single run is still written as version 1, so older concviz versions open it:
    header  = as above, "version": 2, with the first run's "scenario", "params", "seed", "machine" and
              "started" but no "python"; "runs": 2 to 8 objects, each one run's meta as a version 1 header has
              it ("python": the interpreter it ran on, ...), in the order they ran; "stopped" (optional): why
              the runs after the last one recorded did not run (the comparison was cancelled)
    batch   = run index (u32, into "runs"), then as in version 1

Format versions 3 and 4 are versions 1 and 2 whose records may include counted lock acquisitions (scenarios.wire
LOCK_SUM, LOCK_SUM_WAITS, LOCK_TAKEN: a busy traced lock's). A recording is written as 3 or 4 only when it holds
one, so that older concviz versions, which refuse those records, refuse the file as newer rather than damaged.

Format versions 5 and 6 are versions 3 and 4 whose samples also hold concviz's own CPU (the recording process's:
tui.model.Sample.own_cores, -1 where it was not measured), which the model needs to tell other programs' load from
the run's. A recording is written so when its first sample holds it, as a live run's do; one made again from an
older file's batches keeps that file's version. Samples of older files load with ``own_cores`` None.

Loading reads data only (JSON and struct; never pickle, eval or import) and refuses, with TraceFileError, a file
that is missing, foreign, of a newer version, damaged, or over the limits: 64 MiB on disk, a 1 MiB header,
32 MiB per chunk and 256 MiB in all once decompressed. A file that stops early (a copy or download cut short)
loads the complete chunks it has and says so: ``meta["truncated"]`` is True and ``meta["notice"]`` is a line the
UI can show. Saving writes a temporary file beside the target and renames it over the target when complete; it
writes only regular files: a FIFO, device, socket, directory or symbolic link at the target is refused, not
replaced. Paths in messages are escaped (tui.text.printable): they are shown on a terminal.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import struct
import tempfile
import threading
import zlib
from typing import Iterable, Iterator

from scenarios import wire
from tui import __version__
from tui.model import Trace
from tui.runs import MAX_RUNS, Runs
from tui.session import Batch
from tui.text import printable

FORMAT = "concviz-trace"
VERSION = 1  # a single run's format
RUNS_VERSION = 2  # several runs, one per interpreter (format version 2)
COUNTED_VERSION = 3  # a single run with counted lock acquisitions (LOCK_SUM ...)
COUNTED_RUNS_VERSION = 4  # several runs, with them
OWN_VERSION = 5  # a single run whose samples hold concviz's own CPU (and whose records may be counted ones)
OWN_RUNS_VERSION = 6  # several runs, so
NEWEST = OWN_RUNS_VERSION  # the newest this reads
MAGIC = b"\x89concviz"
SUFFIX = ".cvz"

MAX_FILE_BYTES = 64 * 2**20  # on disk
MAX_DATA_BYTES = 256 * 2**20  # decompressed, over the whole file: a zip bomb stops here
MAX_CHUNK_BYTES = 32 * 2**20  # decompressed, one chunk
MAX_HEADER_BYTES = 2**20
CHUNK_BYTES = 64 * 2**10  # the recorder starts a new chunk past this much data
MAX_BATCH_RECORDS = 100_000  # a bigger batch is recorded as several (applying them gives the same model)
MAX_CORES = 8192  # Linux's own limit (NR_CPUS): the screens draw a row per core, so a file may not claim more

PREFIX = struct.Struct("<8sHI")
CHUNK = struct.Struct("<III")
COUNTS = struct.Struct("<IIIII")
RUN_INDEX = struct.Struct("<I")
RECORD = struct.Struct("<I" + wire.RECORD.format.lstrip("<"))
SAMPLE = struct.Struct("<qdIQQIH")
OWN_SAMPLE = struct.Struct("<qddIQQIH")  # versions 5 and 6: concviz's own CPU after the scenario's
THREAD_SAMPLE = struct.Struct("<IIqqq")
LINE = struct.Struct("<qI")

_META_KEYS_NOT_SAVED = ("truncated", "notice")
_SCENARIO_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class TraceFileError(Exception):
    """A trace file that cannot be read or written; the message is one line naming the file and why."""


# ---------------------------------------------------------------------------------------------- recording


class Recorder:
    """Keeps every batch of a run, packed and compressed as it arrives; ``save`` writes the file.

    ``add`` is called on the session's thread and ``save`` may be called from another one (saving a live run).
    ``runs=True`` records several runs (format version 2): each batch is tagged with ``run``, the run going now.
    """

    def __init__(self, chunk_bytes: int = CHUNK_BYTES, runs: bool = False) -> None:
        self.chunk_bytes = chunk_bytes
        self.runs = runs
        self.run = 0  # the run the next batches belong to (runs=True)
        self.batches = 0
        self.counted = False  # a record of counted lock acquisitions was recorded: format version 3 or 4
        self.own: bool | None = None  # the samples hold concviz's own CPU (version 5 or 6); None: no sample yet
        self._pending = bytearray()  # packed batches not yet compressed
        self._chunks: list[bytes] = []  # compressed chunks, each with its CHUNK head
        self._lock = threading.Lock()

    def add(self, batch: Batch) -> None:
        if not self.counted and any(rec[1] >= wire.FIRST_SUM_TYPE for rec in batch.records):
            self.counted = True
        if self.own is None and batch.samples:
            self.own = _own_cores(batch.samples[0]) is not None
        with self._lock:
            for part in _split(batch):
                if self.runs:
                    self._pending += RUN_INDEX.pack(self.run)
                _pack_batch(part, self._pending, bool(self.own))
                self.batches += 1
                if len(self._pending) >= self.chunk_bytes:
                    self._close_chunk()

    def save(self, path: str | os.PathLike, meta: dict) -> int:
        """Write the trace file atomically; returns its size in bytes. Raises TraceFileError."""
        parts = self.file_parts(meta)
        size = sum(len(p) for p in parts)
        if size > MAX_FILE_BYTES:
            raise TraceFileError(f"cannot write {printable(os.fspath(path))}: the recording is {size / 2**20:.1f} MiB, "
                                 f"over the {MAX_FILE_BYTES // 2**20} MiB a trace file may have")
        return write_atomic(path, parts)

    def file_parts(self, meta: dict) -> list[bytes]:
        """The file so far, in pieces: prefix, header, chunks, end marker. ``meta``: the run's (several runs:
        tui.runs.Runs.file_meta(), with each run's meta under "runs")."""
        if self.own:
            version = OWN_RUNS_VERSION if self.runs else OWN_VERSION
        else:
            version = RUNS_VERSION if self.runs else VERSION
            if self.counted:
                version += COUNTED_VERSION - VERSION
        if self.runs and not isinstance(meta.get("runs"), list):
            raise ValueError("a recording of several runs needs their metas under 'runs'")
        header = {"format": FORMAT, "version": version, "concviz": __version__}
        header.update((k, v) for k, v in meta.items() if k not in header and k not in _META_KEYS_NOT_SAVED)
        if self.runs:
            header["runs"] = [{k: v for k, v in run.items() if k not in _META_KEYS_NOT_SAVED} for run in meta["runs"]]
        head = json.dumps(header, default=str, separators=(",", ":")).encode()
        with self._lock:
            self._close_chunk()
            return [PREFIX.pack(MAGIC, version, len(head)), head, *self._chunks, CHUNK.pack(0, self.batches, 0)]

    def _close_chunk(self) -> None:
        if not self._pending:
            return
        data = bytes(self._pending)
        packed = zlib.compress(data, 6)
        self._chunks.append(CHUNK.pack(len(packed), len(data), zlib.crc32(packed)) + packed)
        self._pending.clear()


def has_runs(version: int) -> bool:
    """Whether a file of this format version holds several runs (batches tagged with their run)."""
    return version in (RUNS_VERSION, COUNTED_RUNS_VERSION, OWN_RUNS_VERSION)


def has_own_cpu(version: int) -> bool:
    """Whether a file of this format version holds concviz's own CPU in its samples."""
    return version >= OWN_VERSION


def _own_cores(sample: tuple) -> float | None:
    """A batch's sample's concviz's own CPU: its 8th field (tui.model.Sample), None where it has none."""
    return sample[7] if len(sample) > 7 else None


def _last_record_type(version: int) -> int:
    return wire.LOCK_TAKEN if version >= COUNTED_VERSION else wire.VARIANT


def _split(batch: Batch) -> Iterator[Batch]:
    """A huge batch as several: its records in slices, everything else with the last slice."""
    records, step = batch.records, MAX_BATCH_RECORDS
    last = max((len(records) - 1) // step * step, 0)
    for i in range(0, last, step):
        yield Batch(records=records[i : i + step])
    yield Batch(records[last:], batch.samples, batch.thread_samples, batch.output, batch.exit)


def _pack_batch(batch: Batch, out: bytearray, own: bool = False) -> None:
    """``batch`` packed onto ``out``; ``own``: its samples with concviz's own CPU (-1 where not measured)."""
    exit_json = json.dumps(batch.exit, default=str).encode() if batch.exit is not None else b""
    out += COUNTS.pack(len(batch.records), len(batch.samples), len(batch.thread_samples), len(batch.output),
                       len(exit_json))
    pack = RECORD.pack
    for pid, typ, a, b, ident, x, y, z, text in batch.records:
        if typ == wire.TEXT:
            payload = (text or "").encode("utf-8", "replace")
            out += pack(pid, typ, a, 1, ident, x, len(payload), z)
            out += payload
        else:
            out += pack(pid, typ, a, b, ident, x, y, z)
    for sample in batch.samples:
        t_ns, cores, proc_cores, threads, rss, ctx, processes = sample[:7]
        if own:
            own_cores = _own_cores(sample)
            out += OWN_SAMPLE.pack(t_ns, proc_cores, -1.0 if own_cores is None else own_cores, threads, rss, ctx,
                                   processes, len(cores))
        else:
            out += SAMPLE.pack(t_ns, proc_cores, threads, rss, ctx, processes, len(cores))
        out += struct.pack(f"<{len(cores)}d", *cores)
    for sample in batch.thread_samples:
        out += THREAD_SAMPLE.pack(*sample)
    for t_ns, line in batch.output:
        payload = line.encode("utf-8", "replace")
        out += LINE.pack(t_ns, len(payload))
        out += payload
    out += exit_json


# ---------------------------------------------------------------------------------------------- writing


def check_writable(path: str | os.PathLike) -> os.stat_result | None:
    """Raise TraceFileError now if ``path`` cannot be written (before a run, not after it): its directory must take
    new files, and whatever is at ``path`` already must be a regular file (``regular_or_none``, whose answer this
    returns)."""
    path = os.fspath(path)
    shown = printable(path)
    folder = os.path.dirname(os.path.abspath(path))
    existing = regular_or_none(path)
    if not os.path.isdir(folder):
        raise TraceFileError(f"cannot write {shown}: the directory {printable(folder)} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TraceFileError(f"cannot write {shown}: no permission to create files in {printable(folder)}")
    if existing is not None and not os.access(path, os.W_OK):
        raise TraceFileError(f"cannot write {shown}: the file is read-only")
    return existing


_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def regular_or_none(path: str) -> os.stat_result | None:
    """What is at ``path`` if it is a regular file, None if nothing is; anything else is a TraceFileError.

    concviz writes only regular files: a FIFO, a device, a socket or a directory at the output path is refused, never
    replaced. So is a symbolic link, even to a regular file: the file is written by renaming a new one over the path,
    which would replace the link itself, and following it could be led to write where the user did not mean to."""
    shown = printable(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TraceFileError(f"cannot write {shown}: {printable(exc.strerror or exc)}") from None
    if stat.S_ISREG(info.st_mode):
        return info
    if stat.S_ISLNK(info.st_mode):
        real = os.path.realpath(path)
        hint = f": give the file it points to, {printable(real)}" if os.path.isfile(real) else ""
        raise TraceFileError(f"cannot write {shown}: it is a symbolic link, and concviz writes only regular "
                             f"files{hint}")
    kind = next((name for test, name in _NOT_REGULAR if test(info.st_mode)), "not a regular file")
    raise TraceFileError(f"cannot write {shown}: it is {kind}, and concviz writes only regular files")


def write_atomic(path: str | os.PathLike, parts: Iterable[bytes]) -> int:
    """Write ``parts`` to a temporary file beside ``path``, fsync it, then rename it over ``path``.

    An existing file is replaced only once the new one is complete, and only if it is a regular file: what is at
    ``path`` is checked again right before the rename (the rename itself never follows a link). Returns the bytes
    written."""
    path = os.fspath(path)
    shown = printable(path)
    existing = check_writable(path)
    folder = os.path.dirname(os.path.abspath(path))
    mode = existing.st_mode & 0o777 if existing is not None else 0o644
    size = 0
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
                size += len(part)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        regular_or_none(path)  # a FIFO or device put there while the file was written is refused too
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise TraceFileError(f"cannot write {shown}: {printable(exc.strerror or exc)}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return size


# ---------------------------------------------------------------------------------------------- loading


def load(path: str | os.PathLike) -> "Trace | Runs":
    """The recorded run as a model (several runs under different interpreters: a tui.runs.Runs of them), or
    TraceFileError."""
    path = os.fspath(path)
    shown = printable(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise TraceFileError(f"cannot read {shown}: it is a directory")
        if not stat.S_ISREG(info.st_mode):  # a pipe or a device could block or never end
            raise TraceFileError(f"cannot read {shown}: it is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise TraceFileError(_too_big(shown, info.st_size))
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise TraceFileError(f"cannot read {shown}: {printable(exc.strerror or exc)}") from None
    return loads(data, name=shown)


def _too_big(name: str, size: int) -> str:
    return f"{name} is {size / 2**20:.1f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit for trace files"


def loads(data: bytes, name: str = "the trace") -> "Trace | Runs":
    """Like ``load``, from the file's bytes."""
    reader = _Reader(data, name)
    if has_runs(reader.version):
        return _runs(reader)
    trace = Trace(reader.meta)
    for _, batch in reader.batches():
        batch.apply_to(trace)
    if reader.truncated:
        if reader.count == 0:
            raise TraceFileError(f"{reader.name} is truncated: it ends before its first complete chunk of events")
        trace.meta["truncated"] = True
        trace.meta["notice"] = (f"the file ends early (a run or a copy cut short): showing its first "
                                f"{trace.duration:.2f} s, {reader.count} complete batches")
    return trace


def _runs(reader: "_Reader") -> Runs:
    meta = dict(reader.meta)
    runs = Runs({k: v for k, v in meta.items() if k not in ("runs", "stopped")},
                [Trace(run) for run in meta["runs"]])
    stopped = meta.get("stopped")
    runs.stopped = stopped if isinstance(stopped, str) else None
    for run, batch in reader.batches():
        batch.apply_to(runs[run])
    recorded = [i for i in range(len(runs)) if runs.started(i)]
    runs.current = max(recorded, default=0)
    if reader.truncated:
        if reader.count == 0:
            raise TraceFileError(f"{reader.name} is truncated: it ends before its first complete chunk of events")
        notice = (f"the file ends early (a run or a copy cut short): showing its first {runs.duration:.2f} s, "
                  f"{reader.count} complete batches")
        for target in (runs.meta, *(trace.meta for trace in runs)):
            target["truncated"] = True
            target["notice"] = notice
    return runs


def read_batches(data: bytes, name: str = "the trace") -> tuple[dict, list[Batch], bool]:
    """The header's meta, the batches and whether the file was cut short (re-recording, tests). A file of several
    runs: every run's batches, in order (``read_tagged`` says which run each is of)."""
    meta, tagged, truncated = read_tagged(data, name)
    return meta, [batch for _, batch in tagged], truncated


def read_tagged(data: bytes, name: str = "the trace") -> tuple[dict, list[tuple[int, Batch]], bool]:
    """Like ``read_batches``, each batch with the index of its run (0 in a single run's file)."""
    reader = _Reader(data, name)
    batches = list(reader.batches())
    return reader.meta, batches, reader.truncated


class _Reader:
    """Checks the prefix and header at once; ``batches()`` then yields the batches chunk by chunk."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data = memoryview(data)
        self.name = name = printable(name)  # a path as the user typed it: shown in messages, so escaped
        self.count = 0
        self.truncated = False
        self.cores: int | None = None  # every sample has as many cores as the first
        if len(data) > MAX_FILE_BYTES:
            raise TraceFileError(_too_big(name, len(data)))
        if not data or bytes(data[: len(MAGIC)]) != MAGIC[: len(data)]:
            raise TraceFileError(f"{name} is not a concviz trace{_looks_like(data)}")
        if len(data) < PREFIX.size:
            raise TraceFileError(f"{name} is truncated: it ends inside its header")
        _, version, head_len = PREFIX.unpack_from(data)
        if version > NEWEST:
            raise TraceFileError(f"{name} was written by a newer concviz (trace format version {version}; "
                                 f"this one reads versions 1 to {NEWEST}): upgrade concviz to open it")
        if version < 1:
            raise TraceFileError(f"{name} is damaged: its format version is {version}")
        if head_len > MAX_HEADER_BYTES:
            raise TraceFileError(f"{name} is damaged: its header claims {head_len} bytes")
        self.pos = PREFIX.size + head_len
        if len(data) < self.pos:
            raise TraceFileError(f"{name} is truncated: it ends inside its header")
        self.version = version
        self.meta = self._header(bytes(data[PREFIX.size : self.pos]), version)

    def _header(self, raw: bytes, version: int) -> dict:
        try:
            header = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise TraceFileError(f"{self.name} is damaged: its header is not valid JSON") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise TraceFileError(f"{self.name} is damaged: its header does not name the {FORMAT} format")
        if header.get("version") != version:
            raise TraceFileError(f"{self.name} is damaged: its header and prefix disagree on the version")
        checks = {"scenario": str, "params": dict, "machine": dict}
        if not has_runs(version):
            checks["python"] = dict  # several runs: each run's own (below)
        for key, kind in checks.items():
            if not isinstance(header.get(key), kind):
                raise TraceFileError(f"{self.name} is damaged: its header has no valid {key!r}")
        if not _SCENARIO_NAME.fullmatch(header["scenario"]):
            raise TraceFileError(f"{self.name} is damaged: {header['scenario'][:40]!r} is not a scenario name")
        self._cores(header["machine"], "its header")
        if has_runs(version):
            self._runs_header(header)
        return {k: v for k, v in header.items() if k not in ("format", "version")}

    def _runs_header(self, header: dict) -> None:
        runs = header.get("runs")
        if not isinstance(runs, list) or not 2 <= len(runs) <= MAX_RUNS:
            raise TraceFileError(f"{self.name} is damaged: its header has no valid 'runs' (2 to {MAX_RUNS} of them)")
        for i, run in enumerate(runs):
            if not isinstance(run, dict) or not isinstance(run.get("python"), dict) \
                    or not isinstance(run.get("params", {}), dict) or run.get("scenario", header["scenario"]) \
                    != header["scenario"] or not isinstance(run.get("machine", {}), dict):
                raise TraceFileError(f"{self.name} is damaged: run {i + 1} in its header is not a valid run")
            self._cores(run.get("machine", {}), f"run {i + 1} in its header")

    def _cores(self, machine: dict, where: str) -> None:
        """A machine's ``cores``, if given, is a whole number the screens can draw a row for each of."""
        cores = machine.get("cores")
        if cores is not None and not (type(cores) is int and 1 <= cores <= MAX_CORES):
            raise TraceFileError(f"{self.name} is damaged: {where} gives {printable(repr(cores), 40)} cores, not a "
                                 f"whole number from 1 to {MAX_CORES}")

    def batches(self) -> Iterator[tuple[int, Batch]]:
        """(run index, batch): the index is 0 in a single run's file."""
        data, end, total = self.data, len(self.data), 0
        chunk = 0
        while True:
            if end - self.pos < CHUNK.size:
                self.truncated = True
                return
            packed_len, data_len, crc = CHUNK.unpack_from(data, self.pos)
            at = self.pos
            self.pos += CHUNK.size
            if packed_len == 0:
                self._end(data_len, crc, at)
                return
            if end - self.pos < packed_len:
                self.truncated = True
                return
            chunk += 1
            total += data_len
            if data_len > MAX_CHUNK_BYTES:
                raise TraceFileError(f"{self.name} is refused: chunk {chunk} unpacks to {data_len / 2**20:.1f} MiB, "
                                     f"over the {MAX_CHUNK_BYTES >> 20} MiB limit for a chunk")
            if total > MAX_DATA_BYTES:
                raise TraceFileError(f"{self.name} is refused: by chunk {chunk} it unpacks to over the "
                                     f"{MAX_DATA_BYTES >> 20} MiB limit for a trace")
            packed = data[self.pos : self.pos + packed_len]
            self.pos += packed_len
            if zlib.crc32(packed) != crc:
                raise TraceFileError(f"{self.name} is damaged: chunk {chunk} (byte {at}) fails its checksum")
            raw = self._inflate(packed, data_len, chunk)
            for batch in _Unpacker(raw, f"{self.name} is damaged: chunk {chunk}", self).batches():
                self.count += 1
                yield batch

    def _inflate(self, packed, data_len: int, chunk: int) -> bytes:
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(packed, data_len)
            if inflater.unconsumed_tail or not inflater.eof or len(raw) != data_len:
                raise zlib.error("length mismatch")
        except zlib.error:
            raise TraceFileError(f"{self.name} is damaged: chunk {chunk} does not decompress to its stated "
                                 "length") from None
        return raw

    def _end(self, batches: int, zero: int, at: int) -> None:
        if zero != 0 or batches != self.count:
            raise TraceFileError(f"{self.name} is damaged: its end marker (byte {at}) does not match its content")
        if self.pos != len(self.data):
            raise TraceFileError(f"{self.name} is damaged: {len(self.data) - self.pos} bytes follow its end marker")


class _Unpacker:
    """The batches packed in one chunk's data, checked as they are read."""

    def __init__(self, raw: bytes, where: str, reader: _Reader) -> None:
        self.raw = raw
        self.where = where
        self.reader = reader
        self.pos = 0

    def batches(self) -> Iterator[tuple[int, Batch]]:
        runs = len(self.reader.meta.get("runs", ())) if has_runs(self.reader.version) else 0
        while self.pos < len(self.raw):
            run = 0
            if runs:
                (run,) = self._take(RUN_INDEX)
                if run >= runs:
                    raise self._damaged(f"a batch names run {run + 1} of {runs}")
            yield run, self._batch()

    def _take(self, st: struct.Struct) -> tuple:
        if len(self.raw) - self.pos < st.size:
            raise self._damaged("a batch runs past the end of its chunk")
        values = st.unpack_from(self.raw, self.pos)
        self.pos += st.size
        return values

    def _bytes(self, n: int) -> bytes:
        if n < 0 or len(self.raw) - self.pos < n:
            raise self._damaged("a string runs past the end of its chunk")
        out = self.raw[self.pos : self.pos + n]
        self.pos += n
        return out

    def _json(self, raw: bytes):
        try:
            return json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            return None
        except RecursionError:
            raise self._damaged("it holds JSON nested too deeply to read") from None

    def _damaged(self, why: str) -> TraceFileError:
        return TraceFileError(f"{self.where}: {why}")

    def _batch(self) -> Batch:
        n_records, n_samples, n_threads, n_lines, exit_len = self._take(COUNTS)
        batch = Batch()
        for _ in range(n_records):
            batch.records.append(self._record())
        own = has_own_cpu(self.reader.version)
        for _ in range(n_samples):
            own_cores: float | None
            if own:
                t_ns, proc_cores, own_cores, threads, rss, ctx, processes, n = self._take(OWN_SAMPLE)
            else:
                (t_ns, proc_cores, threads, rss, ctx, processes, n), own_cores = self._take(SAMPLE), None
            if n != (self.reader.cores or n) or not 1 <= n <= MAX_CORES:
                raise self._damaged(f"a sample has {n} cores, not {self.reader.cores or f'1 to {MAX_CORES}'}")
            self.reader.cores = n
            cores = self._take(struct.Struct(f"<{n}d"))
            if not all(math.isfinite(v) for v in (proc_cores, *cores, own_cores or 0.0)):
                raise self._damaged("a sample holds a value that is not a number")
            if own_cores is not None and own_cores < 0:
                own_cores = None  # not measured
            batch.samples.append((t_ns, tuple(cores), proc_cores, threads, rss, ctx, processes, own_cores))
        for _ in range(n_threads):
            batch.thread_samples.append(self._take(THREAD_SAMPLE))
        for _ in range(n_lines):
            t_ns, n = self._take(LINE)
            batch.output.append((t_ns, self._bytes(n).decode("utf-8", "replace")))
        if exit_len:
            exit_info = self._json(self._bytes(exit_len))
            if not isinstance(exit_info, dict):
                raise self._damaged("its exit status is not a JSON object")
            batch.exit = exit_info
        return batch

    def _record(self) -> tuple:
        pid, typ, a, b, ident, x, y, z = self._take(RECORD)
        text = None
        if typ == wire.TEXT:
            text = self._bytes(y).decode("utf-8", "replace")
            if a in (wire.TEXT_INFO, wire.TEXT_ERROR):  # JSON the model parses: check what it relies on
                info = self._json(text.encode())
                if a == wire.TEXT_INFO and isinstance(info, dict) and not isinstance(info.get("metrics", {}), dict):
                    raise self._damaged("its reported metrics are not a JSON object")
        elif not wire.HELLO <= typ <= _last_record_type(self.reader.version):
            raise self._damaged(f"unknown record type {typ}")
        elif typ == wire.STATE and a >= len(wire.STATES) or typ == wire.TASK and a >= len(wire.TASK_KINDS):
            raise self._damaged(f"a record names an unknown state or task kind ({a})")
        elif typ == wire.HELLO and not 1 <= z <= MAX_CORES:  # the model takes the machine's cores from it
            raise self._damaged(f"its start record gives {z} cores, not 1 to {MAX_CORES}")
        return (pid, typ, a, b, ident, x, y, z, text)


def _looks_like(data: bytes) -> str:
    start = bytes(data[:16]).lstrip()
    if start.startswith((b"{", b"[")):
        return " (it looks like JSON: an exported Chrome trace cannot be loaded back; load the recording)"
    if start.startswith(b"\x1f\x8b"):
        return " (it is gzip-compressed)"
    if not data:
        return " (it is empty)"
    return ""

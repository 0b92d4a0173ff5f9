"""The event pipeline: events per second from a child's probe into the parent's model, and where the time goes.

End to end: benchmarks.emitter (the real probe and flusher) -> pipe -> tui.session.Session.pump (the real
selector loop, psutil sampling, tui.stream.Decoder) -> Batch.apply_to(Trace), timed from the child's first event
to the moment the parent has applied its last (RUN_END). Then each stage alone, on the same events: the child's
CPU per event (emitting thread, and with the flusher), decoding per event, applying to the model per event.

An event here is a record through the pipe (the emitter says how many it wrote). A busy lock's acquisitions are
counted in the child, not sent one by one (scenarios/probe.py, Lock): ``hot`` measures those as acquisitions a
second end to end, with the records they took beside.
"""

from __future__ import annotations

import cProfile
import gc
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time

from benchmarks.common import ROOT, Row, cli, clean_env, fmt_num, median, verdict

SECTION = "2. event pipeline"
BUDGET_EPS = 1_000_000  # issue 14 (issue 7 asked for 500k)


def emitter_cmd(kind: str, n: int) -> list[str]:
    return [sys.executable, "-m", "benchmarks.emitter", kind, str(n)]


def parse_emit(text: str) -> dict:
    import json

    for line in text.splitlines():
        if line.startswith("EMIT "):
            return json.loads(line[5:])
    raise RuntimeError(f"the emitter said: {text.strip()[-300:]}")


def end_to_end(kind: str, n: int) -> tuple[float, dict]:
    """Events per second through the real session, and the emitter's own figures."""
    from tui.interpreter import python_info
    from tui.model import Trace
    from tui.session import Session

    class EmitterSession(Session):
        def start(self) -> None:  # Session.start, with the emitter as the child
            read_fd, write_fd = os.pipe()
            env = dict(clean_env(), CONCVIZ_EVENTS_FD=str(write_fd))
            try:
                self.proc = subprocess.Popen(emitter_cmd(kind, n), cwd=ROOT, stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(write_fd,),
                                             env=env, start_new_session=True)
            finally:
                os.close(write_fd)
            self._events = os.fdopen(read_fd, "rb", buffering=0)
            from tui.session import _live, _Sampler

            self._sampler = _Sampler(self.proc.pid)
            _live.add(self)

    trace = Trace({"python": python_info()})
    done = {}

    def sink(batch) -> None:
        batch.apply_to(trace)
        if trace.ended is not None and "t_ns" not in done:  # the root's RUN_END was in this batch
            done["t_ns"] = time.monotonic_ns()

    session = EmitterSession(None, {}, 0, sink=sink, time_limit_s=300)
    session.pump()
    stats = parse_emit(session._stderr_tail.decode())
    begin_ns = trace.t0_ns + int(trace.counters["begin"][0][0] * 1e9)
    if kind == "hot":  # acquisitions: every one of them must have reached the model, counted
        assert sum(s.acquisitions for s in trace.lock_stats()) == stats["events"], "acquisitions lost"
    return stats["events"] / ((done["t_ns"] - begin_ns) / 1e9), stats


def recorded_stream(kind: str, n: int) -> bytes:
    """The bytes the emitter writes, captured in a file, to time decoding and applying alone."""
    with tempfile.TemporaryFile() as f:
        env = dict(clean_env(), CONCVIZ_EVENTS_FD=str(f.fileno()))
        subprocess.run(emitter_cmd(kind, n), cwd=ROOT, env=env, pass_fds=(f.fileno(),), check=True,
                       capture_output=True, stdin=subprocess.DEVNULL)
        f.seek(0)
        return f.read()


def decode(data: bytes) -> list:
    from tui.stream import Decoder

    decoder, records = Decoder(), []
    for i in range(0, len(data), 65536):
        records += decoder.feed(data[i : i + 65536])
    return records


def apply(records: list):
    from tui.interpreter import python_info
    from tui.model import Trace

    trace = Trace({"python": python_info()})
    trace.apply(records)
    return trace


def stage_costs(data: bytes, reps: int) -> tuple[list[float], list[float], int]:
    """Microseconds per event to decode, and to apply to a fresh model."""
    dec, app = [], []
    records = decode(data)
    for _ in range(reps):
        t0 = time.perf_counter()
        records = decode(data)
        gc.collect(0)  # the decoder and Trace.apply pause the collector: the collection each put off is its cost
        t1 = time.perf_counter()
        apply(records)
        gc.collect(0)
        t2 = time.perf_counter()
        dec.append((t1 - t0) / len(records) * 1e6)
        app.append((t2 - t1) / len(records) * 1e6)
    return dec, app, len(records)


def profile(data: bytes, top: int = 12) -> str:
    """cProfile of decode + apply: the functions where the parent's time goes."""
    prof = cProfile.Profile()
    prof.enable()
    apply(decode(data))
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def hot_rows(n: int, reps: int) -> list[Row]:
    """A busy lock (``with lock: pass``) end to end: acquisitions a second into the model, all of them counted."""
    rates, emits = [], []
    for _ in range(reps):
        rate, stats = end_to_end("hot", n)
        rates.append(rate)
        emits.append(stats)
    records = median([e["records"] for e in emits])
    return [Row(SECTION, f"end to end, a busy lock's acquisitions ({n:,} per run)", fmt_num([r / 1000 for r in rates],
                "k acquisitions/s", 0), "", "info",
                f"counted in the child: {records:,.0f} records for {n:,} acquisitions (a few timed whole, the rest in "
                f"counts); the emitting thread {median([e['thread_us'] for e in emits]):.2f} us an acquisition, the "
                f"whole child {median([e['process_us'] for e in emits]):.2f} us")]


def main(quick: bool = False) -> list[Row]:
    n, reps = (30_000, 2) if quick else (100_000, 5)  # a run lasts ~0.2 s: the median of 5 for mixed
    rows = hot_rows(n * 10, max(reps - 2, 1))
    for kind in ("mixed", "state", "lock", "count"):
        rates, emits = [], []
        for _ in range(reps if kind == "mixed" else max(reps - 1, 1)):
            rate, stats = end_to_end(kind, n)
            rates.append(rate)
            emits.append(stats)
        data = recorded_stream(kind, n)
        dec, app, count = stage_costs(data, reps)
        thread_us = [e["thread_us"] for e in emits]
        process_us = [e["process_us"] for e in emits]
        ok = median(rates) >= BUDGET_EPS
        limit = max(median(process_us), median(dec) + median(app))
        rows.append(Row(SECTION, f"end to end, {kind} events ({n:,} per run)", fmt_num([r / 1000 for r in rates],
                        "k events/s", 0), f">= {BUDGET_EPS // 1000}k events/s" if kind == "mixed" else "",
                        verdict(ok) if kind == "mixed" else "info",
                        f"slowest stage allows ~{1 / limit * 1e3:.0f}k events/s; records written "
                        f"{median([e['records'] for e in emits]):,.0f}"))
        rows.append(Row(SECTION, f"  {kind}: child, emitting thread per event", fmt_num(thread_us, "us"), "", "info",
                        f"whole child with flusher packing+writing: {median(process_us):.2f} us"))
        rows.append(Row(SECTION, f"  {kind}: parent, decode per event", fmt_num(dec, "us"), "", "info",
                        f"{count:,} records, {len(data) / count:.0f} bytes each"))
        rows.append(Row(SECTION, f"  {kind}: parent, Trace.apply per event", fmt_num(app, "us"), "", "info"))
        if kind == "mixed":
            text = profile(data[: 1_000_000])  # the first ~30k events: enough to see the shape
            path = ROOT / "benchmarks" / "profile_pipeline.txt"
            path.write_text(f"cProfile of decode + Trace.apply, the first ~30k of {count:,} mixed events\n\n{text}")
            rows[-4].note += "; profile of the parent's side: benchmarks/profile_pipeline.txt"
    return rows


if __name__ == "__main__":
    cli(main)

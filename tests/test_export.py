"""The Chrome Trace Event export, checked against the rules Perfetto and chrome://tracing rely on."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import TraceBuilder
from tui import export, model, tracefile
from tui.model import Sample

TRACES = Path(__file__).parent / "traces"
RECORDED = sorted(TRACES.glob("*.cvz"))
NS = 1e-3  # one nanosecond, in microseconds: the export's resolution


def check_chrome_rules(doc: dict) -> dict:
    """Assert the format's rules; return the X events by (pid, tid) track."""
    doc = json.loads(json.dumps(doc, allow_nan=False))  # plain JSON, as json.load reads it back
    events = doc["traceEvents"]
    named_processes = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    named_threads = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    tracks = defaultdict(list)
    for e in events:
        assert e["ph"] in "MXCsf", e
        assert e["pid"] in named_processes, e
        if e["ph"] != "M":
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        if e["ph"] in "Xsf":
            assert (e["pid"], e["tid"]) in named_threads, e
        if e["ph"] == "X":
            assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
            tracks[(e["pid"], e["tid"])].append(e)
        if e["ph"] == "C":
            assert e["args"] and all(isinstance(v, (int, float)) for v in e["args"].values()), e
    for track in tracks.values():
        track.sort(key=lambda e: e["ts"])
        for before, after in zip(track, track[1:]):
            assert before["ts"] + before["dur"] <= after["ts"] + NS, (before, after)
    tids = sorted({tid for _, tid in named_threads})
    assert tids == list(range(1, len(tids) + 1))  # small and sequential
    return tracks


def flows(doc: dict) -> dict[int, dict[str, dict]]:
    found = defaultdict(dict)
    for e in doc["traceEvents"]:
        if e["ph"] in "sf":
            found[e["id"]][e["ph"]] = e
    return found


def inside_a_slice(event: dict, tracks: dict) -> bool:
    return any(x["ts"] <= event["ts"] <= x["ts"] + x["dur"] for x in tracks[(event["pid"], event["tid"])])


def thread_names(doc: dict) -> dict[tuple[int, int], str]:
    return {(e["pid"], e["tid"]): e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "thread_name"}


def contended_run():
    """Two threads and a worker process: a cpu stretch split by the scheduler counters, nested locks, a lock
    handed from one thread to the other, a counter, a variant, samples, and a lane still open at the end."""
    b = TraceBuilder(pid=100)
    b.hello(cores=2).lock(1, "progress lock")
    b.variant(1, "threads", 0.0)
    b.task(1, "worker A", 0.0, variant=1).bind(1, 11, 0.0).state(1, "cpu", 0.0, on_cpu=0.0, run_queue=0.0)
    b.task(2, "worker B", 0.05, variant=1).bind(2, 12, 0.05).state(2, "io", 0.05)
    b.request(1, 1, 0.1).acquired(1, 1, 0.11)
    b.state(2, "cpu", 0.25, on_cpu=0.0, run_queue=0.0).request(1, 2, 0.25)
    b.released(1, 1, 0.4).acquired(1, 2, 0.42).count("progress", 1, 0.42, ident=2)
    b.released(1, 2, 0.5).state(1, "io", 0.6, on_cpu=0.3, run_queue=0.05).end(1, 0.7, on_cpu=0.3, run_queue=0.05)
    b.task(3, "heavy #0", 0.1, kind="process", pid=200).state(3, "cpu", 0.1, on_cpu=0.0, run_queue=0.0, pid=200)
    b.end(3, 0.5, on_cpu=0.2, run_queue=0.1, pid=200)
    b.variant_end(1, 0.75).run_end(0.8)  # worker B never ends
    trace = b.trace({"scenario": "threads-download", "params": {}, "seed": 1, "python": {"gil": "enabled"}})
    # a lock inside a lock: the model keeps one span at a time per lane; the export must not rely on that
    trace.lanes[(100, 1)].overlays[1:1] = [[0.2, 0.3, "lock_hold", "inner lock"]]
    for i in range(8):
        trace.add_sample(Sample(0.1 * i, (50.0 + i, 10.0), 0.6, 3, 10_000_000, 100 + i, 2))
    return trace


# ------------------------------------------------------------------------------------------ the rules


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
def test_recorded_traces_export_by_the_rules(path):
    trace = tracefile.load(path)
    doc = export.chrome_trace(trace)
    tracks = check_chrome_rules(doc)
    names = thread_names(doc)
    for lane in trace.ordered_lanes():
        assert lane.name in names.values()
    assert sum(len(t) for t in tracks.values()) >= sum(len(lane.segments) for lane in trace.lanes.values())
    counters = [e for e in doc["traceEvents"] if e["ph"] == "C" and e["name"] == "core busy %"]
    assert len(counters) == len(trace.samples) and all(len(e["args"]) == trace.meta["machine"]["cores"]
                                                       for e in counters)


def test_each_lane_gets_a_track_and_overlapping_locks_their_own():
    trace = contended_run()
    doc = export.chrome_trace(trace)
    tracks = check_chrome_rules(doc)
    names = {name: key for key, name in thread_names(doc).items()}
    assert list(names) == ["worker A", "worker A locks", "worker A locks 2", "worker B", "worker B locks",
                           "heavy #0", "variants"]  # in the order the lanes started
    assert names["heavy #0"][0] == 200 and names["worker A"][0] == 100
    a_locks = tracks[names["worker A locks"]] + tracks[names["worker A locks 2"]]
    assert sorted((e["name"], e["args"]["lock"]) for e in a_locks) == [
        ("lock_hold", "inner lock"), ("lock_hold", "progress lock"), ("lock_wait", "progress lock")]
    assert [e["args"]["lock"] for e in tracks[names["worker A locks 2"]]] == ["inner lock"]
    processes = {e["pid"]: e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "process_name"}
    assert processes == {100: "threads-download", 200: "threads-download: process 200"}
    assert [e["name"] for e in tracks[names["variants"]]] == ["threads"]


def test_slices_add_up_to_the_models_state_times():
    trace = contended_run()
    doc = export.chrome_trace(trace)
    tracks = check_chrome_rules(doc)
    names = {name: key for key, name in thread_names(doc).items()}
    for lane in trace.ordered_lanes():
        states = trace.lane_states(lane)
        base = sum(e["dur"] for e in tracks[names[lane.name]]) / 1e6
        # lock holds overlay the base states; lock waits inside a cpu stretch are already left out of its split
        assert base == pytest.approx(sum(states.values()) - states.get("lock_hold", 0.0), abs=1e-6), lane.name
        lock_tracks = [key for name, key in names.items() if name.startswith(f"{lane.name} locks")]
        held = sum(e["dur"] for key in lock_tracks for e in tracks[key] if e["name"] == "lock_hold") / 1e6
        assert held == pytest.approx(states.get("lock_hold", 0.0), abs=1e-6)


def test_a_split_cpu_stretch_is_one_slice_with_its_measured_parts():
    trace = contended_run()
    doc = export.chrome_trace(trace)
    names = {name: key for key, name in thread_names(doc).items()}
    first = next(e for e in doc["traceEvents"] if e["ph"] == "X" and (e["pid"], e["tid"]) == names["worker A"])
    split = trace.lanes[(100, 1)].segments[0].split
    assert first["dur"] == pytest.approx(600_000) and first["args"] == pytest.approx(
        {f"{k}_s": v for k, v in split.items()})
    assert first["name"] == max(split, key=split.get)
    worker = next(e for e in doc["traceEvents"] if e["ph"] == "X" and e["pid"] == 200)
    assert set(worker["args"]) == {"cpu_s", "core_wait_s", "wait_s"}  # a process: no GIL to wait for


def test_a_lock_hand_off_is_a_flow_between_the_two_holds():
    trace = contended_run()
    doc = export.chrome_trace(trace)
    tracks = check_chrome_rules(doc)
    names = thread_names(doc)
    (flow,) = flows(doc).values()
    assert names[(flow["s"]["pid"], flow["s"]["tid"])] == "worker A locks"
    assert names[(flow["f"]["pid"], flow["f"]["tid"])] == "worker B locks"
    assert flow["f"]["bp"] == "e" and flow["s"]["ts"] < flow["f"]["ts"]
    assert inside_a_slice(flow["s"], tracks) and inside_a_slice(flow["f"], tracks)
    assert flow["s"]["name"] == "hand-off progress lock"


def test_no_hand_off_when_nobody_was_waiting(build):
    build.hello().lock(1, "l")
    build.task(1, "a", 0.0).task(2, "b", 0.0)
    build.request(1, 1, 0.1).acquired(1, 1, 0.1).released(1, 1, 0.2)
    build.request(1, 2, 0.3).acquired(1, 2, 0.3).released(1, 2, 0.4).end(1, 0.5).end(2, 0.5).run_end(0.5)
    assert not flows(export.chrome_trace(build.trace({"scenario": "x"})))


def test_counters_carry_the_cores_the_scenario_cpu_and_its_own_counters():
    doc = export.chrome_trace(contended_run())
    counters = defaultdict(list)
    for e in doc["traceEvents"]:
        if e["ph"] == "C":
            counters[e["name"]].append(e)
    assert counters["core busy %"][3]["args"] == {"core 0": 53.0, "core 1": 10.0}
    assert counters["scenario CPU (cores)"][0]["args"] == {"cores": 0.6}
    assert [e["args"] for e in counters["progress"]] == [{"progress": 1}]
    assert counters["progress"][0]["ts"] == pytest.approx(420_000)


def test_a_hot_locks_folded_spans_export_as_a_counter(build):
    spans = model.LANE_OVERLAYS + 1000  # enough for the model to fold its oldest spans
    build.hello().lock(1, "hot").task(1, "spinner", 0.0).state(1, "cpu", 0.0)
    for i in range(spans // 2 + 1):
        t = i * 1e-4
        build.request(1, 1, t).acquired(1, 1, t + 2e-5).released(1, 1, t + 5e-5)
    trace = build.trace({"scenario": "x"})
    assert trace.lanes[(100, 1)].folded
    doc = export.chrome_trace(trace)
    tracks = check_chrome_rules(doc)
    folded = [e for e in doc["traceEvents"] if e["ph"] == "C" and "(folded)" in e["name"]]
    assert folded and folded[0]["name"] == "spinner lock ms per 50 ms (folded)"
    assert sum(e["args"]["hold"] for e in folded) / 1000 + sum(
        e["dur"] for key, t in tracks.items() for e in t if e["name"] == "lock_hold") / 1e6 == pytest.approx(
        trace.lane_states(trace.lanes[(100, 1)])["lock_hold"], rel=1e-6)
    assert doc["otherData"]["notes"] == trace.load_notes() != []


def test_an_empty_trace_exports_a_valid_file():
    doc = export.chrome_trace(TraceBuilder().hello().trace({"scenario": "x"}))
    check_chrome_rules(doc)
    assert [e["name"] for e in doc["traceEvents"]] == ["process_name", "process_sort_index"]


# ------------------------------------------------------------------------------------------ writing


def test_write_chrome_trace_writes_loadable_json_atomically(tmp_path, monkeypatch):
    trace = contended_run()
    out = tmp_path / "run.json"
    count = export.write_chrome_trace(trace, out)
    with open(out) as f:
        doc = json.load(f)
    assert count == len(doc["traceEvents"]) and doc["otherData"]["scenario"] == "threads-download"

    out.write_text("previous")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tracefile.os, "fsync", disk_full)
    with pytest.raises(tracefile.TraceFileError, match="No space left"):
        export.write_chrome_trace(trace, out)
    assert out.read_text() == "previous" and os.listdir(tmp_path) == ["run.json"]


# ------------------------------------------------------------------------------------------ strict JSON


def strict_load(text: str) -> dict:
    """json.loads as a strict parser reads JSON: NaN, Infinity and -Infinity are not JSON."""
    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


INF_META = {"scenario": "threads-download", "params": {"tasks": float("inf"), "ok": 1.5}, "seed": float("nan"),
            "python": {"version": "3.11"}, "machine": {"cores": 2, "mhz": -float("inf")}}


def test_non_finite_numbers_in_a_header_export_as_null_and_are_listed(tmp_path):
    recorder = tracefile.Recorder()
    recorder.add(tracefile.Batch(records=TraceBuilder().hello().records))
    path = tmp_path / "inf.cvz"
    recorder.save(path, INF_META)  # json writes Infinity and NaN into the header; json.loads reads them back
    out = tmp_path / "inf.json"
    export.write_chrome_trace(tracefile.load(path), out)

    other = strict_load(out.read_text())["otherData"]
    assert other["params"] == {"tasks": None, "ok": 1.5} and other["seed"] is None
    assert other["machine"] == {"cores": 2, "mhz": None}
    assert other["non_finite"] == ["otherData.params.tasks", "otherData.seed", "otherData.machine.mhz"]
    assert other["notes"][-1] == ("3 value(s) that were not finite numbers (NaN or Infinity) are written as null: "
                                  "otherData.params.tasks, otherData.seed, otherData.machine.mhz")


def test_a_finite_export_has_no_note_of_non_finite_numbers():
    text = export.to_json(export.chrome_trace(contended_run()))
    assert "non_finite" not in strict_load(text)["otherData"]


def test_the_headless_summary_is_strict_json_whatever_the_child_reported():
    from tui.summary import summarize
    from tui.text import strict_json

    info = json.dumps({"metrics": {"odd": float("nan")}, "results": [1.0, float("inf")]})
    trace = TraceBuilder().hello().task(1, "t", 0.0).info(info).end(1, 0.5).run_end(0.5).trace(INF_META)
    summary = strict_load(strict_json(summarize(trace)))
    assert summary["metrics"]["odd"] is None and summary["results"] == [1.0, None]
    assert summary["non_finite"] == ["params.tasks", "seed", "machine.mhz", "metrics.odd", "results[1]"]


def test_many_non_finite_numbers_are_counted_past_the_first_twenty():
    from tui.text import MAX_PATHS, strict_json

    doc = strict_load(strict_json({"values": [float("nan")] * 50}))
    assert doc["values"] == [None] * 50 and doc["non_finite_count"] == 50
    assert doc["non_finite"] == [f"values[{i}]" for i in range(MAX_PATHS)]


# ------------------------------------------------------------------------------------------ a file cut short


def test_a_file_cut_short_exports_what_it_has_and_says_so(tmp_path):
    import subprocess
    import sys

    whole = (TRACES / "threads-download.cvz").read_bytes()
    meta, batches, _ = tracefile.read_batches(whole)
    recorder = tracefile.Recorder(chunk_bytes=300)
    for batch in batches:
        recorder.add(batch)
    data = b"".join(recorder.file_parts(meta))
    cut = tmp_path / "cut.cvz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    loaded = tracefile.load(cut)
    assert loaded.meta["truncated"]

    out = tmp_path / "cut.json"
    done = subprocess.run([str(Path(sys.executable).with_name("concviz")), "export", str(cut), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f"concviz: {cut} ends early (a run or a copy cut short): exported its first "
                           f"{loaded.duration:.2f} s\n")
    doc = strict_load(out.read_text())
    assert doc["otherData"]["truncated"] is True and "ends early" in doc["otherData"]["notice"]
    assert f"wrote {len(doc['traceEvents'])} trace events" in done.stdout
    whole_doc = export.chrome_trace(tracefile.loads(whole))
    assert "truncated" not in whole_doc["otherData"] and len(doc["traceEvents"]) < len(whole_doc["traceEvents"])


def test_a_comparison_cut_short_exports_what_it_has_and_says_so():
    from tests.test_interpreters_compared import recorded_bytes, two_runs

    data = recorded_bytes(*two_runs(), chunk_bytes=200)
    for end in range(len(data) - 1, 0, -1):  # the longest cut that still loads
        try:
            runs = tracefile.loads(data[:end])
        except tracefile.TraceFileError:
            continue
        if runs.meta.get("truncated"):
            break
    other = strict_load(export.to_json(export.chrome_trace(runs)))["otherData"]
    assert other["truncated"] is True and other["notice"] == runs.meta["notice"]

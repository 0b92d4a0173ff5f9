"""Honest on a busy machine (issue 15): other programs' CPU while a run went, measured from the samples (the machine's
busy cores less the scenario tree's and concviz's own), and said where it changes the figures: in the notice bar,
the explanation (a run's, a comparison's, interpreters compared), the headless summary and the export. The model
with synthetic samples; recorded runs with their samples rewritten to show a busy machine, for the screens; the
trace file's field for concviz's own CPU, and older files without it; the sampler's count of the tree's CPU and of
concviz's own, with a fake clock and made-up /proc files. Nothing here depends on this machine's load or speed."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import ns
from tui import lessons, session, tracefile
from tui.app import make_app
from tui.export import chrome_trace
from tui.lessons import interpreters
from tui.model import BUSY_SHARE, Sample, Trace, Variant
from tui.model.trace import MIN_SAMPLES
from tui.report import render
from tui.runs import Runs
from tui.session import Batch
from tui.summary import summarize
from tui.widgets.lesson import LessonPanel
from tui.widgets.notices import NoticeBar, notices

TRACES = Path(__file__).parent / "traces"
RECORDED = sorted(TRACES.rglob("*.cvz"))
META = {"scenario": "cpu-speedup", "params": {}, "seed": 1, "python": {"gil": "enabled"}, "machine": {"cores": 2}}


def run_with(others, proc: float = 0.5, own: float | None = 0.05, seconds: float = 3.0, cores: int = 2) -> Trace:
    """A run with a sample every 100 ms whose busy cores are the scenario's ``proc``, concviz's ``own`` and other
    programs' ``others(t)`` (a number: the same throughout)."""
    trace = Trace(dict(META, machine={"cores": cores}))
    for i in range(1, round(seconds * 10) + 1):
        t = i / 10
        busy = proc + (own or 0.0) + (others(t) if callable(others) else others)
        trace.add_sample(Sample(t, (busy / cores * 100,) * cores, proc, 4, 2**20, 10 * i, 1, own))
    return trace


def models(trace: Trace, *spans: tuple[str, float, float]) -> Trace:
    for name, start, end in spans:
        trace.variants[name] = Variant(name, start, end)
    return trace


# ------------------------------------------------------------------------------------------------ the model


def test_a_quiet_run_has_no_note_and_a_busy_one_gives_the_others_share():
    quiet = run_with(0.1)
    assert quiet.others_load().cores == pytest.approx(0.1) and quiet.busy_notes() == []
    busy = run_with(0.9)
    load = busy.others_load()
    assert load.cores == pytest.approx(0.9) and load.machine == 2 and load.share == pytest.approx(0.45)
    (note,) = busy.busy_notes()
    assert note == ("other programs used 0.90 of the 2 cores on average during this run (45%): its times, speed-ups "
                    "and waits are not a quiet machine's")
    assert busy.load_notes() == [note]  # beside what the model aggregated: the JSON's load_notes, the export's notes


def test_the_threshold_is_a_share_of_the_machine():
    assert run_with(BUSY_SHARE * 2 - 0.01).busy_notes() == []
    assert run_with(BUSY_SHARE * 2 + 0.01).busy_notes() != []
    assert run_with(BUSY_SHARE * 8 - 0.05, cores=8).busy_notes() == []  # the same cores on 8 are a smaller share
    (one,) = run_with(0.3, proc=0.2, own=0.02, cores=1).busy_notes()
    assert "0.30 of the 1 core on average" in one and "(30%)" in one


def test_concviz_and_the_scenario_are_not_other_programs():
    trace = run_with(0.0, proc=1.2, own=0.7)  # every core busy, all of it the run's and concviz's own
    assert trace.others_load().cores == pytest.approx(0.0) and trace.busy_notes() == []


def test_a_burst_gives_its_busiest_second_and_the_mean_is_over_the_run():
    trace = run_with(lambda t: 1.6 if 1.0 < t <= 2.0 else 0.1)
    load = trace.others_load()
    assert load.cores == pytest.approx(0.6) and load.busiest == pytest.approx(1.6)
    (note,) = trace.busy_notes()
    assert "0.60 of the 2 cores on average during this run (30%; 1.60 in its busiest second)" in note
    assert "busiest" not in run_with(0.5).busy_notes()[0]  # as busy throughout: no burst to tell


def test_noise_below_zero_averages_out_rather_than_counting_as_load():
    trace = run_with(lambda t: 0.3 if round(t * 10) % 2 else -0.3)  # /proc's ticks: over, then under
    assert trace.others_load().cores == pytest.approx(0.0, abs=1e-9) and trace.busy_notes() == []


def test_too_few_samples_or_none_that_measured_concviz_say_nothing():
    assert run_with(1.5, seconds=(MIN_SAMPLES - 1) / 10).others_load() is None
    assert run_with(1.5, seconds=MIN_SAMPLES / 10).others_load() is not None
    old = run_with(1.5, own=None)  # samples of a trace file before format version 5
    assert old.others_load() is None and old.busy_notes() == [] and old.others_by_variant() == {}


def test_the_notes_say_what_was_so_by_now():
    trace = run_with(lambda t: 1.8 if t > 2.0 else 0.0)
    assert trace.busy_notes(1.5) == [] and trace.busy_notes() != []
    assert trace.others_load(2.0).cores == pytest.approx(1.8)  # a window: the samples after 2.0 s


def test_a_model_that_ran_on_a_busier_machine_than_another_is_named_with_each_share():
    trace = models(run_with(lambda t: 0.8 if t > 2.0 else 0.1), ("serial", 0.0, 1.0), ("threads", 1.0, 2.0),
                   ("processes", 2.0, 3.0))
    loads = trace.others_by_variant()
    assert {name: round(load.share, 3) for name, load in loads.items()} == \
        {"serial": 0.05, "threads": 0.05, "processes": 0.4}
    assert trace.busy_notes()[-1] == ("other programs took more of the machine while some models ran than others "
                                      "(serial 5%, threads 5%, processes 40%): the models' figures are not compared "
                                      "on equal terms")


def test_models_on_an_evenly_busy_machine_get_the_runs_note_only():
    trace = models(run_with(0.6), ("serial", 0.0, 1.5), ("threads", 1.5, 3.0))
    (note,) = trace.busy_notes()
    assert note.startswith("other programs used 0.60")


def test_a_model_still_running_counts_to_now_and_a_short_one_is_left_out():
    trace = models(run_with(lambda t: 0.9 if t > 2.0 else 0.0), ("serial", 0.0, 2.0), ("threads", 2.0, None),
                   ("blink", 1.0, 1.2))
    assert set(trace.others_by_variant()) == {"serial", "threads"}  # blink: 2 samples
    assert set(trace.others_by_variant(2.3)) == {"serial"}  # threads: 3 samples by 2.3 s
    assert trace.others_by_variant()["threads"].cores == pytest.approx(0.9)


# ------------------------------------------------------------------------------------------ what says so


def test_the_explanation_headless_summary_and_export_carry_the_note():
    trace = busy_recording("mixed-loop", 0.8)
    (note,) = trace.busy_notes()
    sentence = note[0].upper() + note[1:] + "."
    assert sentence in lessons.explain(trace) and lessons.explain(trace)[-1] == sentence
    summary = summarize(trace)
    assert note in summary["load_notes"] and sentence in summary["explanation"]
    assert note in chrome_trace(trace)["otherData"]["notes"]
    console = Console(width=400, record=True)
    console.print(render(summary))
    assert sentence in console.export_text()
    assert summarize(tracefile.load(TRACES / "mixed-loop.cvz"))["load_notes"] == []


def test_interpreters_compared_say_which_run_was_busier():
    runs = busy_runs(0.9, 0.0)
    first, second = runs.labels
    lines = interpreters.explain(runs, runs.duration)
    assert any(line.startswith(f"Under {first}, other programs used 0.90 of the 2 cores") for line in lines)
    assert not any(line.startswith(f"Under {second},") for line in lines)
    assert lines[-1] == (f"Other programs took more of the machine under some interpreters than others ({first} 45%, "
                         f"{second} 0%): the interpreters' figures are not compared on equal terms.")
    assert lines[-1] in runs.summary()["explanation"]
    assert interpreters.busy_machine(busy_runs(0.0, 0.0), runs.duration) == []


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
def test_the_recorded_traces_predate_the_measurement_and_say_nothing(path):
    """Their snapshots stay as they are: no sample of theirs measured concviz's own CPU."""
    loaded = tracefile.load(path)
    for trace in loaded if isinstance(loaded, Runs) else [loaded]:
        assert trace.samples and all(s.own_cores is None for s in trace.samples)
        assert trace.others_load() is None and trace.busy_notes() == []


# ------------------------------------------------------------------------------------------------ screens


def busy_sample(sample: tuple, others: float, own: float = 0.02) -> tuple:
    """A recorded sample whose cores are made as busy as the scenario's CPU, concviz's ``own`` and ``others``."""
    t_ns, cores, proc_cores, *rest = sample[:7]
    busy = (proc_cores + own + others) / len(cores) * 100
    assert busy <= 100  # else the others' load would be less than asked
    return (t_ns, (busy,) * len(cores), proc_cores, *rest, own)


def busy_recording(name: str, others: float) -> Trace:
    """A recorded run, its samples made to say other programs used ``others`` cores throughout."""
    meta, batches, _ = tracefile.read_batches((TRACES / f"{name}.cvz").read_bytes())
    trace = Trace(meta)
    for batch in batches:
        batch.samples = [busy_sample(s, others) for s in batch.samples]
        batch.apply_to(trace)
    return trace


def busy_runs(*others: float) -> Runs:
    """The recorded interpreters comparison, each run's samples made to say other programs used ``others[i]``."""
    meta, tagged, _ = tracefile.read_tagged((TRACES / "interpreters" / "cpu-speedup.cvz").read_bytes())
    runs = Runs({k: v for k, v in meta.items() if k != "runs"}, [Trace(run) for run in meta["runs"]])
    for i, batch in tagged:
        batch.samples = [busy_sample(s, others[i], own=0.0) for s in batch.samples]  # their scenario's CPU: 0.5
        batch.apply_to(runs[i])
    runs.current = len(runs) - 1
    return runs


def shown(panel) -> str:
    return "\n".join(panel.render_line(y).text for y in range(panel.size.height))


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    pilot.app.screen.draw()  # (the comparison: models mounted by the first frame are laid out, then drawn)
    await pilot.pause()


def test_the_notice_bar_labels_it_a_busy_machine_apart_from_what_was_aggregated():
    trace = busy_recording("mixed-loop", 0.8)
    trace.lock_book.folded_spans = 12
    found = dict(notices(trace, trace.duration))
    assert found["busy machine"] == trace.busy_notes()[0]
    assert found["aggregated under load"].startswith("12 older lock spans")
    assert "busy machine" not in dict(notices(trace, 0.3))  # 3 samples by then


@pytest.mark.parametrize("name", ["mixed-loop", "convoy"])
async def test_the_run_and_comparison_screens_show_it_above_and_in_the_explanation(name):
    trace = busy_recording(name, 0.8)
    app = make_app(replay=trace, playing=False, start_at=trace.duration, replay_path="fixture.cvz")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(NoticeBar)
        assert bar.display and "busy machine: other programs used 0.80 of the 2 cores on average" in shown(bar)
        assert "Other programs used 0.80 of the 2 cores" in shown(app.screen.query_one(LessonPanel))


async def test_interpreters_compared_show_it_in_their_explanation():
    runs = busy_runs(0.0, 0.9)
    app = make_app(replay=runs, playing=False, start_at=runs.duration, replay_path="fixture.cvz")
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        text = " ".join(shown(app.screen.query_one(LessonPanel)).split())
        assert f"Under {runs.labels[1]}, other programs used 0.90 of the 2 cores" in text
        assert "busy machine" in shown(app.screen.query_one(NoticeBar))  # the run shown: the second


# ------------------------------------------------------------------------------------------ the trace file


def test_a_recording_holds_concviz_own_cpu_and_loads_it_back():
    recorder = tracefile.Recorder()
    recorder.add(Batch(samples=[(ns(0.1), (30.0, 20.0), 0.25, 3, 4096, 7, 1, 0.125),
                                (ns(0.2), (30.0, 20.0), 0.25, 3, 4096, 9, 1, None)]))
    data = b"".join(recorder.file_parts(META))
    assert tracefile.PREFIX.unpack_from(data)[1] == tracefile.OWN_VERSION
    _, (batch,), _ = tracefile.read_batches(data)
    assert [s[7] for s in batch.samples] == [0.125, None]  # one not measured: -1 in the file
    trace = tracefile.loads(data)
    assert [s.own_cores for s in trace.samples] == [0.125, None]


def test_several_runs_with_it_are_version_6():
    recorder = tracefile.Recorder(runs=True)
    for run in (0, 1):
        recorder.run = run
        recorder.add(Batch(samples=[(ns(0.1 * i), (50.0, 50.0), 0.5, 3, 4096, i, 1, 0.1) for i in range(1, 4)]))
    runs_meta = dict(META, runs=[dict(META), dict(META)])
    data = b"".join(recorder.file_parts(runs_meta))
    assert tracefile.PREFIX.unpack_from(data)[1] == tracefile.OWN_RUNS_VERSION
    loaded = tracefile.loads(data)
    assert isinstance(loaded, Runs) and [s.own_cores for s in loaded[1].samples] == [0.1] * 3


def test_an_older_file_without_it_loads_and_a_copy_of_it_keeps_its_version():
    data = (TRACES / "threads-download.cvz").read_bytes()
    version = tracefile.PREFIX.unpack_from(data)[1]
    assert version < tracefile.OWN_VERSION
    meta, batches, _ = tracefile.read_batches(data)
    recorder = tracefile.Recorder()
    for batch in batches:
        recorder.add(batch)
    again = b"".join(recorder.file_parts(meta))
    assert tracefile.PREFIX.unpack_from(again)[1] == version
    assert tracefile.loads(again).samples == tracefile.loads(data).samples


def test_an_own_cpu_that_is_not_a_number_is_refused():
    recorder = tracefile.Recorder()
    recorder.add(Batch(samples=[(ns(0.1), (30.0, 20.0), 0.25, 3, 4096, 7, 1, float("nan"))]))
    with pytest.raises(tracefile.TraceFileError, match="not a number"):
        tracefile.loads(b"".join(recorder.file_parts(META)))


# ------------------------------------------------------------------------------------------------ the sampler


@pytest.fixture
def sleeper():
    """A process that only sleeps: a scenario tree for the sampler."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_the_sampler_measures_its_own_process_cpu_between_looks(sleeper, monkeypatch):
    readings = iter([10.0, 10.0, 10.05, 10.05])
    monkeypatch.setattr(session.time, "process_time", lambda: next(readings))
    sampler = session._Sampler(sleeper)
    assert sampler.sample(ns(1.0)) is None  # the first look only starts the counts
    first, second = sampler.sample(ns(1.1)), sampler.sample(ns(1.2))
    monkeypatch.undo()
    sampler.close()
    assert first[7] == pytest.approx(0.5) and second[7] == 0.0  # 50 ms of CPU in 100 ms, then none


def test_the_sampler_counts_at_least_the_cpu_it_was_seen_to_use(sleeper):
    sampler = session._Sampler(sleeper)
    sampler.sample(ns(1.0))
    start = time.process_time()
    while time.process_time() - start < 0.02:
        pass
    used = time.process_time() - start
    own = sampler.sample(ns(1.1))[7]
    sampler.close()
    assert math.isfinite(own) and own * 0.1 >= used


class _Files:
    """A process's /proc files as the sampler reads them, made up: its start (seconds since boot) and CPU."""

    TICK_S = 0.01

    def __init__(self, started: float, cpu_s: float) -> None:
        self.started, self.cpu_s = started, cpu_s

    def read(self) -> tuple[float, int, int, int]:
        return self.cpu_s, 1, 4096, 0

    def close(self) -> None:
        pass


def test_a_process_that_started_since_the_last_look_counts_its_cpu_from_its_start(sleeper):
    sampler = session._Sampler(sleeper)
    sampler._find_children = lambda: None
    sampler.procs = {}
    assert sampler.sample(ns(1.0)) is None
    worker = _Files(sampler.last_look + 0.02, cpu_s=0.08)  # a worker's start-up, between two looks
    found_late = _Files(0.0, cpu_s=5.0)  # a process that ran long before the sampler found it
    sampler.procs = {1: worker, 2: found_late}
    assert sampler.sample(ns(1.1))[2] == pytest.approx(0.8)  # the worker's 80 ms; the other's 5 s are not this tick's
    worker.cpu_s, found_late.cpu_s = 0.1, 5.02
    assert sampler.sample(ns(1.2))[2] == pytest.approx(0.4)  # from then on, both


def test_a_real_process_knows_when_it_started(sleeper):
    files = session._ProcFiles(sleeper)
    try:
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        assert 0 < files.started <= uptime + files.TICK_S
    finally:
        files.close()

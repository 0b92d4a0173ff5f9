"""Beyond the guide: the convoy effect, an I/O thread's latency beside CPU-bound threads.

Each stage (variant) is the responder answering its requests beside 0, 1, 2, ... CPU threads. The responder
times every request itself (``time.perf_counter`` from the start of its I/O to its answer) and sends each
latency as the ``latency_us`` counter; once a stage is over it also reports that stage's p50 and p99, which
are used from then on. ``latency_ms`` is the latest stage's (the one with the most CPU threads, at the end).
"""

from __future__ import annotations

from rich.text import Text

from tui.interpreter import GIL_OFF, build_name, gil_state
from tui.lessons import build_note, label
from tui.lessons.lesson import Backing, CounterRow, Figure, Lesson, Panel, always, fmt_count, fmt_s, newest
from tui.strips import lateness_colour, log_scale_key, log_strip, series_cells
from tui.text import printable
from tui.theme import Ink

IO_MS = 2.0  # the responder's own I/O per request (scenarios.convoy.IO_S)


def metrics(trace, now: float) -> dict:
    stages = {name: _stage(trace, name, v, now) for name, v in trace.variants.items() if v.start <= now}
    found: dict = {
        "variants": stages,
        "switch_interval_ms": trace.meta.get("params", {}).get("switch_interval_ms"),
        "io_ms": IO_MS,
    }
    measured = [f for f in stages.values() if f["requests"]]
    if measured:
        found["latency_ms"] = {"p50": measured[-1]["p50"], "p99": measured[-1]["p99"]}
        alone = [f for f in measured if f["cpu_threads"] == 0]
        if alone:
            found["baseline_latency_ms"] = {"p50": alone[0]["p50"], "p99": alone[0]["p99"]}
    return found


def _stage(trace, name: str, variant, now: float) -> dict:
    noted = trace.info.get("stages", {}).get(name)
    if noted is not None and variant.end is not None and variant.end <= now:
        return {**noted, "finished": True}
    end = now if variant.end is None else min(variant.end, now)
    latencies = sorted(v / 1000 for t, v in trace.counters.get("latency_us", ()) if variant.start <= t <= end)
    lanes = trace.ordered_lanes(now, variant=name)
    return {
        "cpu_threads": sum(1 for lane in lanes if lane.name != "responder"),
        "requests": len(latencies),
        "p50": round(_percentile(latencies, 0.50), 3) if latencies else None,
        "p99": round(_percentile(latencies, 0.99), 3) if latencies else None,
        "finished": False,
    }


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def explain(trace, now: float) -> list[str]:
    lines = describe(metrics(trace, now), gil=trace.gil_enabled, cores=trace.meta.get("machine", {}).get("cores"),
                     python=trace.python)
    return lines + build_note(trace.python) if lines else lines


def watch(python: dict) -> str | None:
    """With the GIL off the responder has no interpreter to queue for: the scenario's line does not hold."""
    if gil_state(python) != GIL_OFF:
        return None
    return ("the responder's latency as CPU threads join: with the GIL off it shares the cores with them instead of "
            "queueing for the interpreter")


def describe(m: dict, gil: bool = True, cores: int | None = None, python: dict | None = None) -> list[str]:
    """The explanation, from the figures alone (so it can be checked against fixed figures); ``python``: the run's
    interpreter (Trace.python), to name its build."""
    stages = [f for f in m.get("variants", {}).values() if f["requests"]]
    if not stages:
        return []
    lines = []
    alone = next((f for f in stages if f["cpu_threads"] == 0), None)
    for f in stages:
        so_far = "" if f["finished"] else f" (so far, {f['requests']} requests)"
        if f["cpu_threads"] == 0:
            lines.append(
                f"Alone, the responder answered in {f['p50']:.1f} ms at the median (p99 {f['p99']:.1f} ms){so_far}: "
                f"its own work is {IO_MS:g} ms of I/O and a few microseconds of Python."
            )
            continue
        threads = f"{f['cpu_threads']} CPU thread" + ("" if f["cpu_threads"] == 1 else "s")
        ratio = f" ({f['p50'] / alone['p50']:.1f}x the lone median)" if alone and alone["p50"] else ""
        lines.append(f"Beside {threads}: p50 {f['p50']:.1f} ms, p99 {f['p99']:.1f} ms{ratio}{so_far}.")
    loaded = stages[-1]
    if not alone or loaded is alone:
        return lines
    rose = loaded["p50"] >= 1.5 * alone["p50"]
    interval = m.get("switch_interval_ms")
    build = f" ({build_name(python)})" if python and python.get("version") else ""
    if gil and rose:
        lines.append(
            f"The convoy: when its I/O ends the responder is ready at once, but it must take the GIL back from a "
            f"CPU thread, which lets go only when asked and after the switch interval ({interval:g} ms), and the "
            f"other CPU threads may get it first. So the median went from {alone['p50']:.1f} to "
            f"{loaded['p50']:.1f} ms for the same {IO_MS:g} ms of I/O."
        )
        lines.append("Try switch_interval_ms=1: the CPU threads hand over sooner; or move the CPU work to processes.")
    elif gil:
        lines.append(
            f"Here the CPU threads barely delayed the responder (median {alone['p50']:.1f} -> {loaded['p50']:.1f} "
            f"ms): with a switch interval of {interval:g} ms the GIL came back quickly enough."
        )
    else:
        lines.append(
            f"This Python{build} runs without a GIL: the median went from {alone['p50']:.1f} to {loaded['p50']:.1f} ms "
            f"beside {loaded['cpu_threads']} CPU threads; what rise there is comes from sharing "
            f"{cores or 'the'} cores, not from waiting for the interpreter."
        )
    return lines


# ------------------------------------------------------------------------------------------ the panel


def latency_strip(trace, now: float, window, width: int, ink: Ink) -> Text:
    """The slowest answer in each cell, on the log scale."""
    series = [(t, us / 1000) for t, us in trace.counters.get("latency_us", [])]
    return log_strip(series_cells(series, window[0], window[1], width, now), ink=ink)


def _ms(value: float | None, ink: Ink) -> Text:
    if value is None:
        return Text(f"{'-':>8}", style=ink.faint)
    return Text(f"{value:5.1f} ms", style=f"bold {lateness_colour(value, ink)}")


def describe_latency(trace, now: float, window, width: int, ink: Ink) -> Text:
    """The responder's latency, request by request over the timeline's window, and its p50 and p99 in each stage
    (beside 0, 1, 2, ... CPU threads)."""
    stages = metrics(trace, now).get("variants") or {}
    if "latency_us" not in trace.counters or not stages:
        return Text("no request answered yet", style=ink.faint)
    out = latency_strip(trace, now, window, width, ink)
    out.append("\n")
    out.append_text(log_scale_key(ink))
    out.append(f"\n{'beside':<16}{'p50':>8} {'p99':>8}", style=ink.faint)
    for name, f in stages.items():
        out.append(f"\n{printable(name, 15):<16}")  # a stage's name, from the trace: escaped
        out.append_text(_ms(f.get("p50"), ink))
        out.append(" ")
        out.append_text(_ms(f.get("p99"), ink))
        if not f.get("finished"):
            out.append(f" {f.get('requests', 0)} so far", style=ink.faint)
    return out


def headline(figures, running: bool) -> list[str]:
    """A stage's header: its median latency."""
    return [f"p50 {figures['p50']:.1f} ms"] if figures.get("p50") is not None else []


# ------------------------------------------------------------------------------------------ takeaways


def convoy_rise(trace) -> str | None:
    m = metrics(trace, trace.duration)
    alone, loaded = m.get("baseline_latency_ms"), m.get("latency_ms")
    if not alone or not loaded:
        return None
    return (f"{label(trace)}: the I/O thread's median answer went from {alone['p50']:.1f} ms alone to "
            f"{loaded['p50']:.1f} ms beside CPU-bound threads")


def _latency(v: float) -> str:
    return f"{v:.1f} ms"


LESSON = Lesson(
    scenario="convoy",
    metrics=metrics,
    explain=explain,
    watch=watch,
    panel=Panel("I/O thread latency", describe_latency, help="the I/O thread's latency"),
    compares=always,
    figures=(
        Figure("cpu_threads", "CPU threads", str),
        Figure("requests", "requests", fmt_count, drop=4),
        Figure("p50", "latency p50", _latency, drop=1),
        Figure("p99", "latency p99", _latency),
    ),
    headline=headline,
    counters=(CounterRow("latency_us", "latency", lambda v: fmt_s(v / 1e6), level=False, state="lock_wait"),),
    headlines=(Figure("p50", "median latency", _latency), Figure("p99", "p99 latency", _latency)),
    takeaways={"selection": Backing(newest(convoy_rise), named=False)},
)

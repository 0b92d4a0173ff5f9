"""Exercise 2: the same URLs fetched by asyncio, by a thread per URL and by a thread pool; why async scales.

Each model's figures are the client's own, measured by the scenario process once that model has finished
(``measured_by: "client"``): wall time, the most OS threads it had (read from the kernel at every request it
sent), its peak RSS (the kernel's high-water mark, restarted for each model), its context switches
(getrusage, all its threads) and the most requests it had in flight. The HTTP server runs in another process
and is in none of them. While a model is still running, the figures are the parent's psutil samples of the
whole process tree so far (``measured_by: "samples"``, server included).
"""

from __future__ import annotations

from rich.text import Text

from tui.lessons import label
from tui.lessons.lesson import (WALL_TIME, Backing, CounterRow, Figure, Lesson, Panel, fmt_count, fmt_s, latest_per,
                               newest)
from tui.strips import linear_bar, series_cells
from tui.text import printable
from tui.theme import Ink

FIGURES = ("wall_s", "peak_threads", "peak_rss_mb", "ctx_switches", "in_flight_max")
ORDER = ("asyncio", "threads", "pool")
SEP = " \u00b7 "


def metrics(trace, now: float) -> dict:
    params = trace.meta.get("params", {})
    if params.get("model") == "compare" or trace.variants:
        variants = {
            name: _figures(trace, name, v.start, v.end, now)
            for name, v in sorted(trace.variants.items(), key=lambda item: _rank(item[0]))
            if v.start <= now
        }
        found: dict = {"variants": variants}
    else:
        model = params.get("model", "asyncio")
        lanes = trace.ordered_lanes(now)
        found = {"model": model, **_figures(trace, model, lanes[0].start if lanes else 0.0, trace.ended, now)}
    found["urls"] = params.get("urls")
    found["workers"] = params.get("workers")
    found["threads_before"] = trace.info.get("threads_before")
    latency = trace.info.get("latency") or {}
    found["latency_max_s"] = latency.get("max_s")
    found["latency_sum_s"] = latency.get("sum_s")
    server = trace.info.get("server") or {}
    found["server_answered"] = server.get("answered") if trace.ended is not None and trace.ended <= now else None
    return found


def _figures(trace, name: str, t0: float, t1: float | None, now: float) -> dict:
    client = trace.info.get("client", {}).get(name)
    if client is not None and t1 is not None and t1 <= now:
        return {**client, "measured_by": "client"}
    samples = trace.samples_between(t0, now)
    in_flight = [value for t, value in trace.counters.get("in_flight", ()) if t0 <= t <= now]
    return {
        "wall_s": round(max(now - t0, 0.0), 4),
        "peak_threads": max((s.threads for s in samples), default=0),
        "peak_rss_mb": round(max((s.rss for s in samples), default=0) / 2**20, 1),
        "ctx_switches": samples[-1].ctx_switches - samples[0].ctx_switches if samples else 0,
        "in_flight_max": max(in_flight, default=0),
        "requests": len(trace.ordered_lanes(now, variant=name if trace.variants else None)),
        "ok": None,
        "measured_by": "samples",
    }


def _rank(name: str) -> int:
    return ORDER.index(name) if name in ORDER else len(ORDER)


def explain(trace, now: float) -> list[str]:
    return describe(metrics(trace, now), trace.info.get("server") or {})


def describe(m: dict, server: dict | None = None) -> list[str]:
    """The explanation, from the figures alone (so it can be checked against fixed figures)."""
    server = server or {}
    variants = m.get("variants")
    if variants is None:
        lines = [_single(m.get("model", "asyncio"), m, m)] if m.get("in_flight_max") else []
    else:
        lines = [_compared(name, f, m) for name, f in variants.items() if f.get("in_flight_max")]
        a, t = variants.get("asyncio"), variants.get("threads")
        if a and t and a["measured_by"] == t["measured_by"] == "client":
            lines.append(_why(a, t))
    busy = _busy(variants.get("asyncio") if variants else m, m)
    if busy:
        lines.append(busy)
    if m.get("threads_before"):
        lines.append(
            f"Before fetching, the client process already had {m['threads_before']} OS threads (its main thread "
            "and concviz's own): every thread above that was started to fetch."
        )
    if m.get("latency_max_s") is not None and m.get("latency_sum_s"):
        lines.append(
            f"The slowest URL took {fmt_s(m['latency_max_s'])} to answer and all latencies add up to "
            f"{fmt_s(m['latency_sum_s'])}: a model that overlaps every wait finishes near the slowest, one that "
            "waits in turn near the sum."
        )
    if m.get("server_answered") is not None:
        lines.append(
            f"The server, a separate process (pid {server.get('pid', '?')}) on 127.0.0.1:{server.get('port', '?')}, "
            f"answered {m['server_answered']:,} requests over real sockets; none of its threads, memory or "
            "context switches are counted above."
        )
    return lines


def _so_far(f: dict) -> str:
    return "" if f["measured_by"] == "client" else " so far (whole process tree, server included)"


def _single(model: str, f: dict, m: dict) -> str:
    urls = m.get("urls") or f.get("requests")
    head = (f"{urls} URLs in {fmt_s(f['wall_s'])}{_so_far(f)}, {f['peak_threads']} OS threads at most, "
            f"{f['peak_rss_mb']:.0f} MB peak memory, {f['ctx_switches']:,} context switches")
    if model == "asyncio":
        return (f"{head}: one event loop on one thread kept up to {f['in_flight_max']} requests in flight, each "
                "waiting on its socket without holding a thread.")
    if model == "threads":
        return (f"{head}: a thread for every URL, each blocked in its own socket read, up to "
                f"{f['in_flight_max']} in flight.")
    return (f"{head}: the pool's {m.get('workers')} threads kept at most {f['in_flight_max']} requests in flight, "
            "so the other URLs queued for a free worker.")


def _compared(name: str, f: dict, m: dict) -> str:
    head = (f"{name}: {fmt_s(f['wall_s'])}{_so_far(f)}, {f['peak_threads']} OS threads at most, "
            f"{f['in_flight_max']} requests in flight at most, {f['peak_rss_mb']:.0f} MB peak memory, "
            f"{f['ctx_switches']:,} context switches")
    if name == "asyncio":
        return head + " (one event loop)."
    if name == "threads":
        return head + " (a thread per URL)."
    if name == "pool":
        return head + f" ({m.get('workers')} workers: the rest of the URLs waited in the pool's queue)."
    return head + "."


def _busy(a: dict | None, m: dict) -> str | None:
    """When asyncio's time went to the CPU rather than to waiting, say so (its own figures show it)."""
    if not a or a.get("measured_by") != "client" or not a.get("cpu_s") or not m.get("latency_max_s"):
        return None
    if m.get("model", "asyncio") != "asyncio":  # a single run of another model
        return None
    if a["wall_s"] < 2 * m["latency_max_s"] or a["cpu_s"] < a["wall_s"] / 2:
        return None
    return (f"asyncio took {fmt_s(a['wall_s'])}, well over its slowest URL ({fmt_s(m['latency_max_s'])}), and the "
            f"client process was on a CPU for {fmt_s(a['cpu_s'])} of it: at {a['in_flight_max']:,} requests in flight, "
            "handling them, not waiting, set the pace. One loop scales the waiting, not the CPU work.")


def _why(a: dict, t: dict) -> str:
    """Why async scales better, from the two models' own figures."""
    line = (f"Why async scales better: asyncio had {a['in_flight_max']} requests in flight on "
            f"{a['peak_threads']} OS threads; a thread per URL took {t['peak_threads']} threads for "
            f"{t['in_flight_max']}.")
    extra_mb = t["peak_rss_mb"] - a["peak_rss_mb"]
    if extra_mb >= 1:
        line += f" Those threads cost {extra_mb:.0f} MB more memory."
    else:
        line += f" Memory barely differed at this size ({t['peak_rss_mb']:.0f} MB against {a['peak_rss_mb']:.0f})."
    extra_switches = t["ctx_switches"] - a["ctx_switches"]
    if extra_switches > 0:
        line += f" The kernel switched between threads {extra_switches:,} times more."
    else:
        line += f" Context switches: {t['ctx_switches']:,} with threads, {a['ctx_switches']:,} with asyncio."
    return line + (" A waiting coroutine is a small object on the loop; a waiting thread is an OS thread with its "
                   "own stack that the kernel must schedule, so threads run out first as URLs grow.")


# ------------------------------------------------------------------------------------------ the panel


def flight_strip(trace, now: float, window, width: int, ink: Ink) -> Text:
    """Requests in flight per cell (the most at once in it), bars up to the run's peak so far, in the colour of
    io: a request in flight is a task waiting on its socket."""
    series = trace.counters.get("in_flight", [])
    cells = series_cells(series, window[0], window[1], width, now, hold=True)
    top = max((v for v in cells if v is not None), default=0)
    return Text("".join(" " if v is None else linear_bar(v, top) for v in cells), style=ink.state["io"])


def describe_flight(trace, now: float, window, width: int, ink: Ink) -> Text:
    """Requests in flight now and over the timeline's window, and what each model cost the client in OS threads,
    memory and context switches."""
    if "in_flight" not in trace.counters:
        return Text("no request sent yet", style=ink.faint)
    current = trace.counter("in_flight", now) or 0
    if now >= trace.duration:  # the exact peak (the series is thinned where values came within 1 ms)
        peak = trace.counter_peak("in_flight") or 0
    else:
        peak = max((v for t, v in trace.counters["in_flight"] if t <= now), default=0)
    out = Text()
    out.append("in flight now ", style=ink.faint)
    out.append(f"{current:>4}", style=f"bold {ink.state['io']}")
    out.append("   most at once ", style=ink.faint)
    out.append(f"{peak}", style="bold")
    out.append("\n")
    out.append_text(flight_strip(trace, now, window, width, ink))
    out.append(f"\n{window[0]:g} s to {window[1]:g} s, as the lanes", style=ink.faint)
    m = metrics(trace, now)
    models = m.get("variants") or {m.get("model", "asyncio"): m}
    for name, figures in models.items():
        out.append(f"\n{printable(name, 40)}", style="bold")  # a model's name, from the trace: escaped
        out.append(f" {fmt_s(figures.get('wall_s', 0.0))} \u00b7 ")
        out.append(f"{figures.get('peak_threads', 0)}", style="bold")
        out.append(" OS threads\n  ")
        out.append(f"{figures.get('peak_rss_mb', 0):.0f}", style="bold")
        out.append(" MB peak \u00b7 ")
        out.append(f"{figures.get('ctx_switches', 0):,}", style="bold")
        out.append(" ctx switches")
        if figures.get("measured_by") != "client":
            out.append("\n  so far: whole tree, server included", style=ink.faint)
    return out


# ------------------------------------------------------------------------------------------ takeaways


def fetch_cost(trace) -> list[str]:
    m = metrics(trace, trace.duration)
    models = m.get("variants") or {m.get("model", "?"): m}
    name = label(trace)
    return [f"{name if len(models) == 1 else name + SEP + model}: {m.get('urls')} URLs in "
            f"{fmt_s(f['wall_s'])}, {f['peak_threads']} OS threads at most, {f['in_flight_max']} in flight at once, "
            f"{f['peak_rss_mb']:.0f} MB" for model, f in models.items()]


def every_model(runs) -> list[str]:
    """Each model's newest run, one line per model it ran."""
    return [line for trace in latest_per(runs, "model") for line in fetch_cost(trace)]


def models_compared(runs) -> list[str]:
    """Only where two models were run one after the other: the choice of model, in figures."""
    per_model = latest_per(runs, "model")
    return every_model(runs) if len(per_model) > 1 else []


LESSON = Lesson(
    scenario="async-fetch",
    metrics=metrics,
    explain=explain,
    workload="io",
    panel=Panel("requests in flight", describe_flight, help="requests in flight"),
    compares=lambda params: params.get("model") == "compare",
    compares_how="-p model=compare",
    figures=(
        Figure("requests", "requests", fmt_count, drop=4),
        WALL_TIME,
        Figure("peak_threads", "peak threads", str),
        Figure("in_flight_max", "in flight max", str),
        Figure("peak_rss_mb", "peak memory", lambda v: f"{v:.0f} MB"),
        Figure("ctx_switches", "ctx switches", fmt_count),
        Figure("cpu_s", "CPU time", fmt_s, drop=5),
    ),
    counters=(CounterRow("in_flight", "in flight", fmt_count, level=True, state="io"),),
    headlines=(WALL_TIME, Figure("peak_threads", "OS threads at most", str),
               Figure("peak_rss_mb", "peak memory", lambda v: f"{v:.0f} MB")),
    takeaways={
        "architecture choices": Backing(every_model, hint="then p to set model=threads", per="model"),
        "async model": Backing(newest(fetch_cost)),
        "selection": Backing(models_compared, named=False),
    },
)

"""Interpreters compared: one comparison scenario run under each interpreter in turn (tui.runs.Runs), its models'
figures set side by side and explained from them.

Not the lesson of a scenario (no scenario is called ``interpreters``). Each run's figures are its own lesson's
(tui.lessons.<scenario>.metrics, on that run's own clock); this module only puts them next to each other, per
model, and says what differs, quoting those figures and nothing else:
    metrics(runs, now) -> {"scenario", "cores", "interpreters": [...], "models": {model: {label: figures}},
                           "lacks": {label: why a model is missing}}
    explain(runs, now) -> list[str]      (and other programs' load, run by run, where it changes the figures)
No Textual here.
"""

from __future__ import annotations

from tui import lessons
from tui.lessons.lesson import WALL_TIME, final
from tui.model import unequal_load
from tui.pythons import printable

CLOSE = 1.1  # two figures within this ratio of each other are "too close to call" from one run each



def metrics(runs, now: float) -> dict:
    """Each run's lesson figures at the shared ``now`` (its own time: ``runs.local``), model by model."""
    labels = runs.labels
    offsets = runs.offsets()
    models: dict[str, dict[str, dict]] = {}
    lacks: dict[str, str] = {}
    interpreters = []
    for i, (label, trace) in enumerate(zip(labels, runs)):
        local = runs.local(i, now, offsets)
        started = runs.started(i) and trace.t0_ns is not None and local >= 0
        found = lessons.metrics(trace, local) if started else {}
        for model, figures in (found.get("variants") or {}).items():
            models.setdefault(model, {})[label] = figures
        if isinstance(found.get("interpreters"), str):  # a model this interpreter lacks (cpu-speedup's note)
            lacks[label] = found["interpreters"]
        python = trace.python  # what a child reported of itself: data, shown escaped
        interpreters.append({
            "label": label,
            "version": printable(python.get("version", "?"), 40),
            "implementation": printable(python.get("implementation", "CPython"), 40),
            "executable": printable(python.get("executable", "?")),
            "gil": python.get("gil", "enabled"),
            "free_threaded_build": bool(python.get("free_threaded_build")),
            "start_method": printable(trace.info["start_method"], 20)  # how its worker processes started
            if isinstance(trace.info.get("start_method"), str) else None,
            "state": _state(trace, started, local),
        })
    cores = next((t.meta.get("machine", {}).get("cores") for t in runs if t.meta.get("machine")), None)
    return {"scenario": runs.meta.get("scenario"), "seed": runs.meta.get("seed"), "cores": cores,
            "interpreters": interpreters, "models": models, "lacks": lacks, "stopped": runs.stopped}


def _state(trace, started: bool, local: float) -> str:
    if not started:
        return "not run" if trace.exit is not None else "not started"
    if trace.exit is None or local < trace.duration:
        return "running"
    if trace.error or trace.exit.get("status") != 0:
        return str(trace.exit.get("reason") or "failed")
    return "finished"


def explain(runs, now: float) -> list[str]:
    return describe(metrics(runs, now)) + busy_machine(runs, now)


def busy_machine(runs, now: float) -> list[str]:
    """Other programs' load where it changes the figures: each run's own notes (``Trace.busy_notes``) under its
    label, and whether they took more of the machine under one interpreter than under another."""
    lines, loads = [], {}
    offsets = runs.offsets()
    for i, (label, trace) in enumerate(zip(runs.labels, runs)):
        local = runs.local(i, now, offsets)
        if not runs.started(i) or local <= 0:
            continue
        lines += [f"Under {label}, {note}." for note in trace.busy_notes(local)]
        load = trace.others_load(0.0, local)
        if load is not None:
            loads[label] = load
    unequal = unequal_load(loads, "under some interpreters than others", "the interpreters'")
    return lines if unequal is None else [*lines, unequal[0].upper() + unequal[1:] + "."]


def describe(m: dict) -> list[str]:
    """The explanation, from the figures alone (so it can be checked against fixed figures)."""
    interpreters = m.get("interpreters") or []
    if not interpreters:
        return []
    lines = [_intro(m, interpreters)]
    order = [i["label"] for i in interpreters]
    lesson = lessons.lesson_for(m.get("scenario") or "")
    headlines = lesson.headlines if lesson is not None else (WALL_TIME,)
    for model, by_label in (m.get("models") or {}).items():
        measured = {label: by_label[label] for label in order if label in by_label}
        line = _model_line(model, measured, headlines)
        if line:
            lines.append(line)
    if lesson is not None and lesson.interpreters is not None:
        lines += lesson.interpreters(m, order)
    for model, by_label in (m.get("models") or {}).items():
        missing = [i for i in interpreters if i["label"] not in by_label and i["state"] == "finished"]
        if missing and any(final(f) for f in by_label.values()):
            names = ", ".join(i["label"] for i in missing)
            why = next((m["lacks"][i["label"]] for i in missing if i["label"] in m.get("lacks", {})), None)
            lines.append(f"{model}: measured only under {', '.join(by_label)}; {names} ran without it"
                         + (f" ({why})." if why else "."))
    for i in interpreters:
        if i["state"] not in ("finished", "running", "not started"):
            lines.append(f"Under {i['label']} the run did not finish ({i['state']}): its figures above are missing "
                         "or cut short.")
    return lines


def _python(i: dict) -> str:
    gil = "GIL on" if i.get("gil", "enabled") == "enabled" else "GIL off"
    build = ", free-threaded build" if i.get("free_threaded_build") else ""
    implementation = i.get("implementation") or "Python"
    name = "Python" if implementation == "CPython" else implementation
    return f"{i['label']} = {name} {i.get('version') or '?'} ({gil}{build})"


def _intro(m: dict, interpreters: list[dict]) -> str:
    cores = m.get("cores")
    where = f"on this machine's {cores} cores" if cores else "on this machine"
    line = (f"The same {m.get('scenario') or 'scenario'} (seed {m.get('seed')}) under each interpreter in turn, "
            f"never two at once, {where}: " + "; ".join(_python(i) for i in interpreters) + ".")
    waiting = [i["label"] for i in interpreters if i["state"] == "not started"]
    if waiting and m.get("stopped"):
        line += f" Not run ({m['stopped']}): {', '.join(waiting)}."
    elif waiting:
        line += f" Still to run: {', '.join(waiting)}."
    return line


def _model_line(model: str, measured: dict[str, dict], headlines) -> str | None:
    """``threads: wall time 3.12 312 ms (0.98x its own serial), 3.11 301 ms (1.01x ...): within 10% ...``: each
    headline figure the interpreters have, and for the first, which did better (or that it is too close)."""
    segments = []
    for figure in headlines:
        key, what, fmt, lower_better = figure.key, figure.heading, figure.reads, figure.lower_is_better
        parts = []
        for label, f in measured.items():
            if f.get(key) is None:
                continue
            part = f"{label} {fmt(f[key])}"
            if key == "wall_s" and f.get("speedup") is not None and model != "serial":
                part += f" ({f['speedup']:.2f}x its own serial)"
            if not final(f):
                part += " so far"
            parts.append(part)
        if not parts:
            continue
        segment = f"{what} " + ", ".join(parts)
        done = {label: f[key] for label, f in measured.items() if final(f) and f.get(key) is not None}
        if not segments and len(done) >= 2:
            best = min(done, key=done.get) if lower_better else max(done, key=done.get)
            worst = max(done, key=done.get) if lower_better else min(done, key=done.get)
            lo, hi = sorted((done[best], done[worst]))
            if lo <= 0:
                pass  # no ratio to a zero
            elif hi / lo < CLOSE:
                segment += f": within {CLOSE - 1:.0%} of each other, too close to call from one run each"
            else:
                segment += f": {_better(key, what, best, worst, hi / lo)}"
        segments.append(segment)
    return f"{model}: " + "; ".join(segments) + "." if segments else None


def _better(key: str, what: str, best: str, worst: str, ratio: float) -> str:
    if key == "wall_s":
        return f"{best} was {ratio:.2f}x as fast as {worst}"
    return f"{worst}'s {what} was {ratio:.2f}x {best}'s"

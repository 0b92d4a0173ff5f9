"""A screen that always answers: how long the app takes to show the help after ``?``, and to close it after
Escape, while a heavy run goes on, under tmux at 120x40.

This process presses ``?`` (tmux send-keys), polls the terminal's text every few ms until the help's title is on
screen, then presses Escape and polls until it is gone, then waits a moment and presses again, as long as the run
goes on. The time of a press is taken just before send-keys; the delay includes tmux handing the key over, the app
reading it, composing the help (or closing it), Textual's rendering, the terminal, and up to one poll interval
(stated). The same presses on the app once the run has ended give the floor: what opening the help costs by itself.

The runs: threads-download at its largest (500 threads, 100,000 updates each under one lock: a hot lock),
cpu-processes with 64 items on 64 worker processes (n smaller than its largest 20,000,000, stated in the row: at
the largest the run takes minutes on 2 cores, and the start of 64 workers, the heaviest moment for the app, comes
at any n), and cpu-speedup with its defaults (a comparison screen).
"""

from __future__ import annotations

import time

from benchmarks.common import Row, cli, has_scenario, median, skipped, verdict

SECTION = "3. UI cost"
TARGET_MS, BUDGET_MS = 100, 250
TITLES = ("The run screen", "The comparison screen")  # the help's title over either screen (tui/screens/help.py)
TIMEOUT_S = 10.0  # a key not answered in this long counts as this long
GAP_S = 0.7  # between a close and the next press

RUNS = (  # (name, parameters, parameters for --quick, time limit)
    ("threads-download", {"tasks": 500, "updates": 100_000}, {"tasks": 200, "updates": 20_000}, 600),
    ("cpu-processes", {"n": 5_000_000, "items": 64, "workers": 64}, {"n": 1_000_000, "items": 64, "workers": 64},
     300),
    ("cpu-speedup", {}, {}, 300),
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def help_shown(screen: str) -> bool:
    return any(title in screen for title in TITLES)


def answer(term, key: str, shown: bool, polls: list[float]) -> float:
    """Seconds from pressing ``key`` until the help is on screen (``shown``) or gone; TIMEOUT_S if never."""
    started = time.monotonic()
    term.keys(key)
    last = started
    while True:
        screen = term.screen()
        now = time.monotonic()
        polls.append(now - last)
        last = now
        if help_shown(screen) == shown:
            return now - started
        if now - started > TIMEOUT_S or not term.alive():
            return TIMEOUT_S
        time.sleep(0.003)


def wait_for_help(term, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end and term.alive():
        if help_shown(term.screen()):
            return True
        time.sleep(0.05)
    return False


def press_while(term, going, most: int) -> tuple[list[float], list[float], list[float], int]:
    """Press ``?`` then Escape while ``going(screen)`` says the run goes on, at most ``most`` times: (opening
    delays, closing delays, poll intervals, presses left unanswered)."""
    opened, closed, polls, lost = [], [], [], 0
    while len(opened) < most and term.alive():
        screen = term.screen()
        if help_shown(screen):  # a press answered after its time out: closed before the next
            closed.append(answer(term, "Escape", False, polls))
            continue
        if not going(screen):
            break
        delay = answer(term, "?", True, polls)
        opened.append(delay)
        if delay >= TIMEOUT_S:
            lost += 1
            if not wait_for_help(term, TIMEOUT_S * 6):
                break  # never shown: Escape would go home
            continue
        closed.append(answer(term, "Escape", False, polls))
        time.sleep(GAP_S)
    return opened, closed, polls, lost


def measure(name: str, params: dict, limit: int) -> dict:
    from benchmarks.terminal import Terminal

    args = ["run", name, *(a for k, v in params.items() for a in ("-p", f"{k}={v}")), "--time-limit", str(limit)]
    with Terminal(args, 120, 40) as term:
        started = time.monotonic()
        while time.monotonic() - started < 30 and "running" not in term.screen():
            time.sleep(0.02)
        go_on = lambda screen: "running" in screen and time.monotonic() - started < limit  # noqa: E731
        opened, closed, polls, lost = press_while(term, go_on, most=10_000)
        ran_s = time.monotonic() - started
        end = time.monotonic() + limit
        while time.monotonic() < end and "running" in term.screen() and term.alive():
            time.sleep(0.2)
        idle_open, idle_close, idle_polls, _ = press_while(term, lambda screen: True, most=5)
    return {"open": opened, "close": closed, "polls": polls + idle_polls, "lost": lost, "ran_s": ran_s,
            "idle_open": idle_open, "idle_close": idle_close}


def describe(ms: list[float]) -> str:
    return f"median {median(ms):.0f}, 95th percentile {percentile(ms, 0.95):.0f}, worst {max(ms):.0f} ms"


def main(quick: bool = False) -> list[Row]:
    from benchmarks.terminal import missing

    rows = []
    for name, params, smaller, limit in RUNS:
        used = smaller if quick else params
        label = f"a key answered during {name} " + (" ".join(f"{k}={v:_}" for k, v in used.items()) or "(defaults)")
        budget = f"<= {TARGET_MS} ms (budget {BUDGET_MS} ms)"
        why = missing() or (None if has_scenario(name) else "not present")
        if why:
            rows.append(skipped(SECTION, label, why, budget))
            continue
        try:
            found = measure(name, used, limit)
        except Exception as exc:
            rows.append(Row(SECTION, label, "-", budget, "miss", f"failed: {exc}"))
            continue
        both = [d * 1000 for d in found["open"] + found["close"]]
        if not both:
            rows.append(Row(SECTION, label, "-", budget, "miss", "the run ended before a key could be pressed"))
            continue
        idle = [d * 1000 for d in found["idle_open"] + found["idle_close"]]
        note = (f"? shows the help: {describe([d * 1000 for d in found['open']])}; Escape closes it: "
                f"{describe([d * 1000 for d in found['close']]) if found['close'] else '-'}; "
                f"{len(found['open'])} presses over {found['ran_s']:.0f} s of the run"
                + (f", {found['lost']} not answered in {TIMEOUT_S:.0f} s" if found["lost"] else "")
                + (f"; after the run, the same keys: {describe(idle)}" if idle else "")
                + f"; the terminal polled every {median(found['polls']) * 1000:.1f} ms (median), included")
        worst = max(both)
        rows.append(Row(SECTION, label, f"{percentile(both, 0.95):.0f} ms (95th percentile of ? and Escape; worst "
                        f"{worst:.0f}, n={len(both)})", budget, verdict(worst <= BUDGET_MS and not found["lost"]),
                        note))
    return rows


if __name__ == "__main__":
    cli(main)

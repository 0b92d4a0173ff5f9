"""Small strips of one character per time cell, for a counter over the timeline's window (the extra panels).

Pure drawing helpers, no widget: a counter series ``[(t, value), ...]`` becomes one value per cell, and values
become bars, either on a linear scale up to a top (requests in flight) or on a fixed logarithmic scale (latencies
and lateness, from tenths of a millisecond to hundreds, so two runs' strips compare at a glance).
"""

from __future__ import annotations

import bisect

from rich.text import Text

from tui.theme import DARK_INK, Ink

BARS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"  # ▁ to █
LOG_STEPS_MS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0)  # a bar one step higher for each


def series_cells(series: list[tuple[float, float]], t0: float, t1: float, n: int, now: float,
                 hold: bool = False) -> list[float | None]:
    """The largest value of ``series`` in each of ``n`` equal cells from ``t0`` to ``t1``, up to ``now``.

    ``hold``: the series is a level (a count that stays until it changes), so a cell without a new value keeps the
    one before it; otherwise a cell without a value is None (nothing happened there). Cells after ``now``: None."""
    if n <= 0 or t1 <= t0:
        return []
    width = (t1 - t0) / n
    out: list[float | None] = [None] * n
    i = bisect.bisect_left(series, (t0, float("-inf")))
    level = series[i - 1][1] if hold and i > 0 else None
    for cell in range(n):
        c0, c1 = t0 + cell * width, t0 + (cell + 1) * width
        if c0 > now:
            break
        best = level if hold else None
        while i < len(series) and series[i][0] < c1 and series[i][0] <= now:
            value = series[i][1]
            best = value if best is None else max(best, value)
            level = value
            i += 1
        out[cell] = best
    return out


def linear_bar(value: float, top: float) -> str:
    """``▁`` to ``█`` of ``top``; zero is a space, anything above zero at least ``▁``."""
    if value <= 0 or top <= 0:
        return " "
    return BARS[max(1, min(round(value / top * 8), 8)) - 1]


def log_level(ms: float) -> int:
    """0 to 7: how many of the log steps ``ms`` reaches (below the first still draws the lowest bar)."""
    return max(bisect.bisect_right(LOG_STEPS_MS, ms) - 1, 0)


def lateness_colour(ms: float, ink: Ink = DARK_INK) -> str:
    """Under a millisecond good, under ten fair, else bad."""
    return ink.good if ms < 1 else ink.fair if ms < 10 else ink.bad


def log_strip(cells: list[float | None], gaps: list[bool] | None = None, gap_mark: str = "\u00d7",
              ink: Ink = DARK_INK) -> Text:
    """Milliseconds per cell as bars on the log scale, coloured by size; a gap cell as ``gap_mark`` in red."""
    out = Text()
    for i, ms in enumerate(cells):
        if gaps is not None and gaps[i]:
            out.append(gap_mark, style=f"bold {ink.bad}")
        elif ms is None:
            out.append(" ")
        else:
            out.append(BARS[log_level(ms)], style=lateness_colour(ms, ink))
    return out


def log_scale_key(ink: Ink = DARK_INK) -> Text:
    """``▁0.1 ▃1 ▅10 ▇100 ms``: how to read a log strip."""
    out = Text()
    for level in (0, 2, 4, 6):
        ms = LOG_STEPS_MS[level]
        out.append(BARS[level], style=lateness_colour(ms, ink))
        out.append(f"{ms:g} ", style=ink.faint)
    out.append("ms", style=ink.faint)
    return out


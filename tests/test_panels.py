"""The run screen's extra panels, its notice bar and the strips they draw, against fixed traces: the recorded
runs in tests/traces and small synthetic ones (tests/conftest.py's TraceBuilder). Expected figures come from
the same trace through tui.lessons, never from fixed numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App
from textual.geometry import Region
from textual.visual import Visual, visualize
from textual.widgets import Static

from tests import fixtures
from tui import lessons, tracefile
from tui.app import make_app
from tui.lessons import fmt_s
from tui.lessons.async_fetch import describe_flight, flight_strip
from tui.lessons.convoy import describe_latency
from tui.lessons.futures import describe_handled
from tui.lessons.mixed_loop import describe_lag, gap_cells, silences
from tui.screens.run import RunScreen
from tui.strips import BARS, log_level, series_cells
from tui.theme import DARK_INK as INK
from tui.themes import variable_defaults
from tui.widgets.notices import NoticeBar, notices
from tui.widgets.panel import ScenarioPanel, TextPanel
from tui.widgets.status import StatusLine

TRACES = Path(__file__).parent / "traces"


def recorded(name: str):
    return tracefile.load(TRACES / f"{name}.cvz")


# ------------------------------------------------------------------------------------------------ strips


def test_series_cells_keeps_each_cells_largest_value_and_nothing_after_now():
    series = [(0.05, 3), (0.07, 9), (0.31, 4)]
    cells = series_cells(series, 0.0, 0.4, 4, now=0.35)
    assert cells == [9, None, None, 4]
    assert series_cells(series, 0.0, 0.4, 4, now=0.2) == [9, None, None, None]


def test_series_cells_holds_a_level_until_it_changes():
    series = [(0.05, 3), (0.07, 9), (0.15, 2), (0.31, 0)]
    assert series_cells(series, 0.0, 0.4, 4, now=0.4, hold=True) == [9, 9, 2, 2]
    assert series_cells(series, 0.1, 0.4, 3, now=0.4, hold=True) == [9, 2, 2]  # carried in from before t0


def test_log_level_steps_by_the_scale():
    assert log_level(0.01) == 0 and log_level(0.1) == 0
    assert log_level(1.0) == 2 and log_level(45.0) == 5 and log_level(5000) == len(BARS) - 1


# ------------------------------------------------------------------------------------------------ panels


def test_the_lessons_that_declare_a_panel():
    panels = {lesson.scenario: lesson.panel.describe for lesson in lessons.lessons() if lesson.panel}
    assert panels == {"async-fetch": describe_flight, "futures": describe_handled, "mixed-loop": describe_lag,
                      "convoy": describe_latency}


def test_in_flight_panel_shows_the_count_now_its_peak_and_the_clients_cost():
    trace = recorded("async-fetch")
    end = trace.duration
    text = describe_flight(trace, end, (0.0, 1.0), 40, INK).plain
    m = lessons.metrics(trace)
    assert f"most at once {trace.counter_peak('in_flight')}" in text
    assert f"in flight now {trace.counter('in_flight', end):>4}" in text
    assert f"{m['peak_threads']} OS threads" in text and f"{m['peak_rss_mb']:.0f} MB peak" in text
    assert f"{m['ctx_switches']:,} ctx switches" in text and fmt_s(m["wall_s"]) in text
    assert "so far" not in text  # the client measured its own figures once it finished


def test_in_flight_strip_rises_while_requests_are_out():
    trace = recorded("async-fetch")
    strip = flight_strip(trace, trace.duration, (0.0, trace.duration), 60, INK).plain
    assert len(strip) == 60 and BARS[-1] in strip  # the peak reaches the top
    first = min(t for t, v in trace.counters["in_flight"] if v > 0)
    assert strip[: int(first / trace.duration * 60)].strip() == ""  # nothing in flight before the first request


def test_in_flight_panel_before_any_request():
    trace = recorded("async-fetch")
    first = trace.counters["in_flight"][0][0]
    assert "no request sent yet" in describe_flight(fixtures.threads_download(), 0.2, (0.0, 1.0), 40, INK).plain
    assert first > 0.01
    assert "in flight now    0" in describe_flight(trace, first - 0.01, (0.0, 1.0), 40, INK).plain


def test_loop_lag_panel_quotes_the_percentiles_and_missed_beats():
    trace = recorded("mixed-loop")
    text = describe_lag(trace, trace.duration, (0.0, 2.0), 40, INK).plain
    m = lessons.metrics(trace)
    lag = m["loop_lag_ms"]
    assert f"p50 {fmt_s(lag['p50'] / 1000)}" in text and f"p99 {fmt_s(lag['p99'] / 1000)}" in text
    assert f"max {fmt_s(lag['max'] / 1000)}" in text
    assert f"{m['beats']} beats of ~{m['expected_beats']} due" in text and f"{m['missed_beats']} missed" in text


def test_loop_lag_silences_are_the_stretches_without_a_beat(build):
    build.hello()
    build.task(1, "heartbeat()", 0.0, kind="async").state(1, "io", 0.0)
    for t in (0.01, 0.02, 0.03, 0.13, 0.14):  # the loop was blocked from 0.03 to 0.13
        build.count("loop_lag_us", 100 if t != 0.13 else 90_000, t)
    build.end(1, 0.15)
    trace = build.trace({"scenario": "mixed-loop", "params": {"model": "loop"}})
    assert silences(trace, 0.15) == [(pytest.approx(0.03), pytest.approx(0.13))]
    beats = series_cells([(t, us / 1000) for t, us in trace.counters["loop_lag_us"]], 0.0, 0.15, 15, 0.15)
    gaps = gap_cells(silences(trace, 0.15), 0.0, 0.15, 15, beats)
    assert gaps[4:13] == [True] * 9 and not any(gaps[:3]) and not gaps[13]  # the cells with no beat, and only those
    text = describe_lag(trace, 0.15, (0.0, 0.15), 15, INK).plain
    assert "\u00d7" * 9 in text.splitlines()[1]


def test_latency_panel_lists_each_stage_p50_and_p99():
    trace = recorded("convoy")
    text = describe_latency(trace, trace.duration, (0.0, 2.0), 40, INK).plain
    stages = lessons.metrics(trace)["variants"]
    assert len(stages) == len(trace.variants)
    for name, f in stages.items():
        row = next(line for line in text.splitlines() if line.startswith(name[:15]))
        assert f"{f['p50']:5.1f} ms" in row and f"{f['p99']:5.1f} ms" in row


def test_results_panel_shows_each_future_done_and_handled():
    trace = recorded("futures")
    text = describe_handled(trace, trace.duration, (0.0, 1.0), 40, INK).plain
    m = lessons.metrics(trace)
    assert f"{m['handled']} of {m['futures']} results handled" in text and "collect submitted" in text
    for name in m["handled_order"]:
        assert name in text
    assert "#1" in text and "#2" in text


def test_results_panel_mid_run_shows_what_is_not_handled_yet():
    trace = recorded("futures")
    first_end = min(lane.end for lane in trace.ordered_lanes() if lane.name.startswith("send("))
    text = describe_handled(trace, first_end - 0.001, (0.0, 1.0), 40, INK).plain
    assert "0 of 2 results handled" in text and "#1" not in text and "io" in text


# ------------------------------------------------------------------------------------------------ notices


def test_notices_say_a_file_was_cut_short_and_what_was_aggregated():
    trace = fixtures.threads_download()
    assert notices(trace, trace.duration) == []
    trace.meta["notice"] = "the file ends early"
    trace.lock_book.folded_spans = 1234
    found = dict(notices(trace, trace.duration))
    assert found["file cut short"] == "the file ends early"
    assert "1,234 older lock spans" in found["aggregated under load"]


def test_notices_label_a_run_distorted_by_measurement(build):
    build.hello()
    build.lock(1, "hot lock")
    build.task(1, "worker", 0.0)
    t = 0.0
    for _ in range(1200):  # taken often, held 1 us each: tracing's 2 us dominates
        build.request(1, 1, t).acquired(1, 1, t).released(1, 1, t + 1e-6)
        t += 1e-5
    build.end(1, t)
    trace = build.trace()
    trace.info["lock_tracing_us"] = 2.0
    (label, text), = notices(trace, trace.duration)
    assert label == "distorted by measurement" and "'hot lock'" in text and "1,200 times" in text


async def test_the_notice_bar_shows_on_the_run_screen():
    trace = fixtures.threads_download()
    trace.meta["notice"] = "the file ends early: showing its first 1 chunk"
    app = make_app(replay=trace, playing=False, start_at=trace.duration)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(NoticeBar)
        assert bar.display and "file cut short" in str(bar.render())


async def test_the_status_line_keeps_its_facts_at_80_columns():
    trace = fixtures.threads_download()
    app = make_app(replay=trace, playing=False, start_at=0.3)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = str(app.screen.query_one(StatusLine).render())
        assert len(status.rstrip()) <= 80
        progress = f"progress {trace.counter('progress', 0.3)}/10"
        for fact in ("threads-download", "0.30 s", progress, "GIL on"):
            assert fact in status


async def test_a_run_screen_mounts_its_scenarios_panel():
    trace = recorded("mixed-loop")
    app = make_app(replay=trace, playing=False, start_at=trace.duration)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunScreen) and isinstance(screen.extra, ScenarioPanel)
        assert screen.extra.panel.describe is describe_lag
        assert "beats of" in str(screen.extra.render())


# ------------------------------------------------------------------------------------------------ text panels


class TwoPanels(App):
    """A text panel beside a plain Static with the same styles: the reference for how the text must look."""

    CSS = "TextPanel, Static.reference { height: auto; width: 40; padding: 0 1; border: round #8b949e; }"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **variable_defaults()}

    def compose(self):
        yield TextPanel(id="panel")
        yield Static(id="reference", classes="reference")


def styled(*lines: str) -> Text:
    out = Text()
    for i, line in enumerate(lines):
        if i:
            out.append("\n")
        out.append(line[:4], style="bold #3fb950")
        out.append(line[4:])
    return out


def cells(strips) -> list[list[tuple]]:
    """What a terminal shows of ``strips``: each cell's character and look (not how the line is cut into
    segments, nor the metadata Textual keeps for selections)."""
    rows = []
    for strip in strips:
        row = []
        for segment in strip:
            style = segment.style
            look = (str(style.color), str(style.bgcolor), style.bold, style.italic, style.underline, style.dim,
                    style.reverse) if style else (None,) * 7
            blank = (None, look[1], None, None, look[4], None, look[6])  # a space shows no colour of its own
            row += [(ch, blank if ch == " " else look) for ch in segment.text]
        rows.append(row)
    return rows


async def drawn_alike(app: TwoPanels, pilot, text: Text) -> None:
    panel, reference = app.query_one("#panel", TextPanel), app.query_one("#reference", Static)
    panel.show_text(text)
    reference.update(text)
    await pilot.pause()
    assert panel.outer_size == reference.outer_size
    whole = Region(0, 0, *panel.outer_size)
    assert cells(panel.render_lines(whole)) == cells(reference.render_lines(whole))


async def test_a_text_panel_draws_line_by_line_what_a_static_draws_whole():
    long = "a line long enough to wrap at this panel's width, twice over at least, surely"
    async with TwoPanels().run_test(size=(100, 30)) as pilot:
        await drawn_alike(app := pilot.app, pilot, styled("core 0  50%", "", "legend", long, "peak"))
        await drawn_alike(app, pilot, styled("core 0  70%", "", "legend", long, "peak"))  # one line changed
        await drawn_alike(app, pilot, styled("core 0  70%", "", "legend", long + " and more, on", "peak"))
        await drawn_alike(app, pilot, styled("core 0  70%", "legend", "peak", ""))  # fewer lines, a blank last
        await drawn_alike(app, pilot, Text("nothing yet", style="#8b949e"))
        odd = Text.assemble(("named", "bold red"), "\n", ("default", "default"), "\nafter\ta tab")
        await drawn_alike(app, pilot, odd)  # named colours, the default colour, a tab


async def test_a_text_panel_repaints_only_the_lines_that_changed():
    async with TwoPanels().run_test(size=(100, 30)) as pilot:
        panel = pilot.app.query_one("#panel", TextPanel)
        panel.show_text(styled("core 0  50%", "core 1  20%", "legend", "peak"))
        await pilot.pause()
        asked: list[int] = []
        drawn_line = panel.render_line
        panel.render_line = lambda y: asked.append(y) or drawn_line(y)
        panel.show_text(styled("core 0  50%", "core 1  25%", "legend", "peak"))
        await pilot.pause()
        assert asked == [1]


@pytest.mark.parametrize("name", ["threads-download", "futures", "mixed-loop", "async-fetch", "cpu-processes"])
async def test_the_run_screens_panels_draw_as_textual_draws_their_text(name):
    """Every text panel of a recorded run, line by line, against Textual drawing the panel's whole text."""
    trace = recorded(name)
    app = make_app(replay=trace, playing=False, start_at=trace.duration * 0.8)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panels = [panel for panel in app.screen.query(TextPanel) if panel.display and panel.size.area]
        assert len(panels) >= 4
        for panel in panels:
            width, height = panel.size
            whole = Visual.to_strips(panel, visualize(panel, panel.text), width, height, panel.visual_style)
            for row, want in zip(cells(panel.render_line(y) for y in range(len(whole))), cells(whole)):
                assert row[: len(want)] == want, type(panel).__name__
                assert all(ch == " " for ch, _ in row[len(want):]), type(panel).__name__  # the panel's width, blank

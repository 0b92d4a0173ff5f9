"""The tour (tui/tour.py): the guide's sections in order, a step per scenario that runs one, the takeaways last;
replaying recordings from a directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scenarios import catalog
from tui.guide import GUIDE
from tui.tour import Tour, TourError, steps

TRACES = Path(__file__).parent / "traces"


def test_the_tour_follows_the_guide_and_ends_on_the_takeaways():
    found = steps()
    assert [s.section.heading for s in found][0] == GUIDE[0].heading and found[0].scenario is None
    assert found[-1].takeaways and found[-1].section.heading == "Final Takeaways"
    order = [s.section.heading for s in found]
    assert order == sorted(order, key=[g.heading for g in GUIDE].index)  # sections never go back
    run = [s.scenario for s in found if s.scenario]
    places = {s.name: s.place for s in catalog.scenarios().values()}
    assert run == sorted(run, key=places.get)  # each section's scenarios in the guide's order
    assert {s.number for s in found} == set(range(1, len(found) + 1)) and all(s.of == len(found) for s in found)


def test_every_guide_scenario_is_a_step_and_none_from_beyond_the_guide():
    headings = {g.heading for g in GUIDE}
    on_tour = {s.scenario for s in steps() if s.scenario}
    for scenario in catalog.scenarios().values():
        assert (scenario.name in on_tour) == (scenario.guide in headings), scenario.name


def test_next_and_previous_stop_at_the_ends():
    tour = Tour()
    assert tour.previous() is None and tour.at == 0
    while tour.next() is not None:
        pass
    assert tour.step.takeaways and tour.next() is None


def test_recordings_are_found_by_scenario_name_and_the_missing_ones_listed(tmp_path):
    shutil.copy(TRACES / "threads-download.cvz", tmp_path / "threads-download.cvz")
    tour = Tour(tmp_path)
    first_run = next(s for s in tour.steps if s.scenario == "threads-download")
    assert tour.recording(first_run) == tmp_path / "threads-download.cvz"
    assert "async-dashboard" in tour.missing() and "threads-download" not in tour.missing()
    assert Tour().recording(first_run) is None


def test_a_directory_that_is_not_there_is_refused(tmp_path):
    with pytest.raises(TourError, match="no such directory"):
        Tour(tmp_path / "nowhere")

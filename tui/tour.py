"""The guide as a tour (``concviz tour``): its sections in order, each step a scenario run with the section's text,
then the final takeaways quoting the tour's own runs. No Textual here: the app shows a step (tui/app.py).

Steps follow the guide (tui/guide.py): a section that no scenario runs is a step to read (the overview and Section
1, the takeaways); a section some scenarios run is a step per scenario, in the guide's order (``Scenario.place``).
Scenarios whose section is not the guide's (``Beyond the guide``) are not on the tour. With ``recordings`` (a
directory, ``concviz tour --from DIR``) each step replays ``DIR/NAME.cvz`` instead of running, for a room with no
time to run; a step with no recording there says so and runs live.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scenarios import catalog
from tui.guide import GUIDE, Section


@dataclass(frozen=True)
class Step:
    section: Section
    scenario: str | None  # the scenario this step runs; None: a step to read
    number: int  # from 1
    of: int

    @property
    def takeaways(self) -> bool:
        """The last step: the guide's final takeaways, with the tour's figures."""
        return self.scenario is None and self.number == self.of

    @property
    def title(self) -> str:
        run = f": {self.scenario}" if self.scenario else ""
        return f"{self.number}/{self.of} {self.section.heading}{run}"


def steps() -> list[Step]:
    """Every step of the tour, in the guide's order."""
    found: list[tuple[Section, str | None]] = []
    everything = list(catalog.scenarios().values())
    for section in GUIDE:
        runs = [s.name for s in everything if s.guide == section.heading]
        found += [(section, name) for name in runs] or [(section, None)]
    return [Step(section, name, n, len(found)) for n, (section, name) in enumerate(found, start=1)]


class TourError(Exception):
    """``--from DIR`` that is not a directory: one line, exit status 2."""


class Tour:
    """Where the tour is, and what it has run (the takeaways quote those runs)."""

    def __init__(self, recordings: str | Path | None = None) -> None:
        self.steps = steps()
        self.at = 0
        self.recordings = Path(recordings) if recordings is not None else None
        if self.recordings is not None and not self.recordings.is_dir():
            raise TourError(f"--from {recordings}: no such directory (it holds the recordings, NAME.cvz, to replay)")

    @property
    def step(self) -> Step:
        return self.steps[self.at]

    def next(self) -> Step | None:
        """The next step (None at the last)."""
        if self.at + 1 >= len(self.steps):
            return None
        self.at += 1
        return self.step

    def previous(self) -> Step | None:
        """The step before (None at the first)."""
        if self.at == 0:
            return None
        self.at -= 1
        return self.step

    def recording(self, step: Step) -> Path | None:
        """The file this step replays with ``--from``: None without ``--from``, or where it has none."""
        if self.recordings is None or step.scenario is None:
            return None
        path = self.recordings / f"{step.scenario}.cvz"
        return path if path.is_file() else None

    def missing(self) -> list[str]:
        """With ``--from``: the scenarios of the tour that have no recording there."""
        if self.recordings is None:
            return []
        return [s.scenario for s in self.steps if s.scenario is not None and self.recording(s) is None]

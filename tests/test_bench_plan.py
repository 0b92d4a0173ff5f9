"""The benchmarks read what the scenarios declare: bench_probe plans every scenario of the catalog, in its order, and
each plain version in benchmarks/guide.py takes its scenario's parameters (a parameter added to a scenario and not
to its plain version would make bench_probe skip that scenario, which only a benchmark run would show). Structure
only: nothing here is timed.
"""

from __future__ import annotations

import inspect

from benchmarks import guide
from benchmarks.bench_probe import BUDGET, plan
from scenarios import catalog


def test_every_scenario_is_planned_in_the_catalogs_order():
    assert [p.name for p in plan()] == list(catalog.scenarios())


def test_every_plain_version_takes_its_scenarios_parameters():
    for name, scenario in catalog.scenarios().items():
        run = guide.plain_version(name)
        if run is None:
            continue
        takes = inspect.signature(run).parameters
        missing = [p.name for p in scenario.params if p.name not in takes]
        assert not missing, f"benchmarks/guide.py's {run.__name__} does not take {', '.join(missing)}"


def test_every_plain_version_is_a_scenarios():
    stale = set(guide._PLAIN) - set(catalog.scenarios())
    assert not stale, f"benchmarks/guide.py has plain versions of no scenario: {sorted(stale)}"


def test_the_budget_follows_the_plain_versions_kind():
    for p in plan():
        run = guide.plain_version(p.name)
        assert (p.skip is not None) == (run is None)
        assert p.budget == (BUDGET if run is not None and guide.is_guides_code(run) else None)

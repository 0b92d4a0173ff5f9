"""A scenario that floods concviz with events (loaded through CONCVIZ_EXTRA_SCENARIOS by the back-pressure tests)."""

from scenarios import probe
from scenarios.catalog import Param, Scenario


def flood(events=300_000):
    """State marks as fast as the probe takes them (no CPU readings: the cheapest event there is)."""
    with probe.task("flood") as task:
        for _ in range(events // 2):
            task.mark("io")
            task.mark("wait")


SCENARIOS = (
    Scenario(name="test-flood", module=__name__, title="test-flood", guide="tests", watch="", entry="flood",
             params=(Param("events", 300_000, "", min=2, max=10_000_000),)),
)

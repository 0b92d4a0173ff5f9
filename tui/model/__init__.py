"""The trace model: events and samples in; lanes, states and statistics out. No Textual here.

Live runs, replays, exports and headless summaries all read this one model (``Trace``). Every question takes the
time ``now`` (seconds from the run's start) it should answer for, so a replay paused mid-run and a frozen snapshot
clock see exactly what a live run saw at that moment.

    lanes.py   a lane per task: its stretches of state, how a cpu stretch's time splits (running, waiting for the
               GIL, waiting for a core), seconds per state, which lanes records changed
    cells.py   the cell rule: how a lane's states fill the cells of a timeline (the timeline, dense rows, export)
    locks.py   traced locks: their totals as their events arrive, and the waits and holds they put on lanes
    ingest.py  TraceData: what was measured, and how the child's records and the parent's samples add to it
    trace.py   Trace: TraceData and the questions the screens, lessons, summary and export ask of it

Each module imports only the modules above it in this list (and the wire format).
"""

from tui.model.cells import OVERLAY_WEIGHT, SPLIT_STATES
from tui.model.ingest import COUNTER_GAP_S, MAX_OUTPUT_LINES, Sample, TraceData
from tui.model.lanes import BASE_STATES, FOLD_S, LANE_OVERLAYS, STATE_HELP, Lane, Segment, Variant
from tui.model.locks import CHECKPOINT_EVERY_S, CHECKPOINTS_EXACT, MARK_GAP_S, MAX_HOLDS, Hold, LockStats, LockTrace
from tui.model.trace import BUSY_SHARE, OthersLoad, Trace, unequal_load

__all__ = [
    "BASE_STATES", "BUSY_SHARE", "CHECKPOINTS_EXACT", "CHECKPOINT_EVERY_S", "COUNTER_GAP_S", "FOLD_S", "LANE_OVERLAYS",
    "MARK_GAP_S", "MAX_HOLDS", "MAX_OUTPUT_LINES", "OVERLAY_WEIGHT", "SPLIT_STATES", "STATE_HELP",
    "Hold", "Lane", "LockStats", "LockTrace", "OthersLoad", "Sample", "Segment", "Trace", "TraceData", "Variant",
    "unequal_load",
]

"""The interpreter the scenarios run on: its version, its build and whether the GIL is on (read by scenarios.pyinfo).

``info`` is what the child reported of itself (``Trace.python``): ``version``, ``gil`` ("enabled"/"disabled",
read after the scenario's imports and again at the run's end) and ``free_threaded_build``. Three cases read
differently, and every screen names them the same way (this module):

- a GIL build (``GIL on``): one thread runs Python at a time; the guide's Section 4 holds as written;
- a free-threaded build with the GIL off (``3.14t, GIL off``): threads can run Python on several cores at once;
- a free-threaded build with the GIL on: something the scenario imported turned it back on (an extension module
  that does not declare itself free-threading safe), or ``PYTHON_GIL=1`` / ``-X gil=1`` forced it on where the
  child says so (``gil_forced``); its threads take turns as on a GIL build.

Everything in ``info`` came from outside (a child, a trace file): it is used as text only, and cut short.
"""

from __future__ import annotations

from scenarios.pyinfo import python_info

__all__ = ["FORCED", "GIL_OFF", "GIL_ON", "REENABLED", "build_name", "build_phrase", "describe", "free_threaded",
           "gil_state", "python_info"]

GIL_ON = "on"  # a GIL build
GIL_OFF = "off"  # a free-threaded build, the GIL off
REENABLED = "re-enabled"  # a free-threaded build whose GIL an import turned back on
FORCED = "forced"  # a free-threaded build whose GIL PYTHON_GIL=1 or -X gil=1 turned on
MAX_VERSION = 24  # characters of a reported version shown (a damaged trace may say anything)


def free_threaded(info: dict) -> bool:
    """A free-threaded build (``python3.14t``): the GIL can be off (a GIL that is off says so too)."""
    return bool(info.get("free_threaded_build")) or info.get("gil") == "disabled"


def gil_state(info: dict) -> str:
    """GIL_ON, GIL_OFF, REENABLED or FORCED (see the module's doc)."""
    if info.get("gil", "enabled") != "enabled":
        return GIL_OFF
    if not free_threaded(info):
        return GIL_ON
    return FORCED if info.get("gil_forced") else REENABLED


def build_name(info: dict, short: bool = False) -> str:
    """``3.14.0t`` (short: ``3.14t``) for a free-threaded build, ``3.11.7`` (``3.11``) for a GIL build."""
    version = str(info.get("version") or "?")[:MAX_VERSION]
    if short:
        version = ".".join(version.split(".")[:2])
    return version + ("t" if free_threaded(info) else "")


def describe(info: dict, level: int = 0) -> str:
    """The interpreter in the status line's words, ``level`` 0 the longest, 2 the shortest. A GIL build:
    ``Python 3.11.7, GIL on`` / ``GIL on`` / ``GIL on``; free-threaded: ``Python 3.14.0 free-threaded, GIL off`` /
    ``3.14t, GIL off`` / ``GIL off``; free-threaded with the GIL back on: ``Python 3.14.0 free-threaded, GIL on
    (turned on by an import)`` / ``3.14t, GIL on (turned on by an import)`` / ``GIL on (import)``."""
    state = gil_state(info)
    if state == GIL_ON:
        return f"Python {build_name(info)}, GIL on" if level == 0 else "GIL on"
    why = {GIL_OFF: "", REENABLED: " (turned on by an import)", FORCED: " (forced on)"}[state]
    gil = "GIL off" if state == GIL_OFF else "GIL on"
    if level >= 2:
        return gil + {GIL_OFF: "", REENABLED: " (import)", FORCED: " (forced)"}[state]
    if level == 1:
        return f"{build_name(info, short=True)}, {gil}{why}"
    version = str(info.get("version") or "?")[:MAX_VERSION]
    if state == FORCED:
        why = " (forced on by PYTHON_GIL=1 or -X gil=1)"
    return f"Python {version} free-threaded, {gil}{why}"


def build_phrase(info: dict) -> str:
    """What a line quoting a run's figures adds about its build: nothing for a GIL build (the guide's case);
    ``3.14t with the GIL off`` / ``3.14t with the GIL turned on by an import`` for a free-threaded one."""
    state = gil_state(info)
    if state == GIL_ON:
        return ""
    how = {GIL_OFF: "with the GIL off", REENABLED: "with the GIL turned on by an import",
           FORCED: "with the GIL forced on"}[state]
    return f"{build_name(info, short=True)} {how}"

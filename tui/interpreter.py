"""The interpreter the scenarios run on: its version and whether it has a GIL (read by scenarios.pyinfo)."""

from __future__ import annotations

from scenarios.pyinfo import python_info

__all__ = ["describe", "python_info"]


def describe(info: dict) -> str:
    """``Python 3.11.7, GIL on`` (the status line)."""
    gil = "GIL on" if info.get("gil", "enabled") == "enabled" else "GIL off (free-threaded)"
    return f"Python {info.get('version', '?')}, {gil}"

"""The interpreter the scenarios run on: its version and whether it has a GIL."""

from __future__ import annotations

import platform
import sys
import sysconfig


def python_info() -> dict:
    """``{"version", "implementation", "gil": "enabled"|"disabled", "free_threaded_build"}``."""
    free_threaded = sysconfig.get_config_var("Py_GIL_DISABLED") == 1
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    gil_on = is_enabled() if is_enabled is not None else True
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil": "enabled" if gil_on else "disabled",
        "free_threaded_build": free_threaded,
    }


def describe(info: dict) -> str:
    """``Python 3.11.7, GIL on`` (the status line)."""
    gil = "GIL on" if info.get("gil", "enabled") == "enabled" else "GIL off (free-threaded)"
    return f"Python {info.get('version', '?')}, {gil}"

"""The interpreter a scenario runs on, as the child itself sees it: version, build and whether the GIL is on.

Stdlib only: the child may run under another Python than concviz's (``--python``), where nothing of concviz but
``scenarios`` is importable. Whether the GIL is on is read at the moment of asking: on a free-threaded build an
extension module that does not declare itself free-threading safe turns the GIL back on when it is imported, so
the child asks after the scenario's imports, and again at the run's end.
"""

from __future__ import annotations

import os
import platform
import sys
import sysconfig


def free_threaded_build() -> bool:
    """Built with ``--disable-gil`` (``python3.14t``): the GIL can be off."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """Whether the GIL is on right now (always on where ``sys._is_gil_enabled`` does not exist, before 3.13)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return bool(is_enabled()) if is_enabled is not None else True


def gil_forced() -> bool:
    """A free-threaded build told to keep its GIL on (``PYTHON_GIL=1`` or ``-X gil=1``), not turned on by an import."""
    asked = sys._xoptions.get("gil", os.environ.get("PYTHON_GIL"))  # -X gil wins over PYTHON_GIL, as in CPython
    return free_threaded_build() and asked == "1"


def python_info() -> dict[str, str | bool]:
    """``{"version", "implementation", "executable", "gil": "enabled"|"disabled", "free_threaded_build",
    "gil_forced"}``."""
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "gil": "enabled" if gil_enabled() else "disabled",
        "free_threaded_build": free_threaded_build(),
        "gil_forced": gil_forced(),
    }

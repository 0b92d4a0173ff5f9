"""Text and numbers from outside concviz (a trace file, a child, the command line) made safe to output. No Textual.

Every string a trace or a child carries (task, lock and counter names, output lines, a reported Python version, an
error message) and every path a user typed is data: ``printable`` shows its control characters and escape
sequences as visible escapes, so that none of them reaches the terminal as a command (a title change, a cleared
screen). ``strict_json`` writes JSON that strict parsers take: no NaN or Infinity.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable

ELLIPSIS = "\u2026"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
MAX_PATHS = 20  # where non-finite numbers were, listed in a document's metadata (then only counted)


def printable(text: object, limit: int | None = 200) -> str:
    """``text`` as it may be shown: every character that is not printable (C0 and C1 controls such as ESC, BEL and
    CSI, format characters such as bidi overrides, line separators, lone surrogates) written as a visible escape:
    ``\\n``, ``\\x1b``, ``\\u202e``, ``\\U000e0001``; a byte that was not UTF-8 (a path the file system decoded
    with surrogateescape) as ``\\xff``. Printable text in any script is kept as it is. Then cut to ``limit``
    characters, the last one an ellipsis (None: no limit).

    The result is always printable, so applying it twice gives the same as once (a backslash is kept as it is)."""
    text = str(text)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else _escape(c) for c in text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + ELLIPSIS
    return text


def _escape(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte: show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def finite(value: object, path: str = "", found: list[str] | None = None) -> object:
    """``value`` (made of dicts, lists, tuples, strings, numbers, None) with every float that is NaN or infinite
    replaced by None; where each was (``params.x``, ``runs[1].wall_s``) is appended to ``found``."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        if found is not None:
            found.append(path or "(the value)")
        return None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, float) and not math.isfinite(key):
                key = repr(key)  # a key is written as a string anyway; json would write NaN bare
            out[key] = finite(item, f"{path}.{key}" if path else str(key), found)
        return out
    if isinstance(value, (list, tuple)):
        return [finite(item, f"{path}[{i}]", found) for i, item in enumerate(value)]
    return value


def strict_json(doc: dict, mark: Callable[[dict, list[str]], None] | None = None, **dumps: Any) -> str:
    """``doc`` as JSON that every parser takes: no NaN or Infinity anywhere. If ``doc`` holds any, they are written
    as null, and ``mark(copy, paths)`` notes it in the copy that is written (default: ``non_finite`` at its top: the
    first ``MAX_PATHS`` paths, with ``non_finite_count`` when there are more). ``dumps``: json.dumps's arguments."""
    try:
        return json.dumps(doc, allow_nan=False, **dumps)
    except ValueError:  # a non-finite float somewhere: the rare case pays for a copy
        pass
    found: list[str] = []
    clean = finite(doc, "", found)
    assert isinstance(clean, dict)
    (mark or mark_non_finite)(clean, found)
    return json.dumps(clean, allow_nan=False, **dumps)


def mark_non_finite(meta: dict, paths: list[str]) -> None:
    """``non_finite``: where the values written as null were (the first ``MAX_PATHS``; ``non_finite_count``: all)."""
    meta["non_finite"] = paths[:MAX_PATHS]
    if len(paths) > MAX_PATHS:
        meta["non_finite_count"] = len(paths)

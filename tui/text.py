"""Text from outside concviz (a trace file, a child, the command line) made safe to output. No Textual.

Every string a trace or a child carries (task, lock and counter names, output lines, a reported Python version, an
error message) and every path a user typed is data: ``printable`` shows its control characters and escape
sequences as visible escapes, so that none of them reaches the terminal as a command (a title change, a cleared
screen).
"""

from __future__ import annotations

ELLIPSIS = "\u2026"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


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

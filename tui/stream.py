"""Decode the child's event stream (scenarios.wire) into records for the trace model.

A decoded record is a tuple ``(pid, type, a, b, id, x, y, z, text)``; ``text`` is the whole string of a TEXT
record (its parts joined), else None.
"""

from __future__ import annotations

import gc

from scenarios import wire


class StreamError(ValueError):
    """The byte stream is not a concviz event stream."""


MAX_HELD_TEXT = 32 * 2**20  # a trace file's chunk holds 32 MiB at most: no real note comes near it


class Decoder:
    """Feed it bytes as they arrive, in pieces of any size; it returns the complete records so far."""

    def __init__(self) -> None:
        self._pending = bytearray()
        self._parts: dict[tuple[int, int, int], list[bytes]] = {}
        self._held = 0  # bytes of texts still waiting for their last part

    def feed(self, data: bytes) -> list[tuple]:
        """The records complete so far. Python's cycle collector is paused meanwhile: the thousands of tuples a
        read brings hold no cycles, yet would set it off every 700 of them (a fast stream: ~6% of the parent's
        time); it looks at them once, after."""
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            return self._feed(data)
        finally:
            if collecting:
                gc.enable()

    def _feed(self, data: bytes) -> list[tuple]:
        buf = self._pending
        buf += data
        out: list[tuple] = []
        head = wire.FRAME_HEAD.size
        pos = 0
        while len(buf) - pos >= head:
            length, pid = wire.FRAME_HEAD.unpack_from(buf, pos)
            if length > wire.MAX_BODY:
                raise StreamError(f"frame of {length} bytes is larger than {wire.MAX_BODY}")
            if len(buf) - pos - head < length:
                break
            self._frame(bytes(buf[pos + head : pos + head + length]), pid, out)
            pos += head + length
        del buf[:pos]
        return out

    @property
    def leftover(self) -> int:
        """Bytes of an incomplete frame still waiting for the rest (a stream cut off mid-frame)."""
        return len(self._pending)

    def _frame(self, body: bytes, pid: int, out: list) -> None:
        size, end = wire.RECORD.size, len(body)
        types = body[::size]  # every record's type byte, exactly when no text payload shifts them
        if end % size == 0 and wire.TEXT not in types:  # most frames: fixed-size records only, unpacked at once
            unknown = set(types) - wire.RECORD_TYPES
            if unknown:
                raise StreamError(f"unknown record type {min(unknown)}")
            records = wire.RECORD.iter_unpack(body)  # named fields: a plain tuple is built faster than from *rec
            out += [(pid, typ, a, b, ident, x, y, z, None) for typ, a, b, ident, x, y, z in records]
            return
        unpack = wire.RECORD.unpack_from
        pos = 0
        while pos < end:
            if end - pos < size:
                raise StreamError("a record is cut off inside its frame")
            typ, a, b, ident, x, y, z = unpack(body, pos)
            pos += size
            if typ != wire.TEXT:
                if typ not in wire.RECORD_TYPES:
                    raise StreamError(f"unknown record type {typ}")
                out.append((pid, typ, a, b, ident, x, y, z, None))
                continue
            if y < 0 or pos + y > end:
                raise StreamError("text runs past the end of its frame")
            key = (pid, a, ident)
            self._parts.setdefault(key, []).append(body[pos : pos + y])
            self._held += y
            if self._held > MAX_HELD_TEXT:  # texts that never end: a broken or hostile child, not a note
                raise StreamError(f"more than {MAX_HELD_TEXT // 2**20} MiB of text parts without their last part")
            pos += y
            if b:  # the last part
                parts = self._parts.pop(key)
                self._held -= sum(map(len, parts))
                text = b"".join(parts).decode("utf-8", "replace")
                out.append((pid, typ, a, b, ident, x, y, z, text))

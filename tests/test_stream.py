"""Decoding the child's event stream (tui.stream) from bytes packed as scenarios.wire describes."""

from __future__ import annotations

import pytest

from scenarios import wire
from tui.stream import Decoder, StreamError


def record(typ, a=0, b=0, ident=0, x=0, y=0, z=0) -> bytes:
    return wire.RECORD.pack(typ, a, b, ident, x, y, z)


def text_parts(kind: int, target: int, text: str, step: int, t: int = 5) -> list[bytes]:
    data = text.encode()
    parts = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    return [record(wire.TEXT, kind, int(i == len(parts) - 1), target, t, len(p)) + p for i, p in enumerate(parts)]


def frame(pid: int, *chunks: bytes) -> bytes:
    body = b"".join(chunks)
    return wire.FRAME_HEAD.pack(len(body), pid) + body


STREAM = b"".join([
    frame(7, record(wire.HELLO, x=100, y=wire.VERSION, z=2)),
    frame(7, *text_parts(wire.TEXT_TASK, 1, "download 1", step=4),
          record(wire.TASK, wire.KIND_CODE["thread"], 0, 1, 110, 0, 0),
          record(wire.STATE, wire.STATE_CODE["cpu"], 0, 1, 120, 5_000, 300)),
    frame(7, record(wire.STATE, wire.STATE_CODE["io"], 0, 1, 130, -1, -1),
          record(wire.COUNT, 0, 1, 1, 140, 42, 0),
          record(wire.RUN_END, x=160)),
])

EXPECTED = [
    (7, wire.HELLO, 0, 0, 0, 100, wire.VERSION, 2, None),
    (7, wire.TEXT, wire.TEXT_TASK, 1, 1, 5, 2, 0, "download 1"),  # y: the length of the last part
    (7, wire.TASK, wire.KIND_CODE["thread"], 0, 1, 110, 0, 0, None),
    (7, wire.STATE, wire.STATE_CODE["cpu"], 0, 1, 120, 5_000, 300, None),
    (7, wire.STATE, wire.STATE_CODE["io"], 0, 1, 130, -1, -1, None),
    (7, wire.COUNT, 0, 1, 1, 140, 42, 0, None),
    (7, wire.RUN_END, 0, 0, 0, 160, 0, 0, None),
]


def test_whole_stream_decodes_every_record():
    decoder = Decoder()
    assert decoder.feed(STREAM) == EXPECTED
    assert decoder.leftover == 0


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 31, 32, 33, 100, 1000])
def test_pieces_of_any_size_give_the_same_records(size):
    decoder = Decoder()
    out = []
    for i in range(0, len(STREAM), size):
        out += decoder.feed(STREAM[i : i + size])
    assert out == EXPECTED
    assert decoder.leftover == 0


def test_byte_by_byte_records_appear_only_when_their_frame_is_complete():
    decoder = Decoder()
    first = frame(7, record(wire.HELLO, x=1, y=wire.VERSION, z=2))
    for byte in first[:-1]:
        assert decoder.feed(bytes([byte])) == []
    assert decoder.leftover == len(first) - 1
    assert len(decoder.feed(first[-1:])) == 1
    assert decoder.leftover == 0


def test_an_incomplete_frame_is_kept_as_leftover():
    decoder = Decoder()
    cut = len(STREAM) - 10
    records = decoder.feed(STREAM[:cut])
    assert records == EXPECTED[:4]
    assert decoder.leftover == len(STREAM[:cut]) - sum(len(f) for f in _frames(STREAM)[:2])
    assert decoder.feed(STREAM[cut:]) == EXPECTED[4:]
    assert decoder.leftover == 0


def test_an_empty_feed_returns_nothing():
    decoder = Decoder()
    assert decoder.feed(b"") == []
    assert decoder.leftover == 0


def test_a_frame_larger_than_max_body_is_an_error():
    decoder = Decoder()
    with pytest.raises(StreamError, match=str(wire.MAX_BODY)):
        decoder.feed(wire.FRAME_HEAD.pack(wire.MAX_BODY + 1, 7))


def test_a_frame_of_exactly_max_body_is_accepted():
    parts = text_parts(wire.TEXT_INFO, 0, "z" * (wire.MAX_BODY - wire.RECORD.size), step=wire.MAX_BODY)
    data = frame(7, *parts)
    assert len(data) == wire.PIPE_BUF
    (rec,) = Decoder().feed(data)
    assert rec[8] == "z" * (wire.MAX_BODY - wire.RECORD.size)


@pytest.mark.parametrize("typ", [0, max(wire.HELLO, wire.TASK, wire.STATE, wire.END, wire.LOCK, wire.LOCK_REQUEST,
                                        wire.LOCK_ACQUIRED, wire.LOCK_RELEASED, wire.COUNT, wire.TEXT, wire.BIND,
                                        wire.RUN_END, wire.VARIANT, wire.LOCK_SUM, wire.LOCK_SUM_WAITS,
                                        wire.LOCK_TAKEN) + 1, 255])
def test_an_unknown_record_type_is_an_error(typ):
    with pytest.raises(StreamError, match="unknown record type"):
        Decoder().feed(frame(7, record(typ)))


@pytest.mark.parametrize("typ", [wire.HELLO, wire.TASK, wire.STATE, wire.END, wire.LOCK, wire.LOCK_REQUEST,
                                 wire.LOCK_ACQUIRED, wire.LOCK_RELEASED, wire.COUNT, wire.BIND, wire.RUN_END,
                                 wire.VARIANT, wire.LOCK_SUM, wire.LOCK_SUM_WAITS, wire.LOCK_TAKEN])
def test_every_known_record_type_decodes(typ):
    (rec,) = Decoder().feed(frame(7, record(typ, 1, 2, 3, 4, 5, 6)))
    assert rec == (7, typ, 1, 2, 3, 4, 5, 6, None)


def test_a_record_cut_off_inside_its_frame_is_an_error():
    with pytest.raises(StreamError):
        Decoder().feed(frame(7, record(wire.HELLO)[:20]))


def test_text_running_past_its_frame_is_an_error():
    with pytest.raises(StreamError):
        Decoder().feed(frame(7, record(wire.TEXT, wire.TEXT_INFO, 1, 0, 0, 50) + b"short"))


def test_text_parts_across_frames_are_joined():
    text = "Grüße aus dem Thread, ünïcödé " * 300  # multi-byte characters cut between parts
    data = b"".join(frame(7, part) for part in text_parts(wire.TEXT_INFO, 0, text, step=1000))
    assert len(_frames(data)) > 3
    (rec,) = Decoder().feed(data)
    assert rec[1] == wire.TEXT and rec[2] == wire.TEXT_INFO and rec[8] == text


def test_an_empty_text_decodes_to_an_empty_string():
    (rec,) = Decoder().feed(frame(7, *text_parts(wire.TEXT_TASK, 3, "", step=10)))
    assert rec[8] == "" and rec[4] == 3


def test_interleaved_frames_from_two_pids_keep_their_pids_and_texts_apart():
    a = text_parts(wire.TEXT_TASK, 1, "parent task " * 50, step=100)
    b = text_parts(wire.TEXT_TASK, 1, "worker task " * 50, step=100)
    data = bytearray()
    for pa, pb in zip(a, b):
        data += frame(10, pa) + frame(20, pb)
    data += frame(20, record(wire.TASK, 1, 0, 1, 9, 0, 0)) + frame(10, record(wire.TASK, 0, 0, 1, 8, 0, 0))
    out = Decoder().feed(bytes(data))
    texts = {r[0]: r[8] for r in out if r[1] == wire.TEXT}
    assert texts == {10: "parent task " * 50, 20: "worker task " * 50}
    assert [(r[0], r[1]) for r in out[-2:]] == [(20, wire.TASK), (10, wire.TASK)]


def test_texts_of_different_kinds_for_the_same_target_do_not_mix():
    task = text_parts(wire.TEXT_TASK, 1, "a task name " * 20, step=50)
    lock = text_parts(wire.TEXT_LOCK, 1, "a lock name " * 20, step=50)
    data = b"".join(frame(7, x, y) for x, y in zip(task, lock))
    out = Decoder().feed(data)
    assert {r[2]: r[8] for r in out} == {wire.TEXT_TASK: "a task name " * 20, wire.TEXT_LOCK: "a lock name " * 20}



def test_a_frame_of_plain_records_decodes_as_one_with_a_text_among_them():
    """Frames without TEXT records are unpacked at once; the same records in a frame with a text, record by
    record, give the same tuples."""
    plain = [record(wire.STATE, wire.STATE_CODE["cpu"], 0, i, 10**12 + i, -1 if i % 3 else 5 * i, 2**40 + i)
             for i in range(100)]
    plain += [record(wire.LOCK_RELEASED, 0, 7, 3, 2**62, 0, 1), record(wire.COUNT, 0, 2, 1, 9, -5)]
    fast = Decoder().feed(frame(42, *plain))
    slow = Decoder().feed(frame(42, *plain, *text_parts(wire.TEXT_TASK, 1, "t", step=10)))
    assert fast == slow[:-1] and len(fast) == len(plain)
    assert fast[0] == (42, wire.STATE, wire.STATE_CODE["cpu"], 0, 0, 10**12, 0, 2**40, None)



def test_feeding_leaves_the_cycle_collector_as_it_found_it():
    import gc

    decoder = Decoder()
    assert decoder.feed(STREAM) == EXPECTED and gc.isenabled()
    with pytest.raises(StreamError):
        decoder.feed(frame(7, record(0)))
    assert gc.isenabled()
    gc.disable()
    try:
        Decoder().feed(STREAM)
        assert not gc.isenabled()
    finally:
        gc.enable()


def _frames(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        length, _ = wire.FRAME_HEAD.unpack_from(data, pos)
        out.append(data[pos : pos + wire.FRAME_HEAD.size + length])
        pos += wire.FRAME_HEAD.size + length
    return out

"""Confluent's wire format: magic byte 0, the schema id as 4 big-endian bytes, then the payload.

Protobuf adds the message-index array after the id: zigzag varints, a count then the indexes, with the
common first message ([0]) written as the single byte 0.
"""

from __future__ import annotations

import struct

from connectless.data.errors import DataError

MAGIC_BYTE = 0
HEADER_SIZE = 5
_HEADER = struct.Struct(">bI")


def header(schema_id: int) -> bytes:
    return _HEADER.pack(MAGIC_BYTE, schema_id)


def split(data: bytes) -> tuple[int, memoryview]:
    """(schema id, payload) of a framed message. Raises DataError on a bad magic byte or a short message."""
    if len(data) < HEADER_SIZE:
        raise DataError(f"Unknown magic byte! (or a message of {len(data)} bytes, shorter than the 5-byte header)")
    if data[0] != MAGIC_BYTE:
        raise DataError("Unknown magic byte!")
    return _HEADER.unpack_from(data)[1], memoryview(data)[HEADER_SIZE:]


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _write_varint(out: bytearray, value: int) -> None:
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _read_varint(data: memoryview, pos: int) -> tuple[int, int]:
    result, pos = _read_raw_varint(data, pos)
    return (result >> 1) ^ -(result & 1), pos


def _read_raw_varint(data: memoryview, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data):
            raise DataError("Truncated Protobuf message indexes")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DataError("Malformed varint in Protobuf message indexes")


def message_indexes(indexes: list[int]) -> bytes:
    """The encoded message-index array ([0] as the single byte 0)."""
    if indexes == [0]:
        return b"\x00"
    out = bytearray()
    _write_varint(out, _zigzag(len(indexes)))
    for index in indexes:
        _write_varint(out, _zigzag(index))
    return bytes(out)


def read_message_indexes(payload: memoryview) -> tuple[list[int], memoryview]:
    count, pos = _read_varint(payload, 0)
    if count == 0:
        return [0], payload[pos:]
    if count < 0 or count > 1024:
        raise DataError(f"Invalid Protobuf message-index count {count}")
    indexes = []
    for _ in range(count):
        index, pos = _read_varint(payload, pos)
        indexes.append(index)
    return indexes, payload[pos:]


def varint(value: int) -> bytes:
    """An unsigned varint (Glue's Protobuf message index)."""
    out = bytearray()
    _write_varint(out, value)
    return bytes(out)


def read_varint(payload: bytes | memoryview) -> tuple[int, memoryview]:
    """An unsigned varint and the bytes after it."""
    view = memoryview(payload)
    value, pos = _read_raw_varint(view, 0)
    return value, view[pos:]

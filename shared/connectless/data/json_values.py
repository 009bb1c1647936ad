"""Connect values as plain JSON, for sinks that write text (file, logs, dry runs)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from typing import Any

import orjson

from connectless.data.struct import Struct


def to_plain(value: Any) -> Any:
    """A JSON-ready copy: Structs become objects, bytes base64, decimals numbers, times ISO strings."""
    if isinstance(value, Struct):
        return {name: to_plain(item) for name, item in value.items()}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def _default(value: Any) -> Any:
    plain = to_plain(value)
    if plain is value:
        raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
    return plain


def to_json_text(value: Any) -> str:
    """Strings as they are; anything structured as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, dict | list | Struct):
        return orjson.dumps(value, default=_default).decode()
    return orjson.dumps(to_plain(value), default=_default).decode()


_LINE = orjson.OPT_APPEND_NEWLINE


def to_json_line(value: Any) -> bytes:
    """`to_json_text(value)` and a newline, as UTF-8 (a sink's hot path: JSON objects straight to bytes)."""
    kind = type(value)
    if kind is dict or kind is list:
        return orjson.dumps(value, default=_default, option=_LINE)
    if kind is str:
        return value.encode() + b"\n"
    return to_json_text(value).encode() + b"\n"

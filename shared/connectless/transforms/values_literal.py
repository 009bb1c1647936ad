"""String literals to typed values, as Kafka's `Values.parseString` and `Values.convertToX` read them.

Used for InsertHeader's `value.literal` and MaskField's `replacement`. Covers null, booleans, integers
(narrowest of int8..int64, then Decimal), floating point numbers (float32 when it fits, else float64),
ISO dates/times/timestamps, quoted strings, and flat `[...]` arrays and `{k:v}` maps of those.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import struct as _struct
from typing import Any

from connectless.data import (
    BOOLEAN_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    Schema,
    SchemaBuilder,
    Type,
    logical,
)

_FLOATING = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")
_INT_SCHEMAS = (
    (INT8_SCHEMA, 2**7),
    (INT16_SCHEMA, 2**15),
    (INT32_SCHEMA, 2**31),
    (INT64_SCHEMA, 2**63),
)
_FLOAT32_MAX = 3.4028234663852886e38


def to_float32(value: float) -> float:
    """`value` rounded to single precision, as Java's `(float)` cast (overflow becomes infinity)."""
    if math.isnan(value) or math.isinf(value):
        return value
    if abs(value) > _FLOAT32_MAX:
        return float("inf") if value > 0 else float("-inf")
    return float(_struct.unpack("f", _struct.pack("f", value))[0])


def parse_literal(text: str | None) -> tuple[Schema | None, Any]:
    """(schema, value) inferred from a string, like Values.parseString; (None, None) for null."""
    if text is None:
        return None, None
    if text == "":
        return STRING_SCHEMA, ""
    stripped = text.strip()
    parsed = _parse_scalar(stripped)
    if parsed is not None:
        return parsed
    if len(stripped) >= 2 and stripped[0] == "[" and stripped[-1] == "]":
        return _parse_array(stripped[1:-1])
    if len(stripped) >= 2 and stripped[0] == "{" and stripped[-1] == "}":
        return _parse_map(stripped[1:-1])
    return STRING_SCHEMA, text


def _parse_scalar(text: str) -> tuple[Schema | None, Any] | None:
    if text == "null":
        return None, None
    lowered = text.lower()
    if lowered in ("true", "false"):
        return BOOLEAN_SCHEMA, lowered == "true"
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return STRING_SCHEMA, text[1:-1]
    if _FLOATING.fullmatch(text):
        return _parse_number(decimal.Decimal(text))
    return _parse_temporal(text)


def _parse_number(number: decimal.Decimal) -> tuple[Schema, Any]:
    # As Values.parseAsNumber: an integral value takes the narrowest integer type ("1.0" is int8 1), otherwise
    # float32, float64 or a Decimal, whichever first holds it.
    if number == number.to_integral_value():
        integral = int(number)
        for schema, bound in _INT_SCHEMAS:
            if -bound <= integral < bound:
                return schema, integral
    exponent = number.as_tuple().exponent
    scale = -exponent if isinstance(exponent, int) else 0
    if scale != 0:
        as_float = float(number)
        if not math.isinf(to_float32(as_float)):
            return FLOAT32_SCHEMA, to_float32(as_float)
        if not math.isinf(as_float):
            return FLOAT64_SCHEMA, as_float
    return logical.decimal_schema(scale), number


def _parse_temporal(text: str) -> tuple[Schema, Any] | None:
    try:
        if m := _TIMESTAMP.fullmatch(text):
            y, mo, d, h, mi, s, ms = (int(g) for g in m.groups())
            return logical.TIMESTAMP_SCHEMA, dt.datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=dt.UTC)
        if m := _DATE.fullmatch(text):
            y, mo, d = (int(g) for g in m.groups())
            return logical.DATE_SCHEMA, dt.date(y, mo, d)
        if m := _TIME.fullmatch(text):
            h, mi, s, ms = (int(g) for g in m.groups())
            return logical.TIME_SCHEMA, dt.time(h, mi, s, ms * 1000)
    except ValueError:
        return None
    return None


def _split_top_level(text: str, separator: str) -> list[str]:
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "[{":
            depth += 1
        elif not quoted and ch in "]}":
            depth -= 1
        elif not quoted and depth == 0 and ch == separator:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _common_schema(schemas: list[Schema | None]) -> Schema | None:
    known = [s for s in schemas if s is not None]
    if not known or any(s != known[0] for s in known):
        return None
    return SchemaBuilder.from_schema(known[0]).optional().build() if len(known) < len(schemas) else known[0]


def _parse_array(body: str) -> tuple[Schema | None, Any]:
    if not body.strip():
        return SchemaBuilder.array(Schema(Type.STRING, optional=True)).build(), []
    elements = [parse_literal(item) for item in _split_top_level(body, ",")]
    element_schema = _common_schema([s for s, _ in elements])
    values = [v for _, v in elements]
    if element_schema is None:
        return None, values
    return SchemaBuilder.array(element_schema).build(), values


def _parse_map(body: str) -> tuple[Schema | None, Any]:
    if not body.strip():
        optional_string = Schema(Type.STRING, optional=True)
        return SchemaBuilder.map(optional_string, optional_string).build(), {}
    keys, values = [], []
    for entry in _split_top_level(body, ","):
        key_text, sep, value_text = entry.partition(":")
        if not sep:
            return STRING_SCHEMA, "{" + body + "}"
        keys.append(parse_literal(key_text.strip()))
        values.append(parse_literal(value_text.strip()))
    result = {k: v for (_, k), (_, v) in zip(keys, values, strict=True)}
    key_schema = _common_schema([s for s, _ in keys])
    value_schema = _common_schema([s for s, _ in values])
    if key_schema is None or value_schema is None:
        return None, result
    return SchemaBuilder.map(key_schema, value_schema).build(), result


# -- Values.convertToX for numbers --------------------------------------------------------------------
_WIDTHS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}


def wrap_int(value: int, bits: int) -> int:
    """Two's complement narrowing, as Java's `(byte)`, `(short)`, `(int)` casts of a long."""
    mask = (1 << bits) - 1
    value &= mask
    return value - (1 << bits) if value >> (bits - 1) else value


def java_long(value: float) -> int:
    """Java's `(long)` of a double: truncation toward zero, saturating, NaN -> 0."""
    if math.isnan(value):
        return 0
    if value >= 2.0**63:
        return 2**63 - 1
    if value <= -(2.0**63):
        return -(2**63)
    return int(value)


def convert_number(text: str, target: Type) -> int | float:
    """A numeric string converted to `target` like Values.convertToX; raises ValueError otherwise."""
    schema, value = parse_literal(text)
    if schema is None or isinstance(value, str | list | dict) or value is None:
        raise ValueError(f"Unable to convert {text} to {target.name}")
    if isinstance(value, bool):
        value = 1 if value else 0
    if not isinstance(value, int | float | decimal.Decimal):
        raise ValueError(f"Unable to convert {text} to {target.name}")
    if target in _WIDTHS:
        as_long = int(value) if isinstance(value, int | decimal.Decimal) else java_long(value)
        return wrap_int(wrap_int(as_long, 64), _WIDTHS[target])
    as_float = float(value)
    return to_float32(as_float) if target is Type.FLOAT32 else as_float

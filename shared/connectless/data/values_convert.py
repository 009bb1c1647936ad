"""Kafka Connect's `Values` conversions: coerce a value to another Connect type, or render it as a string.

Semantics follow org.apache.kafka.connect.data.Values (Kafka 4.x): narrowing integer conversions wrap like Java
casts, strings are parsed with `parse_string`, and temporal values convert through their epoch-millisecond form
(Java's `java.util.Date#getTime`). Where Java needs a logical schema to know what a `java.util.Date` is, a Python
value's own type (date, time, datetime) is enough. Numbers render as Java prints them (`1.0E10`, `0.001`).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import re
import struct
from typing import TYPE_CHECKING, Any

from connectless.data import logical
from connectless.data.errors import DataError
from connectless.data.schema import Type
from connectless.data.struct import Struct

if TYPE_CHECKING:
    from connectless.data.schema import Schema

DAY_MS = logical.MILLIS_PER_DAY
_F32 = struct.Struct("<f")
# java.math.BigDecimal(String): optional sign, digits with an optional point, optional exponent; no blanks.
_JAVA_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TEMPORAL_NAMES = (logical.DATE_NAME, logical.TIME_NAME, logical.TIMESTAMP_NAME)


# -- Java numeric semantics ---------------------------------------------------------------------
def wrap_int(value: int, bits: int) -> int:
    """Two's complement narrowing, as a Java cast from long to byte/short/int (or BigInteger#longValue)."""
    half = 1 << (bits - 1)
    return ((value + half) & ((1 << bits) - 1)) - half


def double_to_long(value: float) -> int:
    """Java's `(long) double`: truncation toward zero, NaN -> 0, saturating at the long range."""
    if math.isnan(value):
        return 0
    if value >= 9.223372036854775807e18:
        return 2**63 - 1
    if value <= -9.223372036854775808e18:
        return -(2**63)
    return int(value)


class Float32(float):
    """A single-precision number without a schema: Java's Float where a schemaless value is a Double.

    Only a schemaless cast to float32 makes one. It prints as Float.toString does (`0.1`, where the double it
    holds prints `0.10000000149011612`) and infers the FLOAT32 schema. Arithmetic on it gives a plain float.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Float32({float(self)!r})"


# The Connect type of a schemaless value whose class alone decides it (Values.inferSchema's simple cases).
CLASS_TYPES: dict[type, Type] = {
    float: Type.FLOAT64,
    Float32: Type.FLOAT32,
    str: Type.STRING,
    bytes: Type.BYTES,
    bytearray: Type.BYTES,
}


def to_float32(value: float) -> float:
    """`value` rounded to single precision, as Java's `(float)` cast (overflow becomes infinity)."""
    try:
        return float(_F32.unpack(_F32.pack(value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


_F32_BITS = struct.Struct("<I")
_F32_MAX = 3.4028234663852886e38
# MAX + half its ulp (and above) rounds to infinity; exact, where the default 28 digits would round it
_F32_OVERFLOW = decimal.Decimal(_F32_MAX).fma(1, decimal.Decimal(2**103), decimal.Context(prec=100))


def _f32_from_bits(bits: int) -> float:
    return float(_F32.unpack(_F32_BITS.pack(bits))[0])


def decimal_to_float32(number: decimal.Decimal) -> float:
    """The float nearest `number` (ties to even), as Float.parseFloat / BigDecimal#floatValue round it: once.

    Rounding to a double first, then to a float, can land on the other float next to a decimal just off the
    midpoint of two floats (1.00000017881393432617187499 is 1.0000001, not 1.0000002)."""
    as_double = float(number)
    single = to_float32(as_double)
    if single == as_double or math.isnan(single) or math.isinf(as_double):
        return single
    magnitude = number.copy_abs()  # exact: abs() would round to the context's 28 digits
    if math.isinf(single):  # the double is the overflow threshold itself; the decimal may fall short of it
        return single if magnitude >= _F32_OVERFLOW else math.copysign(_F32_MAX, as_double)
    bits = _F32_BITS.unpack(_F32.pack(abs(single)))[0]
    low, high = (bits, bits + 1) if abs(single) < abs(as_double) else (bits - 1, bits)
    with decimal.localcontext(prec=200):  # a float's exact value has at most 112 significant digits
        middle = (decimal.Decimal(_f32_from_bits(low)) + decimal.Decimal(_f32_from_bits(high))) / 2
    if magnitude == middle:
        chosen = low if low % 2 == 0 else high
    else:
        chosen = low if magnitude < middle else high
    return math.copysign(_f32_from_bits(chosen), as_double)


def java_big_decimal(text: str) -> decimal.Decimal | None:
    """`new BigDecimal(text)`, or None where Java throws NumberFormatException."""
    if not _JAVA_DECIMAL.fullmatch(text):
        return None
    return decimal.Decimal(text)


def int_to_double(value: int) -> float:
    try:
        return float(value)
    except OverflowError:  # BigInteger#doubleValue saturates to infinity
        return math.copysign(math.inf, value)


# -- Java number formatting ---------------------------------------------------------------------
def _java_fp(negative: bool, digits: str, exponent: int) -> str:
    """Java's Float/Double.toString layout for the decimal `d.ddd x 10^exponent`."""
    sign = "-" if negative else ""
    if -3 <= exponent < 7:
        if exponent >= 0:
            whole = digits[: exponent + 1].ljust(exponent + 1, "0")
            return f"{sign}{whole}.{digits[exponent + 1 :] or '0'}"
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _special(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    return None


def _scientific_digits(text: str) -> tuple[str, int]:
    """Significant digits (no trailing zeros) and decimal exponent of a `%e` formatted, non-negative number."""
    mantissa, exponent = text.split("e")
    return mantissa.replace(".", "").rstrip("0") or "0", int(exponent)


def _two_digits_if_one(value: float, digits: str, exponent: int, single: bool = False) -> tuple[str, int]:
    """JDK 19+'s Double/Float.toString: when one digit would do, the closest two-digit decimal that still names
    `value` (Double.MIN_VALUE prints 4.9E-324, not 5.0E-324)."""
    if len(digits) != 1:
        return digits, exponent
    with decimal.localcontext(prec=1100):  # a double's exact value has up to 767 significant digits
        exact = decimal.Decimal(value)
        unit = exact.adjusted() - 1  # the two-digit decimals next to `value` step by 10**unit
        tenths = exact.scaleb(-unit).to_integral_value(decimal.ROUND_FLOOR)
        nearest = sorted((tenths, tenths + 1), key=lambda t: (abs(t.scaleb(unit) - exact), int(t) % 2))
    for candidate in (t.scaleb(unit) for t in nearest):
        named = float(candidate)
        if (to_float32(named) if single else named) == value:
            return _scientific_digits(f"{candidate:e}")
    return digits, exponent


def java_double_str(value: float) -> str:
    """Java's Double.toString: shortest digits, plain for 1e-3 <= |v| < 1e7, else like `1.0E10`."""
    special = _special(value)
    if special is not None:
        return special
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        return repr(value)  # Python's shortest repr is plain in this range and keeps the ".0"
    digits, exponent = _two_digits_if_one(magnitude, *_repr_digits(repr(magnitude)))
    return _java_fp(value < 0, digits, exponent)


def _repr_digits(shortest: str) -> tuple[str, int]:
    _, digit_tuple, exponent = decimal.Decimal(shortest).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    return digits, exponent + len(digits) - 1


def java_float_str(value: float) -> str:
    """Java's Float.toString of `value` rounded to single precision: the shortest digits naming that float."""
    single = to_float32(value)
    special = _special(single)
    if special is not None:
        return special
    magnitude = abs(single)
    text = f"{magnitude:.8e}"
    for precision in range(8):
        candidate = f"{magnitude:.{precision}e}"
        if to_float32(float(candidate)) == magnitude:
            text = candidate
            break
    digits, exponent = _two_digits_if_one(magnitude, *_scientific_digits(text), single=True)
    return _java_fp(single < 0, digits, exponent)


def java_decimal_str(value: decimal.Decimal) -> str:
    """BigDecimal#toString: Python's Decimal already uses the same scientific-string rules (minus -0)."""
    if not value.is_finite():
        raise DataError(f"Decimal value {value} is not finite")
    return str(value.copy_abs() if value.is_zero() else value)


# -- temporal values as java.util.Date millis ---------------------------------------------------
def java_millis(value: Any) -> int | None:
    """The epoch milliseconds of a date, time (of 1970-01-01) or datetime; None for anything else."""
    if isinstance(value, dt.datetime):
        return logical.timestamp_to_millis(value)
    if isinstance(value, dt.date):
        return (value - logical.EPOCH_DATE).days * DAY_MS
    if isinstance(value, dt.time):
        return logical.time_to_millis(value)
    return None


def _temporal_name(value: Any, schema: Schema | None) -> str | None:
    if schema is not None and schema.name in _TEMPORAL_NAMES:
        return schema.name
    if isinstance(value, dt.datetime):
        return logical.TIMESTAMP_NAME
    if isinstance(value, dt.date):
        return logical.DATE_NAME
    if isinstance(value, dt.time):
        return logical.TIME_NAME
    return None


def _from_logical(name: str, millis: int) -> int:
    """Date/Time/Timestamp.fromLogical of a java.util.Date with these millis."""
    if name == logical.DATE_NAME:
        if millis % DAY_MS:
            raise DataError("Kafka Connect Date type should not have any time fields set to non-zero values.")
        return millis // DAY_MS
    if name == logical.TIME_NAME and not 0 <= millis < DAY_MS:
        raise DataError("Kafka Connect Time type should not have any date fields set to non-zero values.")
    return millis


def java_div(dividend: int, divisor: int) -> int:
    """Java's integer division, which truncates toward zero."""
    quotient = abs(dividend) // divisor
    return -quotient if dividend < 0 else quotient


def date_from_days(days: int) -> dt.date:
    try:
        return logical.date_from_days(days)
    except OverflowError:
        raise DataError(f"Date of {days} days since the epoch is out of range") from None


def time_from_millis(millis: int) -> dt.time:
    if not 0 <= millis <= DAY_MS:
        raise DataError("Time values must use number of milliseconds greater than 0 and less than 86400000")
    return logical.time_from_millis(millis % DAY_MS)


def timestamp_from_millis(millis: int) -> dt.datetime:
    try:
        return logical.timestamp_from_millis(millis)
    except OverflowError:
        raise DataError(f"Timestamp of {millis} ms since the epoch is out of range") from None


# -- the scalar conversions -----------------------------------------------------------------------
def _unable(value: Any, target: object, cause: BaseException | None = None) -> DataError:
    error = DataError(f"Unable to convert {value} ({type(value).__name__}) to {target}")
    error.__cause__ = cause
    return error


def as_long(value: Any, from_schema: Schema | None = None) -> int:
    """Values.asLong: a number, a numeric string or a temporal value as a Java long."""
    if isinstance(value, int) and not isinstance(value, bool):
        return wrap_int(value, 64)
    if isinstance(value, float):
        return double_to_long(value)
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return wrap_int(int(value), 64)
    if isinstance(value, str):
        parsed = java_big_decimal(value)
        if parsed is not None:
            return wrap_int(int(parsed), 64)
    name = _temporal_name(value, from_schema)
    millis = java_millis(value)
    if name is not None and millis is not None:
        return _from_logical(name, millis)
    raise _unable(value, "a number" if from_schema is None else from_schema)


def as_double(value: Any, from_schema: Schema | None = None) -> float:
    """Values.asDouble: like as_long but keeping the fraction."""
    if isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int_to_double(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, str):
        parsed = java_big_decimal(value)
        if parsed is not None:
            return float(parsed.copy_abs() if parsed.is_zero() else parsed)  # a BigDecimal has no -0
    return float(as_long(value, from_schema))


def convert_to_boolean(schema: Schema | None, value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        from connectless.data.values_parse import parse_string

        parsed = parse_string(value).value
        if isinstance(parsed, bool):
            return parsed
    return as_long(value, schema) != 0


def convert_to_byte(schema: Schema | None, value: Any) -> int | None:
    return None if value is None else wrap_int(as_long(value, schema), 8)


def convert_to_short(schema: Schema | None, value: Any) -> int | None:
    return None if value is None else wrap_int(as_long(value, schema), 16)


def convert_to_integer(schema: Schema | None, value: Any) -> int | None:
    return None if value is None else wrap_int(as_long(value, schema), 32)


def convert_to_long(schema: Schema | None, value: Any) -> int | None:
    return None if value is None else as_long(value, schema)


def convert_to_float(schema: Schema | None, value: Any) -> float | None:
    # Values.convertToFloat of a string goes through a double (the differential tests show it): rounded twice
    return None if value is None else to_float32(as_double(value, schema))


def convert_to_double(schema: Schema | None, value: Any) -> float | None:
    return None if value is None else as_double(value, schema)


def convert_to_string(schema: Schema | None, value: Any) -> str | None:
    """Values.convertToString: the text `parse_string` reads back (floats as Java prints them)."""
    if value is None:
        return None
    out: list[str] = []
    _append(out, value, False, schema)
    return "".join(out)


def convert_to_bytes(schema: Schema | None, value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, decimal.Decimal) and schema is not None:
        return logical.decimal_to_bytes(schema, value)
    raise _unable(value, schema if schema is not None else "bytes")


def convert_to_decimal(schema: Schema | None, value: Any, scale: int) -> decimal.Decimal:
    if value is None:
        raise DataError("Unable to convert a null value to a schema that requires a value")
    target = logical.decimal_schema(scale)
    if isinstance(value, bytes | bytearray | memoryview):
        return logical.decimal_from_bytes(target, bytes(value))
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # BigDecimal.valueOf(double) goes through Double.toString, so 5 becomes 5.0
        return decimal.Decimal(java_double_str(as_double(value)))
    if isinstance(value, str):
        parsed = java_big_decimal(value)
        if parsed is not None:
            return parsed
    raise _unable(value, target)


def convert_to_list(schema: Schema | None, value: Any) -> list[Any]:
    return _container(value, list, "array")


def convert_to_map(schema: Schema | None, value: Any) -> dict[Any, Any]:
    return _container(value, dict, "map")


def _container(value: Any, kind: type, label: str) -> Any:
    if value is None:
        raise DataError("Unable to convert a null value to a schema that requires a value")
    if isinstance(value, str):
        from connectless.data.values_parse import parse_string

        value = parse_string(value).value
    if isinstance(value, kind) or (kind is list and isinstance(value, tuple)):
        return value
    raise _unable(value, label)


def convert_to_struct(schema: Schema | None, value: Any) -> Struct:
    if value is None:
        raise DataError("Unable to convert a null value to a schema that requires a value")
    if isinstance(value, Struct):
        return value
    raise _unable(value, "struct")


def _parsed_temporal(value: Any) -> Any:
    if isinstance(value, str):
        from connectless.data.values_parse import parse_string

        return parse_string(value).value
    return value


def convert_to_date(schema: Schema | None, value: Any) -> dt.date:
    if value is None:
        raise DataError("Unable to convert a null value to a schema that requires a value")
    value = _parsed_temporal(value)
    name, millis = _temporal_name(value, schema), java_millis(value)
    if millis is not None and name == logical.DATE_NAME:
        return value if type(value) is dt.date else date_from_days(java_div(millis, DAY_MS))
    if millis is not None and name == logical.TIMESTAMP_NAME:
        return date_from_days(java_div(millis, DAY_MS))
    return date_from_days(wrap_int(as_long(value, schema), 32))


def convert_to_time(schema: Schema | None, value: Any) -> dt.time:
    if value is None:
        raise DataError("Unable to convert a null value to a schema that requires a value")
    value = _parsed_temporal(value)
    name, millis = _temporal_name(value, schema), java_millis(value)
    if millis is not None and name in (logical.TIME_NAME, logical.TIMESTAMP_NAME):
        return time_from_millis(millis % DAY_MS)
    return time_from_millis(wrap_int(as_long(value, schema), 32))


def convert_to_timestamp(schema: Schema | None, value: Any) -> dt.datetime:
    if value is None:
        raise DataError("Unable to convert a null value to a schema that requires a value")
    value = _parsed_temporal(value)
    if _temporal_name(value, schema) is not None and (millis := java_millis(value)) is not None:
        return timestamp_from_millis(millis)
    return timestamp_from_millis(as_long(value, schema))


def convert_to(to_schema: Schema, from_schema: Schema | None, value: Any) -> Any:
    """Values.convertTo: `value` as the type of `to_schema` (None stays None only for an optional target)."""
    if value is None:
        if to_schema.optional:
            return None
        raise DataError("Unable to convert a null value to a schema that requires a value")
    name = to_schema.name
    if name == logical.DECIMAL_NAME and to_schema.type is Type.BYTES:
        return convert_to_decimal(from_schema, value, logical.decimal_scale(to_schema))
    if name == logical.DATE_NAME and to_schema.type is Type.INT32:
        return convert_to_date(from_schema, value)
    if name == logical.TIME_NAME and to_schema.type is Type.INT32:
        return convert_to_time(from_schema, value)
    if name == logical.TIMESTAMP_NAME and to_schema.type is Type.INT64:
        return convert_to_timestamp(from_schema, value)
    return _CONVERTERS[to_schema.type](from_schema, value)


_CONVERTERS: dict[Type, Any] = {
    Type.BOOLEAN: convert_to_boolean,
    Type.INT8: convert_to_byte,
    Type.INT16: convert_to_short,
    Type.INT32: convert_to_integer,
    Type.INT64: convert_to_long,
    Type.FLOAT32: convert_to_float,
    Type.FLOAT64: convert_to_double,
    Type.STRING: convert_to_string,
    Type.BYTES: convert_to_bytes,
    Type.ARRAY: convert_to_list,
    Type.MAP: convert_to_map,
    Type.STRUCT: convert_to_struct,
}


# -- rendering (Values.append) --------------------------------------------------------------------
def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def format_java_date(millis: int) -> str:
    """Values.dateFormatFor in UTC: time of day below one day, a date at midnight, else a timestamp."""
    days, of_day = divmod(millis, DAY_MS)
    seconds, ms = divmod(of_day, 1000)
    time_text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{ms:03d}Z"
    if millis < DAY_MS:
        return time_text
    day = date_from_days(days)
    date_text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    return date_text if of_day == 0 else f"{date_text}T{time_text}"


def _append(out: list[str], value: Any, embedded: bool, schema: Schema | None) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        single = type(value) is Float32 or (schema is not None and schema.type is Type.FLOAT32)
        out.append(java_float_str(value) if single else java_double_str(value))
    elif isinstance(value, decimal.Decimal):
        out.append(java_decimal_str(value))
    elif isinstance(value, str):
        out.append(f'"{_escape(value)}"' if embedded else value)
    elif isinstance(value, bytes | bytearray | memoryview):
        encoded = base64.b64encode(value).decode("ascii")
        out.append(f'"{encoded}"' if embedded else encoded)
    elif isinstance(value, list | tuple):
        _append_list(out, value, schema)
    elif isinstance(value, dict):
        _append_map(out, value, schema)
    elif isinstance(value, Struct):
        out.append("{")
        for index, field in enumerate(value.schema.fields):
            if index:
                out.append(",")
            _append(out, field.name, True, None)
            out.append(":")
            _append(out, value.get(field.name), True, field.schema)
        out.append("}")
    elif (millis := java_millis(value)) is not None:
        out.append(format_java_date(millis))  # never quoted, as in Kafka
    else:
        raise DataError(f"Failed to serialize unexpected value type {type(value).__name__}: {value}")


def _append_list(out: list[str], items: Any, schema: Schema | None) -> None:
    element = schema.value_schema if schema is not None and schema.type is Type.ARRAY else None
    out.append("[")
    for index, item in enumerate(items):
        if index:
            out.append(",")
        _append(out, item, True, element)
    out.append("]")


def _append_map(out: list[str], mapping: dict[Any, Any], schema: Schema | None) -> None:
    is_map = schema is not None and schema.type is Type.MAP
    key_schema = schema.key_schema if is_map and schema is not None else None
    value_schema = schema.value_schema if is_map and schema is not None else None
    out.append("{")
    for index, (key, item) in enumerate(mapping.items()):
        if index:
            out.append(",")
        _append(out, key, True, key_schema)
        out.append(":")
        _append(out, item, True, value_schema)
    out.append("}")

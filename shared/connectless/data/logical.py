"""Kafka Connect's logical types: Decimal, Date, Time and Timestamp, named by schema name.

Python values: `decimal.Decimal`, `datetime.date`, `datetime.time` (millisecond precision) and
timezone-aware `datetime.datetime` in UTC. Each type converts to and from its wire representation.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from connectless.data.errors import DataError
from connectless.data.schema import SchemaBuilder, Type

if TYPE_CHECKING:
    from connectless.data.schema import Schema

DECIMAL_NAME = "org.apache.kafka.connect.data.Decimal"
DATE_NAME = "org.apache.kafka.connect.data.Date"
TIME_NAME = "org.apache.kafka.connect.data.Time"
TIMESTAMP_NAME = "org.apache.kafka.connect.data.Timestamp"
SCALE_FIELD = "scale"
LOGICAL_NAMES = frozenset({DECIMAL_NAME, DATE_NAME, TIME_NAME, TIMESTAMP_NAME})

EPOCH_DATE = dt.date(1970, 1, 1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MILLIS_PER_DAY = 86_400_000


def decimal_builder(scale: int) -> SchemaBuilder:
    return SchemaBuilder.bytes().name(DECIMAL_NAME).parameter(SCALE_FIELD, str(scale)).version(1)


def decimal_schema(scale: int, *, optional: bool = False) -> Schema:
    builder = decimal_builder(scale)
    return (builder.optional() if optional else builder).build()


def date_builder() -> SchemaBuilder:
    return SchemaBuilder.int32().name(DATE_NAME).version(1)


def time_builder() -> SchemaBuilder:
    return SchemaBuilder.int32().name(TIME_NAME).version(1)


def timestamp_builder() -> SchemaBuilder:
    return SchemaBuilder.int64().name(TIMESTAMP_NAME).version(1)


DATE_SCHEMA = date_builder().build()
TIME_SCHEMA = time_builder().build()
TIMESTAMP_SCHEMA = timestamp_builder().build()
OPTIONAL_DATE_SCHEMA = date_builder().optional().build()
OPTIONAL_TIME_SCHEMA = time_builder().optional().build()
OPTIONAL_TIMESTAMP_SCHEMA = timestamp_builder().optional().build()


def decimal_scale(schema: Schema) -> int:
    params = schema.parameters or {}
    if SCALE_FIELD not in params:
        raise DataError("Invalid Decimal schema: scale parameter not found.")
    return int(params[SCALE_FIELD])


# -- Decimal ------------------------------------------------------------------------------------
def decimal_to_bytes(schema: Schema, value: decimal.Decimal) -> bytes:
    scale = decimal_scale(schema)
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise DataError(f"Decimal value {value} is not finite")
    if -exponent != scale:
        raise DataError(f"Decimal value has mismatching scale: expected {scale}, got {-exponent}")
    unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    return unscaled_to_bytes(unscaled)


def unscaled_to_bytes(unscaled: int) -> bytes:
    """Big-endian two's complement in the fewest bytes, as Java's BigInteger.toByteArray()."""
    length = (unscaled + (unscaled < 0)).bit_length() // 8 + 1
    return unscaled.to_bytes(length, "big", signed=True)


def decimal_from_bytes(schema: Schema, data: bytes) -> decimal.Decimal:
    scale = decimal_scale(schema)
    return decimal.Decimal(int.from_bytes(data, "big", signed=True)).scaleb(-scale)


# -- Date, Time, Timestamp ----------------------------------------------------------------------
def date_to_days(value: dt.date) -> int:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        if value.time() != dt.time(0):
            raise DataError("Kafka Connect Date type should not have any time fields set to non-zero values.")
        value = value.date()
    return (value - EPOCH_DATE).days


def date_from_days(days: int) -> dt.date:
    try:
        return EPOCH_DATE + dt.timedelta(days=days)
    except OverflowError:  # Python's dates end at years 1 and 9999 (docs/compatibility.md)
        raise DataError(f"Date of {days} days since the epoch is outside the years 1 to 9999") from None


def time_to_millis(value: dt.time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def time_from_millis(millis: int) -> dt.time:
    if not 0 <= millis < MILLIS_PER_DAY:
        raise DataError("Kafka Connect Time type should not have any date fields set to non-zero values.")
    seconds, ms = divmod(millis, 1000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return dt.time(hours, minute, sec, ms * 1000)


def timestamp_to_millis(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def timestamp_from_millis(millis: int) -> dt.datetime:
    try:
        return EPOCH + dt.timedelta(milliseconds=millis)
    except OverflowError:  # Python's dates end at years 1 and 9999 (docs/compatibility.md)
        raise DataError(f"Timestamp of {millis} ms since the epoch is outside the years 1 to 9999") from None


def to_logical(schema: Schema, value: Any) -> Any:
    """Wire value (bytes/int) -> Python logical value, for a logical schema; other values pass through."""
    name = schema.name
    if value is None or name not in LOGICAL_NAMES:
        return value
    if name == DECIMAL_NAME:
        return decimal_from_bytes(schema, value)
    if name == DATE_NAME:
        return date_from_days(value)
    if name == TIME_NAME:
        return time_from_millis(value)
    return timestamp_from_millis(value)


def from_logical(schema: Schema, value: Any) -> Any:
    """Python logical value -> wire value (bytes/int); other values pass through."""
    name = schema.name
    if value is None or name not in LOGICAL_NAMES:
        return value
    if name == DECIMAL_NAME:
        return decimal_to_bytes(schema, value)
    if name == DATE_NAME:
        return date_to_days(value)
    if name == TIME_NAME:
        return time_to_millis(value)
    return timestamp_to_millis(value)


def logical_python_type(schema: Schema) -> type | None:
    name = schema.name
    if name == DECIMAL_NAME and schema.type is Type.BYTES:
        return decimal.Decimal
    if name == DATE_NAME and schema.type is Type.INT32:
        return dt.date
    if name == TIME_NAME and schema.type is Type.INT32:
        return dt.time
    if name == TIMESTAMP_NAME and schema.type is Type.INT64:
        return dt.datetime
    return None

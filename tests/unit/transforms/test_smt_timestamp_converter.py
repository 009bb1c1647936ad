from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from smt_helpers import configured, sink, struct, struct_schema

from connectless.config import ConfigError
from connectless.data import INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, DataError, SchemaBuilder, logical
from connectless.errors.exceptions import ConnectError
from connectless.transforms import TimestampConverterKey, TimestampConverterValue

# runs on connectless.native's map steps and on the pure-Python ones (tests/unit/conftest.py)
pytestmark = pytest.mark.usefixtures("native_mode")

# 2017-02-19T10:26:29.345Z
MILLIS = 1487499989345
DATE_TIME = dt.datetime(2017, 2, 19, 10, 26, 29, 345000, tzinfo=dt.UTC)
DATE = dt.date(2017, 2, 19)
TIME = dt.time(10, 26, 29, 345000)
STRING = "2017 02 19 10 26 29 345 UTC"
FORMAT = "yyyy MM dd HH mm ss SSS z"


def convert(value: Any, target: str, schema: Any = None, **extra: str) -> Any:
    smt = configured(TimestampConverterValue, {"target.type": target, "format": FORMAT, **extra})
    return smt.apply(sink(value, schema))


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (DATE_TIME, "Timestamp", DATE_TIME),
        (DATE_TIME, "Date", DATE),
        (DATE_TIME, "Time", TIME),
        (DATE_TIME, "unix", MILLIS),
        (DATE_TIME, "string", STRING),
        (MILLIS, "Timestamp", DATE_TIME),
        (MILLIS, "string", STRING),
        (STRING, "Timestamp", DATE_TIME),
        (STRING, "unix", MILLIS),
        (DATE, "unix", 1487462400000),
        (TIME, "unix", 37589345),
    ],
)
def test_schemaless_whole_value(value: Any, target: str, expected: Any) -> None:
    assert convert(value, target).value == expected


@pytest.mark.parametrize(
    ("schema", "value", "target", "expected_schema", "expected"),
    [
        (logical.TIMESTAMP_SCHEMA, DATE_TIME, "Date", logical.DATE_SCHEMA, DATE),
        (logical.TIMESTAMP_SCHEMA, DATE_TIME, "Time", logical.TIME_SCHEMA, TIME),
        (logical.TIMESTAMP_SCHEMA, DATE_TIME, "unix", INT64_SCHEMA, MILLIS),
        (logical.TIMESTAMP_SCHEMA, DATE_TIME, "string", STRING_SCHEMA, STRING),
        (logical.DATE_SCHEMA, DATE, "Timestamp", logical.TIMESTAMP_SCHEMA, dt.datetime(2017, 2, 19, tzinfo=dt.UTC)),
        (
            logical.TIME_SCHEMA,
            TIME,
            "Timestamp",
            logical.TIMESTAMP_SCHEMA,
            dt.datetime(1970, 1, 1, 10, 26, 29, 345000, tzinfo=dt.UTC),
        ),
        (INT64_SCHEMA, MILLIS, "Timestamp", logical.TIMESTAMP_SCHEMA, DATE_TIME),
        (STRING_SCHEMA, STRING, "Timestamp", logical.TIMESTAMP_SCHEMA, DATE_TIME),
        (OPTIONAL_STRING_SCHEMA, STRING, "unix", SchemaBuilder.int64().optional().build(), MILLIS),
    ],
)
def test_schemaful_whole_value(schema: Any, value: Any, target: str, expected_schema: Any, expected: Any) -> None:
    out = convert(value, target, schema)
    assert (out.value_schema, out.value) == (expected_schema, expected)


@pytest.mark.parametrize(
    ("precision", "unix", "back"),
    [
        ("seconds", 1487499989, dt.datetime(2017, 2, 19, 10, 26, 29, tzinfo=dt.UTC)),
        ("milliseconds", MILLIS, DATE_TIME),
        ("microseconds", MILLIS * 1000 + 999, DATE_TIME),
        ("nanoseconds", MILLIS * 1_000_000 + 999_999, DATE_TIME),
    ],
)
def test_unix_precision_in(precision: str, unix: int, back: dt.datetime) -> None:
    assert convert(unix, "Timestamp", **{"unix.precision": precision}).value == back


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("seconds", 1487499989), ("microseconds", MILLIS * 1000), ("nanoseconds", MILLIS * 1_000_000)],
)
def test_unix_precision_out(precision: str, expected: int) -> None:
    assert convert(DATE_TIME, "unix", **{"unix.precision": precision}).value == expected


def test_negative_unix_seconds_truncate_toward_zero() -> None:
    before_epoch = logical.timestamp_from_millis(-1500)
    assert convert(before_epoch, "unix", logical.TIMESTAMP_SCHEMA, **{"unix.precision": "seconds"}).value == -1


FIELD_SCHEMA = struct_schema(("ts", logical.TIMESTAMP_SCHEMA), ("other", STRING_SCHEMA))


def test_field_with_schema() -> None:
    smt = configured(TimestampConverterValue, {"target.type": "unix", "field": "ts"})
    out = smt.apply(sink(struct(FIELD_SCHEMA, ts=DATE_TIME, other="x"), FIELD_SCHEMA))
    assert (out.value_schema.field("ts").schema, out.value.get("ts"), out.value.get("other")) == (
        INT64_SCHEMA,
        MILLIS,
        "x",
    )


def test_field_schemaless() -> None:
    smt = configured(TimestampConverterValue, {"target.type": "Date", "field": "ts"})
    assert smt.apply(sink({"ts": MILLIS, "other": "x"})).value == {"ts": DATE, "other": "x"}


def test_field_null_value_with_schema_stays_null() -> None:
    schema = struct_schema(("ts", logical.OPTIONAL_TIMESTAMP_SCHEMA))
    smt = configured(TimestampConverterValue, {"target.type": "unix", "field": "ts"})
    out = smt.apply(sink(struct(schema), schema))
    assert (out.value_schema.field("ts").schema, out.value.get("ts")) == (
        SchemaBuilder.int64().optional().build(),
        None,
    )


def test_tombstone_with_field_keeps_null_value() -> None:
    schema = struct_schema(("ts", logical.TIMESTAMP_SCHEMA), optional=True)
    out = configured(TimestampConverterValue, {"target.type": "unix", "field": "ts"}).apply(sink(None, schema))
    assert (out.value, out.value_schema.optional) == (None, True)


@pytest.mark.parametrize(("replace_null", "expected"), [(True, MILLIS), (False, None)])
def test_replace_null_with_default(replace_null: bool, expected: Any) -> None:
    default_ts = SchemaBuilder.int64().optional().default_value(MILLIS).build()
    schema = struct_schema(("other", default_ts), ("ts", logical.TIMESTAMP_SCHEMA))
    smt = configured(
        TimestampConverterValue, {"target.type": "unix", "field": "ts", "replace.null.with.default": replace_null}
    )
    out = smt.apply(sink(struct(schema, ts=DATE_TIME), schema))
    assert out.value.get_without_default("other") == expected


def test_key_variant() -> None:
    out = configured(TimestampConverterKey, {"target.type": "unix"}).apply(sink("v", key=DATE_TIME))
    assert (out.key, out.value) == (MILLIS, "v")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "TimestampConverter does not support float objects as timestamps"),
        ("2017-02-19", r"Could not parse timestamp: value \(2017-02-19\) does not match pattern"),
    ],
)
def test_bad_values(value: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        convert(value, "unix")


def test_unsupported_schema() -> None:
    with pytest.raises(
        ConnectError, match=r"Schema Schema\{FLOAT64\} does not correspond to a known timestamp type format"
    ):
        convert(1.5, "unix", SchemaBuilder.float64().build())


@pytest.mark.parametrize(
    ("props", "key", "message"),
    [
        ({"target.type": "string"}, "format", "requires format option"),
        ({"target.type": "string", "format": "yyyy-qq"}, "format", "SimpleDateFormat-compatible pattern"),
        ({"target.type": "epoch"}, "target.type", "String must be one of"),
        ({"target.type": "unix", "unix.precision": "hours"}, "unix.precision", "String must be one of"),
        ({}, "target.type", "Missing required configuration"),
    ],
)
def test_config_errors(props: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        configured(TimestampConverterValue, props)
    assert caught.value.name == key


@pytest.mark.parametrize(
    ("field_value", "precision", "target", "expected"),
    [
        (MILLIS, "milliseconds", "string", STRING),
        (MILLIS // 1000, "seconds", "string", "2017 02 19 10 26 29 000 UTC"),
        (MILLIS * 1000, "microseconds", "string", STRING),
        (MILLIS, "milliseconds", "Timestamp", DATE_TIME),
        (STRING, "milliseconds", "unix", MILLIS),
        (None, "milliseconds", "string", None),
    ],
)
def test_a_schemaless_field_converts_whatever_its_precision(
    field_value: Any, precision: str, target: str, expected: Any
) -> None:
    smt = configured(
        TimestampConverterValue,
        {"target.type": target, "format": FORMAT, "field": "ts", "unix.precision": precision},
    )
    assert smt.apply(sink({"ts": field_value, "other": 1})).value == {"ts": expected, "other": 1}


def test_a_schemaless_boolean_field_is_not_taken_for_millis() -> None:
    smt = configured(TimestampConverterValue, {"target.type": "string", "format": FORMAT, "field": "ts"})
    with pytest.raises(DataError):
        smt.apply(sink({"ts": True}))

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from smt_helpers import as_dict, configured, sink, struct, struct_schema

from connectless.config import ConfigError
from connectless.data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    DataError,
    SchemaBuilder,
    logical,
)
from connectless.transforms import MaskFieldKey, MaskFieldValue

SCHEMA = struct_schema(
    ("magic", INT32_SCHEMA),
    ("bool", BOOLEAN_SCHEMA),
    ("byte", INT8_SCHEMA),
    ("short", INT16_SCHEMA),
    ("int", INT32_SCHEMA),
    ("long", INT64_SCHEMA),
    ("float", FLOAT32_SCHEMA),
    ("double", FLOAT64_SCHEMA),
    ("string", STRING_SCHEMA),
    ("date", logical.DATE_SCHEMA),
    ("time", logical.TIME_SCHEMA),
    ("timestamp", logical.TIMESTAMP_SCHEMA),
    ("decimal", logical.decimal_schema(0)),
    ("array", SchemaBuilder.array(INT32_SCHEMA).build()),
    ("map", SchemaBuilder.map(STRING_SCHEMA, STRING_SCHEMA).build()),
    ("withDefault", SchemaBuilder.string().optional().default_value("default").build()),
)
VALUES = {
    "magic": 42,
    "bool": True,
    "byte": 42,
    "short": 42,
    "int": 42,
    "long": 42,
    "float": 42.0,
    "double": 42.0,
    "string": "55.121.20.20",
    "date": dt.date(2020, 1, 1),
    "time": dt.time(1, 2, 3),
    "timestamp": dt.datetime(2020, 1, 1, 1, 2, 3, tzinfo=dt.UTC),
    "decimal": decimal.Decimal(42),
    "array": [1, 2, 3],
    "map": {"what": "what"},
}
MASKED = {
    "magic": 42,
    "bool": False,
    "byte": 0,
    "short": 0,
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "string": "",
    "date": dt.date(1970, 1, 1),
    "time": dt.time(0),
    "timestamp": dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    "decimal": decimal.Decimal(0),
    "array": [],
    "map": {},
    "withDefault": "",
}
FIELDS = ",".join(n for n in MASKED if n != "magic")


def test_schemaless_masks_with_null_values() -> None:
    out = configured(MaskFieldValue, {"fields": FIELDS}).apply(sink(dict(VALUES, withDefault="x")))
    assert out.value == MASKED


def test_with_schema_masks_with_null_values() -> None:
    out = configured(MaskFieldValue, {"fields": FIELDS}).apply(sink(struct(SCHEMA, **VALUES), SCHEMA))
    assert (as_dict(out.value), out.value_schema) == (MASKED, SCHEMA)
    out.value.validate()


@pytest.mark.parametrize(
    ("field", "replacement", "expected"),
    [
        ("byte", "123", 123),
        ("short", "12345", 12345),
        ("int", "123456", 123456),
        ("long", "123456789", 123456789),
        ("float", "1.5", 1.5),
        ("double", "1.25", 1.25),
        ("string", "***", "***"),
        ("decimal", "12.5", decimal.Decimal("12.5")),
        ("byte", "300", 44),
    ],
)
def test_with_schema_custom_replacement(field: str, replacement: str, expected: Any) -> None:
    smt = configured(MaskFieldValue, {"fields": field, "replacement": replacement})
    assert smt.apply(sink(struct(SCHEMA, **VALUES), SCHEMA)).value.get(field) == expected


@pytest.mark.parametrize(
    ("value", "replacement", "expected"),
    [(42, "7", 7), (42.5, "7", 7.0), ("secret", "****", "****"), (decimal.Decimal(1), "2.5", decimal.Decimal("2.5"))],
)
def test_schemaless_custom_replacement(value: Any, replacement: str, expected: Any) -> None:
    out = configured(MaskFieldValue, {"fields": "f", "replacement": replacement}).apply(sink({"f": value}))
    assert out.value == {"f": expected}


@pytest.mark.parametrize(
    ("value", "replacement", "message"),
    [
        (42, "not-a-number", r"Unable to convert not-a-number \(class java.lang.String\) to a number"),
        (True, "1", "Cannot mask value of type bool with custom replacement."),
        ([1], "1", "Cannot mask value of type list with custom replacement."),
    ],
)
def test_bad_replacements(value: Any, replacement: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        configured(MaskFieldValue, {"fields": "f", "replacement": replacement}).apply(sink({"f": value}))


def test_unmaskable_type() -> None:
    with pytest.raises(DataError, match="Cannot mask value of type: bytes"):
        configured(MaskFieldValue, {"fields": "f"}).apply(sink({"f": b"x"}))


def test_bytes_with_schema_unmaskable() -> None:
    schema = struct_schema(("f", BYTES_SCHEMA))
    with pytest.raises(DataError, match="Cannot mask value of type: bytes"):
        configured(MaskFieldValue, {"fields": "f"}).apply(sink(struct(schema, f=b"x"), schema))


def test_null_field_stays_null_and_missing_field_becomes_null() -> None:
    out = configured(MaskFieldValue, {"fields": "a,b"}).apply(sink({"a": None}))
    assert out.value == {"a": None, "b": None}


def test_key_variant() -> None:
    out = configured(MaskFieldKey, {"fields": "id"}).apply(sink("v", key={"id": 5}))
    assert (out.key, out.value) == ({"id": 0}, "v")


@pytest.mark.parametrize(
    ("props", "key", "message"),
    [
        ({}, "fields", "Missing required configuration"),
        ({"fields": ""}, "fields", "Empty list"),
        ({"fields": "a", "replacement": " "}, "replacement", "String must be non-empty"),
    ],
)
def test_config_errors(props: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        configured(MaskFieldValue, props)
    assert caught.value.name == key

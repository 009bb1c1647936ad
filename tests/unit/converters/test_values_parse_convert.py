"""Values.parseString / convertToString / convertToX, as Kafka Connect 4.x reads and renders header text."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectless.data import (
    BOOLEAN_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT8_SCHEMA,
    STRING_SCHEMA,
    DataError,
    Schema,
    SchemaBuilder,
    Struct,
    Type,
    logical,
)
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue
from connectless.data.values_convert import (
    convert_to,
    convert_to_boolean,
    convert_to_byte,
    convert_to_date,
    convert_to_decimal,
    convert_to_double,
    convert_to_float,
    convert_to_integer,
    convert_to_list,
    convert_to_long,
    convert_to_map,
    convert_to_short,
    convert_to_string,
    convert_to_struct,
    convert_to_time,
    convert_to_timestamp,
    java_double_str,
    java_float_str,
    to_float32,
)
from connectless.data.values_parse import parse_string

UTC = dt.UTC
ARRAY_OF_NULL = Schema(type=Type.ARRAY)

PARSE_CASES: list[tuple[str, Schema | None, Any]] = [
    ("true", BOOLEAN_SCHEMA, True),
    ("false", BOOLEAN_SCHEMA, False),
    ("  true ", BOOLEAN_SCHEMA, True),
    ("true}", STRING_SCHEMA, "true}"),  # a literal must be the whole text
    ("", STRING_SCHEMA, ""),
    ("   ", STRING_SCHEMA, "   "),
    ("1", INT8_SCHEMA, 1),
    ("-128", INT8_SCHEMA, -128),
    ("300", INT16_SCHEMA, 300),
    ("66000", INT32_SCHEMA, 66000),
    ("2147483648", INT64_SCHEMA, 2147483648),
    ("+5", INT8_SCHEMA, 5),
    ("1.0", INT8_SCHEMA, 1),  # whole numbers are integers
    ("1e3", INT16_SCHEMA, 1000),
    ("0.5", FLOAT32_SCHEMA, 0.5),
    ("3.14", FLOAT32_SCHEMA, to_float32(3.14)),
    ("1.7976931348623157E308", FLOAT64_SCHEMA, 1.7976931348623157e308),
    ("12345678901234567890", logical.decimal_schema(0), decimal.Decimal("12345678901234567890")),
    ("1e400", logical.decimal_schema(-400), decimal.Decimal("1e400")),
    (".5", STRING_SCHEMA, ".5"),
    ("12 apples", STRING_SCHEMA, "12 apples"),
    ("hello, world", STRING_SCHEMA, "hello, world"),
    ("a:b", STRING_SCHEMA, "a:b"),
    ('"quoted"', STRING_SCHEMA, '"quoted"'),  # quotes only delimit inside arrays and maps
    ("2019-08-23", logical.DATE_SCHEMA, dt.date(2019, 8, 23)),
    ("14:34:54.346Z", logical.TIME_SCHEMA, dt.time(14, 34, 54, 346000)),
    ("2019-08-23T14:34:54.346Z", logical.TIMESTAMP_SCHEMA, dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC)),
    ("2019-13-32", logical.DATE_SCHEMA, dt.date(2020, 2, 1)),  # SimpleDateFormat is lenient
    ("[1,2,3]", SchemaBuilder.array(INT8_SCHEMA).build(), [1, 2, 3]),
    ("[ 1 , 2 ]", SchemaBuilder.array(INT8_SCHEMA).build(), [1, 2]),
    ("[1, 300]", SchemaBuilder.array(INT16_SCHEMA).build(), [1, 300]),
    ("[1, 2.5]", SchemaBuilder.array(FLOAT32_SCHEMA).build(), [1.0, 2.5]),
    ('["a, b", "c"]', SchemaBuilder.array(STRING_SCHEMA).build(), ["a, b", "c"]),
    ("[true, false]", SchemaBuilder.array(BOOLEAN_SCHEMA).build(), [True, False]),
    ('[" a", " "]', SchemaBuilder.array(STRING_SCHEMA).build(), [" a", ""]),  # Kafka drops blank tokens
    ("[]", ARRAY_OF_NULL, []),
    ("[null, null]", ARRAY_OF_NULL, [None, None]),
    ('[1, "two"]', ARRAY_OF_NULL, [1, "two"]),  # no common schema
    ("[1, null]", STRING_SCHEMA, "[1, null]"),  # null cannot be aligned to a required int8
    ("[1, 2", STRING_SCHEMA, "[1, 2"),
    ("[1,,2]", STRING_SCHEMA, "[1,,2]"),
    ("[1, 2,]", SchemaBuilder.array(INT8_SCHEMA).build(), [1, 2]),  # one trailing comma is tolerated
    ("[1, 2,,]", STRING_SCHEMA, "[1, 2,,]"),
    ("[1 2]", STRING_SCHEMA, "[1 2]"),
    ("[abc]", STRING_SCHEMA, "[abc]"),
    (
        "[2019-08-23T14:34:54.346Z, 2019-08-24T14:34:54.346Z]",
        SchemaBuilder.array(logical.TIMESTAMP_SCHEMA).build(),
        [
            dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC),
            dt.datetime(2019, 8, 24, 14, 34, 54, 346000, tzinfo=UTC),
        ],
    ),
    ('{"a":1,"b":2}', SchemaBuilder.map(STRING_SCHEMA, INT8_SCHEMA).build(), {"a": 1, "b": 2}),
    ('{"a":1 "b":2}', SchemaBuilder.map(STRING_SCHEMA, INT8_SCHEMA).build(), {"a": 1, "b": 2}),
    ("{1:2, 3:400}", SchemaBuilder.map(INT8_SCHEMA, INT16_SCHEMA).build(), {1: 2, 3: 400}),
    ('{"a":null}', Schema(type=Type.MAP, key_schema=STRING_SCHEMA), {"a": None}),
    ("{}", Schema(type=Type.MAP), {}),
    ('{"a":[1,2]}', SchemaBuilder.map(STRING_SCHEMA, SchemaBuilder.array(INT8_SCHEMA).build()).build(), {"a": [1, 2]}),
    ('{"a":1', STRING_SCHEMA, '{"a":1'),
    ('{"a":}', STRING_SCHEMA, '{"a":}'),
    ("{null:1}", STRING_SCHEMA, "{null:1}"),
    ("{,}", STRING_SCHEMA, "{,}"),
]


@pytest.mark.parametrize(("text", "schema", "value"), PARSE_CASES, ids=[repr(c[0]) for c in PARSE_CASES])
def test_parse_string(text: str, schema: Schema | None, value: Any) -> None:
    parsed = parse_string(text)
    assert parsed == SchemaAndValue(schema, value)
    assert repr(parsed.value) == repr(value)  # same Python types (1 vs 1.0), not merely equal


@pytest.mark.parametrize("text", [None, "null", " null "])
def test_parse_null(text: str | None) -> None:
    assert parse_string(text) is NULL_SCHEMA_AND_VALUE


def test_top_level_parse_reads_only_the_first_token() -> None:
    # Kafka's parser stops after one top-level value: "42,43" is the int8 42.
    assert parse_string("42,43") == SchemaAndValue(INT8_SCHEMA, 42)


# -- rendering -------------------------------------------------------------------------------------
STRUCT = (
    SchemaBuilder.struct().field("id", INT32_SCHEMA).field("name", SchemaBuilder.string().optional().build()).build()
)

RENDER_CASES: list[tuple[Schema | None, Any, str]] = [
    (None, True, "true"),
    (None, 42, "42"),
    (None, 1e10, "1.0E10"),
    (None, 0.001, "0.001"),
    (None, 1e-4, "1.0E-4"),
    (None, 1.0, "1.0"),
    (None, -0.0, "-0.0"),
    (None, float("nan"), "NaN"),
    (None, float("-inf"), "-Infinity"),
    (None, 5e-324, "4.9E-324"),
    (None, 123456789.0, "1.23456789E8"),
    (FLOAT32_SCHEMA, 0.1, "0.1"),
    (None, to_float32(0.1), "0.10000000149011612"),
    (None, decimal.Decimal("1.50"), "1.50"),
    (None, decimal.Decimal("1.2E-9"), "1.2E-9"),
    (None, "plain text", "plain text"),
    (None, b"\x00\x01", "AAE="),
    (None, [1, 'a"b\\c', None, b"xy"], '[1,"a\\"b\\\\c",null,"eHk="]'),
    (None, {"k": [1, 2.5]}, '{"k":[1,2.5]}'),
    (SchemaBuilder.map(STRING_SCHEMA, FLOAT32_SCHEMA).build(), {"k": to_float32(0.1)}, '{"k":0.1}'),
    (STRUCT, Struct(STRUCT).put("id", 1), '{"id":1,"name":null}'),
    (None, dt.date(2019, 8, 23), "2019-08-23"),
    (None, dt.time(14, 34, 54, 346000), "14:34:54.346Z"),
    (None, dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=UTC), "2019-08-23T14:34:54.346Z"),
    # Kafka picks the format from the epoch millis, not the type:
    (None, dt.datetime(2019, 8, 23, tzinfo=UTC), "2019-08-23"),
    (None, dt.date(1970, 1, 1), "00:00:00.000Z"),
    (None, [dt.date(2019, 8, 23)], "[2019-08-23]"),  # never quoted
]


@pytest.mark.parametrize(("schema", "value", "text"), RENDER_CASES, ids=[c[2] for c in RENDER_CASES])
def test_convert_to_string(schema: Schema | None, value: Any, text: str) -> None:
    assert convert_to_string(schema, value) == text


def test_convert_to_string_of_none_is_none() -> None:
    assert convert_to_string(None, None) is None


def test_convert_to_string_rejects_unknown_types() -> None:
    with pytest.raises(DataError, match="Failed to serialize unexpected value type object"):
        convert_to_string(None, object())


JAVA_FLOATS = [
    (1.4e-45, "1.4E-45"),
    (3.4028234663852886e38, "3.4028235E38"),
    (16777216.0, "1.6777216E7"),
    (100.0, "100.0"),
]


@pytest.mark.parametrize(("value", "text"), JAVA_FLOATS)
def test_java_float_str(value: float, text: str) -> None:
    assert java_float_str(value) == text


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False))
def test_java_double_str_reads_back_exactly(value: float) -> None:
    text = java_double_str(value)
    assert float(text.replace("Infinity", "inf")) == value
    assert "E" in text or text in ("Infinity", "-Infinity") or 1e-3 <= abs(value) < 1e7 or value == 0


@settings(max_examples=300, deadline=None)
@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_java_float_str_names_the_same_float(value: float) -> None:
    assert to_float32(float(java_float_str(value))) == value


# -- render then parse: what SimpleHeaderConverter relies on ------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.integers(-(2**63), 2**63 - 1),
        st.booleans(),
        st.floats(width=32, min_value=-1e6, max_value=1e6),  # whole floats beyond 2**24 come back as ints
        st.dates(min_value=dt.date(1970, 1, 2)),
        st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000)),
        st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=5),
        st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.booleans(), min_size=1, max_size=3),
    )
)
def test_render_then_parse_round_trip(value: Any) -> None:
    assert parse_string(convert_to_string(None, value)).value == value


# -- conversions (Cast-style) ------------------------------------------------------------------
CONVERSIONS: list[tuple[Any, Schema | None, Any, Any]] = [
    (convert_to_boolean, None, "true", True),
    (convert_to_boolean, None, "1", True),
    (convert_to_boolean, None, "0", False),
    (convert_to_boolean, None, 0.5, False),  # (long) 0.5 == 0
    (convert_to_boolean, None, None, None),
    (convert_to_byte, None, 300, 44),
    (convert_to_byte, None, "12.7", 12),
    (convert_to_short, None, 70000, 4464),
    (convert_to_integer, None, 3.9e9, -394967296),
    (convert_to_integer, None, decimal.Decimal("-7.9"), -7),
    (convert_to_long, None, 1e30, 2**63 - 1),
    (convert_to_long, None, float("nan"), 0),
    (convert_to_long, None, "9223372036854775808", -(2**63)),
    (convert_to_float, None, "1.1", to_float32(1.1)),
    (convert_to_float, None, 1e39, float("inf")),
    (convert_to_double, None, decimal.Decimal("1.5"), 1.5),
    (convert_to_double, None, 2, 2.0),
    (convert_to_long, logical.TIMESTAMP_SCHEMA, dt.datetime(2020, 1, 1, tzinfo=UTC), 1577836800000),
    (convert_to_integer, logical.DATE_SCHEMA, dt.date(2020, 1, 1), 18262),
    (convert_to_integer, logical.TIME_SCHEMA, dt.time(0, 0, 1), 1000),
    (convert_to_date, logical.TIMESTAMP_SCHEMA, dt.datetime(2020, 1, 1, 12, tzinfo=UTC), dt.date(2020, 1, 1)),
    (convert_to_date, None, "2020-01-01", dt.date(2020, 1, 1)),
    (convert_to_date, None, 18262, dt.date(2020, 1, 1)),
    (convert_to_time, logical.TIMESTAMP_SCHEMA, dt.datetime(2020, 1, 1, 12, tzinfo=UTC), dt.time(12)),
    (convert_to_time, None, 1000, dt.time(0, 0, 1)),
    (convert_to_timestamp, logical.DATE_SCHEMA, dt.date(2020, 1, 1), dt.datetime(2020, 1, 1, tzinfo=UTC)),
    (convert_to_timestamp, None, "2020-01-01T10:15:30.123Z", dt.datetime(2020, 1, 1, 10, 15, 30, 123000, tzinfo=UTC)),
    (convert_to_timestamp, None, 0, dt.datetime(1970, 1, 1, tzinfo=UTC)),
    (convert_to_list, None, "[1,2]", [1, 2]),
    (convert_to_map, None, '{"a":1}', {"a": 1}),
]


@pytest.mark.parametrize(("convert", "schema", "value", "expected"), CONVERSIONS)
def test_conversions(convert: Any, schema: Schema | None, value: Any, expected: Any) -> None:
    converted = convert(schema, value)
    assert converted == expected
    assert type(converted) is type(expected)


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [(5, 1, "5.0"), ("1.25", 2, "1.25"), (b"\x00\x9c", 2, "1.56"), (decimal.Decimal("3.141"), 3, "3.141")],
)
def test_convert_to_decimal(value: Any, scale: int, expected: str) -> None:
    # BigDecimal.valueOf(double) goes through Double.toString: 5 becomes 5.0
    assert str(convert_to_decimal(None, value, scale)) == expected


@pytest.mark.parametrize(
    ("convert", "value", "message"),
    [
        (convert_to_boolean, "yes", "Unable to convert yes \\(str\\) to a number"),
        (convert_to_byte, True, "Unable to convert True"),
        (convert_to_long, " 1", "Unable to convert"),
        (convert_to_list, "x", "Unable to convert x \\(str\\) to array"),
        (convert_to_map, 5, "to map"),
        (convert_to_struct, "x", "to struct"),
        (convert_to_date, None, "null value"),
        (convert_to_time, 86400001, "Time values must use number of milliseconds"),
    ],
)
def test_conversion_errors(convert: Any, value: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        convert(None, value)


def test_convert_to_respects_optional_target() -> None:
    assert convert_to(OPTIONAL_INT8_SCHEMA, None, None) is None
    with pytest.raises(DataError, match="Unable to convert a null value to a schema that requires a value"):
        convert_to(INT8_SCHEMA, None, None)


def test_convert_to_dispatches_logical_targets() -> None:
    assert convert_to(logical.DATE_SCHEMA, None, "2020-01-01") == dt.date(2020, 1, 1)
    assert convert_to(logical.decimal_schema(2), None, "1.25") == decimal.Decimal("1.25")
    assert convert_to(INT64_SCHEMA, INT16_SCHEMA, 7) == 7
    assert convert_to(STRING_SCHEMA, None, [1]) == "[1]"

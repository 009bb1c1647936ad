"""StringConverter, ByteArrayConverter, the number/boolean converters and SimpleHeaderConverter."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from connectless.config import ConfigError
from connectless.converters import (
    BooleanConverter,
    ByteArrayConverter,
    DoubleConverter,
    FloatConverter,
    IntegerConverter,
    LongConverter,
    ShortConverter,
    SimpleHeaderConverter,
    StringConverter,
)
from connectless.converters.number_converters import NumberConverter
from connectless.data import (
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    INT8_SCHEMA,
    INT32_SCHEMA,
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_BYTES_SCHEMA,
    OPTIONAL_FLOAT32_SCHEMA,
    OPTIONAL_FLOAT64_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    DataError,
    Schema,
    SchemaBuilder,
    Struct,
    logical,
)
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue
from connectless.data.values_convert import Float32

TOPIC = "topic"


def string_converter(is_key: bool = False, **props: str) -> StringConverter:
    conv = StringConverter()
    conv.configure(props, is_key)
    return conv


# -- StringConverter ---------------------------------------------------------------------------
STRUCT = (
    SchemaBuilder.struct().field("id", INT32_SCHEMA).field("name", SchemaBuilder.string().optional().build()).build()
)

STRING_WRITES: list[tuple[Schema | None, Any, bytes]] = [
    (STRING_SCHEMA, "foo-bar", b"foo-bar"),
    (None, "é", "é".encode()),
    (INT32_SCHEMA, 12, b"12"),
    (None, 1e10, b"1.0E10"),
    (FLOAT32_SCHEMA, 0.1, b"0.1"),
    (None, True, b"true"),
    (None, decimal.Decimal("1.50"), b"1.50"),
    (None, [1, "a", None], b"[1, a, null]"),
    (None, {"k": 1, "j": [2]}, b"{k=1, j=[2]}"),
    (STRUCT, Struct(STRUCT).put("id", 1), b"Struct{id=1}"),
    (None, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), b"Wed Jan 01 00:00:00 UTC 2020"),
    (None, b"\x00\x01", b"AAE="),
]


@pytest.mark.parametrize(("schema", "value", "data"), STRING_WRITES)
def test_string_converter_writes_to_string(schema: Schema | None, value: Any, data: bytes) -> None:
    assert string_converter().from_connect_data(TOPIC, schema, value) == data


def test_string_converter_null_both_ways() -> None:
    conv = string_converter()
    assert conv.from_connect_data(TOPIC, None, None) is None
    assert conv.to_connect_data(TOPIC, None) == SchemaAndValue(OPTIONAL_STRING_SCHEMA, None)


def test_string_converter_reads_optional_string() -> None:
    assert string_converter().to_connect_data(TOPIC, b"foo") == SchemaAndValue(OPTIONAL_STRING_SCHEMA, "foo")


def test_string_converter_replaces_malformed_input() -> None:
    assert string_converter().to_connect_data(TOPIC, b"a\xffb").value == "a\ufffdb"


def test_string_converter_utf16_as_java() -> None:
    conv = string_converter(**{"converter.encoding": "UTF-16"})
    assert conv.from_connect_data(TOPIC, None, "hi") == b"\xfe\xff\x00h\x00i"  # BOM, big-endian
    assert conv.to_connect_data(TOPIC, b"\xfe\xff\x00h\x00i").value == "hi"
    assert conv.to_connect_data(TOPIC, b"\xff\xfeh\x00i\x00").value == "hi"
    assert conv.to_connect_data(TOPIC, b"\x00h\x00i").value == "hi"


def test_string_converter_latin1_replaces_unmappable() -> None:
    conv = string_converter(**{"converter.encoding": "ISO-8859-1"})
    assert conv.from_connect_data(TOPIC, None, "é€") == b"\xe9?"


def test_string_converter_role_specific_encoding_wins() -> None:
    props = {"converter.encoding": "UTF-8", "key.serializer.encoding": "UTF-16BE"}
    assert string_converter(True, **props).from_connect_data(TOPIC, None, "a") == b"\x00a"
    assert string_converter(False, **props).from_connect_data(TOPIC, None, "a") == b"a"


def test_string_converter_unknown_encoding() -> None:
    with pytest.raises(ConfigError, match="Unsupported encoding nope"):
        string_converter(**{"converter.encoding": "nope"})


def test_string_converter_as_header_converter() -> None:
    conv = StringConverter()
    conv.configure({})
    assert conv.from_connect_header(TOPIC, "h", None, 5) == b"5"
    assert conv.to_connect_header(TOPIC, "h", b"5") == SchemaAndValue(OPTIONAL_STRING_SCHEMA, "5")


# -- ByteArrayConverter ------------------------------------------------------------------------
def test_byte_array_passes_bytes_through() -> None:
    conv = ByteArrayConverter()
    conv.configure({}, False)
    assert conv.from_connect_data(TOPIC, BYTES_SCHEMA, b"\x00\x01") == b"\x00\x01"
    assert conv.from_connect_data(TOPIC, None, bytearray(b"ab")) == b"ab"
    assert conv.from_connect_data(TOPIC, None, None) is None
    assert conv.to_connect_data(TOPIC, b"\x02") == SchemaAndValue(OPTIONAL_BYTES_SCHEMA, b"\x02")
    assert conv.to_connect_data(TOPIC, None) == SchemaAndValue(OPTIONAL_BYTES_SCHEMA, None)


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        (INT32_SCHEMA, b"x", "Invalid schema type for ByteArrayConverter: INT32"),
        (None, "text", "ByteArrayConverter is not compatible with objects of type str"),
    ],
)
def test_byte_array_errors(schema: Schema | None, value: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        ByteArrayConverter().from_connect_data(TOPIC, schema, value)


# -- number and boolean converters -----------------------------------------------------------
NUMBERS: list[tuple[type[NumberConverter], Any, bytes, Schema]] = [
    (ShortConverter, 12, b"\x00\x0c", OPTIONAL_INT16_SCHEMA),
    (ShortConverter, -1, b"\xff\xff", OPTIONAL_INT16_SCHEMA),
    (IntegerConverter, 66000, b"\x00\x01\x01\xd0", OPTIONAL_INT32_SCHEMA),
    (LongConverter, -(2**63), b"\x80" + b"\x00" * 7, OPTIONAL_INT64_SCHEMA),
    (FloatConverter, 1.5, b"\x3f\xc0\x00\x00", OPTIONAL_FLOAT32_SCHEMA),
    (DoubleConverter, 1.5, b"\x3f\xf8" + b"\x00" * 6, OPTIONAL_FLOAT64_SCHEMA),
]


@pytest.mark.parametrize(("cls", "value", "data", "schema"), NUMBERS)
def test_number_converters_big_endian(cls: type[NumberConverter], value: Any, data: bytes, schema: Schema) -> None:
    conv = cls()
    conv.configure({}, False)
    assert conv.from_connect_data(TOPIC, schema, value) == data
    assert conv.to_connect_data(TOPIC, data) == SchemaAndValue(schema, value)
    assert conv.to_connect_header(TOPIC, "h", data) == SchemaAndValue(schema, value)
    assert conv.from_connect_data(TOPIC, schema, None) is None
    assert conv.to_connect_data(TOPIC, None) == SchemaAndValue(schema, None)


@pytest.mark.parametrize(
    ("cls", "data", "message"),
    [
        (ShortConverter, b"\x00", "Failed to deserialize short: Size of data received by ShortDeserializer is not 2"),
        (IntegerConverter, b"\x00\x00", "Size of data received by IntegerDeserializer is not 4"),
        (LongConverter, b"", "Size of data received by LongDeserializer is not 8"),
        (DoubleConverter, b"\x00" * 4, "Size of data received by DoubleDeserializer is not 8"),
    ],
)
def test_number_converters_reject_wrong_size(cls: type[NumberConverter], data: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        cls().to_connect_data(TOPIC, data)


@pytest.mark.parametrize(
    ("cls", "value", "message"),
    [
        (ShortConverter, 40000, "Failed to serialize to short"),
        (IntegerConverter, "1", "Failed to serialize to integer \\(was str\\)"),
        (LongConverter, True, "Failed to serialize to long \\(was bool\\)"),
        (FloatConverter, "1.5", "Failed to serialize to float"),
    ],
)
def test_number_converters_reject_bad_values(cls: type[NumberConverter], value: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        cls().from_connect_data(TOPIC, None, value)


@pytest.mark.parametrize(
    ("cls", "schema", "value", "java_class"),
    [
        (LongConverter, INT8_SCHEMA, 0, "Byte"),
        (IntegerConverter, OPTIONAL_INT64_SCHEMA, 1, "Long"),
        (DoubleConverter, FLOAT32_SCHEMA, 1.5, "Float"),
        (DoubleConverter, None, Float32(1.5), "Float"),
        (FloatConverter, OPTIONAL_FLOAT64_SCHEMA, 1.5, "Double"),
    ],
)
def test_number_converters_reject_another_number_type(
    cls: type[NumberConverter], schema: Schema | None, value: Any, java_class: str
) -> None:
    """Kafka's serializer casts the value to its own class: the Java value another number schema makes fails."""
    with pytest.raises(DataError, match=f"was class java.lang.{java_class}"):
        cls().from_connect_data(TOPIC, schema, value)
    assert cls().from_connect_data(TOPIC, cls.SCHEMA, 1) is not None  # its own number type is written


def test_float_converters_accept_int() -> None:
    assert DoubleConverter().from_connect_data(TOPIC, None, 2) == b"\x40" + b"\x00" * 7


def test_boolean_converter() -> None:
    conv = BooleanConverter()
    conv.configure({}, True)
    assert conv.from_connect_data(TOPIC, OPTIONAL_BOOLEAN_SCHEMA, True) == b"\x01"
    assert conv.from_connect_data(TOPIC, None, False) == b"\x00"
    assert conv.from_connect_data(TOPIC, None, None) is None
    assert conv.to_connect_data(TOPIC, b"\x01") == SchemaAndValue(OPTIONAL_BOOLEAN_SCHEMA, True)
    assert conv.to_connect_data(TOPIC, b"\x00") == SchemaAndValue(OPTIONAL_BOOLEAN_SCHEMA, False)
    assert conv.to_connect_data(TOPIC, None) == SchemaAndValue(OPTIONAL_BOOLEAN_SCHEMA, None)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.from_connect_data(TOPIC, INT8_SCHEMA, True), "Invalid schema type for BooleanConverter: INT8"),
        (lambda c: c.from_connect_data(TOPIC, None, 1), "BooleanConverter is not compatible with objects of type int"),
        (lambda c: c.to_connect_data(TOPIC, b"\x02"), "Unexpected byte received by BooleanDeserializer: 2"),
        (lambda c: c.to_connect_data(TOPIC, b"\x01\x00"), "Size of data received by BooleanDeserializer is not 1"),
    ],
)
def test_boolean_converter_errors(call: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        call(BooleanConverter())


# -- SimpleHeaderConverter -----------------------------------------------------------------------
HEADER_WRITES: list[tuple[Schema | None, Any, bytes | None]] = [
    (None, None, None),
    (INT8_SCHEMA, 42, b"42"),
    (None, "text", b"text"),
    (None, True, b"true"),
    (None, [1, 2], b"[1,2]"),
    (None, {"a": "b"}, b'{"a":"b"}'),
    (logical.DATE_SCHEMA, dt.date(2019, 8, 23), b"2019-08-23"),
    (FLOAT32_SCHEMA, 0.1, b"0.1"),
]


@pytest.mark.parametrize(("schema", "value", "data"), HEADER_WRITES)
def test_simple_header_converter_writes(schema: Schema | None, value: Any, data: bytes | None) -> None:
    assert SimpleHeaderConverter().from_connect_header(TOPIC, "h", schema, value) == data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, NULL_SCHEMA_AND_VALUE),
        (b"null", NULL_SCHEMA_AND_VALUE),
        (b"42", SchemaAndValue(INT8_SCHEMA, 42)),
        (b"text", SchemaAndValue(STRING_SCHEMA, "text")),
        (b"[1,2]", SchemaAndValue(SchemaBuilder.array(INT8_SCHEMA).build(), [1, 2])),
        (b"2019-08-23", SchemaAndValue(logical.DATE_SCHEMA, dt.date(2019, 8, 23))),
        (b"a\xff", SchemaAndValue(STRING_SCHEMA, "a\ufffd")),
    ],
)
def test_simple_header_converter_reads(data: bytes | None, expected: SchemaAndValue) -> None:
    assert SimpleHeaderConverter().to_connect_header(TOPIC, "h", data) == expected


def test_simple_header_converter_falls_back_to_bytes() -> None:
    nested = b"[" * 5000  # too deep to parse (Java overflows its stack too): kept as bytes
    assert SimpleHeaderConverter().to_connect_header(TOPIC, "h", nested) == SchemaAndValue(BYTES_SCHEMA, nested)


def test_simple_header_converter_round_trips_structured_values() -> None:
    conv = SimpleHeaderConverter()
    value = {"ids": [1, 2, 3], "when": dt.datetime(2019, 8, 23, 14, 34, 54, 346000, tzinfo=dt.UTC)}
    data = conv.from_connect_header(TOPIC, "h", None, value)
    assert data == b'{"ids":[1,2,3],"when":2019-08-23T14:34:54.346Z}'
    assert conv.to_connect_header(TOPIC, "h", data).value == {"ids": [1, 2, 3], "when": value["when"]}

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
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    DataError,
    SchemaBuilder,
    SchemaBuilderError,
    Type,
    logical,
)
from connectless.data.values_convert import Float32, java_double_str, java_float_str
from connectless.transforms import CastKey, CastValue


def cast_whole(value: Any, target: str, schema: Any = None) -> Any:
    return configured(CastValue, {"spec": target}).apply(sink(value, schema))


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (42, "int8", 42),
        (300, "int8", 44),  # Java narrowing wraps
        (-129, "int8", 127),
        (70000, "int16", 4464),
        (2**31, "int32", -(2**31)),
        (1.9, "int32", 1),
        (-1.9, "int64", -1),
        (1e20, "int32", 2**31 - 1),  # Java's (int) of a double saturates
        (True, "int16", 1),
        ("42", "int32", 42),
        ("-7", "int64", -7),
        (42, "float32", 42.0),
        (0.1, "float32", 0.10000000149011612),
        ("1.5", "float64", 1.5),
        (2, "boolean", True),
        (0, "boolean", False),
        ("TRUE", "boolean", True),
        ("yes", "boolean", False),
        (42, "string", "42"),
        (True, "string", "true"),
        (1.0, "string", "1.0"),
        (1e10, "string", "1.0E10"),
        (b"\x00\x01\x02", "string", "AAEC"),
    ],
)
def test_schemaless_whole_value(value: Any, target: str, expected: Any) -> None:
    assert cast_whole(value, target).value == expected


def test_float_saturation_narrowing() -> None:
    # (byte)(int)1e20 == (byte)Integer.MAX_VALUE == -1; (long)1e20 saturates to Long.MAX_VALUE
    assert (cast_whole(1e20, "int8").value, cast_whole(1e20, "int64").value) == (-1, 2**63 - 1)


TS = dt.datetime(2021, 5, 6, 7, 8, 9, 10000, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("schema", "value", "target", "expected_type", "expected"),
    [
        (INT32_SCHEMA, 42, "int8", Type.INT8, 42),
        (INT64_SCHEMA, 42, "int16", Type.INT16, 42),
        (FLOAT64_SCHEMA, 42.5, "int32", Type.INT32, 42),
        (STRING_SCHEMA, "42", "int64", Type.INT64, 42),
        (BOOLEAN_SCHEMA, True, "float32", Type.FLOAT32, 1.0),
        (FLOAT32_SCHEMA, 1.5, "string", Type.STRING, "1.5"),
        (BYTES_SCHEMA, b"hi", "string", Type.STRING, "aGk="),
        (logical.TIMESTAMP_SCHEMA, TS, "int64", Type.INT64, 1620284889010),
        (logical.DATE_SCHEMA, dt.date(1970, 1, 11), "int32", Type.INT32, 10),
        (logical.TIME_SCHEMA, dt.time(0, 0, 1), "int32", Type.INT32, 1000),
        (logical.TIMESTAMP_SCHEMA, TS, "string", Type.STRING, "2021-05-06T07:08:09.010Z"),
        (logical.TIMESTAMP_SCHEMA, dt.datetime(2021, 5, 6, tzinfo=dt.UTC), "string", Type.STRING, "2021-05-06"),
        (logical.DATE_SCHEMA, dt.date(2021, 5, 6), "string", Type.STRING, "2021-05-06"),
        (logical.TIME_SCHEMA, dt.time(7, 8, 9), "string", Type.STRING, "07:08:09.000Z"),
        (logical.decimal_schema(2), decimal.Decimal("12.34"), "int32", Type.INT32, 12),
        (logical.decimal_schema(2), decimal.Decimal("12.34"), "string", Type.STRING, "12.34"),
        (logical.decimal_schema(2), decimal.Decimal("12.34"), "float64", Type.FLOAT64, 12.34),
    ],
)
def test_schemaful_whole_value(schema: Any, value: Any, target: str, expected_type: Type, expected: Any) -> None:
    out = cast_whole(value, target, schema)
    assert (out.value_schema.type, out.value) == (expected_type, expected)


def test_whole_value_cast_keeps_schema_name_and_parameters_as_kafka_does() -> None:
    out = cast_whole(decimal.Decimal("1.50"), "string", logical.decimal_schema(2))
    assert (out.value_schema.name, out.value_schema.parameters) == (logical.DECIMAL_NAME, {"scale": "2"})


def test_optional_schema_stays_optional() -> None:
    out = cast_whole(5, "string", SchemaBuilder.int32().optional().build())
    assert out.value_schema == SchemaBuilder.string().optional().build()


def test_whole_value_default_is_cast() -> None:
    out = cast_whole(5, "string", SchemaBuilder.int32().default_value(7).build())
    assert out.value_schema.default == "7"


SCHEMA = struct_schema(
    ("int8", INT8_SCHEMA),
    ("int32", SchemaBuilder.int32().default_value(2).build()),
    ("bigint", INT64_SCHEMA),
    ("optional", SchemaBuilder.float32().optional().build()),
    ("string", STRING_SCHEMA),
    ("kept", STRING_SCHEMA),
)
SPEC = "int8:int16,int32:string,bigint:boolean,optional:int32,string:float64"


def test_fields_with_schema() -> None:
    value = struct(SCHEMA, int8=8, int32=32, bigint=0, optional=None, string="1.25", kept="k")
    out = configured(CastValue, {"spec": SPEC}).apply(sink(value, SCHEMA))
    assert as_dict(out.value) == {
        "int8": 8,
        "int32": "32",
        "bigint": False,
        "optional": None,
        "string": 1.25,
        "kept": "k",
    }
    out.value.validate()


def test_field_schemas_keep_optionality_and_cast_defaults() -> None:
    out = configured(CastValue, {"spec": SPEC}).apply(
        sink(struct(SCHEMA, int8=8, bigint=1, string="1", kept="k"), SCHEMA)
    )
    fields = {f.name: f.schema for f in out.value_schema.fields}
    assert (fields["int8"].type, fields["int32"].default, fields["optional"].optional) == (Type.INT16, "2", True)


def test_fields_schemaless_inserts_missing_fields_as_null() -> None:
    out = configured(CastValue, {"spec": "a:int8,b:string,missing:int32"}).apply(sink({"a": 300, "b": 1.5, "c": "x"}))
    assert out.value == {"a": 44, "b": "1.5", "c": "x", "missing": None}


@pytest.mark.parametrize(("replace_null", "expected"), [(True, "2"), (False, None)])
def test_replace_null_with_default(replace_null: bool, expected: Any) -> None:
    smt = configured(CastValue, {"spec": "int32:string", "replace.null.with.default": replace_null})
    out = smt.apply(sink(struct(SCHEMA, int8=8, bigint=1, string="1", kept="k"), SCHEMA))
    assert out.value.get_without_default("int32") == expected


def test_key_variant() -> None:
    out = configured(CastKey, {"spec": "int8"}).apply(sink("v", key=42, key_schema=INT32_SCHEMA))
    assert (out.key_schema, out.key, out.value) == (INT8_SCHEMA, 42, "v")


def test_null_value_passes_through() -> None:
    record = sink(None, INT32_SCHEMA)
    assert configured(CastValue, {"spec": "int8"}).apply(record) is record


@pytest.mark.parametrize(
    ("value", "target", "schema", "message"),
    [
        ("300", "int8", None, r"Value \(300\) was out of range for requested data type"),
        ("abc", "int32", None, r"Value \(abc\) was out of range"),
        ([1], "string", None, "Cast transformation does not support casting from ARRAY; supported types are"),
        (decimal.Decimal(1), "int8", None, "which is not supported by Connect's data API"),
        (b"x", "int8", None, "Unexpected type in Cast transformation: bytes"),
        ({"a": 1}, "int8", SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build(), "casting from MAP"),
    ],
)
def test_bad_values(value: Any, target: str, schema: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        cast_whole(value, target, schema)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "Must specify at least one field to cast."),
        ("a:uint8", "Invalid type found in casting spec: uint8"),
        ("a:bytes", "Cast transformation does not support casting to BYTES"),
        ("a:array", "does not support casting to ARRAY"),
        ("int8,a:int16", "may ony specify a single cast in their spec"),
        ("a:b:c", "Invalid rename mapping: a:b:c"),
    ],
)
def test_spec_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        configured(CastValue, {"spec": spec})
    assert caught.value.name == "spec"


@pytest.mark.parametrize(
    ("value", "single", "text"),
    [
        (1.0, False, "1.0"),
        (123456.789, False, "123456.789"),
        (1e7, False, "1.0E7"),
        (1.234e-5, False, "1.234E-5"),
        (0.001, False, "0.001"),
        (-2.5e-4, False, "-2.5E-4"),
        (float("nan"), False, "NaN"),
        (float("-inf"), False, "-Infinity"),
        (0.10000000149011612, True, "0.1"),
        (-0.0, False, "-0.0"),
        # JDK 19+: where one digit would do, the closest two-digit decimal naming the value
        (5e-324, False, "4.9E-324"),
        (1e-323, False, "9.9E-324"),
        (1e23, False, "1.0E23"),
        (1e-45, True, "1.4E-45"),
    ],
)
def test_java_double_to_string(value: float, single: bool, text: str) -> None:
    assert (java_float_str(value) if single else java_double_str(value)) == text


def test_schemaless_float32_keeps_its_width() -> None:
    """Kafka's Cast to float32 without a schema makes a Float: it prints (and casts on) as a Float, not a Double."""
    cast = cast_whole(536870912.0, "float32").value
    assert type(cast) is Float32 and cast == 536870912.0
    assert cast_whole(cast, "string").value == "5.368709E8"
    assert cast_whole(0.1, "float32").value == pytest.approx(0.1) and cast_whole(0.1, "float64").value == 0.1


def test_cast_default_must_fit_the_logical_name_cast_keeps() -> None:
    """Kafka's SchemaBuilder#defaultValue checks the cast default against the Date name Cast keeps: no Date, fails."""
    schema = logical.date_builder().default_value(dt.date(1970, 1, 1)).build()
    with pytest.raises(SchemaBuilderError, match="Invalid default value"):
        cast_whole(dt.date(1970, 1, 2), "int8", schema)


@pytest.mark.parametrize(
    ("text", "single"),
    [
        ("1.00000017881393432617187499", 1.0000001192092896),  # just under the midpoint of two floats
        ("1.00000017881393432617187501", 1.0000002384185791),
        ("3.4028235677973366e38", 3.4028234663852886e38),  # under MAX + half an ulp: MAX, not infinity
        ("-1.5", -1.5),
    ],
)
def test_string_cast_to_float32_rounds_once(text: str, single: float) -> None:
    """Float.valueOf rounds the decimal to a float directly; through a double first it can land on the other one."""
    assert cast_whole(text, "float32").value == single

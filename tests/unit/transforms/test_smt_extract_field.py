from __future__ import annotations

from typing import Any

import pytest
from smt_helpers import configured, sink, struct, struct_schema

from connectless.config import ConfigError
from connectless.data import INT32_SCHEMA, STRING_SCHEMA, DataError, SchemaBuilder
from connectless.transforms import ExtractFieldKey, ExtractFieldValue

INNER = struct_schema(("magic", INT32_SCHEMA), ("dotted.name", STRING_SCHEMA), optional=True)
OUTER = struct_schema(("magic", INT32_SCHEMA), ("inner", INNER), ("dotted.name", STRING_SCHEMA))
VALUE = struct(OUTER, magic=42, inner=struct(INNER, magic=7, **{"dotted.name": "in"}), **{"dotted.name": "out"})
MAP = {"magic": 42, "inner": {"magic": 7, "dotted.name": "in"}, "dotted.name": "out"}


@pytest.mark.parametrize(
    ("field", "version", "expected"),
    [
        ("magic", "V1", 42),
        ("dotted.name", "V1", "out"),
        ("inner.magic", "V1", None),
        ("inner.magic", "V2", 7),
        ("inner.`dotted.name`", "v2", "in"),
        ("`dotted.name`", "V2", "out"),
        ("inner.missing", "V2", None),
    ],
)
def test_schemaless(field: str, version: str, expected: Any) -> None:
    smt = configured(ExtractFieldValue, {"field": field, "field.syntax.version": version})
    assert smt.apply(sink(MAP)).value == expected


def test_schemaless_path_through_a_non_map_fails() -> None:
    smt = configured(ExtractFieldValue, {"field": "magic.deeper", "field.syntax.version": "V2"})
    with pytest.raises(DataError, match=r"Only Map objects supported .* \[nested field access\], found: int"):
        smt.apply(sink(MAP))


@pytest.mark.parametrize(
    ("field", "version", "schema", "expected"),
    [
        ("magic", "V1", INT32_SCHEMA, 42),
        ("inner", "V1", INNER, VALUE.get("inner")),
        ("inner.magic", "V2", INT32_SCHEMA, 7),
        ("inner.`dotted.name`", "V2", STRING_SCHEMA, "in"),
    ],
)
def test_with_schema(field: str, version: str, schema: Any, expected: Any) -> None:
    out = configured(ExtractFieldValue, {"field": field, "field.syntax.version": version}).apply(sink(VALUE, OUTER))
    assert (out.value_schema, out.value) == (schema, expected)


@pytest.mark.parametrize("field", ["missing", "inner.magic"])
def test_unknown_field_with_schema(field: str) -> None:
    # Kafka throws IllegalArgumentException here, Python's ValueError (not a DataException).
    with pytest.raises(ValueError, match=f"Unknown field: {field}") as caught:
        configured(ExtractFieldValue, {"field": field}).apply(sink(VALUE, OUTER))
    assert not isinstance(caught.value, DataError)


@pytest.mark.parametrize("record", [sink(None), sink(None, OUTER)], ids=["schemaless", "schemaful"])
def test_null_passes_as_null(record: Any) -> None:
    assert configured(ExtractFieldValue, {"field": "magic"}).apply(record).value is None


def test_null_with_schema_takes_field_schema() -> None:
    assert configured(ExtractFieldValue, {"field": "magic"}).apply(sink(None, OUTER)).value_schema == INT32_SCHEMA


@pytest.mark.parametrize(("replace_null", "expected"), [(True, 5), (False, None)])
def test_replace_null_with_default(replace_null: bool, expected: Any) -> None:
    schema = struct_schema(("a", SchemaBuilder.int32().optional().default_value(5).build()))
    smt = configured(ExtractFieldValue, {"field": "a", "replace.null.with.default": replace_null})
    assert smt.apply(sink(struct(schema), schema)).value == expected


def test_key_variant() -> None:
    out = configured(ExtractFieldKey, {"field": "id"}).apply(sink("v", key={"id": 9}))
    assert (out.key, out.value) == (9, "v")


def test_non_map_is_rejected() -> None:
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for \[field extraction\]"):
        configured(ExtractFieldValue, {"field": "a"}).apply(sink([1]))


@pytest.mark.parametrize(
    ("props", "key", "message"),
    [
        ({}, "field", "Missing required configuration"),
        ({"field": "a", "field.syntax.version": "V3"}, "field.syntax.version", "String must be one of"),
        ({"field": "`a.b", "field.syntax.version": "V2"}, "field", "Incomplete backtick pair in path"),
    ],
)
def test_config_errors(props: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        configured(ExtractFieldValue, props)
    assert caught.value.name == key

from __future__ import annotations

from typing import Any

import pytest
from smt_helpers import as_dict, configured, sink, struct, struct_schema

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
)
from connectless.transforms import FlattenKey, FlattenValue


def test_schemaless_nested_maps() -> None:
    value = {"A": {"B": {"int8": 8, "string": "s", "bytes": b"b"}, "list": [1, {"x": 1}], "none": None}, "top": 1.5}
    assert configured(FlattenValue).apply(sink(value)).value == {
        "A.B.int8": 8,
        "A.B.string": "s",
        "A.B.bytes": b"b",
        "A.list": [1, {"x": 1}],
        "A.none": None,
        "top": 1.5,
    }


def test_custom_delimiter() -> None:
    out = configured(FlattenKey, {"delimiter": "#"}).apply(sink("v", key={"a": {"b": 1}}))
    assert (out.key, out.value) == ({"a#b": 1}, "v")


def test_schemaless_unsupported_value() -> None:
    with pytest.raises(DataError, match="Flatten transformation was passed a value of type object"):
        configured(FlattenValue).apply(sink({"a": {"b": object()}}))


PRIMITIVES = struct_schema(
    ("int8", INT8_SCHEMA),
    ("int16", INT16_SCHEMA),
    ("int32", INT32_SCHEMA),
    ("int64", INT64_SCHEMA),
    ("float32", FLOAT32_SCHEMA),
    ("float64", FLOAT64_SCHEMA),
    ("boolean", BOOLEAN_SCHEMA),
    ("string", STRING_SCHEMA),
    ("bytes", BYTES_SCHEMA),
)
MIDDLE = struct_schema(("B", PRIMITIVES))
OUTER = struct_schema(("A", MIDDLE), ("arr", SchemaBuilder.array(INT32_SCHEMA).build()))
LEAVES = {
    "int8": 8,
    "int16": 16,
    "int32": 32,
    "int64": 64,
    "float32": 32.0,
    "float64": 64.0,
    "boolean": True,
    "string": "s",
    "bytes": b"b",
}


def test_with_schema_nested_structs() -> None:
    value = struct(OUTER, A=struct(MIDDLE, B=struct(PRIMITIVES, **LEAVES)), arr=[1, 2])
    out = configured(FlattenValue).apply(sink(value, OUTER))
    assert as_dict(out.value) == {**{f"A.B.{k}": v for k, v in LEAVES.items()}, "arr": [1, 2]}
    out.value.validate()


def test_with_schema_field_schemas() -> None:
    value = struct(OUTER, A=struct(MIDDLE, B=struct(PRIMITIVES, **LEAVES)), arr=[])
    schema = configured(FlattenValue).apply(sink(value, OUTER)).value_schema
    assert [(f.name, f.schema.type) for f in schema.fields][:2] == [
        ("A.B.int8", INT8_SCHEMA.type),
        ("A.B.int16", INT16_SCHEMA.type),
    ]


def test_optional_parent_makes_children_optional_and_null_parent_gives_nulls() -> None:
    inner = struct_schema(("x", INT32_SCHEMA), optional=True)
    schema = struct_schema(("inner", inner), ("y", INT32_SCHEMA))
    out = configured(FlattenValue).apply(sink(struct(schema, y=1), schema))
    assert (out.value_schema.field("inner.x").schema.optional, as_dict(out.value)) == (True, {"inner.x": None, "y": 1})


def test_parent_default_flows_to_children() -> None:
    inner = SchemaBuilder.struct().field("x", INT32_SCHEMA).optional()
    default = struct(inner.build(), x=5)
    inner_schema = inner.default_value(default).build()
    schema = struct_schema(("inner", inner_schema))
    out = configured(FlattenValue).apply(sink(struct(schema), schema))
    assert (out.value_schema.field("inner.x").schema.default, out.value.get("inner.x")) == (5, 5)


@pytest.mark.parametrize("record", [sink(None), sink(None, OUTER)], ids=["schemaless", "schemaful"])
def test_tombstone_passes_through(record: Any) -> None:
    assert configured(FlattenValue).apply(record) is record


def test_schema_metadata_kept_and_cached() -> None:
    inner = struct_schema(("b", INT32_SCHEMA))
    schema = SchemaBuilder.struct().name("n").version(2).field("a", inner).build()
    smt = configured(FlattenValue)
    first = smt.apply(sink(struct(schema, a=struct(inner, b=1)), schema))
    second = smt.apply(sink(struct(schema, a=struct(inner, b=2)), schema))
    assert (first.value_schema.name, first.value_schema.version, first.value_schema is second.value_schema) == (
        "n",
        2,
        True,
    )

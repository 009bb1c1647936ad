from __future__ import annotations

import pytest
from smt_helpers import as_dict, configured, sink, struct, struct_schema

from connectless.config import ConfigError
from connectless.data import INT32_SCHEMA, DataError, SchemaBuilder
from connectless.transforms import ValueToKey

SCHEMA = struct_schema(
    ("a", INT32_SCHEMA), ("b", INT32_SCHEMA), ("c", SchemaBuilder.int32().optional().default_value(9).build())
)


def test_schemaless() -> None:
    out = configured(ValueToKey, {"fields": "a,b"}).apply(sink({"a": 1, "b": 2, "c": 3}))
    assert (out.key, out.key_schema, out.value) == ({"a": 1, "b": 2}, None, {"a": 1, "b": 2, "c": 3})


def test_schemaless_missing_field_is_null() -> None:
    assert configured(ValueToKey, {"fields": "a,z"}).apply(sink({"a": 1})).key == {"a": 1, "z": None}


def test_schemaless_tombstone_fails_as_in_kafka() -> None:
    with pytest.raises(DataError, match="found: null"):
        configured(ValueToKey, {"fields": "a,b"}).apply(sink(None))


def test_with_schema() -> None:
    out = configured(ValueToKey, {"fields": "a,b"}).apply(sink(struct(SCHEMA, a=1, b=2), SCHEMA))
    assert ([(f.name, f.schema) for f in out.key_schema.fields], as_dict(out.key)) == (
        [("a", INT32_SCHEMA), ("b", INT32_SCHEMA)],
        {"a": 1, "b": 2},
    )


@pytest.mark.parametrize(("replace_null", "expected"), [(True, 9), (False, None)])
def test_replace_null_with_default(replace_null: bool, expected: object) -> None:
    smt = configured(ValueToKey, {"fields": "c", "replace.null.with.default": replace_null})
    assert smt.apply(sink(struct(SCHEMA, a=1, b=2), SCHEMA)).key.get_without_default("c") == expected


def test_missing_field_with_schema() -> None:
    with pytest.raises(DataError, match="Field does not exist: z"):
        configured(ValueToKey, {"fields": "z"}).apply(sink(struct(SCHEMA, a=1, b=2), SCHEMA))


def test_tombstone_with_schema_is_rejected() -> None:
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[copying fields from value to key\]"):
        configured(ValueToKey, {"fields": "a"}).apply(sink(None, SCHEMA))


def test_empty_fields() -> None:
    with pytest.raises(ConfigError, match="Empty list"):
        configured(ValueToKey, {"fields": ""})

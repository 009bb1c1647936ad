from __future__ import annotations

import pytest
from smt_helpers import configured, sink, struct, struct_schema

from connectless.config import ConfigError
from connectless.data import INT32_SCHEMA, STRING_SCHEMA, DataError, SchemaBuilder
from connectless.transforms import SetSchemaMetadataKey, SetSchemaMetadataValue

SCHEMA = struct_schema(("a", INT32_SCHEMA), ("b", SchemaBuilder.string().optional().default_value("d").build()))


@pytest.mark.parametrize(
    ("props", "name", "version"),
    [
        ({"schema.name": "foo"}, "foo", None),
        ({"schema.version": "42"}, None, 42),
        ({"schema.name": "x", "schema.version": 1}, "x", 1),
    ],
)
def test_sets_name_and_version(props: dict[str, object], name: object, version: object) -> None:
    out = configured(SetSchemaMetadataValue, props).apply(sink(struct(SCHEMA, a=1), SCHEMA))
    assert (out.value_schema.name, out.value_schema.version) == (name, version)


def test_struct_value_is_rebuilt_against_new_schema() -> None:
    out = configured(SetSchemaMetadataValue, {"schema.name": "foo"}).apply(sink(struct(SCHEMA, a=1), SCHEMA))
    assert (out.value.schema is out.value_schema, out.value.get("a"), out.value_schema.fields == SCHEMA.fields) == (
        True,
        1,
        True,
    )
    out.value.validate()


@pytest.mark.parametrize(("replace_null", "expected"), [(True, "d"), (False, None)])
def test_replace_null_with_default(replace_null: bool, expected: object) -> None:
    smt = configured(SetSchemaMetadataValue, {"schema.name": "foo", "replace.null.with.default": replace_null})
    assert smt.apply(sink(struct(SCHEMA, a=1), SCHEMA)).value.get_without_default("b") == expected


def test_primitive_value_unchanged_with_renamed_schema() -> None:
    out = configured(SetSchemaMetadataKey, {"schema.name": "k"}).apply(sink("v", key="id", key_schema=STRING_SCHEMA))
    assert (out.key_schema.name, out.key_schema.type, out.key, out.value) == ("k", STRING_SCHEMA.type, "id", "v")


def test_map_and_array_schemas_keep_their_parts() -> None:
    schema = SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build()
    out = configured(SetSchemaMetadataValue, {"schema.version": "3"}).apply(sink({"a": 1}, schema))
    assert (out.value_schema.key_schema, out.value_schema.value_schema, out.value_schema.version) == (
        STRING_SCHEMA,
        INT32_SCHEMA,
        3,
    )


def test_schemaless_tombstone_passes_through() -> None:
    record = sink(None)
    assert configured(SetSchemaMetadataValue, {"schema.name": "x"}).apply(record) is record


def test_schemaless_value_is_rejected() -> None:
    with pytest.raises(DataError, match=r"Schema required for \[updating schema metadata\]"):
        configured(SetSchemaMetadataValue, {"schema.name": "x"}).apply(sink({"a": 1}))


def test_neither_name_nor_version() -> None:
    with pytest.raises(ConfigError, match="Neither schema name nor version configured"):
        configured(SetSchemaMetadataValue, {})

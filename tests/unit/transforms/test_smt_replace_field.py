from __future__ import annotations

import pytest
from smt_helpers import as_dict, configured, sink, struct, struct_schema

from connectless.config import ConfigError
from connectless.data import BOOLEAN_SCHEMA, INT32_SCHEMA, STRING_SCHEMA, SchemaBuilder
from connectless.transforms import ReplaceFieldKey, ReplaceFieldValue

# runs on connectless.native's map steps and on the pure-Python ones (tests/unit/conftest.py)
pytestmark = pytest.mark.usefixtures("native_mode")

VALUE = {"dont": "whatever", "abc": 42, "foo": True, "etc": "etc"}
SCHEMA = struct_schema(("dont", STRING_SCHEMA), ("abc", INT32_SCHEMA), ("foo", BOOLEAN_SCHEMA), ("etc", STRING_SCHEMA))

CASES = [
    ({"exclude": "dont", "renames": "abc:xyz,foo:bar"}, {"xyz": 42, "bar": True, "etc": "etc"}),
    ({"include": "abc,foo", "renames": "abc:xyz,foo:bar"}, {"xyz": 42, "bar": True}),
    ({"include": "abc,foo", "exclude": "foo"}, {"abc": 42}),
    ({"renames": "abc:xyz"}, {"dont": "whatever", "xyz": 42, "foo": True, "etc": "etc"}),
    ({"blacklist": "dont,etc"}, {"abc": 42, "foo": True}),
    ({"whitelist": "etc"}, {"etc": "etc"}),
    ({"whitelist": "etc", "include": "abc"}, {"abc": 42}),
]


@pytest.mark.parametrize(("props", "expected"), CASES)
def test_schemaless(props: dict[str, str], expected: dict[str, object]) -> None:
    assert configured(ReplaceFieldValue, props).apply(sink(dict(VALUE))).value == expected


@pytest.mark.parametrize(("props", "expected"), CASES)
def test_schemaful(props: dict[str, str], expected: dict[str, object]) -> None:
    out = configured(ReplaceFieldValue, props).apply(sink(struct(SCHEMA, **VALUE), SCHEMA))
    assert (as_dict(out.value), [f.name for f in out.value_schema.fields]) == (expected, list(expected))


def test_schemaful_keeps_field_schemas_and_validates() -> None:
    out = configured(ReplaceFieldValue, {"renames": "abc:xyz"}).apply(sink(struct(SCHEMA, **VALUE), SCHEMA))
    assert out.value_schema.field("xyz").schema == INT32_SCHEMA
    out.value.validate()


def test_key_variant() -> None:
    out = configured(ReplaceFieldKey, {"exclude": "a"}).apply(sink("v", key={"a": 1, "b": 2}))
    assert (out.key, out.value) == ({"b": 2}, "v")


def test_tombstone_passes_through() -> None:
    record = sink(None, SCHEMA)
    assert configured(ReplaceFieldValue, {"exclude": "a"}).apply(record) is record


@pytest.mark.parametrize(("replace_null", "expected"), [(True, "dflt"), (False, None)])
def test_replace_null_with_default(replace_null: bool, expected: object) -> None:
    schema = struct_schema(("a", SchemaBuilder.string().optional().default_value("dflt").build()))
    smt = configured(ReplaceFieldValue, {"renames": "a:b", "replace.null.with.default": replace_null})
    assert smt.apply(sink(struct(schema), schema)).value.get_without_default("b") == expected


def test_input_is_not_mutated() -> None:
    value = dict(VALUE)
    configured(ReplaceFieldValue, {"exclude": "dont"}).apply(sink(value))
    assert value == VALUE


@pytest.mark.parametrize("renames", ["abc", "abc:def:ghi", "abc:x,y"])
def test_invalid_rename_mapping(renames: str) -> None:
    with pytest.raises(ConfigError, match="Invalid rename mapping") as caught:
        configured(ReplaceFieldValue, {"renames": renames})
    assert caught.value.name == "renames"

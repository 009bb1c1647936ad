from __future__ import annotations

from typing import Any

import pytest
from smt_helpers import as_dict, configured, sink, struct, struct_schema

from connectless.config import ConfigError
from connectless.data import INT32_SCHEMA, STRING_SCHEMA, DataError, SchemaBuilder
from connectless.records import Header, Headers
from connectless.transforms import HeaderFromKey, HeaderFromValue

EXISTING = Headers.of({"existing": "x"})
SCHEMA = struct_schema(
    ("id", INT32_SCHEMA), ("ts", SchemaBuilder.int32().optional().default_value(5).build()), ("name", STRING_SCHEMA)
)
PROPS = {"fields": "id,ts", "headers": "record_id,event_ts"}


def header_list(headers: Headers) -> list[tuple[str, Any]]:
    return [(h.key, h.value) for h in headers]


@pytest.mark.parametrize(("operation", "kept"), [("move", {"name": "n"}), ("copy", {"id": 1, "ts": 2, "name": "n"})])
def test_schemaless(operation: str, kept: dict[str, Any]) -> None:
    smt = configured(HeaderFromValue, {**PROPS, "operation": operation})
    out = smt.apply(sink({"id": 1, "ts": 2, "name": "n"}, headers=EXISTING))
    assert (out.value, header_list(out.headers)) == (kept, [("existing", "x"), ("record_id", 1), ("event_ts", 2)])


def test_move_with_schema() -> None:
    out = configured(HeaderFromValue, {**PROPS, "operation": "move"}).apply(
        sink(struct(SCHEMA, id=1, ts=2, name="n"), SCHEMA)
    )
    assert ([f.name for f in out.value_schema.fields], as_dict(out.value), list(out.headers)) == (
        ["name"],
        {"name": "n"},
        [Header("record_id", 1, INT32_SCHEMA), Header("event_ts", 2, SCHEMA.field("ts").schema)],
    )


def test_copy_with_schema_keeps_value() -> None:
    value = struct(SCHEMA, id=1, ts=2, name="n")
    out = configured(HeaderFromValue, {**PROPS, "operation": "copy"}).apply(sink(value, SCHEMA))
    assert (out.value is value, out.value_schema is SCHEMA) == (True, True)


@pytest.mark.parametrize(("replace_null", "expected"), [(True, 5), (False, None)])
def test_replace_null_with_default(replace_null: bool, expected: Any) -> None:
    smt = configured(HeaderFromValue, {**PROPS, "operation": "copy", "replace.null.with.default": replace_null})
    out = smt.apply(sink(struct(SCHEMA, id=1, name="n"), SCHEMA))
    assert out.headers.last_with_name("event_ts").value == expected


def test_key_variant() -> None:
    out = configured(HeaderFromKey, {"fields": "k", "headers": "h", "operation": "move"}).apply(sink("v", key={"k": 1}))
    assert (out.key, out.value, header_list(out.headers)) == ({}, "v", [("h", 1)])


def test_input_headers_untouched() -> None:
    record = sink({"id": 1}, headers=EXISTING)
    configured(HeaderFromValue, {"fields": "id", "headers": "h", "operation": "copy"}).apply(record)
    assert header_list(record.headers) == [("existing", "x")]


def test_missing_field_with_schema() -> None:
    with pytest.raises(DataError, match="Field nope does not exist in the value schema"):
        configured(HeaderFromValue, {"fields": "nope", "headers": "h", "operation": "copy"}).apply(
            sink(struct(SCHEMA, id=1, name="n"), SCHEMA)
        )


@pytest.mark.parametrize(
    ("props", "key", "message"),
    [
        (
            {"fields": "a,b", "headers": "h", "operation": "move"},
            "headers",
            "'fields' config must have the same number",
        ),
        ({"fields": "a", "headers": "h", "operation": "cut"}, "operation", "String must be one of: move, copy"),
        ({"fields": "", "headers": "h", "operation": "move"}, "fields", "Empty list"),
    ],
)
def test_config_errors(props: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        configured(HeaderFromValue, props)
    assert caught.value.name == key

"""JSON lines of Structs (FileStreamSink's output): a flat Struct goes to orjson as one dict, and the line is the
one the general to_plain walk writes; a Struct with logical, bytes or nested fields still takes that walk."""

from __future__ import annotations

import datetime as dt
import decimal

import orjson
import pytest

from connectless import native
from connectless.data import (
    BOOLEAN_SCHEMA,
    FLOAT64_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
    Struct,
)
from connectless.data.json_values import _flat_names, to_json_line, to_plain
from connectless.data.logical import TIMESTAMP_SCHEMA, decimal_schema


def _struct(*fields: tuple[str, object, object]) -> Struct:
    builder = SchemaBuilder.struct()
    for name, schema, _ in fields:
        builder.field(name, schema)
    struct = Struct(builder.build())
    for name, _, value in fields:
        struct.put(name, value)
    return struct


FLAT = _struct(
    ("id", INT64_SCHEMA, 7),
    ("name", STRING_SCHEMA, 'Zoë "q"'),
    ("note", OPTIONAL_STRING_SCHEMA, None),
    ("ok", BOOLEAN_SCHEMA, True),
    ("score", FLOAT64_SCHEMA, 0.5),
)
INNER = _struct(("id", INT64_SCHEMA, 1))
MIXED = [
    _struct(("at", TIMESTAMP_SCHEMA, dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC))),
    _struct(("price", decimal_schema(2), decimal.Decimal("1.25"))),
    _struct(("raw", SchemaBuilder.bytes().build(), b"\x00\x01")),
    _struct(("inner", INNER.schema, INNER), ("id", INT64_SCHEMA, 2)),
]


def test_a_flat_struct_is_written_as_the_to_plain_walk_writes_it(native_mode: str) -> None:
    """With connectless.native the flat Struct's dict is built in C (_avro.flat_dict), without it by dict(zip())."""
    assert _flat_names(FLAT.schema) == ("id", "name", "note", "ok", "score")
    assert to_json_line(FLAT) == orjson.dumps(to_plain(FLAT)) + b"\n"


def test_the_native_flat_dict_is_dict_of_zip_or_refuses() -> None:
    fast = native.avro
    if fast is None:
        pytest.skip("connectless.native._avro is not built: make native")
    names = ("a", "b", "c")
    assert fast.flat_dict(names, [1, None, "é"]) == {"a": 1, "b": None, "c": "é"}
    assert list(fast.flat_dict(names, (3, 2, 1))) == ["a", "b", "c"]
    assert fast.flat_dict((), []) == {}
    with pytest.raises(ValueError, match="3 names for 2 values"):
        fast.flat_dict(names, [1, 2])
    with pytest.raises(TypeError):
        fast.flat_dict(["a"], [1])
    with pytest.raises(TypeError):
        fast.flat_dict(("a",), 1)


@pytest.mark.parametrize("struct", MIXED, ids=["timestamp", "decimal", "bytes", "nested"])
def test_a_struct_with_other_fields_takes_the_to_plain_walk(struct: Struct) -> None:
    assert _flat_names(struct.schema) is None
    assert to_json_line(struct) == orjson.dumps(to_plain(struct)) + b"\n"

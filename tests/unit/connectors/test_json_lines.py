"""JSON lines of Structs (FileStreamSink's output): a flat Struct goes to orjson as one dict, and the line is the
one the general to_plain walk writes; a Struct with logical, bytes or nested fields still takes that walk."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectless import native
from connectless.connectors.file import FileStreamSinkTask
from connectless.data import (
    BOOLEAN_SCHEMA,
    FLOAT64_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
    Struct,
)
from connectless.data.json_values import FLAT_STRUCT_LINE, _flat_names, to_json_line, to_plain
from connectless.data.logical import TIMESTAMP_SCHEMA, decimal_schema
from connectless.records import SinkRecord


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


def test_file_sink_writes_runs_of_structs_as_to_json_line(native_mode: str, tmp_path: Path) -> None:
    """FileStreamSink.put: with connectless.native, the values _records.json_lines_into leaves (Structs) are written
    by _avro.struct_lines, 64 a call; the same bytes either way, in order, across chunk and run boundaries."""
    other_flat = _struct(("x", STRING_SCHEMA, "y"))
    values: list[object] = [FLAT, other_flat, *MIXED, {"a": [1, 2]}, [3], "text", None, 5, 1.5, INNER]
    values = values * 15 + [FLAT] * 70 + [{"b": 1}] + [FLAT] * 65
    task = FileStreamSinkTask()
    task.start({"file": str(tmp_path / "out")})
    task.put([SinkRecord("t", 0, None, None, None, value) for value in values])
    task.stop()
    assert (tmp_path / "out").read_bytes() == b"".join(to_json_line(value) for value in values)


def test_struct_lines_writes_a_run_of_structs_and_stops_at_anything_else() -> None:
    fast = native.avro
    if fast is None:
        pytest.skip("connectless.native._avro is not built: make native")
    records = [SinkRecord("t", 0, None, None, None, v) for v in [FLAT, MIXED[0], INNER, {"a": 1}, FLAT]]
    lines = fast.struct_lines(records, 0, 64, *FLAT_STRUCT_LINE)
    assert lines == [to_json_line(FLAT), to_json_line(MIXED[0]), to_json_line(INNER)]
    assert fast.struct_lines(records, 0, 2, *FLAT_STRUCT_LINE) == lines[:2]
    assert fast.struct_lines(records, 3, 64, *FLAT_STRUCT_LINE) == []
    assert fast.struct_lines(records, 4, 64, *FLAT_STRUCT_LINE) == [to_json_line(FLAT)]
    assert fast.struct_lines(records, 9, 64, *FLAT_STRUCT_LINE) == []
    short = SinkRecord("t", 0, None, None, None, Struct.of_values(FLAT.schema, [1, "a"]))  # fewer values than fields
    with pytest.raises(Exception) as plain:
        to_json_line(short.value)
    with pytest.raises(type(plain.value)):
        fast.struct_lines([short], 0, 64, *FLAT_STRUCT_LINE)
    with pytest.raises(TypeError, match="a list, two counts"):
        fast.struct_lines(tuple(records), 0, 64, *FLAT_STRUCT_LINE)
    with pytest.raises(ZeroDivisionError):
        fast.struct_lines(records, 0, 64, lambda _schema: 1 / 0, *FLAT_STRUCT_LINE[1:])
    # str, int, bool and None: written in C, orjson not called; FLAT's float: orjson writes that line
    names_of, each, _dumps, default, option = FLAT_STRUCT_LINE
    plain = _struct(("id", INT64_SCHEMA, -5), ("s", STRING_SCHEMA, 'a"\n\x01é'), ("b", BOOLEAN_SCHEMA, False))
    plain_record = SinkRecord("t", 0, None, None, None, plain)
    assert fast.struct_lines([plain_record], 0, 64, names_of, each, None, default, option) == [to_json_line(plain)]
    with pytest.raises(TypeError):
        fast.struct_lines(records[:1], 0, 64, names_of, each, None, default, option)


_SCALARS = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x7F)),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(),  # past 64 bits: orjson's line (unsigned 64 bits) or its error
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),  # orjson writes floats: handed to it
    st.sampled_from(["\ud800", "a\udfffb", '\x00\x1f\x7f"\\/\u2028']),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=8), _SCALARS), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_struct_lines_writes_flat_structs_as_orjson(fields: list[tuple[str, object]]) -> None:
    """_avro.struct_lines writes a flat Struct of str, int, bool and None itself: the bytes orjson writes for its
    dict, escapes included; anything else it hands to orjson, so the line or the error is to_json_line's."""
    fast = native.avro
    if fast is None:
        pytest.skip("connectless.native._avro is not built: make native")
    builder = SchemaBuilder.struct()
    for name, _ in fields:
        builder.field(name, OPTIONAL_STRING_SCHEMA)  # a flat schema; the values are not checked against it
    struct = Struct.of_values(builder.build(), [value for _, value in fields])
    record = SinkRecord("t", 0, None, None, None, struct)
    try:
        expected: object = to_json_line(struct)
    except Exception as error:  # noqa: BLE001 - the same error type is expected
        expected = type(error)
    try:
        got: object = fast.struct_lines([record], 0, 64, *FLAT_STRUCT_LINE)[0]
    except Exception as error:  # noqa: BLE001
        got = type(error)
    assert got == expected

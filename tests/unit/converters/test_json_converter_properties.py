"""Property tests: JsonConverter round-trips every schema type, nested, optional, with defaults and logical types."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectless.converters import JsonConverter
from connectless.data import Schema, SchemaBuilder, Struct, Type, logical
from connectless.data.schema_and_value import SchemaAndValue

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOPIC = "t"

_INT_RANGES = {Type.INT8: 7, Type.INT16: 15, Type.INT32: 31, Type.INT64: 63}
_PRIMITIVES = [Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64, Type.BOOLEAN]
_PRIMITIVES += [Type.STRING, Type.BYTES]
_NAMES = st.from_regex(r"[a-z]{1,5}(\.[A-Z][a-z]{0,5}){0,2}", fullmatch=True)
_FIELD_NAMES = st.text(min_size=1, max_size=6)


def _logical_builders() -> st.SearchStrategy[SchemaBuilder]:
    return st.one_of(
        st.integers(-3, 8).map(logical.decimal_builder),
        st.just(None).map(lambda _: logical.date_builder()),
        st.just(None).map(lambda _: logical.time_builder()),
        st.just(None).map(lambda _: logical.timestamp_builder()),
    )


def _plain_builders() -> st.SearchStrategy[SchemaBuilder]:
    metadata = st.fixed_dictionaries(
        {},
        optional={
            "name": _NAMES,
            "version": st.integers(-(2**31), 2**31 - 1),
            "doc": st.text(max_size=8),
            "parameters": st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
        },
    )

    def build(kind: Type, meta: dict[str, Any]) -> SchemaBuilder:
        builder = SchemaBuilder.of(kind).name(meta.get("name")).version(meta.get("version")).doc(meta.get("doc"))
        return builder.parameters(meta.get("parameters", {}))

    return st.builds(build, st.sampled_from(_PRIMITIVES), metadata)


def _leaf_schemas() -> st.SearchStrategy[Schema]:
    return st.builds(_finish, st.one_of(_plain_builders(), _logical_builders()), st.booleans(), st.data())


def _finish(builder: SchemaBuilder, optional: bool, data: st.DataObject) -> Schema:
    if optional:
        builder.optional()
    schema = builder.build()
    if data.draw(st.booleans()):  # a default value, of the schema itself
        builder.default_value(data.draw(values(schema, allow_null=False)))
    return builder.build()


def _containers(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    arrays = st.builds(lambda item, opt: _opt(SchemaBuilder.array(item), opt), children, st.booleans())
    maps = st.builds(lambda k, v, opt: _opt(SchemaBuilder.map(k, v), opt), _key_schemas(), children, st.booleans())
    structs = st.builds(
        _struct,
        st.lists(st.tuples(_FIELD_NAMES, children), max_size=4, unique_by=lambda pair: pair[0]),
        st.one_of(st.none(), _NAMES),
        st.booleans(),
    )
    return st.one_of(arrays, maps, structs)


def _opt(builder: SchemaBuilder, optional: bool) -> Schema:
    return (builder.optional() if optional else builder).build()


def _struct(fields: list[tuple[str, Schema]], name: str | None, optional: bool) -> Schema:
    builder = SchemaBuilder.struct().name(name)
    for field_name, field_schema in fields:
        builder.field(field_name, field_schema)
    return _opt(builder, optional)


def _key_schemas() -> st.SearchStrategy[Schema]:
    # required keys; no floats (NaN) -- a string key is a JSON object key, anything else goes in [k, v] pairs
    kinds = st.sampled_from([Type.STRING, Type.INT8, Type.INT32, Type.INT64, Type.BOOLEAN, Type.BYTES])
    return st.one_of(kinds.map(lambda k: SchemaBuilder.of(k).build()), st.just(logical.DATE_SCHEMA))


SCHEMAS = st.recursive(_leaf_schemas(), _containers, max_leaves=8)


def values(schema: Schema, allow_null: bool = True) -> st.SearchStrategy[Any]:
    """Values that fit `schema` (None only where the schema is optional)."""
    strategy = _non_null_values(schema)
    return st.one_of(st.none(), strategy) if allow_null and schema.optional else strategy


def _non_null_values(schema: Schema) -> st.SearchStrategy[Any]:  # noqa: PLR0911 - one branch per type
    name = schema.name
    if name == logical.DECIMAL_NAME:
        scale = logical.decimal_scale(schema)
        return st.integers(-(10**20), 10**20).map(lambda u: decimal.Decimal(u).scaleb(-scale))
    if name == logical.DATE_NAME:
        return st.dates()
    if name == logical.TIME_NAME:
        return st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000, fold=0))
    if name == logical.TIMESTAMP_NAME:
        stamps = st.datetimes(
            min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
        )
        return stamps.map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000, fold=0))
    kind = schema.type
    if kind in _INT_RANGES:
        bits = _INT_RANGES[kind]
        return st.integers(-(2**bits), 2**bits - 1)
    if kind is Type.FLOAT32:
        return st.floats(width=32, allow_nan=False)
    if kind is Type.FLOAT64:
        return st.floats(allow_nan=False)
    if kind is Type.BOOLEAN:
        return st.booleans()
    if kind is Type.STRING:
        return st.text(max_size=10)
    if kind is Type.BYTES:
        return st.binary(max_size=10)
    if kind is Type.ARRAY:
        assert schema.value_schema is not None
        return st.lists(values(schema.value_schema), max_size=3)
    if kind is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        return st.dictionaries(values(schema.key_schema), values(schema.value_schema), max_size=3)
    fields = {f.name: values(f.schema) for f in schema.fields}
    return st.fixed_dictionaries(fields).map(lambda vals: _fill(schema, vals))


def _fill(schema: Schema, vals: dict[str, Any]) -> Struct:
    struct = Struct(schema)
    for key, value in vals.items():
        struct.put(key, value)
    return struct


def converter(**props: str) -> JsonConverter:
    conv = JsonConverter()
    conv.configure({"replace.null.with.default": "false", **props}, is_key=False)
    return conv


def same(a: Any, b: Any) -> bool:
    """Equal, and equal in repr too: keeps Decimal scale and container order honest.

    -0.0 reads back as 0.0, as in Kafka (Jackson reads JSON decimals as BigDecimal, which has no -0.0).
    """
    return bool(a == b) and repr(a).replace("-0.0", "0.0") == repr(b).replace("-0.0", "0.0")


SCHEMA_AND_VALUE = SCHEMAS.flatmap(lambda s: st.tuples(st.just(s), values(s)))


@SETTINGS
@given(SCHEMA_AND_VALUE, st.sampled_from(["BASE64", "NUMERIC"]))
def test_envelope_round_trip(schema_and_value: tuple[Schema, Any], decimal_format: str) -> None:
    schema, value = schema_and_value
    conv = converter(**{"decimal.format": decimal_format})
    data = conv.from_connect_data(TOPIC, schema, value)
    assert data is not None
    decoded = conv.to_connect_data(TOPIC, data)
    assert decoded.schema == schema
    assert same(decoded.value, value)
    # ...and again through the cached fast path, writing the very same bytes
    again = conv.to_connect_data(TOPIC, data)
    assert again.schema is decoded.schema
    rewritten = conv.from_connect_data(TOPIC, again.schema, again.value)
    assert rewritten is not None and rewritten.replace(b"-0.0", b"0.0") == data.replace(b"-0.0", b"0.0")


@SETTINGS
@given(SCHEMA_AND_VALUE, st.sampled_from(["BASE64", "NUMERIC"]))
def test_payload_only_round_trip_with_schema_content(schema_and_value: tuple[Schema, Any], decimal_format: str) -> None:
    schema, value = schema_and_value
    writer = converter(**{"schemas.enable": "false", "decimal.format": decimal_format})
    data = writer.from_connect_data(TOPIC, schema, value)
    schema_json = converter(**{"decimal.format": decimal_format}).from_connect_data(TOPIC, schema, value)
    assert data is not None and schema_json is not None
    content = schema_json[len(b'{"schema":') : schema_json.rindex(b',"payload":')].decode()
    reader = converter(**{"schema.content": content, "decimal.format": decimal_format})
    assert same(reader.to_connect_data(TOPIC, data).value, value)


JSON_TREES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@SETTINGS
@given(JSON_TREES, st.booleans())
def test_schemaless_round_trip(tree: Any, envelope: bool) -> None:
    conv = converter(**{"schemas.enable": str(envelope).lower()})
    data = conv.from_connect_data(TOPIC, None, tree)
    expected = SchemaAndValue(None, _without_negative_zero(tree))
    if tree is None:
        assert data is None
    else:
        assert data is not None
        decoded = conv.to_connect_data(TOPIC, data)
        assert decoded == expected and same(decoded.value, expected.value)


def _without_negative_zero(tree: Any) -> Any:
    """-0.0 reads back as 0.0, as in Kafka (Jackson reads JSON decimals as BigDecimal)."""
    if isinstance(tree, float):
        return tree + 0.0
    if isinstance(tree, list):
        return [_without_negative_zero(item) for item in tree]
    if isinstance(tree, dict):
        return {k: _without_negative_zero(v) for k, v in tree.items()}
    return tree


_JSON_TEXT = st.one_of(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=12,
    ).map(lambda tree: json.dumps(tree).encode()),
    st.sampled_from([b"", b" ", b"NaN", b"{broken", b"1e400", b"99999999999999999999999", b'"\xff"', b"[1,]"]),
    st.binary(max_size=20),
)


@SETTINGS
@given(_JSON_TEXT)
def test_the_schemaless_reader_gives_what_to_connect_data_gives_or_raises(data: bytes) -> None:
    converter = JsonConverter()
    converter.configure({"schemas.enable": "false"}, False)
    reader = converter.schemaless_reader()
    assert reader is not None
    try:
        expected: Any = converter.to_connect_data(TOPIC, data)
    except Exception:
        expected = None
    try:
        got = reader(data)
    except Exception:
        return  # the pipeline converts such a record again through to_connect_data
    assert expected is not None and expected.schema is None
    assert got == expected.value and type(got) is type(expected.value)


@SETTINGS
@given(st.lists(st.one_of(st.none(), _JSON_TEXT), max_size=8))
def test_the_batch_reader_gives_what_the_reader_gives_or_raises(datas: list[bytes | None]) -> None:
    converter = JsonConverter()
    converter.configure({"schemas.enable": "false"}, False)
    reader, batch_reader = converter.schemaless_reader(), converter.schemaless_batch_reader()
    assert reader is not None and batch_reader is not None
    expected: list[Any] = []
    for data in datas:
        try:
            expected.append(None if data is None else reader(data))
        except Exception:
            with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the reader raised
                batch_reader(datas)
            return
    got = batch_reader(datas)
    assert got == expected and [type(v) for v in got] == [type(v) for v in expected]


def test_the_batch_reader_reads_the_numbers_only_the_exact_parse_gets_right() -> None:
    converter = JsonConverter()
    converter.configure({"schemas.enable": "false"}, False)
    batch_reader = converter.schemaless_batch_reader()
    assert batch_reader is not None
    # Jackson's readings: -0.0 is 0.0 (a BigDecimal), an integer past 64 bits keeps its low 64 bits.
    got = batch_reader([b"1", b"-0.0", b"18446744073709551617", None])
    assert got == [1, 0.0, 1, None]


@pytest.mark.parametrize("at", [0, 63, 64, 150, 199])
def test_the_batch_reader_finds_those_numbers_in_any_record_of_a_long_run(at: int) -> None:
    """The check is made a group of records at a time: a record past the first group is checked too."""
    converter = JsonConverter()
    converter.configure({"schemas.enable": "false"}, False)
    batch_reader = converter.schemaless_batch_reader()
    assert batch_reader is not None
    plain = [b'{"id":%d,"city":"Lisbon","at":1764000000%03d}' % (i, i) for i in range(200)]
    expected = [json.loads(data) for data in plain]
    for odd, read in (
        (b'{"v":-0.0}', 0.0),
        (b'{"v":18446744073709551617}', 1),
        (b'{"v":9223372036854775808}', -(2**63)),
    ):
        got = batch_reader([*plain[:at], odd, *plain[at + 1 :]])
        assert got[at] == {"v": read} and math.copysign(1, got[at]["v"]) == math.copysign(1, read)  # 0.0, not -0.0
        assert got[:at] + got[at + 1 :] == expected[:at] + expected[at + 1 :]


def test_there_is_no_schemaless_reader_with_schemas_on() -> None:
    converter = JsonConverter()
    converter.configure({"schemas.enable": "true"}, False)
    assert converter.schemaless_reader() is None

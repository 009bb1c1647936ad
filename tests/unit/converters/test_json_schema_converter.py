"""JsonSchemaConverter on an in-memory registry (mock://): Confluent's JSON Schema mapping, payload and errors."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

import pytest

from connectless.converters.registry import JsonSchemaConverter
from connectless.converters.registry.json_schema_data import ToConnect, from_connect_schema
from connectless.data.errors import DataError
from connectless.data.logical import DATE_SCHEMA, decimal_schema
from connectless.data.schema import (
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    INT8_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)
from connectless.data.struct import Struct

INNER = SchemaBuilder.struct().name("Inner").field("x", INT32_SCHEMA).build()
SCHEMA = (
    SchemaBuilder.struct()
    .name("com.example.Order")
    .version(2)
    .doc("an order")
    .field("i8", INT8_SCHEMA)
    .field("i64", INT64_SCHEMA)
    .field("f32", FLOAT32_SCHEMA)
    .field("s", STRING_SCHEMA)
    .field("opt", OPTIONAL_STRING_SCHEMA)
    .field("by", BYTES_SCHEMA)
    .field("dec", decimal_schema(2))
    .field("d", DATE_SCHEMA)
    .field("tags", SchemaBuilder.array(STRING_SCHEMA).build())
    .field("m", SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build())
    .field("mi", SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build())
    .field("inner", INNER)
    .build()
)


def value() -> Struct:
    values: dict[str, Any] = {"i8": 1, "i64": 2**40, "f32": 0.5, "s": "s", "opt": None, "by": b"\x00\xff",
                              "dec": decimal.Decimal("-1.25"), "d": dt.date(2020, 2, 29), "tags": ["a"],
                              "m": {"k": 1}, "mi": {3: "three"}, "inner": Struct(INNER).put("x", 9)}  # fmt: skip
    struct = Struct(SCHEMA)
    for name, item in values.items():
        struct.put(name, item)
    return struct


def converter(**configs: Any) -> JsonSchemaConverter:
    made = JsonSchemaConverter()
    made.configure({"schema.registry.url": f"mock://{uuid.uuid4().hex}", **configs}, False)
    return made


def test_round_trip_keeps_values_and_the_connect_schema() -> None:
    conv = converter()
    data = conv.from_connect_data("t", SCHEMA, value())
    assert data is not None and data[0] == 0
    payload = json.loads(data[5:])
    assert payload["by"] == "AP8=" and payload["mi"] == [{"key": 3, "value": "three"}] and payload["d"] == 18321
    back = conv.to_connect_data("t", data)
    assert back.value == value()
    assert back.schema == SCHEMA


def test_json_schema_follows_confluents_mapping() -> None:
    document = from_connect_schema(SCHEMA)
    assert (document["type"], document["title"], document["description"]) == ("object", "com.example.Order", "an order")
    props = document["properties"]
    assert props["i8"] == {"type": "integer", "connect.type": "int8", "connect.index": 0}
    assert props["opt"] == {"oneOf": [{"type": "null"}, {"type": "string"}], "connect.index": 4}
    assert props["by"]["connect.type"] == "bytes" and props["by"]["type"] == "string"
    assert props["dec"]["title"] == "org.apache.kafka.connect.data.Decimal"
    assert props["dec"]["connect.parameters"] == {"scale": "2"}
    assert props["m"]["type"] == "object" and props["m"]["connect.type"] == "map"
    assert props["mi"]["type"] == "array" and props["mi"]["connect.type"] == "map"


def test_plain_json_schema_types_and_enums_and_one_of() -> None:
    document = {"type": "object", "properties": {
        "n": {"type": "integer"}, "x": {"type": "number"}, "c": {"enum": ["RED", "GREEN"]},
        "u": {"oneOf": [{"type": "integer"}, {"type": "string"}]}, "o": {"type": ["null", "string"]},
    }}  # fmt: skip
    schema, decode = ToConnect(document).convert(document)
    fields = {f.name: f.schema for f in schema.fields}
    assert fields["n"].type.value == "int64" and fields["x"].type.value == "double"
    assert fields["c"].parameters == {"io.confluent.connect.json.Enum": "", "io.confluent.connect.json.Enum.RED": "RED",
                                      "io.confluent.connect.json.Enum.GREEN": "GREEN"}  # fmt: skip
    assert fields["u"].name == "io.confluent.connect.json.OneOf" and fields["o"].optional
    struct = decode({"n": 1, "x": 2, "c": "RED", "u": "text", "o": None})
    assert struct.get("u").get("io.confluent.connect.json.OneOf.field.1") == "text"


def test_recursive_ref_is_refused() -> None:
    document = {"$ref": "#/definitions/node", "definitions": {"node": {"type": "object", "properties": {
        "next": {"$ref": "#/definitions/node"}}}}}  # fmt: skip
    with pytest.raises(DataError, match="Recursive JSON Schemas"):
        ToConnect(document).convert(document)


def test_validation_when_asked() -> None:
    document = json.dumps({"type": "object", "properties": {"a": {"type": "integer", "maximum": 5}}})
    strict, lenient = converter(**{"json.fail.invalid.schema": "true"}), converter()
    for conv in (strict, lenient):
        schema_id = conv.registry.id_for("t-value", _schema(document), register=True)
        data = b"\x00" + schema_id.to_bytes(4, "big") + b'{"a": 9}'
        if conv is strict:
            with pytest.raises(DataError, match="Validation error"):
                conv.to_connect_data("t", data)
        else:
            assert conv.to_connect_data("t", data).value.get("a") == 9


def _schema(text: str) -> Any:
    from confluent_kafka.schema_registry import Schema

    return Schema(text, "JSON")


def test_bad_payload_is_a_data_error() -> None:
    conv = converter()
    data = conv.from_connect_data("t", INNER, Struct(INNER).put("x", 1))
    with pytest.raises(DataError, match="Failed to deserialize data for topic t to JSON"):
        conv.to_connect_data("t", data[:-2])


def test_object_additional_properties_false_closes_every_struct_object() -> None:
    inner = SchemaBuilder.struct().name("Inner").field("x", INT64_SCHEMA).build()
    outer = (SchemaBuilder.struct().name("Outer").field("inner", inner)
             .field("many", SchemaBuilder.array(inner).build()).build())  # fmt: skip
    value = Struct(outer).put("inner", Struct(inner).put("x", 1)).put("many", [Struct(inner).put("x", 2)])
    for configs, closed in (({}, False), ({"object.additional.properties": "false"}, True)):
        made = converter(**configs)
        data = made.from_connect_data("t", outer, value)
        document = json.loads(made.registry.latest("t-value").schema.schema_str or "null")
        objects = [document, document["properties"]["inner"], document["properties"]["many"]["items"]]
        assert [o.get("additionalProperties") for o in objects] == [False if closed else None] * 3
        assert made.to_connect_data("t", data).value.get("many")[0].get("x") == 2  # a closed object reads back

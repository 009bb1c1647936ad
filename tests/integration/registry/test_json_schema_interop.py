"""JsonSchemaConverter against confluent-kafka's own JSONSerializer/JSONDeserializer, the real registry and broker."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from registry_interop import produce, run_sink, sink_config, topic_with, written

import sink_fakes
from connectless.converters.registry import JsonSchemaConverter
from connectless.data.errors import DataError
from connectless.data.logical import DATE_SCHEMA
from connectless.data.schema import (
    BOOLEAN_SCHEMA,
    FLOAT64_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)
from connectless.data.struct import Struct

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka

JSON_SCHEMA = "io.confluent.connect.json.JsonSchemaConverter"
SHIPMENT = {
    "type": "object", "title": "Shipment", "required": ["id", "to"],
    "properties": {
        "id": {"type": "integer"}, "to": {"type": "string"}, "weight": {"type": "number"},
        "express": {"type": "boolean"}, "tags": {"type": "array", "items": {"type": "string"}},
        "note": {"oneOf": [{"type": "null"}, {"type": "string"}]},
    },
}  # fmt: skip


def test_confluent_json_serializer_output_is_read_with_the_expected_values_and_connect_schema(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = topic_with(kafka_admin, unique_topic, "json")
    serialize = JSONSerializer(json.dumps(SHIPMENT), SchemaRegistryClient({"url": schema_registry_url}))
    record = {"id": 12, "to": "Lisbon", "weight": 2.5, "express": True, "tags": ["fragile"], "note": None}
    produce(kafka_bootstrap, topic, [serialize(record, SerializationContext(topic, MessageField.VALUE))])
    config = sink_config(topic, schema_registry_url, JSON_SCHEMA)
    run_sink(kafka_bootstrap, config, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 1)

    (value,) = written(config)
    expected = (
        SchemaBuilder.struct().name("Shipment").version(1)
        .field("id", INT64_SCHEMA).field("to", STRING_SCHEMA).field("weight", FLOAT64_SCHEMA)
        .field("express", BOOLEAN_SCHEMA).field("tags", SchemaBuilder.array(STRING_SCHEMA).build())
        .field("note", OPTIONAL_STRING_SCHEMA)
        .build()
    )  # fmt: skip
    assert value.schema == expected
    assert [value.get(f.name) for f in expected.fields] == [12, "Lisbon", 2.5, True, ["fragile"], None]


def test_connectless_output_is_read_by_confluents_json_deserializer(
    unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = unique_topic("json-out")
    schema = (SchemaBuilder.struct().name("Delivery").field("id", INT64_SCHEMA).field("day", DATE_SCHEMA)
              .field("note", OPTIONAL_STRING_SCHEMA).build())  # fmt: skip
    converter = JsonSchemaConverter()
    converter.configure({"schema.registry.url": schema_registry_url, "json.fail.invalid.schema": "true"}, False)
    data = converter.from_connect_data(topic, schema, Struct(schema).put("id", 5).put("day", dt.date(1970, 1, 11)))
    client = SchemaRegistryClient({"url": schema_registry_url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert JSONDeserializer(None, schema_registry_client=client)(data, ctx) == {"id": 5, "day": 10, "note": None}
    registered = json.loads(client.get_latest_version(f"{topic}-value").schema.schema_str)
    assert registered["title"] == "Delivery" and registered["properties"]["day"]["connect.type"] == "int32"


# A closed content model ("additionalProperties": false): under BACKWARD a later version may add a property (in an
# open model it may not, as old data could hold that property with another type; Apicurio and Confluent agree).
ITEM_V1 = {"type": "object", "title": "Item", "properties": {"id": {"type": "integer"}}, "additionalProperties": False}
ITEM_V2 = {**ITEM_V1, "properties": {**ITEM_V1["properties"], "currency": {"type": "string", "default": "EUR"}}}


def test_schema_evolution_a_field_added_with_a_default_reads_across_versions(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    """Confluent's JSONSerializer writes with v1, then with v2 (a property added with a default) under the
    registry's BACKWARD compatibility; the sink reads each record with its writer's schema, and a v2 record that
    leaves the new property out gets its default."""
    topic = topic_with(kafka_admin, unique_topic, "json-evolve")
    client = SchemaRegistryClient({"url": schema_registry_url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    first = JSONSerializer(json.dumps(ITEM_V1), client)({"id": 1}, ctx)
    second = JSONSerializer(json.dumps(ITEM_V2), client)({"id": 2, "currency": "USD"}, ctx)
    third = JSONSerializer(json.dumps(ITEM_V2), client)({"id": 3}, ctx)
    assert first[:5] != second[:5] == third[:5]  # two schema ids
    produce(kafka_bootstrap, topic, [first, second, third])
    config = sink_config(topic, schema_registry_url, JSON_SCHEMA)
    run_sink(kafka_bootstrap, config, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 3)

    old, new, defaulted = written(config)
    assert (old.schema.name, old.schema.version, [f.name for f in old.schema.fields], old.get("id")) == (
        "Item", 1, ["id"], 1)  # fmt: skip
    assert (new.schema.version, [f.name for f in new.schema.fields]) == (2, ["id", "currency"])
    assert (new.get("id"), new.get("currency")) == (2, "USD")
    assert new.schema.field("currency").schema == SchemaBuilder.string().default_value("EUR").build()
    assert defaulted.schema == new.schema and (defaulted.get("id"), defaulted.get("currency")) == (3, "EUR")


def test_schema_evolution_connectless_writes_both_versions_and_confluent_reads_them(
    unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    """The reverse: a Connectless source's converter with object.additional.properties=false (closed objects, as
    Confluent's converter writes them with that setting) registers v1 then v2 (a field added with a default) under
    BACKWARD, and Confluent's JSONDeserializer reads both records; with use.latest.version a writer still on v1
    writes under v2's id, which Confluent reads (JSON has no defaults on the wire: the property stays absent). With
    the default open objects the registry refuses v2 under BACKWARD, with its own message."""
    topic = unique_topic("json-evolve-out")
    v1 = SchemaBuilder.struct().name("Item").field("id", INT64_SCHEMA).build()
    v2 = (
        SchemaBuilder.struct().name("Item").field("id", INT64_SCHEMA)
        .field("currency", SchemaBuilder.string().default_value("EUR").build()).build()
    )  # fmt: skip
    converter = JsonSchemaConverter()
    converter.configure({"schema.registry.url": schema_registry_url, "object.additional.properties": "false"}, False)
    first = converter.from_connect_data(topic, v1, Struct(v1).put("id", 1))
    second = converter.from_connect_data(topic, v2, Struct(v2).put("id", 2).put("currency", "USD"))
    assert first is not None and second is not None and first[:5] != second[:5]
    client = SchemaRegistryClient({"url": schema_registry_url})
    assert client.get_versions(f"{topic}-value") == [1, 2]
    registered = json.loads(client.get_latest_version(f"{topic}-value").schema.schema_str)
    assert registered["additionalProperties"] is False and registered["properties"]["currency"]["default"] == "EUR"
    ctx = SerializationContext(topic, MessageField.VALUE)
    read = JSONDeserializer(None, schema_registry_client=client)
    assert (read(first, ctx), read(second, ctx)) == ({"id": 1}, {"id": 2, "currency": "USD"})

    latest = JsonSchemaConverter()
    latest.configure({"schema.registry.url": schema_registry_url, "use.latest.version": "true",
                      "auto.register.schemas": "false"}, False)  # fmt: skip
    third = latest.from_connect_data(topic, v1, Struct(v1).put("id", 3))
    assert third is not None and third[:5] == second[:5]
    assert read(third, ctx) == {"id": 3}

    open_topic = unique_topic("json-evolve-open")
    default = JsonSchemaConverter()
    default.configure({"schema.registry.url": schema_registry_url}, False)
    default.from_connect_data(open_topic, v1, Struct(v1).put("id", 1))
    with pytest.raises(DataError, match="Incompatible"):
        default.from_connect_data(open_topic, v2, Struct(v2).put("id", 2).put("currency", "USD"))

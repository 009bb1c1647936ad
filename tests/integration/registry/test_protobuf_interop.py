"""ProtobufConverter against confluent-kafka's own ProtobufSerializer/ProtobufDeserializer, the real registry and
broker (message classes built from descriptors: no protoc here)."""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from registry_interop import produce, run_sink, sink_config, topic_with, written

import sink_fakes
from connectless.converters.registry import ProtobufConverter
from connectless.data.schema import INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder
from connectless.data.struct import Struct

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka
F = descriptor_pb2.FieldDescriptorProto
OPTIONS = {"use.deprecated.format": False}


def message_class(package: str) -> type:
    """package <p>; message Shipment { int64 id = 1; string to = 2; repeated string tags = 3; }"""
    proto = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package, syntax="proto3")
    shipment = proto.message_type.add(name="Shipment")
    shipment.field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    shipment.field.add(name="to", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    shipment.field.add(name="tags", number=3, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.Shipment"))


def test_confluent_protobuf_serializer_output_is_read_with_the_expected_values_and_connect_schema(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = topic_with(kafka_admin, unique_topic, "proto")
    shipment = message_class("p" + uuid.uuid4().hex[:8])
    serialize = ProtobufSerializer(shipment, SchemaRegistryClient({"url": schema_registry_url}), OPTIONS)
    data = serialize(shipment(id=4, to="Faro", tags=["cold"]), SerializationContext(topic, MessageField.VALUE))
    produce(kafka_bootstrap, topic, [data])
    config = sink_config(topic, schema_registry_url, "io.confluent.connect.protobuf.ProtobufConverter")
    run_sink(kafka_bootstrap, config, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 1)

    (value,) = written(config)
    tag = "io.confluent.connect.protobuf.Tag"
    expected = (
        SchemaBuilder.struct().name("Shipment").version(1)
        .field("id", SchemaBuilder.int64().optional().parameter(tag, "1").build())
        .field("to", SchemaBuilder.string().optional().parameter(tag, "2").build())
        .field("tags", SchemaBuilder.array(SchemaBuilder.string().optional().build()).optional()
               .parameter(tag, "3").build())
        .build()
    )  # fmt: skip
    assert value.schema == expected
    assert (value.get("id"), value.get("to"), value.get("tags")) == (4, "Faro", ["cold"])


def test_connectless_output_is_read_by_confluents_protobuf_deserializer(
    unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = unique_topic("proto-out")
    package = "q" + uuid.uuid4().hex[:8]
    schema = (SchemaBuilder.struct().name(f"{package}.Shipment").field("id", INT64_SCHEMA).field("to", STRING_SCHEMA)
              .field("tags", SchemaBuilder.array(STRING_SCHEMA).build()).build())  # fmt: skip
    converter = ProtobufConverter()
    converter.configure({"schema.registry.url": schema_registry_url}, False)
    data = converter.from_connect_data(topic, schema, Struct(schema).put("id", 9).put("to", "Braga").put("tags", []))
    client = SchemaRegistryClient({"url": schema_registry_url})
    registered = client.get_latest_version(f"{topic}-value").schema
    proto = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(registered.schema_str))
    assert [f.name for f in proto.message_type[0].field] == ["id", "to", "tags"]
    shipment = message_class(package)  # the reader's own class, built from the same shape
    message = ProtobufDeserializer(shipment, OPTIONS)(data, SerializationContext(topic, MessageField.VALUE))
    assert (message.id, message.to, list(message.tags)) == (9, "Braga", [])

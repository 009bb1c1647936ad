"""ProtobufConverter against confluent-kafka's own ProtobufSerializer/ProtobufDeserializer, the real registry and
broker (message classes built from descriptors: no protoc here)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.confluent import meta_pb2
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from registry_interop import produce, run_sink, sink_config, topic_with, written

import sink_fakes
from connectless.converters.registry import ProtobufConverter, protobuf_builtins
from connectless.data.logical import (
    DATE_NAME,
    DATE_SCHEMA,
    TIME_NAME,
    TIME_SCHEMA,
    TIMESTAMP_NAME,
    TIMESTAMP_SCHEMA,
    decimal_builder,
)
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


def invoice_class(package: str) -> type:
    """package <p>; message Invoice { confluent.type.Decimal amount = 1 [(confluent.field_meta) = {params: [{key:
    "precision", value: "8"}, {key: "scale", value: "2"}]}]; google.type.Date due = 2; google.type.TimeOfDay cutoff =
    3; google.protobuf.Timestamp at = 4; }  -- the shape Confluent's ProtobufConverter gives Connect's logical types"""
    files = ["confluent/meta.proto", "confluent/type/decimal.proto", "google/type/date.proto",
             "google/type/timeofday.proto", "google/protobuf/timestamp.proto"]  # fmt: skip
    proto = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package, syntax="proto3")
    proto.dependency.extend(files)
    invoice = proto.message_type.add(name="Invoice")
    amount = invoice.field.add(name="amount", number=1, type=F.TYPE_MESSAGE, type_name=".confluent.type.Decimal")
    amount.options.Extensions[meta_pb2.field_meta].params.update({"precision": "8", "scale": "2"})
    for number, (name, kind) in enumerate(
        [("due", ".google.type.Date"), ("cutoff", ".google.type.TimeOfDay"), ("at", ".google.protobuf.Timestamp")], 2
    ):
        invoice.field.add(name=name, number=number, type=F.TYPE_MESSAGE, type_name=kind, label=F.LABEL_OPTIONAL)
    amount.label = F.LABEL_OPTIONAL
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()
    for name in files:
        protobuf_builtins.add_to(pool, name, added)
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.Invoice"))


AT = dt.datetime(2026, 3, 1, 8, 30, 0, 250000, tzinfo=dt.UTC)


def test_confluent_logical_types_written_by_confluents_serializer_read_as_connect_decimal_date_time_timestamp(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = topic_with(kafka_admin, unique_topic, "proto-logical")
    invoice = invoice_class("l" + uuid.uuid4().hex[:8])
    serialize = ProtobufSerializer(invoice, SchemaRegistryClient({"url": schema_registry_url}), OPTIONS)
    fields = invoice.DESCRIPTOR.fields_by_name

    def kind(name: str) -> Any:  # the pool's own class of a field's message type
        return message_factory.GetMessageClass(fields[name].message_type)

    message = invoice(
        amount=kind("amount")(value=(-1234567).to_bytes(3, "big", signed=True), precision=7, scale=2),
        due=kind("due")(year=2026, month=2, day=28),
        cutoff=kind("cutoff")(hours=17, minutes=5, seconds=9, nanos=7_000_000),
        at=kind("at")(seconds=int(AT.timestamp()), nanos=250_000_000),
    )
    produce(kafka_bootstrap, topic, [serialize(message, SerializationContext(topic, MessageField.VALUE))])
    config = sink_config(topic, schema_registry_url, "io.confluent.connect.protobuf.ProtobufConverter")
    run_sink(kafka_bootstrap, config, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 1)

    (value,) = written(config)
    tag = "io.confluent.connect.protobuf.Tag"
    assert value.schema.field("amount").schema == (
        decimal_builder(2).optional().parameter("connect.decimal.precision", "8").parameter(tag, "1").build()
    )
    assert [value.schema.field(n).schema.name for n in ("due", "cutoff", "at")] == [
        DATE_NAME,
        TIME_NAME,
        TIMESTAMP_NAME,
    ]
    assert value.get("amount") == decimal.Decimal("-12345.67")
    assert (value.get("due"), value.get("cutoff"), value.get("at")) == (
        dt.date(2026, 2, 28),
        dt.time(17, 5, 9, 7000),
        AT,
    )


def test_connectless_logical_types_are_read_by_confluents_protobuf_deserializer(
    unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = unique_topic("proto-logical-out")
    package = "m" + uuid.uuid4().hex[:8]
    schema = (SchemaBuilder.struct().name(f"{package}.Invoice")
              .field("amount", decimal_builder(2).parameter("connect.decimal.precision", "8").build())
              .field("due", DATE_SCHEMA).field("cutoff", TIME_SCHEMA).field("at", TIMESTAMP_SCHEMA)
              .build())  # fmt: skip
    converter = ProtobufConverter()
    converter.configure({"schema.registry.url": schema_registry_url}, False)
    value = (Struct(schema).put("amount", decimal.Decimal("-12345.67")).put("due", dt.date(2026, 2, 28))
             .put("cutoff", dt.time(17, 5, 9, 7000)).put("at", AT))  # fmt: skip
    data = converter.from_connect_data(topic, schema, value)
    message = ProtobufDeserializer(invoice_class(package), OPTIONS)(
        data, SerializationContext(topic, MessageField.VALUE)
    )
    assert (int.from_bytes(message.amount.value, "big", signed=True), message.amount.precision,
            message.amount.scale) == (-1234567, 7, 2)  # fmt: skip
    assert (message.due.year, message.due.month, message.due.day) == (2026, 2, 28)
    assert (message.cutoff.hours, message.cutoff.minutes, message.cutoff.seconds, message.cutoff.nanos) == (
        17, 5, 9, 7_000_000)  # fmt: skip
    assert (message.at.seconds, message.at.nanos) == (int(AT.timestamp()), 250_000_000)
    # the registry holds the schema Confluent's converter would: the Decimal's Connect params as field meta
    registered = SchemaRegistryClient({"url": schema_registry_url}).get_latest_version(f"{topic}-value").schema
    proto = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(registered.schema_str))
    amount = proto.message_type[0].field[0]
    assert amount.type_name == ".confluent.type.Decimal"
    assert dict(amount.options.Extensions[meta_pb2.field_meta].params) == {"precision": "8", "scale": "2"}


def order_class(package: str) -> type:
    """package <p>; message Order { oneof pay { string card = 1; int64 cash = 2; } Status status = 3;
    map<string, int64> counts = 4; Line line = 5; message Line { string sku = 1; } enum Status { OPEN = 0;
    SHIPPED = 3; } }"""
    proto = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package, syntax="proto3")
    order = proto.message_type.add(name="Order")
    order.oneof_decl.add(name="pay")
    order.field.add(name="card", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    order.field.add(name="cash", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL, oneof_index=0)
    order.field.add(name="status", number=3, type=F.TYPE_ENUM, type_name=f".{package}.Order.Status",
                    label=F.LABEL_OPTIONAL)  # fmt: skip
    order.field.add(name="counts", number=4, type=F.TYPE_MESSAGE, type_name=f".{package}.Order.CountsEntry",
                    label=F.LABEL_REPEATED)  # fmt: skip
    order.field.add(name="line", number=5, type=F.TYPE_MESSAGE, type_name=f".{package}.Order.Line",
                    label=F.LABEL_OPTIONAL)  # fmt: skip
    entry = order.nested_type.add(name="CountsEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    order.nested_type.add(name="Line").field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    status = order.enum_type.add(name="Status")
    status.value.add(name="OPEN", number=0)
    status.value.add(name="SHIPPED", number=3)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.Order"))


def test_enums_oneofs_maps_and_nested_messages_from_confluents_serializer_with_enhanced_schema_support(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    """What Confluent's ProtobufData gives with enhanced.protobuf.schema.support: the message, the nested message,
    the enum, the oneof's union and the map named by their full names (package included); the oneof's field
    `pay_0`; the enum's parameters its simple name and its symbols' numbers."""
    topic = topic_with(kafka_admin, unique_topic, "proto-enhanced")
    package = "e" + uuid.uuid4().hex[:8]
    order = order_class(package)
    line = message_factory.GetMessageClass(order.DESCRIPTOR.nested_types_by_name["Line"])
    serialize = ProtobufSerializer(order, SchemaRegistryClient({"url": schema_registry_url}), OPTIONS)
    message = order(card="4111", status=3, counts={"x": 2}, line=line(sku="A-1"))
    produce(kafka_bootstrap, topic, [serialize(message, SerializationContext(topic, MessageField.VALUE))])
    config = sink_config(topic, schema_registry_url, "io.confluent.connect.protobuf.ProtobufConverter",
                         **{"value.converter.enhanced.protobuf.schema.support": "true"})  # fmt: skip
    run_sink(kafka_bootstrap, config, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 1)

    (value,) = written(config)
    schema = value.schema
    assert schema.name == f"{package}.Order"
    assert {f.name: f.schema.name for f in schema.fields} == {
        "pay_0": f"io.confluent.connect.protobuf.Union.{package}.Order.pay",
        "status": f"{package}.Order.Status",
        "counts": f"{package}.Order.counts",
        "line": f"{package}.Order.Line",
    }
    enum, tag = "io.confluent.connect.protobuf.Enum", "io.confluent.connect.protobuf.Tag"
    assert schema.field("status").schema.parameters == {
        enum: "Status", f"{enum}.OPEN": "0", f"{enum}.SHIPPED": "3", tag: "3"}  # fmt: skip
    assert (value.get("pay_0").get("card"), value.get("pay_0").get("cash")) == ("4111", None)
    assert (value.get("status"), value.get("counts"), value.get("line").get("sku")) == ("SHIPPED", {"x": 2}, "A-1")

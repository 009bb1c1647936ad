"""ProtobufConverter on an in-memory registry (mock://): Confluent's Protobuf mapping, message indexes, errors."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema as RegistrySchema
from confluent_kafka.schema_registry.confluent import meta_pb2
from confluent_kafka.schema_registry.confluent.type import decimal_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.type import date_pb2, timeofday_pb2

from connectless.converters.registry import ProtobufConverter, protobuf_data, wire
from connectless.data.errors import DataError
from connectless.data.logical import DATE_SCHEMA, TIME_SCHEMA, TIMESTAMP_SCHEMA, decimal_builder
from connectless.data.schema import INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA, INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder
from connectless.data.struct import Struct

F = descriptor_pb2.FieldDescriptorProto


def shop_file() -> descriptor_pb2.FileDescriptorProto:
    """package shop; message Order {int64 id=1; sint32 delta=2; Color color=3; oneof pay {string card=4; int64
    cash=5;} Line line=6; message Line {string sku=1;}}; enum Color {RED=0; GREEN=1;}; message Refund {int64 id=1;}"""
    proto = descriptor_pb2.FileDescriptorProto(name="shop.proto", package="shop", syntax="proto3")
    color = proto.enum_type.add(name="Color")
    color.value.add(name="RED", number=0)
    color.value.add(name="GREEN", number=1)
    order = proto.message_type.add(name="Order")
    order.oneof_decl.add(name="pay")
    order.field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    order.field.add(name="delta", number=2, type=F.TYPE_SINT32, label=F.LABEL_OPTIONAL)
    order.field.add(name="color", number=3, type=F.TYPE_ENUM, type_name=".shop.Color", label=F.LABEL_OPTIONAL)
    order.field.add(name="card", number=4, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    order.field.add(name="cash", number=5, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL, oneof_index=0)
    order.field.add(name="line", number=6, type=F.TYPE_MESSAGE, type_name=".shop.Order.Line", label=F.LABEL_OPTIONAL)
    order.nested_type.add(name="Line").field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    proto.message_type.add(name="Refund").field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    return proto


def classes() -> dict[str, Any]:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(shop_file())
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"shop.{n}"))
            for n in ("Order", "Order.Line", "Refund")}  # fmt: skip


def converter() -> ProtobufConverter:
    made = ProtobufConverter()
    made.configure({"schema.registry.url": f"mock://{uuid.uuid4().hex}"}, False)
    return made


def registered(conv: ProtobufConverter) -> int:
    text = base64.b64encode(shop_file().SerializeToString()).decode()
    return conv.registry.id_for("t-value", RegistrySchema(text, "PROTOBUF"), register=True)


def test_messages_read_as_confluent_maps_them() -> None:
    conv = converter()
    schema_id = registered(conv)
    kinds = classes()
    order = kinds["Order"](id=7, delta=-3, color=1, cash=40, line=kinds["Order.Line"](sku="A-1"))
    data = wire.header(schema_id) + wire.message_indexes([0]) + order.SerializeToString()
    back = conv.to_connect_data("t", data)
    schema = back.schema
    assert schema.name == "Order" and schema.version == 1
    # the oneof comes first, named `<oneof>_<index>` (Confluent's generate.index.for.unions, default true)
    assert [f.name for f in schema.fields] == ["pay_0", "id", "delta", "color", "line"]
    assert schema.field("id").schema.parameters == {"io.confluent.connect.protobuf.Tag": "1"}
    assert schema.field("delta").schema.parameters["io.confluent.connect.protobuf.Type"] == "sint32"
    color = schema.field("color").schema
    assert color.name == "Color" and color.parameters["io.confluent.connect.protobuf.Enum.GREEN"] == "1"
    assert schema.field("pay_0").schema.name == "io.confluent.connect.protobuf.Union.pay"
    assert all(f.schema.optional for f in schema.fields)
    value = back.value
    assert (value.get("id"), value.get("delta"), value.get("color")) == (7, -3, "GREEN")
    assert value.get("pay_0").get("cash") == 40 and value.get("pay_0").get("card") is None
    assert value.get("line").get("sku") == "A-1"


def test_message_indexes_pick_the_message() -> None:
    conv = converter()
    schema_id = registered(conv)
    kinds = classes()
    refund = wire.header(schema_id) + wire.message_indexes([1]) + kinds["Refund"](id=3).SerializeToString()
    nested = wire.header(schema_id) + wire.message_indexes([0, 0]) + kinds["Order.Line"](sku="s").SerializeToString()
    assert wire.message_indexes([1]) == b"\x02\x02"  # count 1, index 1, zigzag varints
    assert conv.to_connect_data("t", refund).schema.name == "Refund"
    line = conv.to_connect_data("t", nested)
    assert line.schema.name == "Line" and line.value.get("sku") == "s"


def test_connect_round_trip_through_a_built_descriptor() -> None:
    inner = SchemaBuilder.struct().name("Addr").field("city", STRING_SCHEMA).build()
    counts = SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build()
    schema = (SchemaBuilder.struct().name("shop.Parcel").field("id", INT64_SCHEMA).field("at", TIMESTAMP_SCHEMA)
              .field("tags", SchemaBuilder.array(STRING_SCHEMA).build()).field("counts", counts)
              .field("to", inner).build())  # fmt: skip
    at = dt.datetime(2026, 1, 1, 0, 0, 1, 500000, tzinfo=dt.UTC)
    value = (Struct(schema).put("id", 5).put("at", at).put("tags", ["a", "b"]).put("counts", {"x": 1})
             .put("to", Struct(inner).put("city", "Porto")))  # fmt: skip
    conv = converter()
    data = conv.from_connect_data("t", schema, value)
    assert data[5] == 0  # message indexes [0]
    back = conv.to_connect_data("t", data).value
    assert (back.get("id"), back.get("at"), back.get("tags"), back.get("counts")) == (5, at, ["a", "b"], {"x": 1})
    assert back.get("to").get("city") == "Porto"


def test_bad_payloads_are_data_errors() -> None:
    conv = converter()
    schema_id = registered(conv)
    with pytest.raises(DataError, match="No Protobuf message at message indexes"):
        conv.to_connect_data("t", wire.header(schema_id) + wire.message_indexes([5]) + b"")
    with pytest.raises(DataError, match="Failed to deserialize data for topic t to Protobuf"):
        conv.to_connect_data("t", wire.header(schema_id) + b"\x00" + b"\x08")  # a varint cut short


def logical_schema() -> Any:
    return (SchemaBuilder.struct().name("shop.Invoice")
            .field("amount", decimal_builder(2).parameter("connect.decimal.precision", "10").build())
            .field("due", DATE_SCHEMA).field("cutoff", TIME_SCHEMA).field("at", TIMESTAMP_SCHEMA)
            .field("small", INT8_SCHEMA).field("mid", INT16_SCHEMA).build())  # fmt: skip


def test_decimal_date_time_and_narrow_ints_are_written_as_confluent_types_and_read_back() -> None:
    schema = logical_schema()
    value = (Struct(schema).put("amount", decimal.Decimal("-1234.50")).put("due", dt.date(2026, 2, 28))
             .put("cutoff", dt.time(23, 59, 58, 125000))
             .put("at", dt.datetime(2026, 1, 1, 0, 0, 1, 500000, tzinfo=dt.UTC))
             .put("small", -8).put("mid", 300))  # fmt: skip
    conv = converter()
    data = conv.from_connect_data("t", schema, value)
    text = conv.registry.latest("t-value").schema.schema_str
    proto = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(text))
    assert set(proto.dependency) == {"confluent/type/decimal.proto", "confluent/meta.proto", "google/type/date.proto",
                                     "google/type/timeofday.proto", "google/protobuf/timestamp.proto"}  # fmt: skip
    fields = {f.name: f for f in proto.message_type[0].field}
    assert [fields[n].type_name for n in ("amount", "due", "cutoff", "at")] == [".confluent.type.Decimal",
        ".google.type.Date", ".google.type.TimeOfDay", ".google.protobuf.Timestamp"]  # fmt: skip
    assert dict(fields["amount"].options.Extensions[meta_pb2.field_meta].params) == {"precision": "10", "scale": "2"}
    assert dict(fields["small"].options.Extensions[meta_pb2.field_meta].params) == {"connect.type": "int8"}

    back = conv.to_connect_data("t", data)
    assert back.schema.field("amount").schema == decimal_builder(2).optional().parameter(
        "connect.decimal.precision", "10").parameter("io.confluent.connect.protobuf.Tag", "1").build()  # fmt: skip
    assert back.schema.field("small").schema.type.value == "int8"
    assert back.schema.field("mid").schema.type.value == "int16"
    assert (
        back.value.get("amount") == decimal.Decimal("-1234.50") and back.value.get("amount").as_tuple().exponent == -2
    )
    assert back.value.get("due") == dt.date(2026, 2, 28)
    assert back.value.get("cutoff") == dt.time(23, 59, 58, 125000)
    assert back.value.get("at") == dt.datetime(2026, 1, 1, 0, 0, 1, 500000, tzinfo=dt.UTC)
    assert (back.value.get("small"), back.value.get("mid")) == (-8, 300)


def test_confluent_decimal_bytes_and_sub_millisecond_times_read_as_confluent_reads_them() -> None:
    invoice = decimal_pb2.Decimal(value=(-123450).to_bytes(3, "big", signed=True), precision=6, scale=2)
    assert protobuf_data._read_decimal(invoice) == decimal.Decimal("-1234.50")  # noqa: SLF001
    rounded = decimal_pb2.Decimal(value=(123456).to_bytes(3, "big", signed=True), precision=4, scale=3)
    assert str(protobuf_data._read_decimal(rounded)) == "123.5"  # noqa: SLF001  MathContext(4), HALF_UP
    at = timestamp_pb2.Timestamp(seconds=-1, nanos=999_999_999)
    assert protobuf_data._read_timestamp(at) == dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC)  # noqa: SLF001
    late = timeofday_pb2.TimeOfDay(hours=1, minutes=2, seconds=3, nanos=4_999_999)
    assert protobuf_data._read_time(late) == dt.time(1, 2, 3, 4000)  # noqa: SLF001
    with pytest.raises(DataError, match="Invalid google.type.Date"):
        protobuf_data._read_date(date_pb2.Date(year=2026, month=2, day=30))  # noqa: SLF001


def test_a_decimal_that_is_not_finite_is_refused() -> None:
    schema = logical_schema()
    with pytest.raises(DataError, match="Decimal value NaN is not finite"):
        converter().from_connect_data("t", schema, Struct(schema).put("amount", decimal.Decimal("NaN")))


def test_schema_evolution_a_field_added_reads_across_versions() -> None:
    """Refund v1 {id}, then v2 adds `string reason = 2`: each record reads with its writer's schema and the
    subject version of that schema. (Apicurio 2.4.2, the test registry, cannot store a second Protobuf version
    sent in serialized form, so this runs on the in-memory registry.)"""
    conv = converter()
    v1 = descriptor_pb2.FileDescriptorProto(name="refund.proto", package="shop", syntax="proto3")
    v1.message_type.add(name="Refund").field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    v2 = descriptor_pb2.FileDescriptorProto()
    v2.CopyFrom(v1)
    v2.message_type[0].field.add(name="reason", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    ids = [conv.registry.id_for("t-value", RegistrySchema(base64.b64encode(v.SerializeToString()).decode(), "PROTOBUF"),
                                register=True) for v in (v1, v2)]  # fmt: skip
    pool = descriptor_pool.DescriptorPool()
    pool.Add(v2)
    refund = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Refund"))
    old = conv.to_connect_data("t", wire.header(ids[0]) + b"\x00" + refund(id=1).SerializeToString())
    new = conv.to_connect_data("t", wire.header(ids[1]) + b"\x00" + refund(id=2, reason="late").SerializeToString())
    assert (old.schema.version, new.schema.version) == (1, 2)
    assert [f.name for f in old.schema.fields] == ["id"] and [f.name for f in new.schema.fields] == ["id", "reason"]
    assert (old.value.get("id"), new.value.get("id"), new.value.get("reason")) == (1, 2, "late")


def test_a_recursive_message_is_refused_with_a_clear_error() -> None:
    """message Node { string name = 1; Node next = 2; }: Connect schemas here cannot refer to themselves
    (docs/compatibility.md: Confluent's converter reads it through a cyclic schema wrapper)."""
    conv = converter()
    proto = descriptor_pb2.FileDescriptorProto(name="node.proto", package="tree", syntax="proto3")
    node = proto.message_type.add(name="Node")
    node.field.add(name="name", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    node.field.add(name="next", number=2, type=F.TYPE_MESSAGE, type_name=".tree.Node", label=F.LABEL_OPTIONAL)
    schema_id = conv.registry.id_for(
        "t-value", RegistrySchema(base64.b64encode(proto.SerializeToString()).decode(), "PROTOBUF"), register=True
    )
    with pytest.raises(DataError, match=r"Recursive Protobuf messages .* tree\.Node refers to itself"):
        conv.to_connect_data("t", wire.header(schema_id) + b"\x00" + b"\x0a\x01a")

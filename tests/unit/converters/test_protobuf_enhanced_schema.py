"""ProtobufConverter's `enhanced.protobuf.schema.support` and `generate.index.for.unions`, as Confluent's ProtobufData
(7.x) applies them when it reads: without enhanced support a message's struct, an enum's string, a oneof's union and
a map are named by simple names; with it by full names (package and enclosing messages). The enum parameters keep the
enum's simple name and its symbols' numbers either way, and the values read are the same."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema as RegistrySchema
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from connectless.converters.registry import ProtobufConverter, wire
from connectless.data.json_values import to_plain

F = descriptor_pb2.FieldDescriptorProto
UNION = "io.confluent.connect.protobuf.Union."
ENUM = "io.confluent.connect.protobuf.Enum"


def shop_file() -> descriptor_pb2.FileDescriptorProto:
    """package shop; enum Color {RED=0; GREEN=1;}; message Order { oneof pay {string card=1; int64 cash=2;}
    Line line=3; Color color=4; Status status=5; map<string,int64> counts=6; map<string,string> order_lines=7;
    message Line {string sku=1;} enum Status {OPEN=0; SHIPPED=3;} }"""
    proto = descriptor_pb2.FileDescriptorProto(name="shop.proto", package="shop", syntax="proto3")
    color = proto.enum_type.add(name="Color")
    color.value.add(name="RED", number=0)
    color.value.add(name="GREEN", number=1)
    order = proto.message_type.add(name="Order")
    order.oneof_decl.add(name="pay")
    order.field.add(name="card", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, oneof_index=0)
    order.field.add(name="cash", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL, oneof_index=0)
    order.field.add(name="line", number=3, type=F.TYPE_MESSAGE, type_name=".shop.Order.Line", label=F.LABEL_OPTIONAL)
    order.field.add(name="color", number=4, type=F.TYPE_ENUM, type_name=".shop.Color", label=F.LABEL_OPTIONAL)
    order.field.add(name="status", number=5, type=F.TYPE_ENUM, type_name=".shop.Order.Status", label=F.LABEL_OPTIONAL)
    for number, (field, entry, value_type) in enumerate(
        [("counts", "CountsEntry", F.TYPE_INT64), ("order_lines", "OrderLinesEntry", F.TYPE_STRING)], 6
    ):
        order.field.add(name=field, number=number, type=F.TYPE_MESSAGE, type_name=f".shop.Order.{entry}",
                        label=F.LABEL_REPEATED)  # fmt: skip
        nested = order.nested_type.add(name=entry)
        nested.options.map_entry = True
        nested.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
        nested.field.add(name="value", number=2, type=value_type, label=F.LABEL_OPTIONAL)
    order.nested_type.add(name="Line").field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    status = order.enum_type.add(name="Status")
    status.value.add(name="OPEN", number=0)
    status.value.add(name="SHIPPED", number=3)
    return proto


def order_bytes(converter: ProtobufConverter) -> bytes:
    text = base64.b64encode(shop_file().SerializeToString()).decode()
    schema_id = converter.registry.id_for("t-value", RegistrySchema(text, "PROTOBUF"), register=True)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(shop_file())
    kinds: dict[str, Any] = {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"shop.{name}"))
        for name in ("Order", "Order.Line")
    }
    order = kinds["Order"](cash=40, line=kinds["Order.Line"](sku="A-1"), color=1, status=3, counts={"x": 2},
                           order_lines={"a": "b"})  # fmt: skip
    return wire.header(schema_id) + wire.message_indexes([0]) + order.SerializeToString()


def converter(url: str, **configs: str) -> ProtobufConverter:
    made = ProtobufConverter()
    made.configure({"schema.registry.url": url, **configs}, False)
    return made


def names(schema: Any) -> dict[str, str | None]:
    return {field.name: field.schema.name for field in schema.fields}


@pytest.mark.parametrize(
    ("configs", "message", "expected"),
    [
        (
            {},
            "Order",
            {"pay_0": UNION + "pay", "line": "Line", "color": "Color", "status": "Status", "counts": "counts",
             "order_lines": "order_lines"},
        ),
        (
            {"enhanced.protobuf.schema.support": "true"},
            "shop.Order",
            {"pay_0": UNION + "shop.Order.pay", "line": "shop.Order.Line", "color": "shop.Color",
             "status": "shop.Order.Status", "counts": "shop.Order.counts", "order_lines": "shop.Order.order_lines"},
        ),
        ({"generate.index.for.unions": "false"}, "Order", {"pay": UNION + "pay"}),
    ],
    ids=["default", "enhanced", "unindexed-unions"],
)  # fmt: skip
def test_schema_names_follow_the_enhanced_support_setting(
    configs: dict[str, str], message: str, expected: dict[str, str]
) -> None:
    url = f"mock://{uuid.uuid4().hex}"
    read = converter(url, **configs)
    back = read.to_connect_data("t", order_bytes(read))
    schema, value = back.schema, back.value
    assert schema.name == message
    assert {name: names(schema)[name] for name in expected} == expected
    union = next(iter(expected))
    # the enum parameters keep the simple enum name and the symbols' numbers either way
    assert schema.field("color").schema.parameters == {ENUM: "Color", f"{ENUM}.RED": "0", f"{ENUM}.GREEN": "1",
                                                       "io.confluent.connect.protobuf.Tag": "4"}  # fmt: skip
    assert schema.field("status").schema.parameters[ENUM] == "Status"
    assert (value.get(union).get("cash"), value.get(union).get("card")) == (40, None)
    assert (value.get("line").get("sku"), value.get("color"), value.get("status")) == ("A-1", "GREEN", "SHIPPED")
    assert (value.get("counts"), value.get("order_lines")) == ({"x": 2}, {"a": "b"})


def test_an_enhanced_read_is_written_back_as_the_same_protobuf_shape() -> None:
    """The full names are Connect's only: written back, the package, the message, the oneof (not its field's
    `pay_0`), the nested message and the enums get their Protobuf names again, and an enhanced read of the written
    record gives the names and values read first (an enum now nested in the message, as Confluent writes it)."""
    url = f"mock://{uuid.uuid4().hex}"
    enhanced = {"enhanced.protobuf.schema.support": "true"}
    first = converter(url, **enhanced)
    read = first.to_connect_data("t", order_bytes(first))
    out = converter(url, **enhanced)
    data = out.from_connect_data("copy", read.schema, read.value)
    assert data is not None
    proto = descriptor_pb2.FileDescriptorProto.FromString(
        base64.b64decode(out.registry.latest("copy-value").schema.schema_str or "")
    )
    (message,) = proto.message_type
    assert (proto.package, message.name, [o.name for o in message.oneof_decl]) == ("shop", "Order", ["pay"])
    assert sorted(n.name for n in message.nested_type) == ["CountsEntry", "Line", "OrderLinesEntry"]
    assert sorted(e.name for e in message.enum_type) == ["Color", "Status"]
    again = converter(url, **enhanced).to_connect_data("copy", data)
    assert to_plain(again.value) == to_plain(read.value)
    assert names(again.schema) == {**names(read.schema), "color": "shop.Order.Color"}

"""AvroConverter on an in-memory registry (mock://): Confluent's schema mapping, wire format, configs and errors."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

import pytest

from connectless.config import ConfigError
from connectless.converters import create_converter
from connectless.converters.registry import AvroConverter, RegistryUnavailableError
from connectless.converters.registry.avro_data import AvroData
from connectless.converters.registry.client import mock_client
from connectless.data.errors import DataError
from connectless.data.logical import DATE_SCHEMA, TIME_SCHEMA, TIMESTAMP_SCHEMA, decimal_schema
from connectless.data.schema import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)
from connectless.data.struct import Struct
from connectless.errors import RetriableError

INNER = SchemaBuilder.struct().name("com.example.Inner").field("x", INT32_SCHEMA).build()
ORDER = (
    SchemaBuilder.struct()
    .name("com.example.Order")
    .version(3)
    .doc("an order")
    .field("i8", INT8_SCHEMA)
    .field("i16", INT16_SCHEMA)
    .field("i32", INT32_SCHEMA)
    .field("i64", INT64_SCHEMA)
    .field("f32", FLOAT32_SCHEMA)
    .field("f64", FLOAT64_SCHEMA)
    .field("b", BOOLEAN_SCHEMA)
    .field("s", STRING_SCHEMA)
    .field("by", BYTES_SCHEMA)
    .field("opt", OPTIONAL_STRING_SCHEMA)
    .field("withdef", SchemaBuilder.string().default_value("dflt").build())
    .field("dec", decimal_schema(2))
    .field("d", DATE_SCHEMA)
    .field("t", TIME_SCHEMA)
    .field("ts", TIMESTAMP_SCHEMA)
    .field("arr", SchemaBuilder.array(INT32_SCHEMA).build())
    .field("m", SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build())
    .field("mi", SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build())
    .field("inner", INNER)
    .field("optinner", SchemaBuilder.struct().name("com.example.Opt").field("y", STRING_SCHEMA).optional().build())
    .build()
)


def order() -> Struct:
    values: dict[str, Any] = {
        "i8": -3,
        "i16": 300,
        "i32": 70000,
        "i64": 2**40,
        "f32": 1.5,
        "f64": 2.25,
        "b": True,
        "s": "héllo",
        "by": b"\x00\x01",
        "opt": None,
        "withdef": "x",
        "dec": decimal.Decimal("-12.34"),
        "d": dt.date(2024, 1, 2),
        "t": dt.time(1, 2, 3, 4000),
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC),
        "arr": [1, 2],
        "m": {"a": 1},
        "mi": {1: "one", 2: "two"},
        "inner": Struct(INNER).put("x", 5),
        "optinner": None,
    }
    struct = Struct(ORDER)
    for name, value in values.items():
        struct.put(name, value)
    return struct


def converter(is_key: bool = False, **configs: Any) -> AvroConverter:
    props = {"schema.registry.url": f"mock://{uuid.uuid4().hex}", **configs}
    made = AvroConverter()
    made.configure(props, is_key)
    return made


def test_round_trip_keeps_values_and_the_connect_schema() -> None:
    avro = converter()
    data = avro.from_connect_data("orders", ORDER, order())
    assert data is not None and data[0] == 0 and int.from_bytes(data[1:5], "big") >= 1
    back = avro.to_connect_data("orders", data)
    assert back.value == order()
    assert back.schema == ORDER  # name, version 3 (connect.version wins over the registry's), doc, every field


def test_registry_version_becomes_the_connect_version_when_connect_gave_none() -> None:
    schema = SchemaBuilder.struct().name("V").field("a", INT32_SCHEMA).build()
    avro = converter()
    back = avro.to_connect_data("t", avro.from_connect_data("t", schema, Struct(schema).put("a", 1)))
    assert back.schema.version == 1


def test_avro_schema_follows_confluents_mapping() -> None:
    optional_with_default = SchemaBuilder.int32().optional().default_value(7).build()
    schema = (
        SchemaBuilder.struct()
        .field("i8", INT8_SCHEMA)
        .field("dec", decimal_schema(2))
        .field("opt", OPTIONAL_STRING_SCHEMA)
        .field("optdef", optional_with_default)
        .field("mi", SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build())
        .field("d", DATE_SCHEMA)
        .build()
    )
    avro = AvroData().from_connect_schema(schema)
    assert (avro["name"], avro["namespace"]) == ("ConnectDefault", "io.confluent.connect.avro")
    fields = {f["name"]: f for f in avro["fields"]}
    assert fields["i8"]["type"] == {"type": "int", "connect.type": "int8"}
    dec = fields["dec"]["type"]
    assert (dec["type"], dec["logicalType"], dec["precision"], dec["scale"]) == ("bytes", "decimal", 64, 2)
    assert dec["connect.name"] == "org.apache.kafka.connect.data.Decimal" and dec["connect.parameters"] == {
        "scale": "2"
    }
    assert fields["opt"] == {"name": "opt", "type": ["null", "string"], "default": None}
    assert fields["optdef"]["type"][1] == "null" and fields["optdef"]["default"] == 7
    entry = fields["mi"]["type"]["items"]
    assert fields["mi"]["type"]["type"] == "array"
    assert (entry["name"], entry["namespace"]) == ("MapEntry", "io.confluent.connect.avro")
    assert [f["name"] for f in entry["fields"]] == ["key", "value"]
    assert fields["d"]["type"]["logicalType"] == "date"


def test_connect_meta_data_false_writes_no_connect_properties() -> None:
    avro = AvroData(connect_meta_data=False).from_connect_schema(ORDER)
    assert '"connect.' not in json.dumps(avro)  # no connect.* property (the MapEntry namespace stays)


def test_avro_enum_is_a_string_with_parameters_and_enhanced_support_writes_it_back_as_an_enum() -> None:
    avro_schema = {"type": "record", "name": "E", "fields": [{"name": "c", "type": {"type": "enum", "name": "Color",
                   "namespace": "x", "symbols": ["RED", "GREEN"]}}]}  # fmt: skip
    schema, _, _ = AvroData().to_connect_schema(avro_schema)
    color = schema.field("c").schema  # type: ignore[union-attr]
    assert color.parameters == {
        "io.confluent.connect.avro.Enum": "x.Color",
        "io.confluent.connect.avro.Enum.RED": "RED",
        "io.confluent.connect.avro.Enum.GREEN": "GREEN",
    }
    plain = AvroData().from_connect_schema(schema)["fields"][0]["type"]
    assert plain["type"] == "string"
    enhanced = AvroData(enhanced_schema_support=True).from_connect_schema(schema)["fields"][0]["type"]
    assert (enhanced["type"], enhanced["name"], enhanced["symbols"]) == ("enum", "Color", ["RED", "GREEN"])
    converted = converter(**{"enhanced.avro.schema.support": "true"})
    data = converted.from_connect_data("t", schema, Struct(schema).put("c", "GREEN"))
    assert converted.to_connect_data("t", data).value.get("c") == "GREEN"


def test_general_union_becomes_a_union_struct_both_ways() -> None:
    avro_schema = {"type": "record", "name": "U", "fields": [{"name": "u", "type": ["null", "int", "string",
                   {"type": "record", "name": "P", "fields": [{"name": "q", "type": "int"}]}]}]}  # fmt: skip
    schema, _, named = AvroData().to_connect_schema(avro_schema)
    union = schema.field("u").schema  # type: ignore[union-attr]
    assert union.name == "io.confluent.connect.avro.Union" and union.optional
    assert [f.name for f in union.fields] == ["int", "string", "P"]
    assert named
    avro = converter()
    for branch, value in (("string", "s"), ("int", 4), ("P", Struct(union.field("P").schema).put("q", 9))):  # type: ignore[union-attr]
        struct = Struct(schema).put("u", Struct(union).put(branch, value))
        back = avro.to_connect_data("t", avro.from_connect_data("t", schema, struct)).value
        assert back.get("u").get(branch) == value


def test_recursive_avro_schema_is_refused_with_a_clear_error() -> None:
    linked = {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]}
    with pytest.raises(DataError, match="Recursive Avro schemas"):
        AvroData().to_connect_schema(linked)


def test_null_and_tombstones() -> None:
    avro = converter()
    optional = SchemaBuilder.struct().field("a", INT32_SCHEMA).optional().build()
    assert avro.from_connect_data("t", optional, None) is None
    assert avro.from_connect_data("t", None, None) is None
    back = avro.to_connect_data("t", None)
    assert back.schema is None and back.value is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x00\x00\x00\x01\x02", "Unknown magic byte"),
        (b"\x00\x00", "Unknown magic byte"),
        (b"\x00\x00\x01\x86\xa0\x02", "Error retrieving schema for id 100000"),
    ],
)
def test_bad_bytes_fail_with_confluents_messages(data: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message) as failed:
        converter().to_connect_data("orders", data)
    assert "Failed to deserialize data for topic orders to Avro" in str(failed.value)


def test_truncated_payload_is_a_data_error() -> None:
    avro = converter()
    data = avro.from_connect_data("orders", ORDER, order())
    with pytest.raises(DataError, match="Error deserializing Avro message"):
        avro.to_connect_data("orders", data[:20])


def test_registry_down_is_retriable() -> None:
    avro = AvroConverter()
    avro.configure({"schema.registry.url": "http://127.0.0.1:9"}, False)
    with pytest.raises(RetriableError) as failed:
        avro.to_connect_data("orders", b"\x00\x00\x00\x00\x07\x02")
    assert isinstance(failed.value, RegistryUnavailableError)
    assert "unavailable" in str(failed.value)


def test_subject_name_strategies() -> None:
    url = f"mock://{uuid.uuid4().hex}"
    schema = SchemaBuilder.struct().name("com.example.Rec").field("a", INT32_SCHEMA).build()
    value = Struct(schema).put("a", 1)
    for strategy, is_key, subject in (
        ("TopicNameStrategy", True, "orders-key"),
        ("io.confluent.kafka.serializers.subject.RecordNameStrategy", False, "com.example.Rec"),
        ("TopicRecordNameStrategy", False, "orders-com.example.Rec"),
    ):
        role = "key" if is_key else "value"
        avro = AvroConverter()
        avro.configure({"schema.registry.url": url, f"{role}.subject.name.strategy": strategy}, is_key)
        avro.from_connect_data("orders", schema, value)
        assert subject in mock_client(url).get_subjects()


def test_without_auto_register_an_unknown_schema_is_an_error() -> None:
    avro = converter(**{"auto.register.schemas": "false"})
    with pytest.raises(DataError, match="Failed to serialize Avro data from topic t"):
        avro.from_connect_data("t", INNER, Struct(INNER).put("x", 1))


def test_use_latest_version_writes_with_the_latest_schema_and_strict_refuses_what_it_cannot_read() -> None:
    url = f"mock://{uuid.uuid4().hex}"
    v1 = SchemaBuilder.struct().name("R").field("a", INT32_SCHEMA).build()
    writer = AvroConverter()
    writer.configure({"schema.registry.url": url}, False)
    writer.from_connect_data("t", v1, Struct(v1).put("a", 1))
    v2 = SchemaBuilder.struct().name("R").field("a", INT32_SCHEMA).field("b", SchemaBuilder.string().default_value(
        "x").build()).build()  # fmt: skip
    writer.from_connect_data("t", v2, Struct(v2).put("a", 1).put("b", "y"))
    latest = AvroConverter()
    latest.configure(
        {"schema.registry.url": url, "use.latest.version": "true", "auto.register.schemas": "false"}, False
    )
    data = latest.from_connect_data("t", v1, Struct(v1).put("a", 5))
    back = latest.to_connect_data("t", data)
    assert back.value.get("a") == 5 and back.value.get("b") == "x"  # v1 data written as v2, the default filled
    assert back.schema.version == 2
    incompatible = SchemaBuilder.struct().name("R").field("a", STRING_SCHEMA).build()
    with pytest.raises(DataError, match="not compatible with latest schema"):
        latest.from_connect_data("t", incompatible, Struct(incompatible).put("a", "no"))


def test_each_schema_id_is_fetched_once_and_the_caches_are_bounded() -> None:
    url = f"mock://{uuid.uuid4().hex}"
    writer = AvroConverter()
    writer.configure({"schema.registry.url": url}, False)
    payloads = []
    for n in range(5):
        schema = SchemaBuilder.struct().name(f"R{n}").field("a", INT32_SCHEMA).build()
        payloads.append(writer.from_connect_data("t", schema, Struct(schema).put("a", n)))
    reader = AvroConverter()
    reader.configure({"schema.registry.url": url, "max.schemas.per.subject": "3"}, False)
    fetched: list[int] = []
    original = reader.registry.client.get_schema
    reader.registry.client.get_schema = lambda schema_id, *a, **k: fetched.append(schema_id) or original(schema_id)  # type: ignore[method-assign]
    for _ in range(3):
        for data in payloads[:3]:
            reader.to_connect_data("t", data)
    assert len(fetched) == 3
    for data in payloads:
        reader.to_connect_data("t", data)
    assert len(reader._readings) <= 3 and len(reader.registry._by_id) <= 3


def test_configs_through_the_worker_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_converter(
        "value.converter",
        {
            "value.converter": "io.confluent.connect.avro.AvroConverter",
            "value.converter.schema.registry.url": "http://a:8081,http://b:8081",
            "value.converter.basic.auth.credentials.source": "USER_INFO",
            "value.converter.basic.auth.user.info": "user:secret",
        },
    )
    assert made.settings.urls == ("http://a:8081", "http://b:8081") and made.settings.user_info == "user:secret"
    with pytest.raises(ConfigError, match=r"schema\.registry\.url"):
        create_converter("key.converter", {"key.converter": "AvroConverter"})
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://from-env:8081")
    assert create_converter("key.converter", {"key.converter": "AvroConverter"}).settings.urls == (
        "http://from-env:8081",
    )
    with pytest.raises(ConfigError, match="value.subject.name.strategy"):
        create_converter(
            "value.converter", {"value.converter": "AvroConverter", "value.converter.value.subject.name.strategy": "X"}
        )


def test_schema_references_resolve_through_the_registry() -> None:
    import io

    import fastavro
    from confluent_kafka.schema_registry import Schema, SchemaReference

    url = f"mock://{uuid.uuid4().hex}"
    client = mock_client(url)
    inner = {"type": "record", "name": "Money", "namespace": "com.x", "fields": [{"name": "cents", "type": "long"}]}
    client.register_schema("money", Schema(json.dumps(inner), "AVRO"))
    outer = {"type": "record", "name": "Invoice", "namespace": "com.x",
             "fields": [{"name": "no", "type": "string"}, {"name": "total", "type": "Money"}]}  # fmt: skip
    references = [SchemaReference("com.x.Money", "money", 1)]
    schema_id = client.register_schema("bills-value", Schema(json.dumps(outer), "AVRO", references))
    named: dict[str, Any] = {}
    fastavro.parse_schema(inner, named)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(outer, named), {"no": "F-1", "total": {"cents": 1250}})
    avro = AvroConverter()
    avro.configure({"schema.registry.url": url}, False)
    back = avro.to_connect_data("bills", b"\x00" + schema_id.to_bytes(4, "big") + out.getvalue())
    assert back.schema.name == "com.x.Invoice" and back.schema.field("total").schema.name == "com.x.Money"
    assert back.value.get("total").get("cents") == 1250

"""The AWS Glue Schema Registry converters on moto's Glue: Glue's wire format, registration, evolution, errors."""

from __future__ import annotations

import io
import json
import uuid
import zlib
from typing import TYPE_CHECKING, Any

import boto3
import fastavro
import pytest
from moto import mock_aws

from connectless.config.errors import ConfigError
from connectless.converters import create_converter
from connectless.converters.registry import AWSKafkaAvroConverter, AWSKafkaJsonSchemaConverter, RegistryUnavailableError
from connectless.data.errors import DataError
from connectless.data.logical import TIMESTAMP_SCHEMA
from connectless.data.schema import INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, SchemaBuilder
from connectless.data.struct import Struct

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "eu-west-1"
ORDER = (SchemaBuilder.struct().name("shop.Order").field("id", INT64_SCHEMA).field("note", OPTIONAL_STRING_SCHEMA)
         .field("at", TIMESTAMP_SCHEMA).build())  # fmt: skip


@pytest.fixture
def glue(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("glue", region_name=REGION)
        client.create_registry(RegistryName="orders-registry")
        yield client


def converter(cls: type = AWSKafkaAvroConverter, is_key: bool = False, **configs: Any) -> Any:
    made = cls()
    made.configure({"region": REGION, "registry.name": "orders-registry", "schemaAutoRegistrationEnabled": "true",
                    **configs}, is_key)  # fmt: skip
    return made


def order(n: int) -> Struct:
    import datetime as dt

    return Struct(ORDER).put("id", n).put("note", None).put("at", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_avro_round_trip_in_glues_wire_format_and_the_schema_auto_registered(glue: Any) -> None:
    avro = converter()
    data = avro.from_connect_data("orders", ORDER, order(1))
    assert data[:2] == b"\x03\x00"
    version = uuid.UUID(bytes=data[2:18])
    described = glue.get_schema_version(SchemaVersionId=str(version))
    assert described["DataFormat"] == "AVRO" and json.loads(described["SchemaDefinition"])["name"] == "Order"
    schema = glue.get_schema(SchemaId={"RegistryName": "orders-registry", "SchemaName": "orders"})
    assert schema["Compatibility"] == "BACKWARD"
    back = converter(**{"schemaAutoRegistrationEnabled": "false"}).to_connect_data("orders", data)
    assert back.value == order(1) and back.schema == ORDER


def test_zlib_compression_byte_and_payload(glue: Any) -> None:
    data = converter(compression="ZLIB").from_connect_data("orders", ORDER, order(2))
    assert data[:2] == b"\x03\x05"
    zlib.decompress(data[18:])  # a zlib stream, as Java's Deflater writes
    assert converter().to_connect_data("orders", data).value.get("id") == 2


def test_records_written_by_glues_serializer_are_read(glue: Any) -> None:
    """Bytes framed as Glue's own serializer frames them: version byte 3, no compression, the version's UUID."""
    fields = [{"name": "seq", "type": "long"}, {"name": "host", "type": "string"}]
    definition = json.dumps({"type": "record", "name": "Ping", "fields": fields})
    created = glue.create_schema(RegistryId={"RegistryName": "orders-registry"}, SchemaName="pings",
                                 DataFormat="AVRO", Compatibility="BACKWARD", SchemaDefinition=definition)  # fmt: skip
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(json.loads(definition)), {"seq": 9, "host": "a"})
    data = b"\x03\x00" + uuid.UUID(created["SchemaVersionId"]).bytes + out.getvalue()
    back = converter().to_connect_data("pings", data)
    assert back.schema.name == "Ping" and [f.name for f in back.schema.fields] == ["seq", "host"]
    assert (back.value.get("seq"), back.value.get("host")) == (9, "a")


def test_evolution_registers_a_new_version_and_both_read_back(glue: Any) -> None:
    v2 = (SchemaBuilder.struct().name("shop.Order").field("id", INT64_SCHEMA).field("note", OPTIONAL_STRING_SCHEMA)
          .field("at", TIMESTAMP_SCHEMA).field("channel", SchemaBuilder.string().default_value("web").build())
          .build())  # fmt: skip
    avro = converter()
    first = avro.from_connect_data("orders", ORDER, order(1))
    second = avro.from_connect_data("orders", v2, _v2_value(v2))
    assert first[2:18] != second[2:18]
    schema_id = {"RegistryName": "orders-registry", "SchemaName": "orders"}
    assert glue.get_schema(SchemaId=schema_id)["LatestSchemaVersion"] == 2
    reader = converter()
    assert [f.name for f in reader.to_connect_data("orders", first).schema.fields] == ["id", "note", "at"]
    newer = reader.to_connect_data("orders", second)
    assert newer.value.get("channel") == "app" and newer.schema.field("channel").schema.default == "web"


def _v2_value(v2: Any) -> Struct:
    import datetime as dt

    return Struct(v2).put("id", 2).put("at", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).put("channel", "app")


def test_without_auto_registration_an_unknown_schema_is_refused(glue: Any) -> None:
    with pytest.raises(DataError, match="Failed to serialize Avro data from topic orders"):
        converter(**{"schemaAutoRegistrationEnabled": "false"}).from_connect_data("orders", ORDER, order(1))


def test_schema_name_config_and_the_json_schema_sibling(glue: Any) -> None:
    schema = SchemaBuilder.struct().name("Label").field("text", STRING_SCHEMA).build()
    conv = converter(AWSKafkaJsonSchemaConverter, schemaName="labels")
    data = conv.from_connect_data("anything", schema, Struct(schema).put("text", "hi"))
    assert json.loads(data[18:]) == {"text": "hi"}
    assert glue.get_schema(SchemaId={"RegistryName": "orders-registry", "SchemaName": "labels"})["DataFormat"] == "JSON"
    back = conv.to_connect_data("anything", data)
    assert back.value.get("text") == "hi" and back.schema.name == "Label"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00" + bytes(16) + b"x", "header version byte"),
        (b"\x03\x09" + bytes(16) + b"x", "compression byte"),
        (b"\x03\x00" + b"\x01" * 5, "too short"),
        (b"\x03\x00" + uuid.uuid4().bytes + b"x", "Error retrieving schema version"),
    ],
)
def test_bad_bytes_are_data_errors(glue: Any, data: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        converter().to_connect_data("orders", data)


def test_an_unreachable_registry_is_retriable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    conv = converter(endpoint="http://127.0.0.1:9")
    with pytest.raises(RegistryUnavailableError, match="Glue Schema Registry unavailable"):
        conv.to_connect_data("orders", b"\x03\x00" + uuid.uuid4().bytes + b"x")


def test_by_class_name() -> None:
    made = create_converter("value.converter", {
        "value.converter": "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter",
        "value.converter.region": REGION, "value.converter.compression": "ZLIB",
    })  # fmt: skip
    assert isinstance(made, AWSKafkaAvroConverter) and made.registry.registry == "default-registry"


def test_compatibility_and_data_format_configs(glue: Any) -> None:
    converter(compatibility="FULL", dataFormat="AVRO").from_connect_data("orders", ORDER, order(1))
    schema = glue.get_schema(SchemaId={"RegistryName": "orders-registry", "SchemaName": "orders"})
    assert (schema["Compatibility"], schema["DataFormat"]) == ("FULL", "AVRO")
    with pytest.raises(DataError, match="AWSKafkaAvroConverter writes AVRO, not dataFormat=JSON"):
        converter(dataFormat="JSON")
    with pytest.raises(ConfigError, match="compatibility"):
        converter(compatibility="SOMETIMES")

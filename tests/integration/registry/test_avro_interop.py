"""AvroConverter against confluent-kafka's own AvroSerializer/AvroDeserializer, a real registry (Apicurio's
Confluent API) and a real broker: what Confluent clients write, Connectless sinks read with the expected values and
Connect schemas; what Connectless sources write, Confluent clients read; schemas evolve; bad bytes, a registry that
is down and an incompatible schema behave as errors.* says."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import socket
import time
from typing import TYPE_CHECKING

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from registry_interop import consume, produce, run_sink, sink_config, topic_with, written

import sink_fakes
from connectless.converters.registry import AvroConverter
from connectless.data.errors import DataError
from connectless.data.logical import DATE_SCHEMA, TIMESTAMP_SCHEMA, decimal_builder
from connectless.data.schema import INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, SchemaBuilder
from connectless.data.struct import Struct
from connectless.kafka import KafkaSettings
from connectless.standalone.inprocess_sink import SinkTaskFailedError
from connectless.standalone.worker import StandaloneWorker, WorkerOptions

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka

AVRO = "io.confluent.connect.avro.AvroConverter"
PAYMENT = json.dumps({
    "type": "record", "name": "Payment", "namespace": "com.shop", "fields": [
        {"name": "id", "type": "long"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "int"}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["CARD", "CASH"]}},
    ],
})  # fmt: skip


def test_confluent_avro_serializer_output_is_read_with_the_expected_values_and_connect_schema(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = topic_with(kafka_admin, unique_topic)
    serializer = AvroSerializer(SchemaRegistryClient({"url": schema_registry_url}), PAYMENT)
    at = dt.datetime(2026, 5, 4, 3, 2, 1, 123000, tzinfo=dt.UTC)
    record = {"id": 7, "amount": decimal.Decimal("1234.50"), "day": dt.date(2026, 5, 4), "at": at, "note": None,
              "tags": ["a", "b"], "attrs": {"x": 1}, "kind": "CASH"}  # fmt: skip
    produce(kafka_bootstrap, topic, [serializer(record, SerializationContext(topic, MessageField.VALUE))])
    config = sink_config(topic, schema_registry_url)
    run_sink(kafka_bootstrap, config, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 1)

    (value,) = written(config)
    kind = SchemaBuilder.string().name("com.shop.Kind").parameter("io.confluent.connect.avro.Enum", "com.shop.Kind")
    kind.parameter("io.confluent.connect.avro.Enum.CARD", "CARD").parameter(
        "io.confluent.connect.avro.Enum.CASH", "CASH"
    )
    expected = (
        SchemaBuilder.struct().name("com.shop.Payment").version(1)
        .field("id", INT64_SCHEMA)
        .field("amount", decimal_builder(2).parameter("connect.decimal.precision", "10").build())
        .field("day", DATE_SCHEMA)
        .field("at", TIMESTAMP_SCHEMA)
        .field("note", OPTIONAL_STRING_SCHEMA)
        .field("tags", SchemaBuilder.array(STRING_SCHEMA).build())
        .field("attrs", SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build())
        .field("kind", kind.build())
        .build()
    )  # fmt: skip
    assert value.schema == expected
    assert [value.get(f.name) for f in expected.fields] == [
        7, decimal.Decimal("1234.50"), dt.date(2026, 5, 4), at, None, ["a", "b"], {"x": 1}, "CASH"]  # fmt: skip


def test_schema_evolution_a_field_added_with_a_default_reads_across_versions(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = topic_with(kafka_admin, unique_topic)
    client = SchemaRegistryClient({"url": schema_registry_url})
    v1 = {"type": "record", "name": "Item", "fields": [{"name": "id", "type": "long"}]}
    v2 = {**v1, "fields": [*v1["fields"], {"name": "currency", "type": "string", "default": "EUR"}]}
    ctx = SerializationContext(topic, MessageField.VALUE)
    first = AvroSerializer(client, json.dumps(v1))({"id": 1}, ctx)
    second = AvroSerializer(client, json.dumps(v2))({"id": 2, "currency": "USD"}, ctx)
    produce(kafka_bootstrap, topic, [first, second])
    config = sink_config(topic, schema_registry_url)
    run_sink(kafka_bootstrap, config, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 2)

    old, new = written(config)
    assert (old.schema.version, [f.name for f in old.schema.fields], old.get("id")) == (1, ["id"], 1)
    assert (new.schema.version, [f.name for f in new.schema.fields]) == (2, ["id", "currency"])
    assert (new.get("id"), new.get("currency")) == (2, "USD")
    currency = new.schema.field("currency").schema
    assert currency.default == "EUR" and currency.parameters == {"io.confluent.connect.avro.field.default": "true"}

    # and a Connectless writer on the same subject with use.latest.version fills the new field's default
    latest = AvroConverter()
    latest.configure({"schema.registry.url": schema_registry_url, "use.latest.version": "true",
                      "auto.register.schemas": "false"}, False)  # fmt: skip
    old_schema = SchemaBuilder.struct().name("Item").field("id", INT64_SCHEMA).build()
    data = latest.from_connect_data(topic, old_schema, Struct(old_schema).put("id", 3))
    assert AvroDeserializer(client)(data, ctx) == {"id": 3, "currency": "EUR"}


def test_connectless_source_output_is_read_by_confluents_avro_deserializer(
    kafka_bootstrap: str, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = unique_topic("avro-src")
    prefix = unique_topic("avro-worker")
    options = WorkerOptions(offsets_topic=f"{prefix}-offsets", configs_topic=f"{prefix}-configs",
                            status_topic=f"{prefix}-status", rest_port=None, commit_interval_s=0.2)  # fmt: skip
    worker = StandaloneWorker(KafkaSettings(kafka_bootstrap), options)
    worker.start()
    try:
        worker.add_connector(f"gen-{topic}", {
            "connector.class": "Datagen", "kafka.topic": topic, "max.records": "20", "batch.size": "10",
            "value.converter": AVRO, "value.converter.schema.registry.url": schema_registry_url,
        })  # fmt: skip
        messages = consume(kafka_bootstrap, topic, 20, timeout=60)
    finally:
        worker.stop()
    assert len(messages) == 20
    client = SchemaRegistryClient({"url": schema_registry_url})
    deserialize = AvroDeserializer(client)
    ctx = SerializationContext(topic, MessageField.VALUE)
    values = sorted((deserialize(m.value(), ctx) for m in messages), key=lambda v: v["id"])
    assert [v["id"] for v in values] == list(range(20))
    first = values[1]
    assert (first["customer"], first["item"], first["amount"], first["status"]) == (
        "customer-0919",
        "pear",
        0.37,
        "PAID",
    )
    assert isinstance(first["created_at"], dt.datetime) and first["created_at"].tzinfo is not None
    registered = json.loads(client.get_latest_version(f"{topic}-value").schema.schema_str)
    assert registered["name"] == "orders" and registered["namespace"] == "connectless.datagen"


def test_bad_bytes_go_to_the_dead_letter_queue_with_kafka_connects_headers(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = topic_with(kafka_admin, unique_topic)
    dlq = topic_with(kafka_admin, unique_topic, "avro-dlq")
    good_schema = {"type": "record", "name": "G", "fields": [{"name": "n", "type": "string"}]}
    serialize = AvroSerializer(SchemaRegistryClient({"url": schema_registry_url}), json.dumps(good_schema))
    ctx = SerializationContext(topic, MessageField.VALUE)
    good = serialize({"n": "a long enough string to truncate"}, ctx)
    bad = [b"\x01" + good[1:], b"\x00\x7f\xff\xff\xf0" + good[5:], good[:9]]  # magic, unknown id, truncated
    produce(kafka_bootstrap, topic, [good, *bad, good])
    config = sink_config(topic, schema_registry_url, **{
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1", "errors.deadletterqueue.context.headers.enable": "true",
    })  # fmt: skip
    run_sink(kafka_bootstrap, config, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 2)

    assert [v.get("n") for v in written(config)] == ["a long enough string to truncate"] * 2
    dead = consume(kafka_bootstrap, dlq, 3)
    assert [m.value() for m in dead] == bad
    for message, expected in zip(dead, ("Unknown magic byte", "Error retrieving schema for id 2147483632",
                                        "Error deserializing Avro message"), strict=True):  # fmt: skip
        headers = {k: (v or b"").decode() for k, v in message.headers()}
        assert headers["__connect.errors.stage"] == "VALUE_CONVERTER"
        assert headers["__connect.errors.topic"] == topic
        assert "AvroConverter" in headers["__connect.errors.class.name"]
        assert expected in headers["__connect.errors.exception.message"]
        assert f"Failed to deserialize data for topic {topic} to Avro" in headers["__connect.errors.exception.message"]


def test_tolerance_none_fails_the_task_naming_topic_partition_and_offset(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = topic_with(kafka_admin, unique_topic)
    produce(kafka_bootstrap, topic, [b"\x00\x7f\xff\xff\xf1\x02"])
    config = sink_config(topic, schema_registry_url)
    with pytest.raises(SinkTaskFailedError) as failed:
        run_sink(kafka_bootstrap, config, lambda: False, timeout=30)
    message = str(failed.value)
    assert f"{topic}-0@0 (errors.tolerance=none)" in message
    assert "Error retrieving schema for id 2147483633" in message


def test_a_registry_that_is_down_is_retried_within_the_retry_timeout_then_tolerated(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{closed.getsockname()[1]}"
    topic = topic_with(kafka_admin, unique_topic)
    dlq = topic_with(kafka_admin, unique_topic, "avro-dlq")
    produce(kafka_bootstrap, topic, [b"\x00\x00\x00\x00\x01\x02"])
    config = sink_config(topic, down, **{
        "errors.tolerance": "all", "errors.retry.timeout": "1500", "errors.retry.delay.max.ms": "400",
        "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    })  # fmt: skip
    started = time.monotonic()
    run_sink(kafka_bootstrap, config, lambda: bool(consume(kafka_bootstrap, dlq, 1, timeout=0.5)), timeout=40)
    elapsed = time.monotonic() - started
    (dead,) = consume(kafka_bootstrap, dlq, 1)
    headers = {k: (v or b"").decode() for k, v in dead.headers()}
    assert "RegistryUnavailableError" in headers["__connect.errors.exception.class.name"]
    assert "unavailable" in headers["__connect.errors.exception.message"]
    assert elapsed >= 1.5  # it kept retrying for errors.retry.timeout first


def test_an_incompatible_schema_is_refused_on_auto_register_with_the_registrys_message(
    unique_topic: Callable[..., str], schema_registry_url: str
) -> None:
    topic = unique_topic("avro-compat")
    converter = AvroConverter()
    converter.configure({"schema.registry.url": schema_registry_url}, False)
    v1 = SchemaBuilder.struct().name("C").field("a", INT32_SCHEMA).build()
    converter.from_connect_data(topic, v1, Struct(v1).put("a", 1))
    changed = SchemaBuilder.struct().name("C").field("a", STRING_SCHEMA).build()
    with pytest.raises(DataError) as refused:
        converter.from_connect_data(topic, changed, Struct(changed).put("a", "x"))
    message = str(refused.value)
    assert f"Failed to serialize Avro data from topic {topic}" in message
    assert "not compatible" in message and "409" in message  # Apicurio's own words, and Confluent's status

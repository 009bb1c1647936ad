"""The dead letter queue against a real Apache Kafka broker: what lands there, byte by byte."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, TopicPartition
from confluent_kafka.admin import NewTopic

from connectless.errors import (
    DeadLetterQueueError,
    DeadLetterQueueReporter,
    ErrorsConfig,
    ProcessingContext,
    Stage,
    ToleranceType,
)
from connectless.kafka import KafkaSettings
from connectless.pipeline.sink import SinkPipeline
from connectless.pipeline.source import SourcePipeline
from connectless.raw_records import RawRecord
from connectless.records import Headers, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka import Message
    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka


class JsonConverter:
    pass


def consume(bootstrap: str, topic: str, count: int, timeout: float = 30.0) -> list[Message]:
    consumer = KafkaSettings(bootstrap).consumer(f"check-{topic}")
    consumer.assign([TopicPartition(topic, 0, 0)])
    found: list[Message] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                found.append(msg)
    finally:
        consumer.close()
    return found


def failed_context(raw: RawRecord, message: str = "Unexpected char 'é' at 0") -> ProcessingContext:
    def parse() -> None:
        raise ValueError(message)

    try:
        parse()
    except ValueError as error:
        return ProcessingContext(Stage.VALUE_CONVERTER, JsonConverter, error, 1, raw)
    raise AssertionError("unreachable")


RAW = RawRecord(
    "orders",
    3,
    42,
    1_600_000_000_123,
    "CreateTime",
    b"\x00key",
    b"\xff\xfenot json",
    (("trace-id", b"abc"), ("empty", None), ("trace-id", b"def")),
)


def test_original_record_and_context_headers_byte_by_byte(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    dlq = unique_topic("dlq")
    config = ErrorsConfig(ToleranceType.ALL, dlq_topic=dlq, dlq_context_headers=True)  # replication factor 3
    reporter = DeadLetterQueueReporter(KafkaSettings(kafka_bootstrap), config, "pg-sink", 2)

    future = reporter.report(failed_context(RAW))
    reporter.flush(30)
    assert future.result(0) is None

    (msg,) = consume(kafka_bootstrap, dlq, 1)
    assert msg.key() == b"\x00key"
    assert msg.value() == b"\xff\xfenot json"
    assert msg.timestamp() == (TIMESTAMP_CREATE_TIME, 1_600_000_000_123)
    headers = msg.headers() or []
    assert headers[:3] == [("trace-id", b"abc"), ("empty", None), ("trace-id", b"def")]
    context = headers[3:]
    assert context[:9] == [
        ("__connect.errors.topic", b"orders"),
        ("__connect.errors.partition", b"3"),
        ("__connect.errors.offset", b"42"),
        ("__connect.errors.connector.name", b"pg-sink"),
        ("__connect.errors.task.id", b"2"),
        ("__connect.errors.stage", b"VALUE_CONVERTER"),
        ("__connect.errors.class.name", f"{__name__}.JsonConverter".encode()),
        ("__connect.errors.exception.class.name", b"ValueError"),
        ("__connect.errors.exception.message", "Unexpected char 'é' at 0".encode()),
    ]
    name, trace = context[9]
    assert name == "__connect.errors.exception.stacktrace"
    assert trace is not None
    assert trace.startswith(b"Traceback (most recent call last):\n")
    assert trace.endswith("ValueError: Unexpected char 'é' at 0\n".encode())
    assert b"in parse" in trace
    assert len(context) == 10

    # created because it was missing: one partition, replication capped to this cluster's brokers
    metadata = kafka_admin.list_topics(dlq, timeout=10)
    assert list(metadata.topics[dlq].partitions) == [0]
    assert len(metadata.topics[dlq].partitions[0].replicas) == min(3, len(metadata.brokers))
    reporter.close()


def test_without_context_headers_only_the_original_headers(
    kafka_bootstrap: str, unique_topic: Callable[..., str]
) -> None:
    dlq = unique_topic("dlq")
    reporter = DeadLetterQueueReporter(KafkaSettings(kafka_bootstrap), ErrorsConfig(dlq_topic=dlq), "c", 0)
    untimed = RawRecord("orders", 0, 5, None, key=None, value=b"v")
    reporter.report(failed_context(RAW))
    reporter.report(failed_context(untimed))
    reporter.flush(30)
    first, second = consume(kafka_bootstrap, dlq, 2)
    assert first.headers() == list(RAW.headers)
    assert second.headers() is None
    assert second.key() is None
    assert second.value() == b"v"
    # no original timestamp: the producer stamps it, as Kafka Connect does
    assert abs(second.timestamp()[1] - time.time() * 1000) < 120_000
    reporter.close()


def test_a_broker_rejection_makes_flush_raise(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    dlq = unique_topic("dlq")
    small = NewTopic(dlq, num_partitions=1, replication_factor=1, config={"max.message.bytes": "1024"})
    kafka_admin.create_topics([small])[dlq].result(30)
    reporter = DeadLetterQueueReporter(KafkaSettings(kafka_bootstrap), ErrorsConfig(dlq_topic=dlq), "c", 0)
    big = RawRecord("orders", 0, 9, None, value=b"x" * 8192)
    future = reporter.report(failed_context(big))
    with pytest.raises(DeadLetterQueueError, match="1 record\\(s\\) failed"):
        reporter.flush(30)
    assert isinstance(future.exception(0), DeadLetterQueueError)
    reporter.close()


def test_an_unacknowledged_record_makes_flush_raise(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> None:
    dlq = unique_topic("dlq")
    reporter = DeadLetterQueueReporter(KafkaSettings(kafka_bootstrap), ErrorsConfig(dlq_topic=dlq), "c", 0)
    reporter.report(failed_context(RAW))
    with pytest.raises(DeadLetterQueueError, match="0 record\\(s\\) failed and 1 did not complete"):
        reporter.flush(0)
    reporter.close()


def test_an_unreachable_cluster_makes_flush_raise() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = KafkaSettings(f"127.0.0.1:{port}")
    reporter = DeadLetterQueueReporter(settings, ErrorsConfig(dlq_topic="dlq"), "c", 0, admin_timeout=1.0)
    reporter.report(failed_context(RAW))
    with pytest.raises(DeadLetterQueueError, match="1 record\\(s\\) failed"):
        reporter.flush(1)


PIPELINE_CONFIG = {
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
    "errors.tolerance": "all",
    "errors.deadletterqueue.context.headers.enable": "true",
    "transforms": "ins",
    "transforms.ins.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.ins.static.field": "via",
    "transforms.ins.static.value": "dlq-test",
}


def test_sink_pipeline_dead_letters_the_bad_record_in_the_middle(
    kafka_bootstrap: str, unique_topic: Callable[..., str]
) -> None:
    dlq = unique_topic("dlq")
    config = {**PIPELINE_CONFIG, "errors.deadletterqueue.topic.name": dlq}
    pipeline = SinkPipeline("orders-sink", 0, config, KafkaSettings(kafka_bootstrap))
    batch = [
        RawRecord("orders", 0, 10, 1_600_000_000_000, "CreateTime", b"a", b'{"n": 1}', ()),
        RawRecord("orders", 0, 11, 1_600_000_000_001, "CreateTime", b"b", b"{broken", (("src", b"x"),)),
        RawRecord("orders", 0, 12, 1_600_000_000_002, "CreateTime", b"c", b'{"n": 3}', ()),
    ]
    out = [pipeline.process(raw) for raw in batch]
    pipeline.flush(30)
    assert [None if r is None else r.value for r in out] == [
        {"n": 1, "via": "dlq-test"},
        None,
        {"n": 3, "via": "dlq-test"},
    ]

    (msg,) = consume(kafka_bootstrap, dlq, 1)
    assert (msg.key(), msg.value(), msg.timestamp()) == (b"b", b"{broken", (TIMESTAMP_CREATE_TIME, 1_600_000_000_001))
    headers = dict((msg.headers() or [])[:9])
    assert headers["src"] == b"x"
    assert headers["__connect.errors.offset"] == b"11"
    assert headers["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert headers["__connect.errors.class.name"] == b"org.apache.kafka.connect.json.JsonConverter"
    assert len(consume(kafka_bootstrap, dlq, 2, timeout=3)) == 1  # only the bad record
    pipeline.close()


def test_source_pipeline_dead_letters_a_record_it_cannot_transform(
    kafka_bootstrap: str, unique_topic: Callable[..., str]
) -> None:
    dlq = unique_topic("dlq")
    config = {**PIPELINE_CONFIG, "errors.deadletterqueue.topic.name": dlq}
    pipeline = SourcePipeline("orders-src", 3, config, KafkaSettings(kafka_bootstrap))
    polled = SourceRecord("orders", None, None, "k", None, [1, 2], 1_600_000_000_005, Headers.of({"h": "v"}))
    assert pipeline.process(polled) is None  # InsertField cannot add a field to a list
    pipeline.flush(30)

    (msg,) = consume(kafka_bootstrap, dlq, 1)
    assert (msg.key(), msg.value(), msg.timestamp()) == (b"k", b"[1,2]", (TIMESTAMP_CREATE_TIME, 1_600_000_000_005))
    headers = msg.headers() or []
    assert headers[:7] == [
        ("h", b"v"),
        ("__connect.errors.topic", b"orders"),
        ("__connect.errors.partition", b"-1"),
        ("__connect.errors.offset", b"-1"),
        ("__connect.errors.connector.name", b"orders-src"),
        ("__connect.errors.task.id", b"3"),
        ("__connect.errors.stage", b"TRANSFORMATION"),
    ]
    pipeline.close()

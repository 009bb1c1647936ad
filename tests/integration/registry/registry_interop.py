"""Helpers of the registry interop tests: topics, producing raw bytes, running a MemorySink, reading a topic."""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import NewTopic

import sink_fakes
from connectless.kafka import KafkaSettings
from connectless.standalone.inprocess_sink import InProcessSinkRunner

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka.admin import AdminClient


def topic_with(admin: AdminClient, unique: Callable[..., str], prefix: str = "avro") -> str:
    topic = unique(prefix)
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    return topic


def produce(bootstrap: str, topic: str, values: list[bytes | None]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value=value, key=b"k")
    assert producer.flush(30) == 0


def sink_config(
    topic: str, registry: str, converter: str = "io.confluent.connect.avro.AvroConverter", **extra: str
) -> dict[str, str]:
    name = f"sink-{topic}"
    sink_fakes.reset(name)
    return {"name": name, "connector.class": "MemorySink", "topics": topic,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": converter, "value.converter.schema.registry.url": registry, **extra}  # fmt: skip


def run_sink(bootstrap: str, config: dict[str, str], done: Callable[[], bool], timeout: float = 60.0) -> None:
    runner = InProcessSinkRunner(config["name"], 0, config, config, KafkaSettings(bootstrap))
    runner.start()
    stop = threading.Event()
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    try:
        runner.run(lambda: done() or stop.is_set())
    finally:
        timer.cancel()
        runner.stop()


def written(config: dict[str, str]) -> list[Any]:
    found = sink_fakes.WRITTEN[config["name"]]
    return [found[k] for k in sorted(found)]


def consume(bootstrap: str, topic: str, count: int, timeout: float = 30.0) -> list[Any]:
    consumer = KafkaSettings(bootstrap).consumer(f"check-{topic}-{uuid.uuid4().hex[:6]}")
    consumer.assign([TopicPartition(topic, 0, 0)])
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                found.append(msg)
    finally:
        consumer.close()
    return found

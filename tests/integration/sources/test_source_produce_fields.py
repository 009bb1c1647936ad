"""What the source runner hands the producer reaches the broker: a record's explicit partition, its timestamp (None:
the produce time), headers, a null key and a null value, at-least-once and exactly-once (a transaction per poll,
pipelined, the runner's own producers: the production path)."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, Consumer, TopicPartition
from confluent_kafka.admin import NewTopic
from source_support import SourceWorld

from connectless.connector import SourceTask
from connectless.data import STRING_SCHEMA
from connectless.kafka.settings import KafkaSettings
from connectless.records import Headers, SourceRecord
from connectless.runtime.source_runner import SourceTaskRunner
from connectless.runtime.source_transactions import DeliveryOptions, TransactionBoundary

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka

STAMP = 1_600_000_000_000
PARTITION = {"src": "fields"}
CONFIG = {
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
}


class _Fields(SourceTask):
    """One poll of three records that use each field of a SourceRecord, then nothing."""

    def start(self, props: Mapping[str, str]) -> None:
        self.topic, self.done = props["topic"], False

    def poll(self) -> list[SourceRecord] | None:
        if self.done:
            time.sleep(0.01)
            return None
        self.done = True

        def record(
            n: int,
            partition: int | None,
            key: str | None,
            value: str | None,
            stamp: int | None,
            headers: Headers | None = None,
        ) -> SourceRecord:
            return SourceRecord(
                self.topic,
                partition,
                STRING_SCHEMA,
                key,
                STRING_SCHEMA,
                value,
                stamp,
                headers or Headers(),
                PARTITION,
                {"n": n},
            )

        return [
            record(1, 2, "k", "v1", STAMP, Headers.of({"h": "x"})),
            record(2, None, None, "v2", None),
            record(3, 1, "k", None, STAMP + 1),
        ]  # fmt: skip

    def stop(self) -> None:
        return None


def _read(bootstrap: str, topic: str, partitions: int) -> dict[bytes | None, Any]:
    """Every committed record of `topic`, by value: (partition, key, timestamp type, timestamp, headers)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"fields-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})  # fmt: skip
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        out: dict[bytes | None, Any] = {}
        deadline = time.monotonic() + 30
        while len(out) < 3 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            kind, stamp = message.timestamp()
            out[message.value()] = (message.partition(), message.key(), kind, stamp, message.headers())
        return out
    finally:
        consumer.close()


@pytest.mark.parametrize("exactly_once", [False, True], ids=["at-least-once", "exactly-once"])
def test_partition_timestamp_headers_and_nulls_reach_the_broker(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str], exactly_once: bool
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("fields")
    kafka_admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    config = {"name": "fields", "topic": topic, **CONFIG}
    delivery = (
        DeliveryOptions(f"{world.prefix}-fields-0", world.offsets_topic, True, TransactionBoundary.POLL)
        if exactly_once
        else None
    )
    runner = SourceTaskRunner("fields", 0, _Fields(), config, config, KafkaSettings(kafka_bootstrap), world.offsets(),
                              delivery=delivery)  # fmt: skip
    before = int(time.time() * 1000)
    runner.start()
    runner.run(time.monotonic() + 20, max_idle_s=0.3)
    runner.stop()
    after = int(time.time() * 1000)

    got = _read(kafka_bootstrap, topic, 3)
    assert got[b"v1"] == (2, b"k", TIMESTAMP_CREATE_TIME, STAMP, [("h", b"x")])
    partition, key, kind, stamp, headers = got[b"v2"]
    assert (key, kind, headers) == (None, TIMESTAMP_CREATE_TIME, None)  # no timestamp: the produce time
    assert before <= stamp <= after and partition in range(3)
    assert got[None] == (
        1,
        b"k",
        TIMESTAMP_CREATE_TIME,
        STAMP + 1,
        None,
    )  # a tombstone; the same key as v1, another partition
    assert world.offsets().offset("fields", PARTITION) == {"n": 3}
    assert runner.stats.produced == 3

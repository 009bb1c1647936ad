"""State stores on real compacted Kafka topics: creation, formats on the wire, and read-back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import ConfigResource, ResourceType

from connectless.kafka import KafkaSettings
from connectless.storage import (
    ConfigStore,
    KafkaLog,
    OffsetStore,
    State,
    Status,
    StatusStore,
    TargetState,
)
from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka


def _read_all(bootstrap: str, topic: str) -> list[tuple[int, bytes, bytes | None]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    out: list[tuple[int, bytes, bytes | None]] = []
    for p in partitions:
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if high == 0:
            continue
        consumer.assign([TopicPartition(topic, p, 0)])
        while True:
            msg = consumer.poll(5)
            assert msg is not None, "timed out reading back"
            out.append((p, msg.key() or b"", msg.value()))
            if (msg.offset() or 0) + 1 >= high:
                break
    consumer.close()
    return out


def test_offsets_topic_is_created_compacted_and_holds_kafka_connect_records(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    topic = unique_topic("offsets")
    settings = KafkaSettings(kafka_bootstrap)
    store = OffsetStore(KafkaLog(settings, topic, partitions=OFFSETS_TOPIC_PARTITIONS))
    store.start()
    store.write("src", [({"filename": "/data/in.txt"}, {"position": 1234})])

    resource = ConfigResource(ResourceType.TOPIC, topic)
    configs = kafka_admin.describe_configs([resource])[resource].result(10)
    assert configs["cleanup.policy"].value == "compact"
    assert len(kafka_admin.list_topics(topic, timeout=10).topics[topic].partitions) == 25

    records = _read_all(kafka_bootstrap, topic)
    assert [(k, v) for _, k, v in records] == [(b'["src",{"filename":"/data/in.txt"}]', b'{"position":1234}')]

    # A fresh store (a restarted worker) reads it back.
    again = OffsetStore(KafkaLog(settings, topic, partitions=OFFSETS_TOPIC_PARTITIONS))
    again.start()
    assert again.offset("src", {"filename": "/data/in.txt"}) == {"position": 1234}


def test_offset_keys_land_on_the_java_default_partition(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> None:
    """murmur2 placement: the partition Kafka Connect's Java producer would choose for this key."""
    topic = unique_topic("offsets")
    store = OffsetStore(KafkaLog(KafkaSettings(kafka_bootstrap), topic, partitions=OFFSETS_TOPIC_PARTITIONS))
    store.start()
    store.write("src", [({"filename": "/data/in.txt"}, {"position": 1})])
    [(partition, key, _)] = _read_all(kafka_bootstrap, topic)
    assert partition == _java_default_partition(key, OFFSETS_TOPIC_PARTITIONS)


def _java_default_partition(key: bytes, partitions: int) -> int:
    """Kafka's Utils.murmur2 then toPositive(hash) % partitions, written from the Java client's spec."""
    seed, m, r = 0x9747B28C, 0x5BD1E995, 24
    length = len(key)
    h = (seed ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(key[i : i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = key[length - length % 4 :]
    if len(tail) >= 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return (h & 0x7FFFFFFF) % partitions


def test_config_and_status_round_trip_through_kafka(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> None:
    settings = KafkaSettings(kafka_bootstrap)
    config_topic, status_topic = unique_topic("configs"), unique_topic("status")
    configs = ConfigStore(KafkaLog(settings, config_topic))
    configs.start()
    configs.put_connector_config("c", {"connector.class": "Datagen"})
    configs.put_task_configs("c", [{"task": "0"}])
    configs.put_target_state("c", TargetState.STOPPED)
    statuses = StatusStore(KafkaLog(settings, status_topic, partitions=5))
    statuses.start()
    statuses.put_task("c", 0, Status(State.RUNNING, "w1", 1))

    assert [(k, v) for _, k, v in _read_all(kafka_bootstrap, config_topic)] == [
        (b"connector-c", b'{"properties":{"connector.class":"Datagen"}}'),
        (b"task-c-0", b'{"properties":{"task":"0"}}'),
        (b"commit-c", b'{"tasks":1}'),
        (b"target-state-c", b'{"state":"PAUSED","state.v2":"STOPPED"}'),
    ]
    reread = ConfigStore(KafkaLog(settings, config_topic))
    reread.start()
    snap = reread.snapshot()
    assert snap.connectors == {"c": {"connector.class": "Datagen"}}
    assert snap.tasks == {"c": [{"task": "0"}]}
    assert snap.target_states == {"c": TargetState.STOPPED}
    status_again = StatusStore(KafkaLog(settings, status_topic, partitions=5))
    status_again.start()
    assert status_again.task("c", 0) == Status(State.RUNNING, "w1", 1)

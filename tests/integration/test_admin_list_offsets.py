"""kafka.admin.list_offsets on the real broker: earliest, latest and, read_committed, the last stable offset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from confluent_kafka import IsolationLevel, TopicPartition
from confluent_kafka.admin import OffsetSpec

from connectless.kafka.admin import TopicSpec, admin_for, ensure_topic, list_offsets
from connectless.kafka.settings import KafkaSettings

if TYPE_CHECKING:
    from collections.abc import Callable


def test_earliest_latest_and_the_last_stable_offset(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> None:
    settings = KafkaSettings(kafka_bootstrap)
    topic = unique_topic("list-offsets")
    ensure_topic(settings, TopicSpec(topic, 2))
    producer = settings.producer(**{"transactional.id": f"{topic}-tx"})
    producer.init_transactions()
    producer.begin_transaction()
    for _ in range(3):
        producer.produce(topic, b"committed", partition=0)
    producer.commit_transaction()  # offsets 0-2, the commit marker at 3
    producer.begin_transaction()
    producer.produce(topic, b"open", partition=0)  # offset 4, in a transaction still open
    producer.flush(30)
    try:
        tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
        admin = admin_for(settings, [topic], 30)
        earliest = list_offsets(admin, {tp0: OffsetSpec.earliest(), tp1: OffsetSpec.earliest()}, 30)
        assert {tp.partition: info.offset for tp, info in earliest.items()} == {0: 0, 1: 0}
        latest = list_offsets(admin_for(settings, [topic], 30), {tp0: OffsetSpec.latest()}, 30)
        assert [info.offset for info in latest.values()] == [5]
        stable = list_offsets(
            settings.admin(), {tp0: OffsetSpec.latest()}, 30, isolation_level=IsolationLevel.READ_COMMITTED
        )
        assert [info.offset for info in stable.values()] == [4]
    finally:
        producer.abort_transaction()

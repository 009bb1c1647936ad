"""The console's Kafka backends against the real broker: DLQ peek (decoded headers, newest first, bounded),
replay (original topic and partition, key, value, timestamp, headers less __connect.errors.*), and consumer lag."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from connectless.aws_names import consumer_group_id
from connectless.kafka import KafkaSettings
from connectless.manager.errors import BadRequestError
from connectless.rest.dlq import DeadLetterQueue, Selection
from connectless.rest.errors import NotFoundError
from connectless.rest.lag import consumer_lag
from connectless.rest.offsets import GroupOffsets

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka import Message
    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka
E = "__connect.errors."


def _topics(admin: AdminClient, *specs: tuple[str, int]) -> None:
    futures = admin.create_topics([NewTopic(name, partitions, 1) for name, partitions in specs])
    for future in futures.values():
        future.result(30)


def _context(topic: str, partition: int, offset: int, message: str) -> list[tuple[str, bytes]]:
    return [(E + "topic", topic.encode()), (E + "partition", str(partition).encode()),
            (E + "offset", str(offset).encode()), (E + "stage", b"VALUE_CONVERTER"),
            (E + "exception.class.name", b"connectless.data.errors.DataError"),
            (E + "exception.message", message.encode())]  # fmt: skip


def _read(bootstrap: str, topic: str, partition: int, count: int) -> list[Message]:
    consumer = KafkaSettings(bootstrap).consumer(f"check-{topic}")
    consumer.assign([TopicPartition(topic, partition, 0)])
    found: list[Message] = []
    deadline = time.monotonic() + 30
    try:
        while len(found) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                found.append(message)
    finally:
        consumer.close()
    return found


def test_peek_decodes_and_replay_goes_back_where_it_failed(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    orders, dlq = unique_topic("orders"), unique_topic("dlq")
    _topics(kafka_admin, (orders, 3), (dlq, 2))
    settings = KafkaSettings(kafka_bootstrap)
    producer = settings.producer()
    producer.produce(dlq, b"not json{", b"k1", partition=0, timestamp=1_700_000_000_000,
                     headers=[("trace", b"abc"), *_context(orders, 2, 41, "Expecting value")])  # fmt: skip
    producer.produce(dlq, b"\xff\xfe", None, partition=1, timestamp=1_700_000_001_000,
                     headers=_context(orders, 1, 7, "bad bytes"))  # fmt: skip
    producer.produce(dlq, b"no context", b"k3", partition=0, timestamp=1_700_000_002_000)
    assert producer.flush(30) == 0
    queue = DeadLetterQueue(settings, dlq)

    peeked = queue.peek(limit=10)
    assert peeked["total"] == 3
    records = peeked["records"]
    assert [(r["partition"], r["offset"]) for r in records] == [(0, 1), (1, 0), (0, 0)]  # newest first
    first = records[2]
    assert first["key"] == {"text": "k1"} and first["value"] == {"text": "not json{"}
    assert first["timestamp"] == 1_700_000_000_000
    assert first["errors"] == {"topic": orders, "partition": "2", "offset": "41", "stage": "VALUE_CONVERTER",
                               "exception.class.name": "connectless.data.errors.DataError",
                               "exception.message": "Expecting value"}  # fmt: skip
    assert first["headers"][0] == {"name": "trace", "value": {"text": "abc"}}
    assert records[1]["value"] == {"base64": "//4="} and records[1]["key"] is None
    assert [(r["partition"], r["offset"]) for r in queue.peek(limit=1)["records"]] == [(0, 1)]

    replayed = queue.replay([Selection(0, 0), Selection(1, 0)])
    assert [r["to"]["topic"] for r in replayed] == [orders, orders]
    assert [r["to"]["partition"] for r in replayed] == [2, 1]  # the partitions they failed on
    back = _read(kafka_bootstrap, orders, 2, 1)[0]
    assert (back.key(), back.value(), back.timestamp()[1]) == (b"k1", b"not json{", 1_700_000_000_000)
    assert back.headers() == [("trace", b"abc")]  # the context headers are not replayed
    assert _read(kafka_bootstrap, orders, 1, 1)[0].value() == b"\xff\xfe"

    with pytest.raises(BadRequestError, match="no __connect.errors.topic header"):
        queue.replay([Selection(0, 1)])
    elsewhere = unique_topic("fixed")
    _topics(kafka_admin, (elsewhere, 1))
    assert queue.replay([Selection(0, 1)], topic=elsewhere)[0]["to"] == {"topic": elsewhere, "partition": 0,
                                                                         "offset": 0}  # fmt: skip
    with pytest.raises(NotFoundError):
        queue.replay([Selection(0, 99)])
    with pytest.raises(NotFoundError):
        queue.replay([Selection(5, 0)])


def test_peek_of_a_topic_never_written_is_empty(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> None:
    queue = DeadLetterQueue(KafkaSettings(kafka_bootstrap, {"allow.auto.create.topics": False}), unique_topic("dlq"))
    assert queue.peek(5) == {"topic": queue.topic, "records": [], "total": 0}
    with pytest.raises(BadRequestError, match="limit"):
        queue.peek(0)


def test_lag_per_partition_from_committed_and_end_offsets(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    topic = unique_topic("lag")
    _topics(kafka_admin, (topic, 2))
    settings = KafkaSettings(kafka_bootstrap)
    producer = settings.producer()
    for i in range(10):
        producer.produce(topic, b"v", partition=i % 2)  # 5 records per partition
    assert producer.flush(30) == 0
    group = f"connect-{topic}"
    GroupOffsets(settings).alter(group, [(topic, 0, 3)])  # partition 1 never committed
    lag = consumer_lag(settings, group, {"topics": topic})
    rows = [(r["partition"], r["committed"], r["end"], r["lag"]) for r in lag["partitions"]]
    assert rows == [(0, 3, 5, 2), (1, None, 5, 5)]
    assert lag["total_lag"] == 7


def test_lag_reads_each_topics_own_group_as_on_aws(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    """On AWS a sink with several topics (or a name AWS refuses) commits each topic in its own group
    (ConnectService.topic_groups); connect-<name> still holds an older commit that must not be read for them."""
    first, second = unique_topic("lag-a"), unique_topic("lag-b")
    _topics(kafka_admin, (first, 1), (second, 1))
    settings = KafkaSettings(kafka_bootstrap)
    producer = settings.producer()
    for topic in (first, second):
        for _ in range(4):
            producer.produce(topic, b"v")
    assert producer.flush(30) == 0
    group = f"connect-lag {first}"
    groups = {first: consumer_group_id(f"lag {first}", first), second: consumer_group_id(f"lag {first}", second)}
    offsets = GroupOffsets(settings)
    offsets.alter(group, [(first, 0, 1), (second, 0, 1)])  # the seed, before the per-topic groups
    offsets.alter(groups[first], [(first, 0, 3)])
    lag = consumer_lag(settings, group, {"topics": f"{first},{second}"}, topic_groups=groups)
    rows = [(r["topic"], r["group"], r["committed"], r["lag"]) for r in lag["partitions"]]
    assert sorted(rows) == sorted([(first, groups[first], 3, 1), (second, groups[second], None, 4)])
    assert set(lag["group"].split(", ")) == set(groups.values())

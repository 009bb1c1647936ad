"""Active topics (KIP-558) in the status store, over a memory log: Kafka Connect's record format and tombstones."""

from __future__ import annotations

import orjson

from connectless.storage import ActiveTopics, MemoryLog, MemoryTopic, State, Status, StatusStore, TopicStatus


def test_topic_records_match_kafka_connect_format() -> None:
    log = MemoryLog()
    store = StatusStore(log)
    store.start()
    store.put_topic("my-conn", "orders", 2, 1700000000123)
    key, value = log.records[-1]
    # KafkaStatusBackingStore: TOPIC_STATUS_PREFIX + topic + TOPIC_STATUS_SEPARATOR + connector
    assert key == b"status-topic-orders:connector-my-conn"
    assert value is not None
    assert orjson.loads(value) == {
        "topic": {"name": "orders", "connector": "my-conn", "task": 2, "discoverTimestamp": 1700000000123}
    }
    assert store.topic("my-conn", "orders") == TopicStatus("orders", "my-conn", 2, 1700000000123)


def test_topic_records_round_trip_through_a_second_reader() -> None:
    topic = MemoryTopic()
    writer = StatusStore(MemoryLog(topic))
    writer.start()
    writer.put_topic("c", "b-topic", 0)
    writer.put_topic("c", "a.topic", 1)
    writer.put_topic("c-2", "a.topic", 0)
    reader = StatusStore(MemoryLog(topic))
    reader.start()
    assert reader.topics("c") == ["a.topic", "b-topic"]
    assert reader.topics("c-2") == ["a.topic"]
    assert reader.topics("unknown") == []
    stored = reader.topic("c", "b-topic")
    assert stored is not None and stored.task == 0 and stored.discover_timestamp > 0

    writer.log.send(b"status-topic-b-topic:connector-c", None)  # a tombstone from anyone removes the entry
    reader.refresh()
    assert reader.topics("c") == ["a.topic"]


def test_reset_writes_a_tombstone_per_topic_of_that_connector_only() -> None:
    log = MemoryLog()
    store = StatusStore(log)
    store.start()
    store.put_topic("c", "t1", 0)
    store.put_topic("c", "t2", 0)
    store.put_topic("other", "t1", 0)
    before = len(log.records)
    store.reset_topics("c")
    assert sorted(log.records[before:]) == [
        (b"status-topic-t1:connector-c", None),
        (b"status-topic-t2:connector-c", None),
    ]
    assert store.topics("c") == []
    assert store.topics("other") == ["t1"]
    again = StatusStore(MemoryLog(log.topic))
    again.start()
    assert again.topics("c") == [] and again.topics("other") == ["t1"]


def test_removing_statuses_keeps_the_topic_records() -> None:
    log = MemoryLog()
    store = StatusStore(log)
    store.start()
    store.put_connector("c", Status(State.RUNNING, "w"))
    store.put_task("c", 0, Status(State.RUNNING, "w"))
    store.put_topic("c", "t", 0)
    store.remove("c", 1)
    assert store.connector("c") is None and store.tasks("c") == {}
    assert store.topics("c") == ["t"]
    assert all(not key.startswith(b"status-topic-") for key, value in log.records if value is None)


def test_topic_keys_do_not_disturb_connector_and_task_parsing() -> None:
    log = MemoryLog()
    store = StatusStore(log)
    store.start()
    store.put_connector("topic-x", Status(State.RUNNING, "w"))
    store.put_task("topic-x", 0, Status(State.PAUSED, "w"))
    store.put_topic("topic-x", "status-task-y-0", 0)
    assert store.connector("topic-x") == Status(State.RUNNING, "w")
    assert store.tasks("topic-x") == {0: Status(State.PAUSED, "w")}
    assert store.topics("topic-x") == ["status-task-y-0"]


def test_malformed_topic_records_are_skipped() -> None:
    log = MemoryLog()
    store = StatusStore(log)
    store.start()
    for key, value in [
        (b"status-topic-no-separator", b'{"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":1}}'),
        (b"status-topic-:connector-c", b'{"topic":{"name":"","connector":"c","task":0,"discoverTimestamp":1}}'),
        (b"status-topic-t:connector-", b'{"topic":{"name":"t","connector":"","task":0,"discoverTimestamp":1}}'),
        (b"status-topic-t:connector-c", b"{"),
        (b"status-topic-t:connector-c", b'{"topic":{"name":"t"}}'),
        (b"status-topic-t:connector-c", b"[]"),
    ]:
        log.send(key, value)
    assert store.topics("c") == []


def test_active_topics_writes_each_topic_once() -> None:
    log = MemoryLog()
    store = StatusStore(log)
    store.start()
    active = ActiveTopics(store, "c", 3, clock=lambda: 12.5)
    for topic in ["a", "b", "a", "a", "b"]:
        active.record(topic)
    assert [key for key, _ in log.records] == [b"status-topic-a:connector-c", b"status-topic-b:connector-c"]
    assert store.topic("c", "a") == TopicStatus("a", "c", 3, 12500)
    assert active.seen == {"a", "b"}

    # another task (or container) of the connector: a topic the store already holds is not written again
    ActiveTopics(store, "c", 4).record("a")
    assert len(log.records) == 2


def test_active_topics_without_a_store_writes_nothing() -> None:
    active = ActiveTopics(None, "c", 0)
    active.record("a")
    assert active.seen == {"a"}


def test_a_failed_topic_write_never_fails_the_task_nor_repeats_per_record() -> None:
    class Broken(StatusStore):
        writes = 0

        def put_topic(self, connector: str, topic: str, task: int, discover_timestamp_ms: int | None = None) -> None:
            Broken.writes += 1
            raise RuntimeError("status topic unreachable")

    active = ActiveTopics(Broken(MemoryLog()), "c", 0)
    for _ in range(5):
        active.record("a")
    assert Broken.writes == 1

"""Kafka around the connectors under test: records produced to a sink's topic, a source's topic read back, a
sink group's committed offsets, a worker's task states."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from connectless.standalone.worker import StandaloneWorker
from connectless.storage import State

if TYPE_CHECKING:
    from conformance_harness import SourceHarness

KEY_SCHEMA = {"type": "int64", "optional": False}
FIELDS = [{"field": "n", "type": "int64", "optional": False}, {"field": "name", "type": "string", "optional": False}]
VALUE_SCHEMA = {"type": "struct", "name": "conformance.Row", "optional": False, "fields": FIELDS}


def create_topic(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the futures are done
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(30)


def producer(bootstrap: str) -> Producer:
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})


def produce_rows(out: Producer, topic: str, ids: range, *, tombstones: tuple[int, ...] = ()) -> None:
    """Key = the id (int64), value = {n: id, name} through JsonConverter with schemas; then a tombstone per id in
    `tombstones`. Returns once the broker acknowledged them all."""
    for i in ids:
        key = orjson.dumps({"schema": KEY_SCHEMA, "payload": i})
        value = orjson.dumps({"schema": VALUE_SCHEMA, "payload": {"n": i, "name": f"n{i}"}})
        out.produce(topic, value, key)
    for i in tombstones:
        out.produce(topic, None, orjson.dumps({"schema": KEY_SCHEMA, "payload": i}))
    assert out.flush(30) == 0, "records not acknowledged"


class CommittedOffsets:
    """What group connect-<connector> committed on partition 0 of `topic` (-1001: nothing yet). One consumer kept
    for every query; it never subscribes, so it never joins the group it reads."""

    def __init__(self, bootstrap: str, connector: str, topic: str) -> None:
        self.topic = topic
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"connect-{connector}"})

    def __call__(self) -> int:
        return int(self.consumer.committed([TopicPartition(self.topic, 0)], timeout=10)[0].offset)

    def close(self) -> None:
        self.consumer.close()


class TopicReader:
    """Everything committed on partition 0 of a source's topic, read from the start, kept as it arrives."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "conformance-reader",
                                  "enable.auto.commit": False, "isolation.level": "read_committed"})  # fmt: skip
        self.consumer.assign([TopicPartition(topic, 0, -2)])  # -2: the beginning
        self.records: list[tuple[bytes | None, bytes | None]] = []

    def ids(self, harness: SourceHarness) -> list[int]:
        while True:
            batch = self.consumer.consume(500, timeout=0.2)
            if not batch:
                break
            self.records += [(m.key(), m.value()) for m in batch if m.error() is None]
        found = (harness.record_id(k, v) for k, v in self.records)
        return [i for i in found if i is not None]

    def close(self) -> None:
        self.consumer.close()


def task_states(worker: StandaloneWorker, connector: str) -> list[State]:
    return [status.state for _, status in sorted(worker.statuses.tasks(connector).items())]


def all_running(worker: StandaloneWorker, connector: str, tasks: int) -> Callable[[], bool]:
    return lambda: task_states(worker, connector) == [State.RUNNING] * tasks

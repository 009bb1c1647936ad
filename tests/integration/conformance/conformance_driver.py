"""Driving connectors as the runtime does: the standalone worker (in-process, or as a `connectless standalone`
process), records produced to a sink's topic, a source's topic read back, a sink group's committed offsets."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import orjson
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from connectless.kafka.settings import KafkaSettings
from connectless.standalone.worker import StandaloneWorker, WorkerOptions
from connectless.storage import State

if TYPE_CHECKING:
    from conformance_harness import Env, SourceHarness

KEY_SCHEMA = {"type": "int64", "optional": False}
FIELDS = [{"field": "n", "type": "int64", "optional": False}, {"field": "name", "type": "string", "optional": False}]
VALUE_SCHEMA = {"type": "struct", "name": "conformance.Row", "optional": False, "fields": FIELDS}
WAIT_S = 60.0


def worker_options(env: Env) -> WorkerOptions:
    return WorkerOptions(offsets_topic=f"{env.prefix}-offsets", configs_topic=f"{env.prefix}-configs",
                         status_topic=f"{env.prefix}-status", commit_interval_s=0.2, rest_port=None,
                         worker_id="conformance")  # fmt: skip


def create_topic(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the futures are done
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(30)


def produce_rows(bootstrap: str, topic: str, ids: range, *, tombstones: tuple[int, ...] = ()) -> None:
    """Key = the id (int64), value = {n: id, name} through JsonConverter with schemas; then a tombstone per id in
    `tombstones`."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in ids:
        key = orjson.dumps({"schema": KEY_SCHEMA, "payload": i})
        value = orjson.dumps({"schema": VALUE_SCHEMA, "payload": {"n": i, "name": f"n{i}"}})
        producer.produce(topic, value, key)
    for i in tombstones:
        producer.produce(topic, None, orjson.dumps({"schema": KEY_SCHEMA, "payload": i}))
    assert producer.flush(30) == 0, "records not acknowledged"


def committed_offset(bootstrap: str, connector: str, topic: str) -> int:
    """The offset group connect-<connector> committed on partition 0 of `topic` (-1001: none)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"connect-{connector}"})
    try:
        return int(consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset)
    finally:
        consumer.close()


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


def wait_for(condition: Callable[[], bool], what: str, worker: StandaloneWorker | None = None) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if worker is not None and worker.failed_tasks():
            thread = worker.failed_tasks()[0]
            raise AssertionError(f"task {thread.connector}-{thread.task_id} failed while waiting for {what}: "
                                 f"{thread.error!r}")  # fmt: skip
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT_S:.0f} s waiting for {what}")
        time.sleep(0.1)


@contextmanager
def running_worker(env: Env, connectors: Mapping[str, Mapping[str, str]]) -> Iterator[StandaloneWorker]:
    """A standalone worker (this test's state topics) running `connectors`; stopped on exit as SIGTERM stops it."""
    worker = StandaloneWorker(KafkaSettings(env.bootstrap), worker_options(env))
    worker.start()
    try:
        for name, config in connectors.items():
            worker.add_connector(name, config)
        yield worker
    finally:
        worker.stop()


def task_states(worker: StandaloneWorker, connector: str) -> list[State]:
    return [status.state for _, status in sorted(worker.statuses.tasks(connector).items())]


def all_running(worker: StandaloneWorker, connector: str, tasks: int) -> Callable[[], bool]:
    return lambda: task_states(worker, connector) == [State.RUNNING] * tasks


def json_value(value: bytes | None) -> Any:
    return orjson.loads(value) if value is not None else None

"""SourceTask.commit_record: called once per record as Kafka acknowledges it, with where it landed; with None for a
record a transform dropped or that failed under errors.tolerance=all; exceptions it raises are logged and ignored.

The producer is a stand-in that acknowledges (or refuses) at poll/flush as librdkafka does, so no broker is needed;
the exactly-once path (commit_record after the transaction) runs on a real broker in
tests/integration/sources/test_source_lambda_handler.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError

from connectless.connector import RecordMetadata, SourceTask
from connectless.kafka.settings import KafkaSettings
from connectless.records import SourceRecord
from connectless.runtime.source_runner import SourceTaskRunner
from connectless.storage import MemoryLog
from connectless.storage.offsets import OffsetStore

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

SETTINGS = KafkaSettings("127.0.0.1:1")  # never contacted: the producer is the stand-in below
CONFIG = {
    "name": "acks",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "transforms": "skip",
    "transforms.skip.type": "org.apache.kafka.connect.transforms.Filter",
    "transforms.skip.predicate": "isSkip",
    "predicates": "isSkip",
    "predicates.isSkip.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "predicates.isSkip.pattern": "skip",
}


class Message:
    def __init__(self, topic: str, partition: int, offset: int, timestamp: int) -> None:
        self._at = (topic, partition, offset, timestamp)

    def topic(self) -> str:
        return self._at[0]

    def partition(self) -> int:
        return self._at[1]

    def offset(self) -> int:
        return self._at[2]

    def timestamp(self) -> tuple[int, int]:
        return (1, self._at[3])  # TIMESTAMP_CREATE_TIME


class AckingProducer:
    """Acknowledges every record at the next poll/flush at offsets 0, 1, ...; refuses values in `refuse`."""

    def __init__(self, refuse: set[bytes] = frozenset()) -> None:  # type: ignore[assignment]
        self.refuse = refuse
        self.waiting: list[tuple[Callable[[Any, Any], None], Message, bytes]] = []
        self.next_offset = 0

    def produce(self, topic: str, value: bytes, key: bytes | None = None, partition: int = -1,
                on_delivery: Callable[[Any, Any], None] | None = None, *_: Any) -> None:  # fmt: skip
        assert on_delivery is not None  # a task with commit_record: a callback with each record
        self.waiting.append((on_delivery, Message(topic, 0, self.next_offset, 1000 + self.next_offset), value))
        self.next_offset += 1

    def poll(self, _timeout: float = 0) -> int:
        waiting, self.waiting = self.waiting, []
        for callback, message, value in waiting:
            error = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE) if value in self.refuse else None
            callback(error, message)
        return len(waiting)

    def flush(self, _timeout: float = 0) -> int:
        self.poll()
        return 0


class AckedTask(SourceTask):
    """Polls the records it was given once; keeps what commit_record and commit told it."""

    def __init__(self, records: list[SourceRecord], raise_in_commit_record: bool = False) -> None:
        self.records = records
        self.raise_in_commit_record = raise_in_commit_record
        self.acked: list[tuple[Any, RecordMetadata | None]] = []
        self.commits = 0

    def start(self, props: Mapping[str, str]) -> None:
        pass

    def poll(self) -> list[SourceRecord] | None:
        records, self.records = self.records, []
        return records

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        self.acked.append((record.value, metadata))
        if self.raise_in_commit_record:
            raise RuntimeError("the task's own bookkeeping broke")

    def commit(self) -> None:
        self.commits += 1

    def stop(self) -> None:
        pass


def record(topic: str, value: str, n: int) -> SourceRecord:
    return SourceRecord(topic, None, None, "k", None, value, source_partition={"p": 0}, source_offset={"n": n})


def run(task: AckedTask, producer: AckingProducer, **config: str) -> SourceTaskRunner:
    offsets = OffsetStore(MemoryLog())
    offsets.start()
    runner = SourceTaskRunner("acks", 0, task, {}, {**CONFIG, **config}, SETTINGS, offsets, producer=producer)  # type: ignore[arg-type]
    runner.start()
    runner.poll_once()
    runner.commit()
    return runner


def test_each_acknowledged_record_is_passed_with_where_it_landed_and_a_dropped_one_with_none() -> None:
    task = AckedTask([record("orders", "a", 1), record("skip", "b", 2), record("orders", "c", 3)])
    run(task, AckingProducer())
    assert ("b", None) in task.acked
    acked = [(value, m) for value, m in task.acked if m is not None]
    assert acked == [("a", RecordMetadata("orders", 0, 0, 1000)), ("c", RecordMetadata("orders", 0, 1, 1001))]
    assert len(task.acked) == 3 and task.commits == 1


def test_a_record_kafka_refused_under_tolerance_all_is_passed_with_none() -> None:
    task = AckedTask([record("orders", "a", 1), record("orders", "too big", 2)])
    run(task, AckingProducer(refuse={b"too big"}), **{"errors.tolerance": "all"})
    assert task.acked == [("a", RecordMetadata("orders", 0, 0, 1000)), ("too big", None)]


def test_an_exception_in_commit_record_is_logged_and_the_commit_goes_on() -> None:
    task = AckedTask([record("orders", "a", 1), record("orders", "b", 2)], raise_in_commit_record=True)
    runner = run(task, AckingProducer())
    assert [value for value, _ in task.acked] == ["a", "b"]
    assert task.commits == 1 and runner.stats.offsets_committed == 1


def test_a_task_without_commit_record_gets_the_shared_callback() -> None:
    class Plain(AckedTask):
        commit_record = SourceTask.commit_record  # type: ignore[assignment]

    runner = run(Plain([record("orders", "a", 1)]), AckingProducer())
    assert runner.stats.produced == 1 and not runner._record_hook

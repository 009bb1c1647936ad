"""A compacted key/value log: the one primitive the offsets, config and status stores are built on.

Two backends share one contract, so the stores behave the same in unit tests and on Kafka:
`MemoryLog` (a dict) and `KafkaLog` (a compacted topic, read to its end on start and on demand).
Writes are durable when `send(...).wait()` returns, or after `flush()`.
"""

from __future__ import annotations

import threading
import time
import uuid
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from confluent_kafka import IsolationLevel, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

from connectless.kafka.admin import TopicSpec, admin_for, ensure_topic, list_offsets
from connectless.kafka.errors import is_transient

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka import Consumer, Message, Producer
    from confluent_kafka.admin import AdminClient

    from connectless.kafka.settings import KafkaSettings


class StoreError(RuntimeError):
    """A state write was not acknowledged, or the state topic could not be read."""


class WriteHandle:
    """Completion of one write: `wait()` returns once the broker acknowledged it, or raises StoreError."""

    __slots__ = ("_done", "_error", "_poll")

    def __init__(self, poll: Callable[[float], object] | None = None) -> None:
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._poll = poll  # serves delivery callbacks (librdkafka runs them only inside poll/flush)

    def complete(self, error: BaseException | None = None) -> None:
        self._error = error
        self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._done.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreError(f"state write not acknowledged within {timeout}s")
            if self._poll is not None:
                self._poll(min(remaining, 0.1))
            else:
                self._done.wait(remaining)
        if self._error is not None:
            raise StoreError(f"state write failed: {self._error}") from self._error


class KeyValueLog(ABC):
    """Compacted-log contract. `listener(key, value)` sees every record read, in log order per key."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[bytes, bytes | None], None]] = []

    def add_listener(self, listener: Callable[[bytes, bytes | None], None]) -> None:
        self._listeners.append(listener)

    def _deliver(self, key: bytes, value: bytes | None) -> None:
        for listener in self._listeners:
            listener(key, value)

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def send(self, key: bytes, value: bytes | None) -> WriteHandle: ...

    @abstractmethod
    def flush(self, timeout: float = 30.0) -> None: ...

    @abstractmethod
    def read_to_end(self, timeout: float = 30.0) -> None:
        """Deliver every record written before this call (by anyone) to the listeners."""

    def transactions_settled(self, timeout: float = 30.0) -> bool:
        """True when no partition has a transaction still open or finishing (its commit markers not yet written):
        what read_to_end reads then is everything committed so far. A log without transactions always is."""
        return True

    def stop(self) -> None:
        """Release clients."""


class MemoryTopic:
    """The shared records of an in-memory 'topic'; each MemoryLog over it reads with its own position."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None]] = []
        self.lock = threading.Lock()


class MemoryLog(KeyValueLog):
    """In-process log for unit tests. Logs built over one MemoryTopic behave like readers of one topic."""

    def __init__(self, topic: MemoryTopic | None = None) -> None:
        super().__init__()
        self.topic = topic or MemoryTopic()
        self._read = 0

    @property
    def records(self) -> list[tuple[bytes, bytes | None]]:
        return self.topic.records

    def start(self) -> None:
        self.read_to_end()

    def send(self, key: bytes, value: bytes | None) -> WriteHandle:
        with self.topic.lock:
            self.topic.records.append((key, value))
        handle = WriteHandle()
        handle.complete()
        self.read_to_end()
        return handle

    def flush(self, timeout: float = 30.0) -> None:
        return None

    def read_to_end(self, timeout: float = 30.0) -> None:
        with self.topic.lock:
            pending, self._read = self.topic.records[self._read :], len(self.topic.records)
        for key, value in pending:
            self._deliver(key, value)


class KafkaLog(KeyValueLog):
    """A compacted topic. Produces with acks=all and idempotence; reads with a group-less consumer."""

    def __init__(
        self, settings: KafkaSettings, topic: str, *, partitions: int = 1, replication_factor: int = -1
    ) -> None:
        super().__init__()
        self.settings = settings
        self.spec = TopicSpec(
            topic, partitions, replication_factor, {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
        )
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self._partitions: list[TopicPartition] = []
        self._admin: AdminClient | None = None
        self._read_lock = threading.Lock()

    @property
    def topic(self) -> str:
        return self.spec.name

    def start(self) -> None:
        ensure_topic(self.settings, self.spec)
        # murmur2_random is the Java client's default partitioner: keys land where Kafka Connect puts them.
        self._producer = self.settings.producer(
            **{"acks": "all", "enable.idempotence": True, "partitioner": "murmur2_random", "linger.ms": 0}
        )
        self._consumer = self.settings.consumer(
            f"connectless-log-reader-{uuid.uuid4()}",
            **{"enable.partition.eof": False, "isolation.level": "read_committed"},
        )
        consumer = self._consumer
        metadata = consumer.list_topics(self.topic, timeout=30)
        partitions = sorted(metadata.topics[self.topic].partitions)
        self._partitions = [TopicPartition(self.topic, p, 0) for p in partitions]
        consumer.assign(self._partitions)
        self.read_to_end()

    def send(self, key: bytes, value: bytes | None) -> WriteHandle:
        if self._producer is None:
            raise StoreError(f"log {self.topic} is not started")
        handle = WriteHandle(self._producer.poll)

        def on_delivery(err: KafkaError | None, _msg: Message) -> None:
            handle.complete(KafkaException(err) if err is not None else None)

        self._producer.produce(self.topic, key=key, value=value, on_delivery=on_delivery)
        self._producer.poll(0)
        return handle

    def flush(self, timeout: float = 30.0) -> None:
        if self._producer is not None and self._producer.flush(timeout) > 0:
            raise StoreError(f"{self.topic}: writes still unacknowledged after {timeout}s")

    def read_to_end(self, timeout: float = 30.0) -> None:
        consumer = self._consumer
        if consumer is None:
            raise StoreError(f"log {self.topic} is not started")
        with self._read_lock:
            ends = {p: end for p, end in self._end_offsets(timeout).items() if end > 0}
            positions = dict.fromkeys(ends, 0)
            for tp in consumer.position(list(self._partitions)):
                if tp.partition in positions and tp.offset >= 0:
                    positions[tp.partition] = tp.offset
            remaining = {p for p, end in ends.items() if positions[p] < end}
            deadline = time.monotonic() + timeout
            while remaining:
                if time.monotonic() > deadline:
                    raise StoreError(f"timed out reading {self.topic} to its end")
                # Short waits: a transaction marker ends many partitions, and only the position shows it passed.
                for msg in consumer.consume(500, 0.02):
                    err = msg.error()
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:
                            continue
                        raise StoreError(f"reading {self.topic}: {err}")
                    self._deliver(msg.key() or b"", msg.value())
                    partition, offset = msg.partition(), msg.offset()
                    if partition in remaining and offset is not None and offset + 1 >= ends[partition]:
                        remaining.discard(partition)
                if remaining:
                    for tp in consumer.position([TopicPartition(self.topic, p) for p in remaining]):
                        if tp.offset >= ends[tp.partition]:
                            remaining.discard(tp.partition)

    def stop(self) -> None:
        if self._producer is not None:
            self._producer.flush(10)
            self._producer = None
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        self._admin = None

    def transactions_settled(self, timeout: float = 30.0) -> bool:
        """Every partition's last stable offset is its end: no transaction open, no commit markers pending."""
        if self._admin is None:
            self._admin = admin_for(self.settings, [self.topic], timeout)
        request = {TopicPartition(self.topic, tp.partition): OffsetSpec.latest() for tp in self._partitions}
        ends = list_offsets(self._admin, request, timeout, isolation_level=IsolationLevel.READ_UNCOMMITTED)
        stable = self._end_offsets(timeout)
        return all(stable.get(tp.partition) == int(info.offset) for tp, info in ends.items())

    def _end_offsets(self, timeout: float) -> dict[int, int]:
        """Last stable offset of every partition, in one request (read_committed: open transactions excluded)."""
        request = {TopicPartition(self.topic, tp.partition): OffsetSpec.latest() for tp in self._partitions}
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._admin is None:  # once per log: its metadata then stays loaded
                    self._admin = admin_for(self.settings, [self.topic], timeout)
                listed = list_offsets(self._admin, request, timeout, isolation_level=IsolationLevel.READ_COMMITTED)
                return {tp.partition: int(info.offset) for tp, info in listed.items()}
            except KafkaException as exc:
                if time.monotonic() > deadline or not is_transient(exc.args[0]):
                    raise StoreError(f"reading the end of {self.topic}: {exc}") from exc
                self._admin = None  # its metadata may be what is behind (a leader epoch, a new topic's leader)
                time.sleep(0.2)

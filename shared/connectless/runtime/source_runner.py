"""Runs one source task: poll -> transforms -> converters -> produce -> (acknowledged) -> offsets.

The commit order, for every run and every periodic commit:
1. poll the task and send each converted record to the producer, remembering the newest source offset
   per source partition (filtered and dropped records advance offsets too, as in Kafka Connect);
2. flush the producer: every record sent so far is acknowledged by the broker, or the run fails;
3. write those source offsets to the offsets topic and wait for the broker's acknowledgement;
4. call `SourceTask.commit()`.
A crash anywhere before 3 completes leaves the old offsets, so the records are produced again on restart:
at-least-once, never a gap. The standalone worker and the Lambda handler both drive this class.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectless.errors.exceptions import ConnectError
from connectless.errors.stage import Stage
from connectless.pipeline.source import SourcePipeline
from connectless.runtime.contexts import RuntimeSourceTaskContext
from connectless.storage import codec
from connectless.storage.offsets import TaskOffsetReader

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from confluent_kafka import KafkaError, Message, Producer

    from connectless.connector import SourceTask
    from connectless.kafka.settings import KafkaSettings
    from connectless.storage.offsets import OffsetStore

log = logging.getLogger(__name__)


class ProduceError(ConnectError):
    """Kafka did not acknowledge a record and errors.tolerance does not cover it."""


@dataclass
class SourceRunStats:
    polled: int = 0
    produced: int = 0
    dropped: int = 0
    offsets_committed: int = 0
    bytes_out: int = 0


class SourceTaskRunner:
    """One source task's loop, bounded by a deadline and an optional record/byte budget per run."""

    def __init__(
        self,
        connector: str,
        task_id: int,
        task: SourceTask,
        task_config: Mapping[str, str],
        connector_config: Mapping[str, str],
        settings: KafkaSettings,
        offsets: OffsetStore,
        *,
        producer: Producer | None = None,
        commit_interval_s: float = 1.0,
    ) -> None:
        self.connector = connector
        self.task_id = task_id
        self.task = task
        self.task_config = dict(task_config)
        self.offsets = offsets
        self.commit_interval_s = commit_interval_s
        self.pipeline = SourcePipeline(connector, task_id, connector_config, settings)
        self.tolerate_produce_errors = self.pipeline.errors.tolerates_all
        # Idempotent: a retried produce never duplicates; murmur2 places keys as Kafka Connect does.
        self.producer = producer or settings.producer(
            **{"enable.idempotence": True, "acks": "all", "linger.ms": 5, "partitioner": "murmur2_random"}
        )
        self.stats = SourceRunStats()
        self._pending: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
        self._failures: list[tuple[str, KafkaError]] = []
        self._sent = 0
        self._started = False
        self._on_delivery = self._delivery_callback()

    def start(self) -> None:
        reader = TaskOffsetReader(self.offsets, self.connector)
        self.task.initialize(RuntimeSourceTaskContext(self.task_config, reader))
        self.task.start(self.task_config)
        self._started = True

    def _delivery_callback(self) -> Callable[[KafkaError | None, Message], None]:
        failures = self._failures

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                failures.append((msg.topic() or "", err))

        return on_delivery

    def run(
        self,
        deadline: float,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        max_records: int | None = None,
        max_bytes: int | None = None,
    ) -> SourceRunStats:
        """Poll until `deadline` (time.monotonic), a stop request or a budget; commit at least once at the end."""
        next_commit = time.monotonic() + self.commit_interval_s
        start_polled, start_bytes = self.stats.polled, self.stats.bytes_out
        while not should_stop() and time.monotonic() < deadline:
            if max_records is not None and self.stats.polled - start_polled >= max_records:
                break
            if max_bytes is not None and self.stats.bytes_out - start_bytes >= max_bytes:
                break
            self.poll_once()
            if time.monotonic() >= next_commit:
                self.commit()
                next_commit = time.monotonic() + self.commit_interval_s
        self.commit()
        return self.stats

    def poll_once(self) -> int:
        records = self.task.poll()
        if not records:
            self.producer.poll(0)
            return 0
        produce, process, pending = self.producer.produce, self.pipeline.process, self._pending
        for record in records:
            raw = process(record)
            if record.source_partition is not None and record.source_offset is not None:
                pending[codec.canonical(record.source_partition)] = (record.source_partition, record.source_offset)
            if raw is None:
                self.stats.dropped += 1
                continue
            kwargs: dict[str, Any] = {"key": raw.key, "value": raw.value, "on_delivery": self._on_delivery}
            if raw.partition >= 0:
                kwargs["partition"] = raw.partition
            if raw.timestamp is not None:
                kwargs["timestamp"] = raw.timestamp
            if raw.headers:
                kwargs["headers"] = list(raw.headers)
            self._produce(produce, raw.topic, kwargs)
            self._sent += 1
            self.stats.bytes_out += len(raw.value or b"") + len(raw.key or b"")
        self.stats.polled += len(records)
        self.producer.poll(0)
        return len(records)

    def _produce(self, produce: Callable[..., None], topic: str, kwargs: dict[str, Any]) -> None:
        while True:
            try:
                produce(topic, **kwargs)
                return
            except BufferError:
                self.producer.poll(0.1)  # local queue full: let deliveries drain, then retry

    def commit(self) -> int:
        """Steps 2-4 of the commit order. Returns the number of source partitions whose offsets were written."""
        remaining = self.producer.flush(60)
        if remaining:
            raise ProduceError(f"{remaining} records still unacknowledged after 60s; offsets not committed")
        if self._failures:
            failures, self._failures[:] = list(self._failures), []
            if not self.tolerate_produce_errors:
                self._pending.clear()
                topic, err = failures[0]
                raise ProduceError(
                    f"Unrecoverable exception from producer send callback ({Stage.KAFKA_PRODUCE.name}) on topic "
                    f"{topic}: {err.str()}; offsets of this batch are not committed"
                )
            log.warning("skipped %d records Kafka refused (errors.tolerance=all)", len(failures))
        self.stats.produced += self._sent
        self._sent = 0
        self.pipeline.flush(60)
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        self.offsets.write(self.connector, pending.values())
        self.stats.offsets_committed += len(pending)
        self.task.commit()
        return len(pending)

    def stop(self) -> None:
        """Stop the task; pending offsets are committed first when the producer can still deliver."""
        try:
            if self._started:
                self.commit()
        finally:
            self._started = False
            self.task.stop()
            self.pipeline.close()

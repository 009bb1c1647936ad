"""Runs one sink task in a long-lived process: consume (group connect-<name>) -> converters -> transforms
-> put -> flush -> commit.

The commit order:
1. every consumed record goes through the pipeline; the ones that survive go to `SinkTask.put`;
2. a put that fails for the batch is retried record by record, so one bad record is dead-lettered
   (errors.tolerance=all) instead of failing its neighbours;
3. `pipeline.flush`: every dead-lettered record is acknowledged by Kafka;
4. `SinkTask.pre_commit` (flush by default) says what is durable;
5. the consumer group commits those offsets.
A crash before 5 redelivers the records since the last commit: at-least-once, never a gap.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any

from confluent_kafka import TopicPartition as KafkaTopicPartition

from connectless.config.providers import resolve_config
from connectless.connector import TopicPartition
from connectless.connector_config import consumer_group, parse_topics_list
from connectless.errors.exceptions import ConnectError
from connectless.errors.stage import Stage
from connectless.pipeline.sink import SinkPipeline
from connectless.raw_records import RawRecord, raws_from_messages
from connectless.runtime.contexts import RuntimeSinkTaskContext
from connectless.runtime.sink_batch import write_batch

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from confluent_kafka import Consumer

    from connectless.connector import SinkTask
    from connectless.kafka.settings import KafkaSettings
    from connectless.records import SinkRecord

log = logging.getLogger(__name__)


class SinkTaskRunner:
    def __init__(
        self,
        connector: str,
        task_id: int,
        task: SinkTask,
        task_config: Mapping[str, str],
        connector_config: Mapping[str, str],
        settings: KafkaSettings,
        *,
        commit_interval_s: float = 1.0,
        max_batch: int = 500,
    ) -> None:
        # ${provider:[path:]key} references are resolved here, at task start; the stored configs keep them.
        task_config, connector_config = resolve_config(task_config), resolve_config(connector_config)
        self.connector = connector
        self.task_id = task_id
        self.task = task
        self.task_config = dict(task_config)
        self.connector_config = dict(connector_config)
        self.settings = settings
        self.commit_interval_s = commit_interval_s
        self.max_batch = max_batch
        self.pipeline = SinkPipeline(connector, task_id, connector_config, settings)
        self.consumer: Consumer | None = None
        self.next_offsets: dict[TopicPartition, int] = {}
        self.records_in = 0
        self.records_put = 0
        self._batch_raw: dict[tuple[str, int, int], RawRecord] = {}
        self.context = RuntimeSinkTaskContext(
            self.task_config, self.pipeline.errant_record_reporter(type(task), self._lookup_raw)
        )

    def _lookup_raw(self, topic: str, partition: int, offset: int) -> RawRecord | None:
        return self._batch_raw.get((topic, partition, offset))

    def start(self) -> None:
        self.task.initialize(self.context)
        self.task.start(self.task_config)
        self.consumer = self.settings.consumer(
            consumer_group(self.connector),
            **{"enable.auto.commit": False, "auto.offset.reset": "earliest", "enable.partition.eof": False},
        )
        topics = parse_topics_list(self.connector_config)
        regex = self.connector_config.get("topics.regex", "").strip()
        subscription = topics or ["^" + regex.removeprefix("^")]
        if regex:
            re.compile(regex)
        self.consumer.subscribe(subscription, on_assign=self._on_assign, on_revoke=self._on_revoke)

    def _on_assign(self, _consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        assigned = [TopicPartition(p.topic, p.partition) for p in partitions]
        self.context.current_assignment.update(assigned)
        self.task.open(assigned)

    def _on_revoke(self, _consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        revoked = [TopicPartition(p.topic, p.partition) for p in partitions]
        try:
            self.commit(only=set(revoked))
        except Exception:
            # An exception cannot cross librdkafka's callback boundary; the records are simply redelivered.
            log.exception("commit on partition revocation failed for %s", revoked)
        self.task.close(revoked)
        self.context.current_assignment.difference_update(revoked)
        for tp in revoked:
            self.next_offsets.pop(tp, None)

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Consume until `should_stop()`; commit every commit interval and once more at the end."""
        next_commit = time.monotonic() + self.commit_interval_s
        while not should_stop():
            self.poll_once(0.2)
            if time.monotonic() >= next_commit or self.context.commit_requested:
                self.context.commit_requested = False
                self.commit()
                next_commit = time.monotonic() + self.commit_interval_s
        self.commit()

    def poll_once(self, timeout: float) -> int:
        consumer = self.consumer
        if consumer is None:
            raise ConnectError("sink task runner is not started")
        self._apply_rewinds(consumer)
        messages = consumer.consume(self.max_batch, timeout)
        if not messages:
            self.task.put([])  # Kafka Connect calls put with an empty batch too, so tasks can flush on time
            return 0
        raws = raws_from_messages(messages)
        self.deliver(raws)
        return len(raws)

    def deliver(self, raws: Sequence[RawRecord]) -> None:
        """Pipeline + put for one batch; offsets advance only once put returned for every record."""
        self._batch_raw = {(r.topic, r.partition, r.offset): r for r in raws}
        records: list[SinkRecord] = []
        by_record: list[RawRecord] = []
        for raw in raws:
            record = self.pipeline.process(raw)
            if record is not None:
                records.append(record)
                by_record.append(raw)
        self._put(records, by_record)
        for raw in raws:
            self.next_offsets[TopicPartition(raw.topic, raw.partition)] = raw.offset + 1
        self.records_in += len(raws)
        self.records_put += len(records)

    def _put(self, records: list[SinkRecord], raws: list[RawRecord]) -> None:
        def report(raw: RawRecord, error: BaseException) -> bool:
            self.pipeline.report(raw, Stage.TASK_PUT, type(self.task), error)  # raises unless tolerated
            return True

        write_batch(self.task, records, raws, report, retry=self.pipeline.operator)  # put retried until it works

    def _apply_rewinds(self, consumer: Consumer) -> None:
        for tp, offset in self.context.take_requested_offsets().items():
            consumer.seek(KafkaTopicPartition(tp.topic, tp.partition, offset))
            self.next_offsets.pop(tp, None)

    def commit(self, only: set[TopicPartition] | None = None) -> None:
        """Steps 3-5 of the commit order for everything delivered so far (or only some partitions)."""
        consumer = self.consumer
        current = {tp: o for tp, o in self.next_offsets.items() if only is None or tp in only}
        if consumer is None or not current:
            return
        self.pipeline.flush(60)
        committable = self.task.pre_commit(current)
        offsets = [KafkaTopicPartition(tp.topic, tp.partition, o) for tp, o in committable.items()]
        if offsets:
            consumer.commit(offsets=offsets, asynchronous=False)

    def stop(self) -> None:
        """Commit, leave the group (revocation closes the partitions in the task), then stop the task."""
        consumer, closed = self.consumer, False
        try:
            if consumer is not None:
                self.commit()
                consumer.close()
                closed = True
        finally:
            self.consumer = None
            if consumer is not None and not closed:
                consumer.close()
            self.task.stop()
            self.pipeline.close()

    def describe(self) -> dict[str, Any]:
        return {"records_in": self.records_in, "records_put": self.records_put}

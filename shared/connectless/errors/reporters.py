"""Where failures go: the application log and the dead letter queue topic.

A reporter's `report` must not raise: it returns a handle (a Future) for work that completes later, and
`flush(timeout)` raises when any such work failed or did not complete in time.
"""

from __future__ import annotations

import logging
import threading
import traceback
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

from connectless.errors.context import connect_class_name, python_class_name
from connectless.errors.exceptions import DeadLetterQueueError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from confluent_kafka import KafkaError, Message, Producer

    from connectless.errors.config import ErrorsConfig
    from connectless.errors.context import ProcessingContext
    from connectless.kafka.settings import KafkaSettings
    from connectless.records import SourceRecord

    RawHeaders = list[tuple[str, bytes | None]]
    # Turns a source record into (key, value, headers) bytes for the DLQ, as best it can.
    SourceSerializer = Callable[[SourceRecord], tuple[bytes | None, bytes | None, RawHeaders]]

log = logging.getLogger(__name__)

ERROR_HEADER_PREFIX = "__connect.errors."
HEADER_ORIG_TOPIC = ERROR_HEADER_PREFIX + "topic"
HEADER_ORIG_PARTITION = ERROR_HEADER_PREFIX + "partition"
HEADER_ORIG_OFFSET = ERROR_HEADER_PREFIX + "offset"
HEADER_CONNECTOR_NAME = ERROR_HEADER_PREFIX + "connector.name"
HEADER_TASK_ID = ERROR_HEADER_PREFIX + "task.id"
HEADER_STAGE = ERROR_HEADER_PREFIX + "stage"
HEADER_EXECUTING_CLASS = ERROR_HEADER_PREFIX + "class.name"
HEADER_EXCEPTION = ERROR_HEADER_PREFIX + "exception.class.name"
HEADER_EXCEPTION_MESSAGE = ERROR_HEADER_PREFIX + "exception.message"
HEADER_EXCEPTION_STACK_TRACE = ERROR_HEADER_PREFIX + "exception.stacktrace"

DLQ_PARTITIONS = 1  # as Kafka Connect creates it


class ErrorReporter(Protocol):
    def report(self, context: ProcessingContext) -> Future[None] | None:
        """Take note of one failure; never raises."""

    def flush(self, timeout: float) -> None:
        """Wait for pending reports; raise when any failed or did not complete within `timeout` seconds."""

    def close(self) -> None: ...


class LogReporter:
    """Logs each failure at ERROR with its traceback, as Kafka Connect's LogReporter does.

    Record keys, values and headers are never logged unless `errors.log.include.messages` is true.
    """

    def __init__(
        self, connector_name: str, task_id: int, config: ErrorsConfig, logger: logging.Logger | None = None
    ) -> None:
        self._task = f"{connector_name}-{task_id}"  # Kafka Connect's ConnectorTaskId
        self._include_messages = config.log_include_messages
        self._log = logger or log

    def message(self, context: ProcessingContext) -> str:
        return f"Error encountered in task {self._task}. {context.describe(include_message=self._include_messages)}"

    def report(self, context: ProcessingContext) -> None:
        self._log.error(self.message(context), exc_info=context.error)

    def flush(self, timeout: float) -> None:
        return None

    def close(self) -> None:
        return None


class DeadLetterQueueReporter:
    """Produces the ORIGINAL record (key, value, headers, timestamp) of each failure to the DLQ topic.

    With `errors.deadletterqueue.context.headers.enable` it adds Kafka Connect's `__connect.errors.*` headers,
    encoded as Kafka Connect encodes them: UTF-8 strings, numbers in decimal. The topic is created on the
    first report (a task without failures never pays for it) and the producer is created then too.

    Source side (Connectless only): a source record has no consumed bytes, so `source_serializer` turns the
    record as polled into bytes as best it can; the context headers then carry the record's topic, its
    partition or -1, and offset -1.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        config: ErrorsConfig,
        connector_name: str,
        task_id: int,
        *,
        source_serializer: SourceSerializer | None = None,
        producer_config: Mapping[str, Any] | None = None,
        admin_timeout: float = 30.0,
    ) -> None:
        self._settings = settings
        self._topic = config.dlq_topic
        self._replication_factor = config.dlq_replication_factor
        self._context_headers = config.dlq_context_headers
        self._connector = connector_name
        self._task_id = str(task_id)
        self._source_serializer = source_serializer
        self._producer_config = dict(producer_config or {})
        self._admin_timeout = admin_timeout
        self._producer: Producer | None = None
        self._pending: list[Future[None]] = []
        self._lock = threading.Lock()

    @property
    def topic(self) -> str:
        return self._topic

    def report(self, context: ProcessingContext) -> Future[None]:
        future: Future[None] = Future()
        with self._lock:
            self._pending.append(future)
        try:
            key, value, headers, timestamp = self._message(context)
            self._produce(future, key, value, headers, timestamp)
        except Exception as exc:  # the future carries it to flush(): the record is not handled
            log.error("Could not produce message to dead letter queue. topic=%s", self._topic, exc_info=exc)
            _fail(future, exc)
        return future

    def flush(self, timeout: float) -> None:
        """Wait until every DLQ record so far is acknowledged; raise DeadLetterQueueError otherwise."""
        producer = self._producer
        if producer is not None:
            producer.flush(timeout)
        with self._lock:
            pending, self._pending = self._pending, []
        errors = [f.exception() for f in pending if f.done()]
        failed = [e for e in errors if e is not None]
        incomplete = sum(1 for f in pending if not f.done())
        if failed or incomplete:
            first = f"; first error: {failed[0]}" if failed else ""
            raise DeadLetterQueueError(
                f"{len(failed)} record(s) failed and {incomplete} did not complete within {timeout}s "
                f"producing to dead letter queue topic '{self._topic}'{first}"
            ) from (failed[0] if failed else None)

    def close(self, timeout: float = 5.0) -> None:
        if self._producer is not None:
            self._producer.flush(timeout)
            self._producer = None

    def _message(
        self, context: ProcessingContext
    ) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]], int | None]:
        consumed = context.consumer_record
        if consumed is not None:
            key, value, timestamp = consumed.key, consumed.value, consumed.timestamp
            headers = list(consumed.headers)
            topic, partition, offset = consumed.topic, consumed.partition, consumed.offset
        elif context.source_record is not None and self._source_serializer is not None:
            source = context.source_record
            key, value, headers = self._source_serializer(source)
            timestamp = source.timestamp
            topic = source.topic
            partition = -1 if source.kafka_partition is None else source.kafka_partition
            offset = -1
        else:
            raise DeadLetterQueueError("The failed record is unknown, so it cannot be sent to the dead letter queue")
        if self._context_headers:
            self._add_context_headers(headers, context, topic, partition, offset)
        return key, value, headers, timestamp

    def _add_context_headers(
        self,
        headers: list[tuple[str, bytes | None]],
        context: ProcessingContext,
        topic: str,
        partition: int,
        offset: int,
    ) -> None:
        present = {name for name, _ in headers}
        error = context.error

        def add(name: str, value: str) -> None:
            # Kafka Connect keeps a header the original record already has and logs the clash.
            if name in present:
                log.error("Header already contains the '%s' key.", name)
                return
            headers.append((name, value.encode("utf-8")))

        add(HEADER_ORIG_TOPIC, topic)
        add(HEADER_ORIG_PARTITION, str(partition))
        add(HEADER_ORIG_OFFSET, str(offset))
        add(HEADER_CONNECTOR_NAME, self._connector)
        add(HEADER_TASK_ID, self._task_id)
        add(HEADER_STAGE, context.stage.name)
        add(HEADER_EXECUTING_CLASS, connect_class_name(context.executing_class))
        if error is not None:
            add(HEADER_EXCEPTION, python_class_name(type(error)))
            add(HEADER_EXCEPTION_MESSAGE, str(error))
            add(HEADER_EXCEPTION_STACK_TRACE, "".join(traceback.format_exception(error)))

    def _produce(
        self,
        future: Future[None],
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes | None]],
        timestamp: int | None,
    ) -> None:
        producer = self._producer or self._start()
        extra: dict[str, Any] = {}
        if timestamp is not None and timestamp >= 0:  # else the producer stamps it, as Kafka Connect does
            extra["timestamp"] = timestamp

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is None:
                future.set_result(None)
                return
            log.error("Could not produce message to dead letter queue. topic=%s: %s", self._topic, err)
            _fail(future, DeadLetterQueueError(f"Could not produce to dead letter queue topic '{self._topic}': {err}"))

        for _ in range(100):  # a full local queue drains as the producer delivers; give up after ~10 s
            try:
                producer.produce(self._topic, value, key, headers=headers, on_delivery=delivered, **extra)  # type: ignore[arg-type]
                break
            except BufferError:
                producer.poll(0.1)
        else:
            raise DeadLetterQueueError(f"The producer queue for dead letter queue topic '{self._topic}' stayed full")
        producer.poll(0)

    def _start(self) -> Producer:
        self._ensure_topic()
        self._producer = self._settings.producer(**self._producer_config)
        return self._producer

    def _ensure_topic(self) -> None:
        from connectless.kafka.admin import TopicSpec, ensure_topic

        metadata = self._settings.admin().list_topics(timeout=self._admin_timeout)
        existing = metadata.topics.get(self._topic)
        if existing is not None and existing.error is None:
            return
        # Capped at the cluster's broker count: the default of 3 could never be met by a single-node
        # test or development broker, and a DLQ that cannot be created loses the failed records.
        replication = self._replication_factor
        if replication > 0:
            replication = min(replication, max(1, len(metadata.brokers)))
        log.info("Creating dead letter queue topic %s (replication factor %s)", self._topic, replication)
        spec = TopicSpec(self._topic, partitions=DLQ_PARTITIONS, replication_factor=replication)
        ensure_topic(self._settings, spec, timeout=self._admin_timeout)


def _fail(future: Future[None], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)

"""The source side: a polled SourceRecord -> transforms -> header, key, value converters -> bytes to produce.

Each step runs through the connector's RetryWithToleranceOperator. Unlike Kafka Connect, a failure that
errors.tolerance=all skips also reaches the dead letter queue when `errors.deadletterqueue.topic.name` is
set: there are no consumed bytes on this side, so the record as polled (before any transform) is
serialised with the connector's converters, or as plain bytes/UTF-8/JSON where they fail.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from connectless.errors.stage import Stage
from connectless.pipeline.base import PipelineBase
from connectless.pipeline.common import best_effort_bytes, headers_bytes
from connectless.raw_records import RawRecord
from connectless.records import TimestampType

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.errors.reporters import ErrorReporter
    from connectless.kafka.settings import KafkaSettings
    from connectless.raw_records import RawHeaders
    from connectless.records import SourceRecord


class SourcePipeline(PipelineBase["SourceRecord", RawRecord]):
    """Turns polled records into Kafka records to produce, under the connector's errors.*.

    Example:
        pipeline = SourcePipeline("datagen", 0, connector_config, KafkaSettings.from_env())
        for record in task.poll() or []:
            raw = pipeline.process(record)
            if raw is not None:
                producer.produce(raw.topic, raw.value, raw.key, partition=raw.partition, headers=raw.headers)
        pipeline.flush(30)
    """

    def __init__(
        self,
        connector_name: str,
        task_id: int,
        config: Mapping[str, str],
        settings: KafkaSettings | None = None,
        *,
        reporters: Sequence[ErrorReporter] = (),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            connector_name,
            task_id,
            config,
            settings,
            reporters=reporters,
            clock=clock,
            sleep=sleep,
            source_serializer=self.serialize_for_dlq,
        )
        self._key_from_connect = self.key_converter.from_connect_data
        self._value_from_connect = self.value_converter.from_connect_data

    def _process_fast(self, record: SourceRecord) -> RawRecord | None:
        if self._transform is not None:
            transformed = self._transform(record)
            if transformed is None:
                return None
            record = transformed
        topic = record.topic
        timestamp = record.timestamp
        return RawRecord(
            topic,
            -1 if record.kafka_partition is None else record.kafka_partition,
            -1,
            timestamp,
            TimestampType.NO_TIMESTAMP_TYPE if timestamp is None else TimestampType.CREATE_TIME,
            self._key_from_connect(topic, record.key_schema, record.key),
            self._value_from_connect(topic, record.value_schema, record.value),
            self._convert_headers(record) if record.headers else (),
        )

    def process_all(self, records: Sequence[SourceRecord]) -> list[RawRecord | None]:
        """`process` of each record of a poll, in order: `_process_fast`'s steps inline in one loop, which saves two
        calls a record (~0.2 µs, measured); a record whose fast path raises goes through `_process_staged` alone."""
        if not self._optimistic:
            return list(map(self._process_staged, records))
        transform, key_converted, value_converted = self._transform, self._key_from_connect, self._value_from_connect
        no_type, create_time = TimestampType.NO_TIMESTAMP_TYPE, TimestampType.CREATE_TIME
        out: list[RawRecord | None] = []
        append = out.append
        for polled in records:
            try:
                record: SourceRecord | None = polled if transform is None else transform(polled)
                if record is None:
                    append(None)
                    continue
                topic, partition, timestamp = record.topic, record.kafka_partition, record.timestamp
                append(RawRecord(topic, -1 if partition is None else partition, -1, timestamp,
                                 no_type if timestamp is None else create_time,
                                 key_converted(topic, record.key_schema, record.key),
                                 value_converted(topic, record.value_schema, record.value),
                                 self._convert_headers(record) if record.headers else ()))  # fmt: skip
            except Exception:
                append(self._process_staged(polled))
        return out

    def _process_staged(self, record: SourceRecord) -> RawRecord | None:
        """Each stage through the RetryWithToleranceOperator: retries, tolerance and error reports."""
        operator = self.operator
        operator.source_record = record
        if self._apply_chain is not None:
            transformed = self._apply_chain(record, operator)
            if transformed is None:
                return None
            record = transformed
        errors_before = operator.total_errors
        topic = record.topic
        headers: RawHeaders = ()
        if record.headers:
            converted = operator.execute(self._convert_headers, Stage.HEADER_CONVERTER, self._header_class, record)
            if converted is None:
                return None
            headers = converted
        # A converter may return None for a null key or value: only the error count tells a failure apart.
        key = operator.execute(
            self._key_from_connect, Stage.KEY_CONVERTER, self._key_class, topic, record.key_schema, record.key
        )
        if key is None and operator.total_errors != errors_before:
            return None
        value = operator.execute(
            self._value_from_connect, Stage.VALUE_CONVERTER, self._value_class, topic, record.value_schema, record.value
        )
        if value is None and operator.total_errors != errors_before:
            return None
        timestamp = record.timestamp
        return RawRecord(
            topic,
            -1 if record.kafka_partition is None else record.kafka_partition,
            -1,
            timestamp,
            TimestampType.NO_TIMESTAMP_TYPE if timestamp is None else TimestampType.CREATE_TIME,
            key,
            value,
            headers,
        )

    def _convert_headers(self, record: SourceRecord) -> RawHeaders:
        convert, topic = self.header_converter.from_connect_header, record.topic
        return tuple((h.key, convert(topic, h.key, h.schema, h.value)) for h in record.headers)

    def serialize_for_dlq(
        self, record: SourceRecord
    ) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]:
        """The polled record in Kafka form for the dead letter queue, as best the converters can."""
        topic = record.topic
        return (
            best_effort_bytes(self._key_from_connect, topic, record.key_schema, record.key),
            best_effort_bytes(self._value_from_connect, topic, record.value_schema, record.value),
            headers_bytes(self.header_converter.from_connect_header, topic, record.headers),
        )

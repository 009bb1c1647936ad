"""A connector's dead-letter topic, browsed and replayed: the console's and `connectless dlq`'s backend.

`peek` reads the last records of the topic without a consumer group commit (partitions are assigned, never
subscribed). Each record comes back with its key and value as text when they are UTF-8 (else base64), its
headers decoded, and the `__connect.errors.*` headers gathered under "errors" without the prefix.

`replay` produces selected records back to where they failed: the topic and partition named by their
`__connect.errors.topic` / `.partition` headers (or a topic given by the caller), with their original key,
value, timestamp and headers, less the `__connect.errors.*` ones, so a fixed connector reads them again.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, TopicPartition

from connectless.errors.config import DLQ_TOPIC_NAME
from connectless.manager.errors import BadRequestError
from connectless.rest.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from confluent_kafka import Consumer, Message

    from connectless.kafka.settings import KafkaSettings

ERRORS_PREFIX = "__connect.errors."
TIMEOUT_S = 10.0
MAX_LIMIT = 500
_PEEK_GROUP = "connectless-dlq-browser"  # never commits: partitions are assigned, offsets never stored


def dlq_topic(config: Mapping[str, str]) -> str:
    """The connector's `errors.deadletterqueue.topic.name`; 400 when it has none."""
    topic = (config.get(DLQ_TOPIC_NAME) or "").strip()
    if not topic:
        raise BadRequestError(f"The connector has no dead letter queue ({DLQ_TOPIC_NAME} is not set)")
    return topic


def _text(data: bytes | None) -> dict[str, Any] | None:
    """Bytes for JSON: {"text": ...} when UTF-8, else {"base64": ...}."""
    if data is None:
        return None
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def _headers(message: Message) -> list[tuple[str, bytes | None]]:
    raw: Any = message.headers() or []  # a consumed message has a list; the stubs also allow a dict
    pairs = list(raw.items()) if isinstance(raw, dict) else raw
    return [(str(name), value.encode() if isinstance(value, str) else value) for name, value in pairs]


def _position(message: Message) -> tuple[int, int]:
    return int(message.partition() or 0), int(message.offset() or 0)


def decode(message: Message) -> dict[str, Any]:
    """One DLQ record as JSON: partition, offset, timestamp (ms), key, value, headers, errors."""
    headers: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for name, value in _headers(message):
        headers.append({"name": name, "value": _text(value)})
        if name.startswith(ERRORS_PREFIX) and value is not None:
            errors[name.removeprefix(ERRORS_PREFIX)] = value.decode("utf-8", errors="replace")
    _kind, timestamp = message.timestamp()
    partition, offset = _position(message)
    return {
        "partition": partition,
        "offset": offset,
        "timestamp": timestamp if timestamp >= 0 else None,
        "key": _text(message.key()),
        "value": _text(message.value()),
        "headers": headers,
        "errors": errors,
    }


@dataclass(frozen=True)
class Selection:
    partition: int
    offset: int


def parse_selections(body: Any) -> tuple[list[Selection], str | None]:
    """`{"records": [{"partition": P, "offset": O}, ...], "topic": optional}` -> (selections, topic)."""
    entries = body.get("records") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise BadRequestError("The request body must contain a non-empty 'records' list of {partition, offset}")
    selections: list[Selection] = []
    for entry in entries:
        partition = entry.get("partition") if isinstance(entry, dict) else None
        offset = entry.get("offset") if isinstance(entry, dict) else None
        if (
            not isinstance(partition, int)
            or not isinstance(offset, int)
            or not _natural(partition)
            or not _natural(offset)
        ):
            raise BadRequestError(f"Each record needs an integer 'partition' and 'offset' >= 0, got {entry!r}")
        selections.append(Selection(partition, offset))
    topic = body.get("topic")
    if topic is not None and (not isinstance(topic, str) or not topic.strip()):
        raise BadRequestError("'topic' must be a non-empty string when given")
    return selections, topic.strip() if topic else None


def _natural(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class DeadLetterQueue:
    """Reads and replays one DLQ topic. `settings=None` (memory state) has no Kafka: 400."""

    def __init__(self, settings: KafkaSettings | None, topic: str) -> None:
        if settings is None:
            raise BadRequestError("This worker has no Kafka cluster to read dead letter queues from")
        self.settings = settings
        self.topic = topic

    def _consumer(self) -> Consumer:
        overrides = {"enable.auto.commit": False, "enable.auto.offset.store": False, "enable.partition.eof": True}
        return self.settings.consumer(_PEEK_GROUP, **overrides)

    def _partitions(self, consumer: Consumer) -> list[int]:
        metadata = consumer.list_topics(self.topic, timeout=TIMEOUT_S).topics.get(self.topic)
        if metadata is None or metadata.error is not None:
            if metadata is not None and metadata.error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise BadRequestError(f"Cannot read topic {self.topic}: {metadata.error}")
            return []  # no record was ever dead-lettered
        return sorted(metadata.partitions)

    def peek(self, limit: int = 50) -> dict[str, Any]:
        """The last `limit` records (newest first) and the record count of the topic."""
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequestError(f"limit must be between 1 and {MAX_LIMIT}")
        consumer = self._consumer()
        try:
            partitions = self._partitions(consumer)
            ranges: dict[int, tuple[int, int]] = {}
            for p in partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(self.topic, p), TIMEOUT_S)
                if high > low:
                    ranges[p] = (max(low, high - limit), high)
            records = _read_ranges(consumer, self.topic, ranges)
        finally:
            consumer.close()
        records.sort(key=lambda r: (r["timestamp"] or 0, r["partition"], r["offset"]), reverse=True)
        total = sum(high - low for low, high in ranges.values())
        return {"topic": self.topic, "records": records[:limit], "total": total}

    def read(self, selections: Sequence[Selection]) -> dict[Selection, Message]:
        """The selected records; 404 when one is not on the topic (deleted by retention, or never there)."""
        consumer = self._consumer()
        found: dict[Selection, Message] = {}
        try:
            known = set(self._partitions(consumer))
            for selection in selections:
                if selection.partition not in known:
                    raise NotFoundError(f"Partition {selection.partition} of {self.topic} does not exist")
                consumer.assign([TopicPartition(self.topic, selection.partition, selection.offset)])
                message = _next_message(consumer)
                if message is None or _position(message)[1] != selection.offset:
                    raise NotFoundError(
                        f"Record {self.topic}-{selection.partition}@{selection.offset} is not on the topic"
                    )
                found[selection] = message
        finally:
            consumer.close()
        return found

    def replay(self, selections: Sequence[Selection], topic: str | None = None) -> list[dict[str, Any]]:
        """Produce each selected record to its original topic (or `topic`); returns where each one went."""
        messages = self.read(selections)
        plans = [(s, messages[s], *_target(messages[s], topic)) for s in selections]
        producer = self.settings.producer(**{"enable.idempotence": True, "acks": "all"})
        delivered: dict[Selection, tuple[int, int]] = {}
        failures: list[str] = []

        def on_delivery(selection: Selection) -> Any:
            def report(error: KafkaError | None, message: Message) -> None:
                if error is not None:
                    failures.append(f"{selection.partition}@{selection.offset}: {error}")
                else:
                    delivered[selection] = _position(message)

            return report

        for selection, message, target, partition in plans:
            _kind, timestamp = message.timestamp()
            kwargs: dict[str, Any] = {"timestamp": timestamp} if timestamp > 0 else {}
            if partition is not None:
                kwargs["partition"] = partition
            headers: list[Any] = [(k, v) for k, v in _headers(message) if not k.startswith(ERRORS_PREFIX)]
            producer.produce(target, message.value(), message.key(), headers=headers,
                             on_delivery=on_delivery(selection), **kwargs)  # fmt: skip
        remaining = producer.flush(TIMEOUT_S * 3)
        if remaining or failures:
            raise BadRequestError(f"Replay failed for {failures or f'{remaining} record(s) unacknowledged'}")
        return [
            {"from": {"partition": s.partition, "offset": s.offset},
             "to": {"topic": target, "partition": delivered[s][0], "offset": delivered[s][1]}}
            for s, _m, target, _p in plans
        ]  # fmt: skip


def _target(message: Message, topic: str | None) -> tuple[str, int | None]:
    """(topic, partition or None): the caller's topic (partitioner decides), else the original topic-partition."""
    if topic:
        return topic, None
    headers = {k: v for k, v in _headers(message) if k.startswith(ERRORS_PREFIX) and v is not None}
    original = headers.get(ERRORS_PREFIX + "topic")
    if not original:
        raise BadRequestError(
            f"Record {message.partition()}@{message.offset()} has no {ERRORS_PREFIX}topic header "
            "(errors.deadletterqueue.context.headers.enable=false): give the topic to replay to"
        )
    partition = headers.get(ERRORS_PREFIX + "partition")
    return original.decode(), int(partition) if partition and partition.isdigit() else None


def _next_message(consumer: Consumer) -> Message | None:
    """The next record of the assignment; None when the partition ends first (or times out)."""
    while True:
        message = consumer.poll(TIMEOUT_S)
        if message is None:
            return None
        error = message.error()
        if error is None:
            return message
        if error.code() == KafkaError._PARTITION_EOF:
            return None
        raise BadRequestError(f"Cannot read the dead letter queue: {error}")


def _read_ranges(consumer: Consumer, topic: str, ranges: Mapping[int, tuple[int, int]]) -> list[dict[str, Any]]:
    """Every record in [low, high) of each partition (a compacted or transactional topic may skip offsets)."""
    if not ranges:
        return []
    consumer.assign([TopicPartition(topic, p, low) for p, (low, _high) in ranges.items()])
    pending = dict(ranges)
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + TIMEOUT_S
    while pending and time.monotonic() < deadline:
        # poll, not consume(n, timeout): consume waits for n records or the whole timeout
        message = consumer.poll(min(1.0, max(0.0, deadline - time.monotonic())))
        if message is None:
            continue
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                raise BadRequestError(f"Cannot read the dead letter queue: {error}")
            pending.pop(_position(message)[0], None)
            continue
        partition, offset = _position(message)
        if partition in pending and offset < pending[partition][1]:
            records.append(decode(message))
        if partition in pending and offset + 1 >= pending[partition][1]:
            pending.pop(partition)
    return records


__all__ = ["DeadLetterQueue", "Selection", "decode", "dlq_topic", "parse_selections"]

"""The Lambda Kafka event, both ways: RawRecords -> event (the emulator) and event -> RawRecords (the handler).

Shape (MSK: eventSource "aws:kafka" plus eventSourceArn; self-managed: "SelfManagedKafka"):
    {"eventSource": ..., "bootstrapServers": "h1:9092,h2:9092",
     "records": {"<topic>-<partition>": [{"topic", "partition", "offset", "timestamp", "timestampType",
                                          "key": base64 (absent when null), "value": base64 (absent for a tombstone),
                                          "headers": [{"<name>": [byte ints]}]}]}}
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.utilities.data_classes import KafkaEvent

from connectless.pipeline.raw import RawRecord
from connectless.records import TimestampType

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

MSK_EVENT_SOURCE: Final = "aws:kafka"
SELF_MANAGED_EVENT_SOURCE: Final = "SelfManagedKafka"
EVENT_SOURCES: Final = frozenset({MSK_EVENT_SOURCE, SELF_MANAGED_EVENT_SOURCE})

# Lambda names timestamp types as the Java client's enum constants; Kafka Connect as their display names.
_TO_LAMBDA_TS_TYPE: Final = {
    TimestampType.CREATE_TIME: "CREATE_TIME",
    TimestampType.LOG_APPEND_TIME: "LOG_APPEND_TIME",
    TimestampType.NO_TIMESTAMP_TYPE: "NO_TIMESTAMP_TYPE",
}
_FROM_LAMBDA_TS_TYPE: Final = {v: k for k, v in _TO_LAMBDA_TS_TYPE.items()}


class KafkaEventError(ValueError):
    """The event is not a Lambda Kafka event."""


def partition_key(topic: str, partition: int) -> str:
    """The key of a partition in `records`, and the `partition` of a batch item failure."""
    return f"{topic}-{partition}"


def event_record(raw: RawRecord) -> dict[str, Any]:
    """One record as Lambda puts it in the event."""
    record: dict[str, Any] = {
        "topic": raw.topic,
        "partition": raw.partition,
        "offset": raw.offset,
        "timestamp": -1 if raw.timestamp is None else raw.timestamp,
        "timestampType": _TO_LAMBDA_TS_TYPE.get(raw.timestamp_type, "NO_TIMESTAMP_TYPE"),
    }
    if raw.key is not None:
        record["key"] = base64.b64encode(raw.key).decode("ascii")
    if raw.value is not None:
        record["value"] = base64.b64encode(raw.value).decode("ascii")
    record["headers"] = [{name: list(value or b"")} for name, value in raw.headers]
    return record


def build_event(
    records: Iterable[RawRecord],
    bootstrap_servers: str,
    *,
    event_source: str = SELF_MANAGED_EVENT_SOURCE,
    event_source_arn: str | None = None,
) -> dict[str, Any]:
    """A Lambda Kafka event holding `records`, grouped by partition in the order given."""
    if event_source not in EVENT_SOURCES:
        raise KafkaEventError(f"unknown eventSource {event_source!r}")
    grouped: dict[str, list[dict[str, Any]]] = {}
    for raw in records:
        grouped.setdefault(partition_key(raw.topic, raw.partition), []).append(event_record(raw))
    event: dict[str, Any] = {"eventSource": event_source}
    if event_source == MSK_EVENT_SOURCE:
        event["eventSourceArn"] = event_source_arn or "arn:aws:kafka:us-east-1:000000000000:cluster/local/local"
    event["bootstrapServers"] = bootstrap_servers
    event["records"] = grouped
    return event


def record_size(raw: RawRecord) -> int:
    """Bytes `raw` adds to the JSON payload: base64 grows 4/3, header bytes become decimal lists."""
    size = 140 + 2 * len(raw.topic)  # field names, numbers and punctuation
    if raw.key is not None:
        size += 4 * ((len(raw.key) + 2) // 3)
    if raw.value is not None:
        size += 4 * ((len(raw.value) + 2) // 3)
    for name, value in raw.headers:
        size += len(name) + 8 + 4 * len(value or b"")
    return size


def parse_event(event: Mapping[str, Any]) -> dict[str, list[RawRecord]]:
    """The records of a Lambda Kafka event, per `<topic>-<partition>`, each list in offset order."""
    source = event.get("eventSource")
    if source not in EVENT_SOURCES:
        raise KafkaEventError(f"not a Lambda Kafka event: eventSource={source!r}")
    kafka_event = KafkaEvent(dict(event))
    parsed: dict[str, list[RawRecord]] = {}
    for record in kafka_event.records:
        raw = _raw_from(record.raw_event)
        parsed.setdefault(partition_key(raw.topic, raw.partition), []).append(raw)
    for records in parsed.values():
        records.sort(key=lambda r: r.offset)
    return parsed


def _raw_from(record: Mapping[str, Any]) -> RawRecord:
    key, value = record.get("key"), record.get("value")
    timestamp = record.get("timestamp")
    headers = tuple(
        (str(name), None if data is None else bytes(data))
        for chunk in record.get("headers") or ()
        for name, data in chunk.items()
    )
    return RawRecord(
        record["topic"],
        int(record["partition"]),
        int(record["offset"]),
        None if timestamp is None or timestamp < 0 else int(timestamp),
        _FROM_LAMBDA_TS_TYPE.get(record.get("timestampType", ""), TimestampType.NO_TIMESTAMP_TYPE),
        None if key is None else base64.b64decode(key),
        None if value is None else base64.b64decode(value),
        headers,
    )

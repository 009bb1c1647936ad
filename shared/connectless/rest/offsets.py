"""Connector offsets for the REST API: a source's on the offsets topic, a sink's in its consumer group.

Sink partitions read `{"kafka_topic", "kafka_partition"}` and offsets `{"kafka_offset"}`, as in Kafka Connect.
A null sink offset sets the partition back to its log start (where auto.offset.reset=earliest would begin).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

from connectless.kafka.admin import COORDINATOR_BUSY, admin_for, alter_group_offsets, list_offsets
from connectless.manager.errors import BadRequestError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.kafka.settings import KafkaSettings

TIMEOUT_S = 30.0
SinkOffset = tuple[str, int, int | None]


def sink_entry(topic: str, partition: int, offset: int) -> dict[str, Any]:
    return {
        "partition": {"kafka_topic": topic, "kafka_partition": partition},
        "offset": {"kafka_offset": offset},
    }


def parse_offsets_body(body: Any) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """`{"offsets": [{"partition": {...}, "offset": {...} | null}]}` -> pairs; 400 when malformed or empty."""
    entries = body.get("offsets") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise BadRequestError("The request body must contain a non-empty 'offsets' list")
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for entry in entries:
        partition = entry.get("partition") if isinstance(entry, dict) else None
        offset = entry.get("offset") if isinstance(entry, dict) else None
        if not isinstance(partition, dict) or not partition:
            raise BadRequestError("Each offset entry needs a non-empty 'partition' object")
        if offset is not None and not isinstance(offset, dict):
            raise BadRequestError("An 'offset' must be an object or null")
        pairs.append((partition, offset))
    return pairs


def parse_sink_offsets(pairs: list[tuple[dict[str, Any], dict[str, Any] | None]]) -> list[SinkOffset]:
    parsed: list[SinkOffset] = []
    for partition, offset in pairs:
        topic, number = partition.get("kafka_topic"), partition.get("kafka_partition")
        if not isinstance(topic, str) or not topic or not isinstance(number, int) or _bad_int(number):
            raise BadRequestError(
                "Sink connector offsets need partitions {'kafka_topic': <string>, 'kafka_partition': <int >= 0>}"
            )
        value = None if offset is None else offset.get("kafka_offset")
        if offset is not None and (not isinstance(value, int) or _bad_int(value)):
            raise BadRequestError("Sink connector offsets need {'kafka_offset': <int >= 0>} or null")
        parsed.append((topic, number, value))
    return parsed


def _bad_int(value: int) -> bool:
    return isinstance(value, bool) or value < 0


class GroupOffsets:
    """A sink connector's consumer group, through the AdminClient. `settings=None` knows no groups."""

    def __init__(self, settings: KafkaSettings | None) -> None:
        self.settings = settings

    def get(self, group: str) -> list[dict[str, Any]]:
        if self.settings is None:
            return []
        admin = self.settings.admin()
        try:
            request = [ConsumerGroupTopicPartitions(group)]
            result = _retrying(lambda: admin.list_consumer_group_offsets(request)[group].result(TIMEOUT_S))
        except KafkaException as exc:
            if _code(exc) == KafkaError.GROUP_ID_NOT_FOUND:
                return []
            raise
        found = [(tp.topic, tp.partition, tp.offset) for tp in result.topic_partitions or [] if tp.offset >= 0]
        return [sink_entry(t, p, o) for t, p, o in sorted(found)]

    def alter(self, group: str, offsets: list[SinkOffset]) -> None:
        if self.settings is None:
            return
        resets = [TopicPartition(t, p) for t, p, o in offsets if o is None]
        admin = admin_for(self.settings, {tp.topic for tp in resets}, TIMEOUT_S)
        starts: Mapping[tuple[str, int], int] = {}
        if resets:
            listed = list_offsets(admin, {tp: OffsetSpec.earliest() for tp in resets}, TIMEOUT_S)
            starts = {(tp.topic, tp.partition): info.offset for tp, info in listed.items()}
        partitions = [TopicPartition(t, p, starts[(t, p)] if o is None else o) for t, p, o in offsets]
        try:
            _retrying(lambda: alter_group_offsets(admin, group, partitions, TIMEOUT_S))
        except KafkaException as exc:
            raise BadRequestError(f"Failed to alter consumer group offsets for group {group}: {exc}") from exc

    def reset(self, group: str) -> None:
        if self.settings is None:
            return
        admin = self.settings.admin()  # kept referenced: its futures complete only while it lives
        try:
            _retrying(lambda: admin.delete_consumer_groups([group], request_timeout=TIMEOUT_S)[group].result(TIMEOUT_S))
        except KafkaException as exc:
            if _code(exc) == KafkaError.GROUP_ID_NOT_FOUND:
                return
            raise BadRequestError(f"Failed to reset consumer group offsets for group {group}: {exc}") from exc


def _retrying(call: Callable[[], Any], attempts: int = 20) -> Any:
    """Group coordinator moves and loads answer with retriable errors for a moment."""
    for _ in range(attempts - 1):
        try:
            return call()
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if not isinstance(error, KafkaError) or not (error.retriable() or error.code() in COORDINATOR_BUSY):
                raise
            time.sleep(0.5)
    return call()


def _code(exc: KafkaException) -> Any:
    error = exc.args[0] if exc.args else None
    return error.code() if isinstance(error, KafkaError) else None

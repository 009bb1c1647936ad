"""A sink connector that keeps what it writes in memory, for handler and emulator tests.

Written records are keyed by (topic, partition, offset), so a redelivery overwrites instead of duplicating,
as the real sinks do. Config: `reject.values` (comma-separated values put refuses with ValueError),
`fail.retriable.times` (the first N puts raise RetriableError), `fail.flush.values` (flush refuses those).
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from connectless.connector import SinkConnector, SinkTask
from connectless.errors import RetriableError
from connectless.plugins import PluginKind, register

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.connector import TopicPartition
    from connectless.records import SinkRecord

WRITTEN: dict[str, dict[tuple[str, int, int], Any]] = defaultdict(dict)
PUT_CALLS: dict[str, int] = defaultdict(int)
PUT_SIZES: dict[str, list[int]] = defaultdict(list)
FLUSH_CALLS: dict[str, int] = defaultdict(int)
_RETRIABLE_LEFT: dict[str, int] = {}


@register(PluginKind.SINK, "test.MemorySinkConnector", "MemorySink")
class MemorySinkConnector(SinkConnector):
    def task_class(self) -> type[SinkTask]:
        return MemorySinkTask


class MemorySinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.name = props["name"]
        self.reject = {v for v in props.get("reject.values", "").split(",") if v}
        self.flush_reject = {v for v in props.get("fail.flush.values", "").split(",") if v}
        _RETRIABLE_LEFT.setdefault(self.name, int(props.get("fail.retriable.times", "0")))
        self.buffer: list[SinkRecord] = []

    def put(self, records: Sequence[SinkRecord]) -> None:
        PUT_CALLS[self.name] += 1
        PUT_SIZES[self.name].append(len(records))
        if records and _RETRIABLE_LEFT.get(self.name, 0) > 0:
            _RETRIABLE_LEFT[self.name] -= 1
            raise RetriableError("sink briefly unavailable")
        for record in records:
            if str(record.value) in self.reject:
                raise ValueError(f"sink rejects value {record.value!r}")
        self.buffer.extend(records)

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        FLUSH_CALLS[self.name] += 1
        for record in self.buffer:
            if str(record.value) in self.flush_reject:
                raise ValueError(f"flush refuses value {record.value!r}")
        for record in self.buffer:
            WRITTEN[self.name][(record.topic, record.kafka_partition or 0, record.kafka_offset)] = record.value
        self.buffer = []

    def close(self, partitions: Sequence[TopicPartition]) -> None:
        self.buffer = []

    def stop(self) -> None:
        self.buffer = []


def reset(name: str) -> None:
    WRITTEN.pop(name, None)
    PUT_CALLS.pop(name, None)
    PUT_SIZES.pop(name, None)
    FLUSH_CALLS.pop(name, None)
    _RETRIABLE_LEFT.pop(name, None)


class SkippedTime:
    """A monotonic clock that a sleep moves forward at once: retries take no real time."""

    def __init__(self) -> None:
        self.slept = 0.0

    def clock(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += seconds

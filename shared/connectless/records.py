"""Records as they move through Connect. A record is never changed once built: a transform returns a new one.

The record classes are plain slotted dataclasses rather than frozen ones: a frozen dataclass pays for a guarded
`object.__setattr__` per field, which doubled the cost of the per-record hot path. The contract stays
immutability: build changed copies with `new_record(...)`, never assign to a field (the transform conformance
tests check that no transform mutates its input).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from connectless.data.schema import Schema


@dataclass(frozen=True, slots=True)
class Header:
    """One header: a key, a value, and the value's schema (None when schemaless)."""

    key: str
    value: Any
    schema: Schema | None = None


class Headers:
    """An immutable, ordered list of headers; keys may repeat. Methods return new Headers."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Header] = ()) -> None:
        self._items: tuple[Header, ...] = tuple(items)

    def __iter__(self) -> Iterator[Header]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._items == other._items

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"

    def last_with_name(self, key: str) -> Header | None:
        for header in reversed(self._items):
            if header.key == key:
                return header
        return None

    def all_with_name(self, key: str) -> list[Header]:
        return [h for h in self._items if h.key == key]

    def keys(self) -> list[str]:
        return [h.key for h in self._items]

    def add(self, key: str, value: Any, schema: Schema | None = None) -> Headers:
        return Headers((*self._items, Header(key, value, schema)))

    def without(self, *keys: str) -> Headers:
        drop = set(keys)
        return Headers(h for h in self._items if h.key not in drop)

    @classmethod
    def of(cls, pairs: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Headers:
        items = pairs.items() if hasattr(pairs, "items") else pairs
        return cls(Header(k, v) for k, v in items)


EMPTY_HEADERS = Headers()


@dataclass(slots=True)
class ConnectRecord:
    """Fields common to source and sink records. `kafka_partition` None lets the producer choose."""

    topic: str
    kafka_partition: int | None
    key_schema: Schema | None
    key: Any
    value_schema: Schema | None
    value: Any
    timestamp: int | None = None
    headers: Headers = EMPTY_HEADERS

    def new_record(self, **changes: Any) -> Self:
        """A copy with `changes` applied (topic, key, value, schemas, timestamp, headers, ...)."""
        return dataclasses.replace(self, **changes)


@dataclass(slots=True)
class SourceRecord(ConnectRecord):
    """A record produced by a SourceTask, with the source position it came from."""

    source_partition: Mapping[str, Any] | None = None
    source_offset: Mapping[str, Any] | None = None


class TimestampType:
    NO_TIMESTAMP_TYPE = "NoTimestampType"
    CREATE_TIME = "CreateTime"
    LOG_APPEND_TIME = "LogAppendTime"


@dataclass(slots=True)
class SinkRecord(ConnectRecord):
    """A record consumed from Kafka for a SinkTask. The original_* fields survive topic-renaming transforms."""

    kafka_offset: int = -1
    timestamp_type: str = TimestampType.NO_TIMESTAMP_TYPE
    original_topic: str | None = None
    original_kafka_partition: int | None = None
    original_kafka_offset: int | None = None

    def __post_init__(self) -> None:
        if self.original_topic is None:
            self.original_topic = self.topic
        if self.original_kafka_partition is None:
            self.original_kafka_partition = self.kafka_partition
        if self.original_kafka_offset is None:
            self.original_kafka_offset = self.kafka_offset

"""Tiny builders shared by the SMT tests: a configured transform, records and structs."""

from __future__ import annotations

from typing import Any, TypeVar

from connectless.data import Schema, SchemaBuilder, Struct
from connectless.records import Headers, SinkRecord, SourceRecord

T = TypeVar("T")

TIMESTAMP = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def configured(cls: type[T], props: dict[str, Any] | None = None) -> T:
    """An instance of `cls` configured with `props`."""
    instance = cls()
    instance.configure(props or {})  # type: ignore[attr-defined]
    return instance


def sink(
    value: Any = None,
    value_schema: Schema | None = None,
    key: Any = None,
    key_schema: Schema | None = None,
    *,
    topic: str = "orders",
    partition: int | None = 3,
    offset: int = 42,
    timestamp: int | None = TIMESTAMP,
    headers: Headers | None = None,
) -> SinkRecord:
    return SinkRecord(
        topic=topic,
        kafka_partition=partition,
        key_schema=key_schema,
        key=key,
        value_schema=value_schema,
        value=value,
        timestamp=timestamp,
        headers=headers or Headers(),
        kafka_offset=offset,
    )


def source(value: Any = None, value_schema: Schema | None = None, key: Any = None, **kw: Any) -> SourceRecord:
    return SourceRecord(
        topic=kw.get("topic", "orders"),
        kafka_partition=kw.get("partition", 3),
        key_schema=kw.get("key_schema"),
        key=key,
        value_schema=value_schema,
        value=value,
        timestamp=kw.get("timestamp", TIMESTAMP),
        headers=kw.get("headers", Headers()),
    )


def struct_schema(*fields: tuple[str, Schema], name: str | None = None, optional: bool = False) -> Schema:
    builder = SchemaBuilder.struct().name(name)
    for field_name, field_schema in fields:
        builder.field(field_name, field_schema)
    return (builder.optional() if optional else builder).build()


def struct(schema: Schema, **values: Any) -> Struct:
    result = Struct(schema)
    for name, value in values.items():
        result.put(name, value)
    return result


def as_dict(value: Struct) -> dict[str, Any]:
    """A struct's raw field values by name (nested structs too), for one-line assertions."""
    return {k: as_dict(v) if isinstance(v, Struct) else v for k, v in value.items()}

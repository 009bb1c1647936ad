"""Datagen: a source of synthetic records, for demos, tests and benchmarks.

Every value carries an integer `id` running 0, 1, 2, ... With several tasks, task t of n emits the ids
congruent to t modulo n, each in increasing order. The offset is the next id, so a restarted task
continues where its committed offset says.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, NonEmptyString, Range, ValidString
from connectless.connector import SourceConnector, SourceTask
from connectless.data import (
    FLOAT64_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    Struct,
    struct_schema,
)
from connectless.data.logical import TIMESTAMP_SCHEMA, timestamp_from_millis
from connectless.plugins import PluginKind, register
from connectless.records import SourceRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.data import Schema

KAFKA_TOPIC = "kafka.topic"
MAX_RECORDS = "max.records"
RECORDS_PER_SECOND = "records.per.second"
QUICKSTART = "quickstart"
SCHEMA_ENABLED = "value.schema.enabled"
BATCH_SIZE = "batch.size"
TASK_INDEX = "task.index"  # set by task_configs, not by users
TASK_COUNT = "task.count"

SHAPES = ("orders", "users", "pageviews")

CONFIG_DEF = (
    ConfigDef()
    .define(KAFKA_TOPIC, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="Topic to write to.")
    .define(MAX_RECORDS, ConfigType.LONG, -1, Range.at_least(-1), Importance.MEDIUM,
            "Total records to generate across all tasks; -1 means no limit.")
    .define(RECORDS_PER_SECOND, ConfigType.DOUBLE, 0.0, Range.at_least(0), Importance.MEDIUM,
            "Rate limit across all tasks; 0 means as fast as possible.")
    .define(QUICKSTART, ConfigType.STRING, "orders", ValidString(SHAPES, case_sensitive=False), Importance.MEDIUM,
            "Record shape: orders, users or pageviews.")
    .define(SCHEMA_ENABLED, ConfigType.BOOLEAN, True, None, Importance.MEDIUM,
            "true: values are Structs with a schema; false: schemaless maps.")
    .define(BATCH_SIZE, ConfigType.INT, 1000, Range.between(1, 100_000), Importance.LOW,
            "Records returned by one poll.")
)  # fmt: skip

_SHAPE_FIELDS: dict[str, list[tuple[str, Schema, Callable[[int], Any]]]] = {
    "orders": [
        ("id", INT64_SCHEMA, lambda i: i),
        ("customer", STRING_SCHEMA, lambda i: f"customer-{i * 7919 % 1000:04d}"),
        ("item", STRING_SCHEMA, lambda i: ("apple", "pear", "fig", "plum", "kiwi")[i % 5]),
        ("amount", FLOAT64_SCHEMA, lambda i: round((i * 37 % 10_000) / 100, 2)),
        ("status", STRING_SCHEMA, lambda i: ("NEW", "PAID", "SHIPPED")[i % 3]),
    ],
    "users": [
        ("id", INT64_SCHEMA, lambda i: i),
        ("name", STRING_SCHEMA, lambda i: f"user_{i}"),
        ("email", STRING_SCHEMA, lambda i: f"user_{i}@example.com"),
        ("region", STRING_SCHEMA, lambda i: ("eu-west-1", "us-east-1", "ap-south-1")[i % 3]),
    ],
    "pageviews": [
        ("id", INT64_SCHEMA, lambda i: i),
        ("page", STRING_SCHEMA, lambda i: f"/page/{i % 97}"),
        ("user", STRING_SCHEMA, lambda i: f"user_{i * 31 % 500}"),
    ],
}


def value_schema(shape: str) -> Schema:
    fields = [(name, schema) for name, schema, _ in _SHAPE_FIELDS[shape]]
    fields.append(("created_at", TIMESTAMP_SCHEMA))
    return struct_schema(fields, name=f"connectless.datagen.{shape}")


@register(PluginKind.SOURCE, "connectless.connectors.DatagenConnector", "Datagen", "DatagenConnector")
class DatagenConnector(SourceConnector):
    CONFIG_DEF = CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)
        CONFIG_DEF.parse(props)

    def task_class(self) -> type[SourceTask]:
        return DatagenTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, TASK_INDEX: str(i), TASK_COUNT: str(max_tasks)} for i in range(max_tasks)]

    def exactly_once_support(self, props: Mapping[str, str]) -> bool | None:
        return True  # offsets are exact positions in a deterministic sequence


class DatagenTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        config = CONFIG_DEF.parse(props)
        self.topic: str = config[KAFKA_TOPIC]
        self.max_records: int = config[MAX_RECORDS]
        self.shape: str = config[QUICKSTART].lower()
        self.schemaful: bool = config[SCHEMA_ENABLED]
        self.batch_size: int = config[BATCH_SIZE]
        self.index = int(props.get(TASK_INDEX, "0"))
        self.count = int(props.get(TASK_COUNT, "1"))
        rate = config[RECORDS_PER_SECOND]
        self.interval = self.count / rate if rate > 0 else 0.0  # seconds between this task's records
        self.partition = {"datagen": self.topic, "task": self.index}
        stored = self.context.offset_storage_reader.offset(self.partition) if hasattr(self, "context") else None
        self.next_id: int = int(stored["next.id"]) if stored else self.index
        self.schema = value_schema(self.shape) if self.schemaful else None
        self.fields = _SHAPE_FIELDS[self.shape]
        self._next_emit = time.monotonic()

    def _value(self, record_id: int, now_ms: int) -> Any:
        if self.schema is None:
            value: dict[str, Any] = {name: make(record_id) for name, _, make in self.fields}
            value["created_at"] = now_ms
            return value
        struct = Struct(self.schema)
        for name, _, make in self.fields:
            struct.put_unchecked(name, make(record_id))
        struct.put_unchecked("created_at", timestamp_from_millis(now_ms))
        return struct

    def poll(self) -> list[SourceRecord] | None:
        if 0 <= self.max_records <= self.next_id:
            time.sleep(0.05)  # done: idle politely, as a finished source does
            return None
        budget = self.batch_size
        if self.interval:
            now = time.monotonic()
            if now < self._next_emit:
                time.sleep(min(self._next_emit - now, 0.1))
                return None
            due = int((now - self._next_emit) / self.interval) + 1
            budget = min(budget, due)
        records: list[SourceRecord] = []
        now_ms = int(time.time() * 1000)
        while len(records) < budget and not (0 <= self.max_records <= self.next_id):
            record_id = self.next_id
            self.next_id += self.count
            records.append(
                SourceRecord(
                    topic=self.topic,
                    kafka_partition=None,
                    key_schema=INT64_SCHEMA if self.schemaful else None,
                    key=record_id,
                    value_schema=self.schema,
                    value=self._value(record_id, now_ms),
                    timestamp=now_ms,
                    source_partition=self.partition,
                    source_offset={"next.id": self.next_id},
                )
            )
        if self.interval:
            self._next_emit += self.interval * len(records)
        return records

    def stop(self) -> None:
        return None

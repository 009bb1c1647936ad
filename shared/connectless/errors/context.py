"""What the reporters learn about one failure: the record as it entered the pipeline, where it failed, and why."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectless.errors.stage import Stage
    from connectless.raw_records import RawRecord
    from connectless.records import SourceRecord


@dataclass(frozen=True, slots=True)
class ProcessingContext:
    """One failed operation. Built only on the failure path, so the hot path allocates nothing for it.

    `consumer_record` is the record as consumed from Kafka (sink side), `source_record` the record as
    polled from the source task before any transform (source side); at most one of them is set.
    """

    stage: Stage
    executing_class: type | None
    error: BaseException | None
    attempt: int = 1
    consumer_record: RawRecord | None = None
    source_record: SourceRecord | None = None

    @property
    def executing_class_name(self) -> str:
        return connect_class_name(self.executing_class)

    def describe(self, *, include_message: bool) -> str:
        """Kafka Connect's `ProcessingContext.toString(includeMessage)`.

        Unlike Kafka Connect, a consumed record's topic, partition and offset are always shown: they locate
        the record without revealing its content. `include_message` adds the timestamp of a consumed record,
        and the whole source record (key, value, headers) on the source side.
        """
        text = f"Executing stage '{self.stage.name}' with class '{self.executing_class_name}'"
        consumed = self.consumer_record
        if consumed is not None:
            text += (
                f", where consumed record is {{topic='{consumed.topic}', partition={consumed.partition}, "
                f"offset={consumed.offset}"
            )
            if include_message and consumed.timestamp is not None and consumed.timestamp >= 0:
                text += f", timestamp={consumed.timestamp}, timestampType={consumed.timestamp_type}"
            text += "}"
        elif include_message and self.source_record is not None:
            text += f", where source record is = {self.source_record!r}"
        return text + "."


@functools.cache
def connect_class_name(klass: type | None) -> str:
    """The name Kafka Connect would print for `klass`: its registered Kafka Connect class name when it is a
    built-in plugin (so DLQ headers match Kafka Connect's), else the Python import path."""
    if klass is None:
        return "null"
    from connectless.plugins import REGISTRY

    for desc in REGISTRY.all():
        if desc.cls is klass:
            return desc.class_name
    return python_class_name(klass)


def python_class_name(klass: type) -> str:
    """`module.QualName`, without the `builtins.` prefix of built-in exceptions."""
    if klass.__module__ == "builtins":
        return klass.__qualname__
    return f"{klass.__module__}.{klass.__qualname__}"

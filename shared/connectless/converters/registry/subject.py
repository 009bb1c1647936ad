"""Subject name strategies: under which registry subject a key or value schema lives (Confluent's names)."""

from __future__ import annotations

from typing import Protocol

from connectless.data.errors import DataError

_PACKAGE = "io.confluent.kafka.serializers.subject."


class SubjectNameStrategy(Protocol):
    def __call__(self, topic: str, is_key: bool, record_name: str | None) -> str: ...


def topic_name(topic: str, is_key: bool, record_name: str | None) -> str:
    """`<topic>-key` / `<topic>-value` (the default)."""
    return f"{topic}-{'key' if is_key else 'value'}"


def _record(record_name: str | None, strategy: str) -> str:
    if not record_name:
        raise DataError(f"{strategy} requires a named schema (a record or message), and this one has no name")
    return record_name


def record_name(topic: str, is_key: bool, record_name: str | None) -> str:
    """The fully qualified record name: one subject per record type, across topics."""
    return _record(record_name, "RecordNameStrategy")


def topic_record_name(topic: str, is_key: bool, record_name: str | None) -> str:
    """`<topic>-<fully qualified record name>`."""
    return f"{topic}-{_record(record_name, 'TopicRecordNameStrategy')}"


STRATEGIES: dict[str, SubjectNameStrategy] = {}
for _simple, _fn in (
    ("TopicNameStrategy", topic_name),
    ("RecordNameStrategy", record_name),
    ("TopicRecordNameStrategy", topic_record_name),
):
    STRATEGIES[_PACKAGE + _simple] = _fn
    STRATEGIES[_simple] = _fn


def strategy_named(name: str) -> SubjectNameStrategy:
    try:
        return STRATEGIES[name.strip()]
    except KeyError:
        raise DataError(f"Unknown subject name strategy {name}: expected one of {sorted(STRATEGIES)}") from None

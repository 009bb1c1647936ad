"""What both pipelines build the same way: reporters from `errors.*`, and last-resort serialisation."""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING, Any

import orjson

from connectless.errors.reporters import DeadLetterQueueReporter, LogReporter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from connectless.data.schema import Schema
    from connectless.errors.config import ErrorsConfig
    from connectless.errors.reporters import ErrorReporter, SourceSerializer
    from connectless.kafka.settings import KafkaSettings
    from connectless.records import Header

log = logging.getLogger(__name__)


def build_reporters(
    connector_name: str,
    task_id: int,
    errors: ErrorsConfig,
    settings: KafkaSettings | None,
    *,
    source_serializer: SourceSerializer | None = None,
) -> list[ErrorReporter]:
    """Kafka Connect's reporters for a task: the DLQ (when a topic is set and Kafka is known), then the log.

    Without `settings` (offline tools such as `connectless transform`) nothing is produced to the DLQ.
    """
    reporters: list[ErrorReporter] = []
    if errors.dlq_enabled and settings is not None:
        reporters.append(
            DeadLetterQueueReporter(settings, errors, connector_name, task_id, source_serializer=source_serializer)
        )
    if errors.log_enable:
        reporters.append(LogReporter(connector_name, task_id, errors))
    return reporters


def best_effort_bytes(
    convert: Callable[[str, Schema | None, Any], bytes | None], topic: str, schema: Schema | None, value: Any
) -> bytes | None:
    """`convert` when it works; else bytes as they are, text as UTF-8, anything else as JSON (or its repr).

    Used only to put a record that could not be converted into the dead letter queue.
    """
    try:
        return convert(topic, schema, value)
    except Exception:
        return plain_bytes(value)


def headers_bytes(
    convert: Callable[[str, str, Schema | None, Any], bytes | None], topic: str, headers: Iterable[Header]
) -> list[tuple[str, bytes | None]]:
    """Connect headers as Kafka headers for the dead letter queue, each as best it can be."""
    out: list[tuple[str, bytes | None]] = []
    for header in headers:
        try:
            data = convert(topic, header.key, header.schema, header.value)
        except Exception:
            data = plain_bytes(header.value)
        out.append((header.key, data))
    return out


def plain_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    try:
        return orjson.dumps(value, default=_plain, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return repr(value).encode("utf-8")


def _plain(value: Any) -> Any:
    items = getattr(value, "items", None)
    if callable(items):  # Struct
        return dict(items())
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float):  # a Float32 (orjson writes only exact floats)
        return float(value)
    return str(value)


def close_all(*closeables: Any) -> None:
    """Close converters, chain and reporters; one that fails to close must not keep the others open."""
    for item in closeables:
        close = getattr(item, "close", None)
        if close is None:
            continue
        try:
            close()
        except Exception:
            log.warning("Failed to close %s", type(item).__name__, exc_info=True)

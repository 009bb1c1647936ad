"""A record in its Kafka form: bytes in and out of the converters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectless.kafka.errors import check_consumed
from connectless.records import TimestampType

if TYPE_CHECKING:
    from collections.abc import Iterable

    from confluent_kafka import Message

RawHeaders = tuple[tuple[str, bytes | None], ...]


@dataclass(slots=True)  # not frozen: the guarded setattr doubled construction cost; never mutate one
class RawRecord:
    """A Kafka record as consumed (sink side) or about to be produced (source side).

    `partition` -1 lets the producer choose and `offset` is -1 for a record not yet in Kafka; `timestamp` is
    epoch ms or None, `timestamp_type` one of `records.TimestampType` (Kafka Connect's names).
    """

    topic: str
    partition: int
    offset: int
    timestamp: int | None
    timestamp_type: str = TimestampType.NO_TIMESTAMP_TYPE
    key: bytes | None = None
    value: bytes | None = None
    headers: RawHeaders = ()


# The consumer's timestamp type codes (1 create, 2 log append) in Kafka Connect's names.
_TIMESTAMP_TYPES = {1: TimestampType.CREATE_TIME, 2: TimestampType.LOG_APPEND_TIME}


def raws_from_messages(messages: Iterable[Message]) -> list[RawRecord]:
    """Consumed messages as RawRecords; error events are waited out or raised (kafka.errors.check_consumed).

    The poller's per-record hot path: in one C call when connectless.native is built (a message it does not take
    exactly, or one with an error, goes through the Python loop), else `_raws_from_messages_python`.
    """
    from connectless import native  # noqa: PLC0415 - connectless.native imports this module

    fast = native.records
    if fast is not None:
        no_ts = TimestampType.NO_TIMESTAMP_TYPE
        raws: list[RawRecord] = fast.raws_from_messages(messages, _TIMESTAMP_TYPES, no_ts, _raws_from_messages_python)
        return raws
    return _raws_from_messages_python(messages)


def _raws_from_messages_python(messages: Iterable[Message]) -> list[RawRecord]:
    """raws_from_messages in Python: lookups are bound once per call."""
    raws: list[RawRecord] = []
    append = raws.append
    new, ts_types, no_ts = RawRecord, _TIMESTAMP_TYPES, TimestampType.NO_TIMESTAMP_TYPE
    for msg in messages:
        err = msg.error()
        if err is not None:
            check_consumed(err)
            continue
        ts_type, ts = msg.timestamp()
        headers: Any = msg.headers()
        append(
            new(
                msg.topic() or "",
                msg.partition() or 0,
                msg.offset() or 0,
                ts if ts_type else None,
                ts_types.get(ts_type, no_ts),
                msg.key(),
                msg.value(),
                tuple((str(k), None if v is None else bytes(v)) for k, v in headers) if headers else (),
            )
        )
    return raws

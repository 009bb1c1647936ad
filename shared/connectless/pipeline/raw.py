"""A record in its Kafka form: bytes in and out of the converters."""

from __future__ import annotations

from dataclasses import dataclass

from connectless.records import TimestampType

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

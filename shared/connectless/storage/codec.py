"""Kafka Connect's internal record encoding: compact, schemaless JSON (its JsonConverter, schemas off)."""

from __future__ import annotations

from typing import Any

import orjson


def encode(value: Any) -> bytes:
    return orjson.dumps(value)


def decode(data: bytes | None) -> Any:
    return None if data is None else orjson.loads(data)


def canonical(value: Any) -> bytes:
    """A stable identity for a JSON value: Kafka Connect compares partitions as maps, not as bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)

"""Turning a sink record's key and value into the plain fields that tables, items and documents hold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.data.json_values import to_plain
from connectless.data.struct import Struct
from connectless.errors.exceptions import ConnectError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectless.records import SinkRecord


class RecordShapeError(ConnectError):
    """The record does not have the shape the sink needs (a struct or map value, a key field, ...)."""


def fields_of(value: Any, what: str = "value") -> dict[str, Any]:
    """A struct or map as {field: value}; nested structs stay Structs for the sink to encode."""
    if isinstance(value, Struct):
        return dict(value.items())
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    raise RecordShapeError(f"the record {what} must be a struct or a map, not {type(value).__name__}")


def key_fields(record: SinkRecord, names: Sequence[str], mode: str) -> dict[str, Any]:
    """The primary key of a record: from its key (`record_key`) or its value (`record_value`).

    A primitive key needs exactly one name in `names`; a struct or map key gives `names` (all its fields
    when `names` is empty).
    """
    if mode == "record_key":
        key = record.key
        if key is None:
            raise RecordShapeError("the record has no key, but the primary key comes from the record key")
        if isinstance(key, Struct | dict):
            fields = fields_of(key, "key")
            return _pick(fields, names or list(fields), "key")
        if len(names) != 1:
            raise RecordShapeError("a primitive record key needs exactly one primary-key field name")
        return {names[0]: key}
    if mode == "record_value":
        if record.value is None:
            raise RecordShapeError("a tombstone has no value to take the primary key from")
        return _pick(fields_of(record.value), names, "value")
    return {}


def _pick(fields: dict[str, Any], names: Sequence[str], what: str) -> dict[str, Any]:
    missing = [n for n in names if n not in fields or fields[n] is None]
    if missing:
        raise RecordShapeError(f"the record {what} lacks primary-key field(s) {', '.join(missing)}")
    return {n: fields[n] for n in names}


def plain(value: Any) -> Any:
    """JSON-ready form of nested values (structs, bytes, decimals, times)."""
    return to_plain(value)

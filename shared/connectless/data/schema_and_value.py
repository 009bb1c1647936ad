"""`SchemaAndValue`: what a converter reads from bytes, as in Kafka Connect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from connectless.data.schema import Schema


class SchemaAndValue(NamedTuple):
    """A value and its schema; either may be None. A tuple, so `schema, value = converted` works."""

    schema: Schema | None
    value: Any


NULL_SCHEMA_AND_VALUE = SchemaAndValue(None, None)

"""Per-transform cache of what was derived from an input schema (Kafka's LRUCache<Schema, Schema>(16)).

Lookups go by identity first: converters hand the same Schema object to every record of a stream, so
the hot path is one dict probe on `id(schema)`. An equal but distinct schema (a converter that rebuilds
schemas) falls back to an equality lookup once, then is remembered by identity too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from connectless.data import Schema

V = TypeVar("V")

DEFAULT_CACHE_SIZE = 16


class SchemaUpdateCache(Generic[V]):
    """Maps an input schema to something derived from it (an updated schema, a copy plan, ...)."""

    __slots__ = ("_by_equality", "_by_id", "_max_size")

    def __init__(self, max_size: int = DEFAULT_CACHE_SIZE) -> None:
        self._max_size = max_size
        # id -> (schema, derived); holding the schema keeps its id from being reused while cached.
        self._by_id: dict[int, tuple[Schema, V]] = {}
        self._by_equality: dict[Schema, V] = {}

    def get(self, schema: Schema) -> V | None:
        entry = self._by_id.get(id(schema))
        if entry is not None and entry[0] is schema:
            return entry[1]
        derived = self._by_equality.get(schema)
        if derived is not None:
            self._remember_identity(schema, derived)
        return derived

    def put(self, schema: Schema, derived: V) -> V:
        if len(self._by_equality) >= self._max_size:
            self._by_equality.pop(next(iter(self._by_equality)))
        self._by_equality[schema] = derived
        self._remember_identity(schema, derived)
        return derived

    def _remember_identity(self, schema: Schema, derived: V) -> None:
        if len(self._by_id) >= self._max_size:
            self._by_id.pop(next(iter(self._by_id)))
        self._by_id[id(schema)] = (schema, derived)

    def __len__(self) -> int:
        return len(self._by_equality)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_equality.clear()

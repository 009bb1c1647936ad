"""The order in which a java.util.HashMap of String keys iterates, where Kafka's behaviour depends on it.

Kafka Connect keeps some configs in HashMaps (ReplaceField's renames, for one) and lets the last entry of an
iteration win; to match it, iterate in Java's order: buckets by `(h ^ h >>> 16) & (capacity - 1)` of
String.hashCode, each bucket in insertion order (a resize splits a bucket keeping its order), capacity 16
doubled while the size passes three quarters of it. Trees (8+ keys in one bucket) are not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

_INITIAL_CAPACITY = 16
_LOAD_FACTOR = 0.75


def java_string_hash(text: str) -> int:
    """String.hashCode as an unsigned 32-bit int: 31*h + each UTF-16 code unit."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h


def java_hash_map_order(keys: Iterable[str]) -> list[str]:
    """`keys` (distinct, in insertion order) in the order a HashMap holding them iterates."""
    ordered = list(keys)
    capacity = _INITIAL_CAPACITY
    while len(ordered) > capacity * _LOAD_FACTOR:
        capacity *= 2

    def bucket(key: str) -> int:
        h = java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(ordered, key=bucket)  # sorted() is stable: insertion order within a bucket

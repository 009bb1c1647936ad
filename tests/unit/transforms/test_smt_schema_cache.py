from __future__ import annotations

from connectless.data import INT32_SCHEMA, SchemaBuilder
from connectless.transforms.cache import SchemaUpdateCache


def schema(name: str) -> object:
    return SchemaBuilder.struct().name(name).field("a", INT32_SCHEMA).build()


def test_hit_by_identity() -> None:
    cache: SchemaUpdateCache[str] = SchemaUpdateCache()
    s = schema("x")
    cache.put(s, "derived")  # type: ignore[arg-type]
    assert cache.get(s) == "derived"  # type: ignore[arg-type]


def test_hit_by_equality_for_an_equal_rebuilt_schema() -> None:
    cache: SchemaUpdateCache[str] = SchemaUpdateCache()
    cache.put(schema("x"), "derived")  # type: ignore[arg-type]
    assert cache.get(schema("x")) == "derived"  # type: ignore[arg-type]


def test_miss_for_a_different_schema() -> None:
    cache: SchemaUpdateCache[str] = SchemaUpdateCache()
    cache.put(schema("x"), "derived")  # type: ignore[arg-type]
    assert cache.get(schema("y")) is None  # type: ignore[arg-type]


def test_bounded_size_evicts_oldest() -> None:
    cache: SchemaUpdateCache[int] = SchemaUpdateCache(max_size=2)
    schemas = [schema(str(i)) for i in range(3)]
    for i, s in enumerate(schemas):
        cache.put(s, i)  # type: ignore[arg-type]
    assert (len(cache), cache.get(schemas[0]), cache.get(schemas[2])) == (2, None, 2)  # type: ignore[arg-type]

"""java.util.HashMap's iteration order of String keys (ReplaceField inverts its renames in it), as Java 17's
jshell printed it for these key sets."""

import pytest

from connectless.data.java_hash_order import java_hash_map_order, java_string_hash

JAVA_ORDERS = [
    (["b", "a"], ["a", "b"]),
    (["email", "city", "zz"], ["zz", "city", "email"]),
    # 14 keys: past 12 the table doubles to 32 buckets
    (
        [
            "id",
            "name",
            "email",
            "street",
            "city",
            "country",
            "status",
            "note",
            "created_at",
            "x1",
            "x2",
            "x3",
            "x4",
            "x5",
        ],
        [
            "country",
            "note",
            "city",
            "created_at",
            "street",
            "name",
            "x1",
            "x2",
            "id",
            "x3",
            "x4",
            "x5",
            "email",
            "status",
        ],
    ),
    # "Aa" and "BB" share a hash code: insertion order within the bucket; non-ASCII keys hash their UTF-16 units
    (["Aa", "BB", "ü", "日本", "a:b"], ["Aa", "BB", "a:b", "日本", "ü"]),
]


@pytest.mark.parametrize(("inserted", "iterated"), JAVA_ORDERS)
def test_iteration_order_is_javas(inserted: list[str], iterated: list[str]) -> None:
    assert java_hash_map_order(inserted) == iterated


def test_string_hash_is_javas() -> None:
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("Aa") == java_string_hash("BB") == 2112
    assert java_string_hash("😀") == 1772899  # a surrogate pair: two UTF-16 code units

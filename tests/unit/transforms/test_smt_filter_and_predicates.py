from __future__ import annotations

import pytest
from smt_helpers import configured, sink

from connectless.config import ConfigError
from connectless.records import Headers
from connectless.transforms import Filter, HasHeaderKey, RecordIsTombstone, TopicNameMatches


def test_filter_drops_every_record() -> None:
    assert configured(Filter).apply(sink({"a": 1})) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (Headers.of({"h": 1}), True),
        (Headers.of({"other": 1}), False),
        (Headers(), False),
        (Headers.of({"h": None}), True),
    ],
)
def test_has_header_key(headers: Headers, expected: bool) -> None:
    assert configured(HasHeaderKey, {"name": "h"}).test(sink("v", headers=headers)) is expected


def test_has_header_key_name_must_not_be_empty() -> None:
    with pytest.raises(ConfigError, match="String must be non-empty"):
        configured(HasHeaderKey, {"name": ""})


@pytest.mark.parametrize(("value", "expected"), [(None, True), ({"a": 1}, False), ("", False)])
def test_record_is_tombstone(value: object, expected: bool) -> None:
    assert configured(RecordIsTombstone).test(sink(value)) is expected


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [("my-prefix-.*", "my-prefix-orders", True), ("my-prefix-.*", "orders", False), ("orders", "orders-x", False)],
)
def test_topic_name_matches(pattern: str, topic: str, expected: bool) -> None:
    assert configured(TopicNameMatches, {"pattern": pattern}).test(sink("v", topic=topic)) is expected


@pytest.mark.parametrize(("pattern", "message"), [("[", "Invalid regex"), ("", "String must be non-empty")])
def test_topic_name_matches_bad_pattern(pattern: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        configured(TopicNameMatches, {"pattern": pattern})

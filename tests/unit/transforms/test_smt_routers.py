"""RegexRouter and TimestampRouter."""

from __future__ import annotations

import pytest
from smt_helpers import configured, sink

from connectless.config import ConfigError
from connectless.data import DataError
from connectless.transforms import RegexRouter, TimestampRouter


@pytest.mark.parametrize(
    ("regex", "replacement", "topic", "expected"),
    [
        ("foo", "bar", "foo", "bar"),
        ("foo", "bar", "foobar", "foobar"),  # must match the whole topic
        ("(.*)-raw", "$1", "orders-raw", "orders"),
        ("(.*)", "prefix_$1", "orders", "prefix_orders"),
        ("(?<name>[a-z]+)-(\\d+)", "${name}_$2", "orders-12", "orders_12"),
        ("(.*)", "\\$1", "x", "$1"),
        ("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)", "$11", "abcdefghijk", "k"),
        ("(a)(b)", "$10", "ab", "a0"),  # no group 10: Java reads $1 then a literal 0
        ("a|ab", "X", "ab", "Xb"),  # matches() picks "ab", replaceFirst finds "a" first
        ("(x)?y", "[$1]", "y", "[]"),
    ],
)
def test_regex_router(regex: str, replacement: str, topic: str, expected: str) -> None:
    out = configured(RegexRouter, {"regex": regex, "replacement": replacement}).apply(sink("v", topic=topic))
    assert out.topic == expected


def test_regex_router_unmatched_returns_same_record() -> None:
    record = sink("v", topic="other")
    assert configured(RegexRouter, {"regex": "foo", "replacement": "bar"}).apply(record) is record


def test_regex_router_keeps_original_topic_of_sink_records() -> None:
    out = configured(RegexRouter, {"regex": "(.*)", "replacement": "x-$1"}).apply(sink("v", topic="t"))
    assert (out.topic, out.original_topic) == ("x-t", "t")


@pytest.mark.parametrize(
    ("props", "key", "message"),
    [
        ({"regex": "(", "replacement": "x"}, "regex", "Invalid regex"),
        ({"regex": "a"}, "replacement", "Missing required configuration"),
    ],
)
def test_regex_router_config_errors(props: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        configured(RegexRouter, props)
    assert caught.value.name == key


@pytest.mark.parametrize(
    ("replacement", "error", "message"),
    [("$2", IndexError, "No group 2"), ("x$", ValueError, "group index is missing")],
)
def test_regex_router_bad_replacement_fails_matching_records(
    replacement: str, error: type[Exception], message: str
) -> None:
    """As in Kafka, a bad group reference fails each record whose topic matches, not the config."""
    router = configured(RegexRouter, {"regex": "(a)", "replacement": replacement})
    assert router.apply(sink("v", topic="b")).topic == "b"
    with pytest.raises(error, match=message):
        router.apply(sink("v", topic="a"))


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({}, "orders-20231114"),
        ({"topic.format": "${timestamp}_${topic}_${topic}", "timestamp.format": "yyyy-MM"}, "2023-11_orders_orders"),
        ({"timestamp.format": "yyyy.MM.dd'T'HH"}, "orders-2023.11.14T22"),
        ({"timestamp.format": "EEE, d MMM yy"}, "orders-Tue, 14 Nov 23"),
    ],
)
def test_timestamp_router(props: dict[str, str], expected: str) -> None:
    assert configured(TimestampRouter, props).apply(sink("v")).topic == expected


def test_timestamp_router_needs_a_timestamp() -> None:
    with pytest.raises(DataError, match="Timestamp missing on record"):
        configured(TimestampRouter).apply(sink("v", timestamp=None))


def test_timestamp_router_bad_pattern() -> None:
    with pytest.raises(ConfigError, match="Illegal pattern character 'q'") as caught:
        configured(TimestampRouter, {"timestamp.format": "yyyyqq"})
    assert caught.value.name == "timestamp.format"

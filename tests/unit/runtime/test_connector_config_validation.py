"""Bad connector configs are rejected with errors that name the field at fault."""

from __future__ import annotations

import pytest

from connectless.connector_config import (
    ConnectorConfigError,
    check_connector_config,
    parse_topics_list,
    validate_connector_config,
)

GOOD_SOURCE = {"name": "gen", "connector.class": "Datagen", "kafka.topic": "orders"}
GOOD_SINK = {"name": "out", "connector.class": "FileStreamSink", "topics": "orders", "file": "/tmp/x"}


@pytest.mark.parametrize("config", [GOOD_SOURCE, GOOD_SINK])
def test_valid_configs_pass(config: dict[str, str]) -> None:
    result = check_connector_config(config)
    assert result.error_count == 0


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"name": None}, "name", 'Missing required configuration "name"'),
        ({"connector.class": "com.example.NoSuchConnector"}, "connector.class", "NoSuchConnector"),
        ({"tasks.max": "many"}, "tasks.max", "Not a number of type INT"),
        ({"tasks.max": "0"}, "tasks.max", "Value must be at least 1"),
        ({"kafka.topic": None}, "kafka.topic", 'Missing required configuration "kafka.topic"'),
        ({"max.records": "ten"}, "max.records", "Not a number of type LONG"),
        ({"errors.tolerance": "some"}, "errors.tolerance", "some"),
        ({"transforms": "x"}, "transforms.x.type", "transforms.x.type"),
        ({"value.converter": "NoSuchConverter"}, "value.converter", "NoSuchConverter"),
    ],
)
def test_each_bad_value_is_reported_under_its_key(change: dict[str, str | None], field: str, fragment: str) -> None:
    config = {k: v for k, v in ({**GOOD_SOURCE, **change}).items() if v is not None}
    with pytest.raises(ConnectorConfigError) as raised:
        check_connector_config(config)
    assert field in raised.value.errors, raised.value.errors
    assert any(fragment in message for message in raised.value.errors[field])
    assert field in str(raised.value)


def test_sink_needs_topics_or_regex_but_not_both() -> None:
    none = validate_connector_config({k: v for k, v in GOOD_SINK.items() if k != "topics"})
    assert "Must configure one of topics or topics.regex" in none.errors["topics"]
    both = validate_connector_config({**GOOD_SINK, "topics.regex": "o.*"})
    assert any("mutually exclusive" in m for m in both.errors["topics"])


def test_dlq_topic_may_not_be_a_consumed_topic() -> None:
    result = validate_connector_config({**GOOD_SINK, "errors.deadletterqueue.topic.name": "orders"})
    assert "errors.deadletterqueue.topic.name" in result.errors


def test_all_errors_are_collected_not_just_the_first() -> None:
    result = validate_connector_config({"connector.class": "Datagen", "tasks.max": "x"})
    assert {"name", "tasks.max", "kafka.topic"} <= set(result.errors)


def test_connector_class_may_be_alias_or_kafka_connect_name() -> None:
    for name in ("FileStreamSink", "FileStreamSinkConnector", "org.apache.kafka.connect.file.FileStreamSinkConnector"):
        assert validate_connector_config({**GOOD_SINK, "connector.class": name}).error_count == 0


@pytest.mark.parametrize(
    ("topics", "parsed"),
    [("a", ["a"]), (" a , b ,, a ", ["a", "b"]), ("", []), (",", [])],
)
def test_parse_topics_list_as_kafka(topics: str, parsed: list[str]) -> None:
    # SinkConnectorConfig.parseTopicsList: ConfigDef's LIST parse, empties dropped, distinct in order
    assert parse_topics_list({"topics": topics}) == parsed

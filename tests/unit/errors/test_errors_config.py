from __future__ import annotations

import pytest

from connectless.config import ConfigError
from connectless.errors import ErrorsConfig, ToleranceType
from connectless.errors.config import CONFIG_DEF


def test_defaults_match_kafka_connect() -> None:
    assert ErrorsConfig.from_config({}) == ErrorsConfig(
        tolerance=ToleranceType.NONE,
        retry_timeout_ms=0,
        retry_delay_max_ms=60000,
        log_enable=False,
        log_include_messages=False,
        dlq_topic="",
        dlq_replication_factor=3,
        dlq_context_headers=False,
    )


def test_every_key_parsed_from_strings() -> None:
    parsed = ErrorsConfig.from_config(
        {
            "errors.tolerance": "ALL",
            "errors.retry.timeout": "-1",
            "errors.retry.delay.max.ms": "1000",
            "errors.log.enable": "true",
            "errors.log.include.messages": "TRUE",
            "errors.deadletterqueue.topic.name": " dlq ",
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
            "connector.class": "ignored",
        }
    )
    assert parsed == ErrorsConfig(ToleranceType.ALL, -1, 1000, True, True, "dlq", 1, True)
    assert parsed.tolerates_all
    assert parsed.dlq_enabled


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("errors.tolerance", "some"),
        ("errors.retry.timeout", "-2"),
        ("errors.retry.delay.max.ms", "-1"),
        ("errors.log.enable", "yes"),
        ("errors.deadletterqueue.topic.replication.factor", "0"),
        ("errors.deadletterqueue.topic.replication.factor", "70000"),
    ],
)
def test_invalid_values_name_the_key(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        ErrorsConfig.from_config({key: value})
    assert info.value.name == key


def test_config_def_documents_every_key_in_one_group() -> None:
    assert CONFIG_DEF.names() == [
        "errors.retry.timeout",
        "errors.retry.delay.max.ms",
        "errors.tolerance",
        "errors.log.enable",
        "errors.log.include.messages",
        "errors.deadletterqueue.topic.name",
        "errors.deadletterqueue.topic.replication.factor",
        "errors.deadletterqueue.context.headers.enable",
    ]
    assert {key.group for key in CONFIG_DEF.keys.values()} == {"Error Handling"}
    assert all(key.documentation for key in CONFIG_DEF.keys.values())

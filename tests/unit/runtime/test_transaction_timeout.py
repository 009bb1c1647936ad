"""The source producers' transaction timeout: a record times out with its transaction, so the timeout must cover
the broker outage that errors.retry.timeout promises to ride out."""

from __future__ import annotations

import pytest

from connectless.runtime.source_transactions import MAX_TRANSACTION_TIMEOUT_MS, DeliveryOptions


def timeout_ms(**config: str) -> int:
    return DeliveryOptions.from_config(config, "cluster-c-0", "offsets").transaction_timeout_ms


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, 60_000),  # no retries: Kafka's producer default
        ({"errors.retry.timeout": "0"}, 60_000),
        ({"errors.retry.timeout": "120000"}, 180_000),  # the retry window plus a transaction's own minute
        ({"errors.retry.timeout": "-1"}, MAX_TRANSACTION_TIMEOUT_MS),  # forever: as long as the broker allows
        ({"errors.retry.timeout": "3600000"}, MAX_TRANSACTION_TIMEOUT_MS),
        ({"transaction.boundary": "interval", "transaction.boundary.interval.ms": "300000"}, 360_000),
        (
            {
                "transaction.boundary": "interval",
                "transaction.boundary.interval.ms": "300000",
                "errors.retry.timeout": "10000",
            },
            360_000,
        ),  # fmt: skip
    ],
)
def test_the_transaction_outlasts_the_retry_window(config: dict[str, str], expected: int) -> None:
    assert timeout_ms(**config) == expected

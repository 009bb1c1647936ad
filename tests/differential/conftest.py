"""One Kafka Connect runner JVM for the whole session (see differential_runner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from differential_runner import KafkaConnectRunner

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def kafka_connect() -> Iterator[KafkaConnectRunner]:
    runner = KafkaConnectRunner()
    yield runner
    runner.close()

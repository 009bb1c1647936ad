"""Task runners resolve ${provider:...} references at task start and leave the caller's configs untouched."""

from __future__ import annotations

from typing import Any

import pytest

from connectless.config.providers import ConfigProviderError
from connectless.connector import SinkTask
from connectless.connectors.datagen import DatagenTask
from connectless.kafka.settings import KafkaSettings
from connectless.runtime.sink_runner import SinkTaskRunner
from connectless.runtime.source_runner import SourceTaskRunner
from connectless.storage import MemoryLog
from connectless.storage.offsets import OffsetStore

SETTINGS = KafkaSettings("127.0.0.1:1")  # never contacted: nothing is started


class MemorySinkTask(SinkTask):
    def start(self, props: Any) -> None:
        self.props = props

    def put(self, records: Any) -> None:
        pass

    def stop(self) -> None:
        pass


class UnusedProducer:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the producer is not used here ({name})")


def test_sink_runner_resolves_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINK_TOKEN", "t0ken")
    config = {"name": "s", "topics": "t", "token": "${env:SINK_TOKEN}", "route": "${topic}"}
    runner = SinkTaskRunner("s", 0, MemorySinkTask(), dict(config), config, SETTINGS)
    assert runner.task_config["token"] == "t0ken" and runner.connector_config["token"] == "t0ken"
    assert runner.task_config["route"] == "${topic}"
    assert config["token"] == "${env:SINK_TOKEN}"


def test_source_runner_resolves_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAGEN_TOPIC", "orders")
    config = {"name": "d", "kafka.topic": "${env:DATAGEN_TOPIC}", "max.records": "1"}
    offsets = OffsetStore(MemoryLog())
    runner = SourceTaskRunner("d", 0, DatagenTask(), config, config, SETTINGS, offsets, producer=UnusedProducer())  # type: ignore[arg-type]
    assert runner.task_config["kafka.topic"] == "orders"
    assert config["kafka.topic"] == "${env:DATAGEN_TOPIC}"


def test_unresolvable_reference_fails_the_task_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    config = {"name": "s", "topics": "t", "password": "${env:NOT_SET_ANYWHERE}"}
    with pytest.raises(ConfigProviderError, match="NOT_SET_ANYWHERE"):
        SinkTaskRunner("s", 0, MemorySinkTask(), config, config, SETTINGS)

"""Task runners (the sink handler's started task, the source runner) resolve ${provider:...} references at task
start and leave the caller's configs untouched."""

from __future__ import annotations

from typing import Any

import pytest

from connectless.config.providers import ConfigProviderError
from connectless.connector import SinkConnector, SinkTask
from connectless.connectors.datagen import DatagenTask
from connectless.kafka.settings import KafkaSettings
from connectless.lambda_sink.events import build_event
from connectless.lambda_sink.handler import SinkBatchHandler
from connectless.plugins import PluginKind, register
from connectless.runtime.source_runner import SourceTaskRunner
from connectless.storage import MemoryLog
from connectless.storage.offsets import OffsetStore

SETTINGS = KafkaSettings("127.0.0.1:1")  # never contacted: nothing is started


STARTED_WITH: list[dict[str, str]] = []


@register(PluginKind.SINK, "test.PropsSinkConnector", "PropsSink")
class PropsSinkConnector(SinkConnector):
    def task_class(self) -> type[SinkTask]:
        return MemorySinkTask


class MemorySinkTask(SinkTask):
    def start(self, props: Any) -> None:
        STARTED_WITH.append(dict(props))

    def put(self, records: Any) -> None:
        pass

    def stop(self) -> None:
        pass


class UnusedProducer:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the producer is not used here ({name})")


def test_sink_task_resolves_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINK_TOKEN", "t0ken")
    config = {"name": "s", "connector.class": "PropsSink", "topics": "t", "token": "${env:SINK_TOKEN}",
              "route": "${topic}"}  # fmt: skip
    STARTED_WITH.clear()
    SinkBatchHandler(None, None, None).run(config, dict(config), build_event([], "localhost:9092"))
    assert STARTED_WITH[0]["token"] == "t0ken"
    assert STARTED_WITH[0]["route"] == "${topic}"
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
    config = {"name": "s", "connector.class": "PropsSink", "topics": "t", "password": "${env:NOT_SET_ANYWHERE}"}
    with pytest.raises(ConfigProviderError, match="NOT_SET_ANYWHERE"):
        SinkBatchHandler(None, None, None).run(config, config, build_event([], "localhost:9092"))

"""TaskFailures (namespace Connectless, dimension connector): both task functions emit it whenever their library
set the task FAILED, as template.yaml's TaskFailuresAlarm expects. Powertools' EMF output is read from stdout;
no AWS and no broker (the source's failure happens before it would need one)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import sink_fakes
from connectless.errors import ConnectError
from connectless.lambda_sink.events import build_event
from connectless.lambda_sink.handler import ConnectorNotRunnableError, SinkBatchHandler
from connectless.lambda_source.handler import SourceTaskFailedError, SourceTaskHandler
from connectless.plugins import PluginNotFoundError
from connectless.raw_records import RawRecord
from connectless.runtime.lambda_context import EmulatedLambdaContext
from connectless.storage import ConfigStore, MemoryLog, OffsetStore, State, StatusStore, TargetState

if TYPE_CHECKING:
    from connectless.kafka.settings import KafkaSettings

ROOT = Path(__file__).parents[2]
SINK = "metric-sink"
SOURCE = "metric-source"
SINK_CONFIG = {
    "name": SINK,
    "connector.class": "MemorySink",
    "topics": "orders",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}


def load_app(function: str) -> Any:
    path = ROOT / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"{function}_metrics_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def emf(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return next(line for line in lines if "_aws" in line)


def assert_task_failures(document: dict[str, Any], connector: str, value: float) -> None:
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Connectless"
    assert any("connector" in dimensions for dimensions in directive["Dimensions"])
    assert {"Name": "TaskFailures", "Unit": "Count"} in directive["Metrics"]
    assert document["connector"] == connector
    assert document["TaskFailures"] == [value]


# -- sink ------------------------------------------------------------------------------------------------------
def sink_handler(**config: str) -> SinkBatchHandler:
    sink_fakes.reset(SINK)
    configs = ConfigStore(MemoryLog())
    configs.start()
    configs.put_connector_config(SINK, {**SINK_CONFIG, **config})
    skipped = sink_fakes.SkippedTime()
    return SinkBatchHandler(configs, StatusStore(MemoryLog()), None, worker_id="test", clock=skipped.clock,
                            sleep=skipped.sleep)  # fmt: skip


def sink_event(*values: bytes) -> dict[str, Any]:
    raws = [RawRecord("orders", 0, i, 1000 + i, "CreateTime", b"k", v) for i, v in enumerate(values)]
    return build_event(raws, "localhost:9092")


@pytest.mark.parametrize(("values", "failures"), [((b"1", b"2"), 0.0), ((b"1", b"not json", b"3"), 1.0)])
def test_sink_function_counts_a_task_set_failed(
    capsys: pytest.CaptureFixture[str], values: tuple[bytes, ...], failures: float
) -> None:
    app = load_app("sink_task")
    app.function.handler = sink_handler()
    app.lambda_handler(sink_event(*values), EmulatedLambdaContext("connectless-sink", SINK, timeout_s=60))
    assert_task_failures(emf(capsys), SINK, failures)
    status = app.function.handler.statuses.task(SINK, 0)
    assert status.state is (State.FAILED if failures else State.RUNNING)


def test_sink_function_counts_a_whole_batch_failure(capsys: pytest.CaptureFixture[str]) -> None:
    app = load_app("sink_task")
    app.function.handler = sink_handler(**{"fail.retriable.times": "1000", "errors.tolerance": "all"})
    context = EmulatedLambdaContext("connectless-sink", SINK, timeout_s=10.5)
    with pytest.raises(ConnectError, match="briefly unavailable"):
        app.lambda_handler(sink_event(b"1"), context)
    assert_task_failures(emf(capsys), SINK, 1.0)


def test_sink_function_counts_a_task_that_cannot_start(capsys: pytest.CaptureFixture[str]) -> None:
    app = load_app("sink_task")
    app.function.handler = sink_handler(**{"connector.class": "com.example.NoSuchSinkConnector"})
    with pytest.raises(PluginNotFoundError, match="NoSuchSinkConnector"):
        app.lambda_handler(sink_event(b"1"), EmulatedLambdaContext("connectless-sink", SINK, timeout_s=60))
    assert_task_failures(emf(capsys), SINK, 1.0)
    status = app.function.handler.statuses.task(SINK, 0)
    assert status.state is State.FAILED and "NoSuchSinkConnector" in status.trace


def test_sink_function_counts_no_failure_while_a_connector_is_paused(capsys: pytest.CaptureFixture[str]) -> None:
    app = load_app("sink_task")
    app.function.handler = sink_handler()
    app.function.handler.configs.put_target_state(SINK, TargetState.PAUSED)
    with pytest.raises(ConnectorNotRunnableError, match="PAUSED"):
        app.lambda_handler(sink_event(b"1"), EmulatedLambdaContext("connectless-sink", SINK, timeout_s=60))
    assert_task_failures(emf(capsys), SINK, 0.0)


def test_sink_function_counts_a_failure_before_the_task_ran(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = load_app("sink_task")

    def unreachable() -> SinkBatchHandler:
        raise ConnectError("the state stores cannot be read: no broker")

    monkeypatch.setattr(app.function, "make_handler", unreachable)
    with pytest.raises(ConnectError, match="no broker"):
        app.lambda_handler(sink_event(b"1"), EmulatedLambdaContext("connectless-sink", SINK, timeout_s=60))
    assert_task_failures(emf(capsys), SINK, 1.0)


# -- source ----------------------------------------------------------------------------------------------------
def source_handler(connector_class: str) -> SourceTaskHandler:
    configs = ConfigStore(MemoryLog())
    configs.start()
    configs.put_connector_config(SOURCE, {"name": SOURCE, "connector.class": connector_class})
    configs.put_task_configs(SOURCE, [{}])
    offsets = OffsetStore(MemoryLog())
    offsets.start()
    settings: KafkaSettings = None  # type: ignore[assignment]  # never reached: the task fails before Kafka
    return SourceTaskHandler(settings, configs, offsets, StatusStore(MemoryLog()), worker_id="test")


def test_source_function_counts_a_task_set_failed(capsys: pytest.CaptureFixture[str]) -> None:
    app = load_app("source_task")
    app.function.handler = source_handler("com.example.NoSuchSourceConnector")
    context = EmulatedLambdaContext("connectless-source", None, timeout_s=60)
    with pytest.raises(SourceTaskFailedError):
        app.lambda_handler({"connector": SOURCE, "task": 0}, context)
    assert_task_failures(emf(capsys), SOURCE, 1.0)
    status = app.function.handler.statuses.task(SOURCE, 0)
    assert status.state is State.FAILED


def test_source_function_reports_no_failure_for_an_unknown_task(capsys: pytest.CaptureFixture[str]) -> None:
    app = load_app("source_task")
    app.function.handler = source_handler("com.example.NoSuchSourceConnector")
    context = EmulatedLambdaContext("connectless-source", None, timeout_s=60)
    response = app.lambda_handler({"connector": SOURCE, "task": 5}, context)
    assert response["outcome"] == "UNKNOWN"
    assert_task_failures(emf(capsys), SOURCE, 0.0)


def test_source_function_counts_a_failure_before_the_task_ran(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = load_app("source_task")

    def unreachable() -> SourceTaskHandler:
        raise ConnectError("the state stores cannot be read: no broker")

    monkeypatch.setattr(app.function, "make_handler", unreachable)
    context = EmulatedLambdaContext("connectless-source", None, timeout_s=60)
    with pytest.raises(ConnectError, match="no broker"):
        app.lambda_handler({"connector": SOURCE, "task": 0}, context)
    assert "failed before its task ran" in caplog.text and "its status is FAILED" not in caplog.text
    assert_task_failures(emf(capsys), SOURCE, 1.0)

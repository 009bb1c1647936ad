"""The manager's Validate and Plan resolve ${secretsmanager:...}/${ssm:...}/${env:...} references to check and
start the connector, as Kafka Connect does, and never store or return a resolved value."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from connectless.connector_config import ConnectorConfigError
from connectless.manager import Action, ConnectState, InProcessExecutor, ManagerRequest, MemoryBackend

if TYPE_CHECKING:
    from collections.abc import Iterator

SECRET_TOPIC = "orders-s3cret-topic"
SECRET = {"topic": SECRET_TOPIC, "password": "hunter2-very-secret"}
CONFIG = {
    "connector.class": "Datagen",
    "kafka.topic": "${secretsmanager:gen-creds:topic}",
    "tasks.max": "${env:GEN_TASKS}",
    "quickstart": "orders",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("secretsmanager").create_secret(Name="gen-creds", SecretString=json.dumps(SECRET))
        yield


def _everything_written(state: ConnectState) -> str:
    snapshot = state.configs.snapshot()
    return json.dumps([snapshot.connectors, snapshot.tasks], default=str)


def test_validate_and_plan_resolve_references_but_store_them_raw(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEN_TASKS", "2")
    state, backend = ConnectState.in_memory(), MemoryBackend()
    output = InProcessExecutor(state, backend).submit(ManagerRequest(Action.PUT, "gen", config=CONFIG))

    snapshot = state.configs.snapshot()
    # tasks.max resolved to 2: two tasks, each with the references, as written
    assert [t["task.index"] for t in snapshot.tasks["gen"]] == ["0", "1"]
    assert {t["kafka.topic"] for t in snapshot.tasks["gen"]} == {CONFIG["kafka.topic"]}
    assert {t["tasks.max"] for t in snapshot.tasks["gen"]} == {"${env:GEN_TASKS}"}
    assert snapshot.connectors["gen"]["kafka.topic"] == CONFIG["kafka.topic"]
    assert backend.applied == [("gen", 0, "restart"), ("gen", 1, "restart")]
    written = _everything_written(state) + json.dumps(output)
    assert SECRET_TOPIC not in written


def test_each_step_returns_no_resolved_value(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectless.manager import steps

    monkeypatch.setenv("GEN_TASKS", "1")
    state = ConnectState.in_memory()
    request = ManagerRequest(Action.PUT, "gen", config=CONFIG)
    validation = steps.validate(state, request)
    planned = steps.plan(state, request, validation)
    assert validation == {"type": "source"}
    assert planned["task_configs"][0]["kafka.topic"] == CONFIG["kafka.topic"]
    assert SECRET_TOPIC not in json.dumps([validation, planned])


def test_without_resolution_the_config_would_not_validate(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEN_TASKS", "many")  # resolves to a value tasks.max rejects
    state = ConnectState.in_memory()
    with pytest.raises(ConnectorConfigError) as raised:
        InProcessExecutor(state, MemoryBackend()).submit(ManagerRequest(Action.PUT, "gen", config=CONFIG))
    assert "tasks.max" in raised.value.errors
    assert "many" not in str(raised.value)
    assert "${env:GEN_TASKS}" in str(raised.value)


def test_an_unresolvable_reference_fails_validation_naming_it(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEN_TASKS", "1")
    config = {**CONFIG, "kafka.topic": "${secretsmanager:no-such-secret:topic}"}
    state = ConnectState.in_memory()
    with pytest.raises(ConnectorConfigError) as raised:
        InProcessExecutor(state, MemoryBackend()).submit(ManagerRequest(Action.PUT, "gen", config=config))
    assert list(raised.value.errors) == ["kafka.topic"]
    assert "secretsmanager:no-such-secret" in str(raised.value)
    assert state.configs.connector_config("gen") is None


def test_resume_from_stopped_regenerates_tasks_with_references(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEN_TASKS", "1")
    state = ConnectState.in_memory()
    executor = InProcessExecutor(state, MemoryBackend())
    executor.submit(ManagerRequest(Action.PUT, "gen", config=CONFIG))
    executor.submit(ManagerRequest(Action.STOP, "gen"))
    executor.submit(ManagerRequest(Action.RESUME, "gen"))
    assert state.configs.snapshot().tasks["gen"][0]["kafka.topic"] == CONFIG["kafka.topic"]
    assert SECRET_TOPIC not in _everything_written(state)

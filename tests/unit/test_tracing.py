"""make_tracer: Powertools' Tracer on a no-op provider where Powertools disables tracing anyway (no X-Ray SDK
import), the plain Tracer() in Lambda with tracing on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Tracer

from connectless.tracing import NoOpTracingProvider, make_tracer, tracing_disabled


@pytest.fixture(autouse=True)
def _fresh_tracer_config() -> Iterator[None]:
    Tracer._reset_config()
    yield
    Tracer._reset_config()


def test_disabled_outside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    assert tracing_disabled()


def test_disabled_by_env_in_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert tracing_disabled()


def test_enabled_in_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    monkeypatch.delenv("AWS_CHALICE_CLI_MODE", raising=False)
    assert not tracing_disabled()


def test_disabled_tracer_runs_the_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    tracer = make_tracer()
    assert tracer.disabled
    assert isinstance(tracer.provider, NoOpTracingProvider)

    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        tracer.put_annotation(key="connector", value="c")
        return {"ok": event["n"]}

    assert handler({"n": 1}, None) == {"ok": 1}

    @tracer.capture_lambda_handler
    def failing(event: dict[str, Any], context: Any) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing({}, None)


@pytest.mark.parametrize(
    ("env", "disabled"),
    [
        ({"LAMBDA_TASK_ROOT": "/var/task"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "1"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "no"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_CHALICE_CLI_MODE": "true"}, True),
        ({}, True),
    ],
)
def test_the_rule_powertools_documents(env: dict[str, str], disabled: bool) -> None:
    assert tracing_disabled(env) is disabled

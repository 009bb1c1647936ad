"""make_tracer: Powertools' Tracer on a no-op provider where Powertools disables tracing anyway (no X-Ray SDK
import); in Lambda with tracing on, a Tracer that patches the X-Ray libraries once they are imported
(patch_imported), not all of them at import."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Tracer

from connectless.tracing import PATCHABLE, NoOpTracingProvider, make_tracer, patch_imported, tracing_disabled


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


def _lambda_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "connectless-test")
    for name in ("POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE"):
        monkeypatch.delenv(name, raising=False)


def test_in_lambda_nothing_is_patched_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    _lambda_env(monkeypatch)
    calls: list[Any] = []
    monkeypatch.setattr(Tracer, "patch", lambda self, modules=None: calls.append(modules))
    tracer = make_tracer()
    assert not tracer.disabled
    assert not tracer.auto_patch
    assert calls == []


def test_patch_imported_patches_each_imported_library_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _lambda_env(monkeypatch)
    calls: list[list[str]] = []
    monkeypatch.setattr(Tracer, "patch", lambda self, modules=None: calls.append(list(modules or [])))
    tracer = make_tracer()
    for module in PATCHABLE.values():
        monkeypatch.delitem(sys.modules, module, raising=False)
    assert patch_imported(tracer) == []
    monkeypatch.setitem(sys.modules, "pg8000", types.ModuleType("pg8000"))
    monkeypatch.setitem(sys.modules, "mysql.connector", types.ModuleType("mysql.connector"))
    assert sorted(patch_imported(tracer)) == ["mysql", "pg8000"]
    assert patch_imported(tracer) == []  # already patched: not again
    monkeypatch.setitem(sys.modules, "botocore", types.ModuleType("botocore"))
    assert patch_imported(tracer) == ["botocore"]
    assert [sorted(c) for c in calls] == [["mysql", "pg8000"], ["botocore"]]


def test_patch_imported_never_fails_the_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    _lambda_env(monkeypatch)

    def broken(self: Tracer, modules: Any = None) -> None:
        raise RuntimeError("no patch")

    monkeypatch.setattr(Tracer, "patch", broken)
    tracer = make_tracer()
    monkeypatch.setitem(sys.modules, "pg8000", types.ModuleType("pg8000"))
    assert "pg8000" in patch_imported(tracer)


def test_disabled_tracer_patches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setitem(sys.modules, "pg8000", types.ModuleType("pg8000"))
    assert patch_imported(make_tracer()) == []


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

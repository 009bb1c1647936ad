"""Dispatch of the state machine's Lambda tasks: `{"step": NAME, ...}` -> one function of steps.py.

The state and the backend are built once per container from the environment (AWS backend), or set by
`configure` (the local runtime and tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.manager import steps
from connectless.manager.errors import BadRequestError
from connectless.manager.request import ManagerRequest

if TYPE_CHECKING:
    from connectless.manager.backends.base import Backend
    from connectless.manager.state import ConnectState

_configured: dict[str, Any] = {}


def configure(state: ConnectState, backend: Backend) -> None:
    _configured["state"], _configured["backend"] = state, backend


def runtime() -> tuple[ConnectState, Backend]:
    """The state and the backend the steps run with (from the environment on first use, unless configured)."""
    if "state" not in _configured:
        from connectless.manager.backends.aws import AwsBackend, AwsTargets
        from connectless.manager.state import ConnectState

        state = ConnectState.from_env("connectless-manager")
        configure(state, AwsBackend(AwsTargets.from_env(), kafka=state.settings))
    return _configured["state"], _configured["backend"]


def handle(event: dict[str, Any]) -> Any:
    state, backend = runtime()
    step = event.get("step")
    request = ManagerRequest.from_json(event["request"])
    if step == "validate":
        return steps.validate(state, request, on_aws=backend.on_aws)
    if step == "plan":
        return steps.plan(state, request, event["validation"])
    if step == "write_configs":
        return steps.write_configs(state, request, event["plan"])
    if step == "apply":
        return steps.apply(state, backend, request, event["unit"], event["kind"])
    if step == "record_status":
        return steps.record_status(state, request, event["plan"], event["applied"])
    if step == "roll_back":
        return steps.roll_back(state, backend, request, event.get("error") or {})
    if step == "record_failure":
        return steps.record_failure(state, request, event.get("error") or {})
    raise BadRequestError(f"unknown step {step!r}")

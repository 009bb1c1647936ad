"""Running a manager request: in-process (standalone) or as a Step Functions execution (AWS, moto).

Execution names are `<connector>-g<generation>[-<attempt>]`. Step Functions answers a repeated StartExecution
with the same name and input with the running execution (a repeated request is idempotent), and a
different input under a running name with ExecutionAlreadyExists: another change is in flight, 409.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from connectless.manager import steps
from connectless.manager.errors import ChangeInFlightError, ExecutionFailedError

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.manager.backends.base import Backend
    from connectless.manager.request import ManagerRequest
    from connectless.manager.state import ConnectState

_NAME_CHARS = re.compile(r"[^0-9A-Za-z_-]")
MAX_ATTEMPTS = 20


def execution_name(connector: str, generation: int, attempt: int = 1) -> str:
    """At most 80 characters of [0-9A-Za-z_-]; a hash keeps cleaned-up names apart."""
    suffix = f"-g{generation}" + (f"-{attempt}" if attempt > 1 else "")
    base = _NAME_CHARS.sub("_", connector)
    if base != connector or len(base) + len(suffix) > 80:
        digest = hashlib.sha256(connector.encode()).hexdigest()[:8]
        base = f"{base[: 80 - len(suffix) - 9]}-{digest}"
    return base + suffix


class Executor(ABC):
    @abstractmethod
    def submit(self, request: ManagerRequest) -> dict[str, Any]:
        """Run (or start) the change; returns the execution's output, or {"status": "RUNNING"}."""


def run_steps(state: ConnectState, backend: Backend, request: ManagerRequest) -> dict[str, Any]:
    """The state machine's flow without Step Functions, same steps, same order, same Catch."""
    try:
        validation = steps.validate(state, request, on_aws=backend.on_aws)
        planned = steps.plan(state, request, validation)
        steps.write_configs(state, request, planned)
    except Exception as exc:
        steps.record_failure(state, request, {"Error": type(exc).__name__, "Cause": str(exc)})
        raise
    try:
        applied = [steps.apply(state, backend, request, unit, planned["type"]) for unit in planned["units"]]
        return steps.record_status(state, request, planned, applied)
    except Exception as exc:
        try:
            steps.roll_back(state, backend, request, {"Error": type(exc).__name__, "Cause": str(exc)})
        except Exception as again:  # as the ASL's Catch of RollBack: at least the connector is FAILED
            steps.record_failure(state, request, {"Error": type(again).__name__, "Cause": str(exc)})
        raise


class InProcessExecutor(Executor):
    """Standalone mode: one change per connector at a time; a second concurrent one gets 409."""

    def __init__(self, state: ConnectState, backend: Backend) -> None:
        self.state = state
        self.backend = backend
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, request: ManagerRequest) -> dict[str, Any]:
        with self._lock:
            if request.connector in self._busy:
                raise ChangeInFlightError(f"A change of connector {request.connector} is already in progress")
            self._busy.add(request.connector)
        try:
            return run_steps(self.state, self.backend, request)
        finally:
            with self._lock:
                self._busy.discard(request.connector)


class StepFunctionsExecutor(Executor):
    """Starts `connector_manager` executions and waits (briefly) for their outcome."""

    def __init__(
        self,
        state_machine_arn: str,
        generation: Callable[[str], int],
        client: Any = None,
        *,
        wait_s: float = 20.0,
        poll_s: float = 0.2,
    ) -> None:
        import boto3

        self.state_machine_arn = state_machine_arn
        self.generation = generation
        self.sfn = client or boto3.client("stepfunctions")
        self.wait_s = wait_s
        self.poll_s = poll_s

    def _execution_arn(self, name: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + name

    def start(self, request: ManagerRequest) -> str:
        """Start (or join) the execution of `request`; returns its ARN."""
        from botocore.exceptions import ClientError

        generation = self.generation(request.connector)
        body = json.dumps({"request": request.to_json()}, sort_keys=True)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            name = execution_name(request.connector, generation, attempt)
            try:
                started = self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=name, input=body)
                return str(started["executionArn"])
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                    raise
            described = self.sfn.describe_execution(executionArn=self._execution_arn(name))
            if described["status"] == "RUNNING":
                raise ChangeInFlightError(
                    f"A change of connector {request.connector} is already in progress (execution {name})"
                )
            # A closed execution at this generation failed before recording: take the next attempt's name.
        raise ChangeInFlightError(f"Too many failed changes of connector {request.connector}; retry later")

    def wait(self, execution_arn: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.wait_s
        while True:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            status = described["status"]
            if status == "SUCCEEDED":
                return dict(json.loads(described.get("output") or "{}"))
            if status != "RUNNING":
                raise ExecutionFailedError(described.get("cause") or described.get("error") or status)
            if time.monotonic() >= deadline:
                return {"status": "RUNNING", "executionArn": execution_arn}
            time.sleep(self.poll_s)

    def submit(self, request: ManagerRequest) -> dict[str, Any]:
        return self.wait(self.start(request))

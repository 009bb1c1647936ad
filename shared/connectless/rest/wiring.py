"""The REST service as AWS builds it (Step Functions executions); standalone builds its own in
connectless.standalone.service."""

from __future__ import annotations

import functools
import os

from connectless.manager.executor import StepFunctionsExecutor
from connectless.manager.state import ConnectState
from connectless.rest.service import ConnectService

STATE_MACHINE_ENV = "CONNECTLESS_STATE_MACHINE_ARN"


@functools.cache
def aws_service() -> ConnectService:
    """Built once per Lambda container: Kafka clients stay warm between requests."""
    state = ConnectState.from_env("connectless-api")
    executor = StepFunctionsExecutor(os.environ[STATE_MACHINE_ENV], state.generations.generation)
    return ConnectService(state, executor, on_aws=True)

"""The REST service as each mode builds it: AWS (Step Functions executions) and standalone (in-process)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from connectless.manager.executor import InProcessExecutor, StepFunctionsExecutor
from connectless.manager.state import ConnectState
from connectless.rest.service import ConnectService

if TYPE_CHECKING:
    from connectless.runtime.standalone import StandaloneWorker

STATE_MACHINE_ENV = "CONNECTLESS_STATE_MACHINE_ARN"


@functools.cache
def aws_service() -> ConnectService:
    """Built once per Lambda container: Kafka clients stay warm between requests."""
    state = ConnectState.from_env("connectless-api")
    executor = StepFunctionsExecutor(os.environ[STATE_MACHINE_ENV], state.generations.generation)
    return ConnectService(state, executor, on_aws=True)


def standalone_service(worker: StandaloneWorker) -> ConnectService:
    """Over the worker's own stores; call before `worker.start()` so the generation count sees everything."""
    from connectless.manager.backends.local import LocalBackend

    w = worker
    state = ConnectState.over(w.configs, w.statuses, w.offsets, w.options.worker_id, w.settings)
    return ConnectService(state, InProcessExecutor(state, LocalBackend(worker)))

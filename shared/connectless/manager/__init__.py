"""The connector manager: validate, plan, write configs, apply each task, record status.

Example:
    state = ConnectState.in_memory()
    executor = InProcessExecutor(state, MemoryBackend())
    executor.submit(ManagerRequest(Action.PUT, "gen", {"connector.class": "Datagen", "kafka.topic": "t"}))
"""

from connectless.manager.backends import Backend, MemoryBackend
from connectless.manager.errors import (
    BadRequestError,
    ChangeInFlightError,
    ConnectorExistsError,
    ConnectorNotFoundError,
    ExecutionFailedError,
    ManagerError,
)
from connectless.manager.executor import Executor, InProcessExecutor, StepFunctionsExecutor, execution_name
from connectless.manager.request import Action, ManagerRequest
from connectless.manager.state import ConnectState

__all__ = [
    "Action",
    "BadRequestError",
    "Backend",
    "ChangeInFlightError",
    "ConnectState",
    "ConnectorExistsError",
    "ConnectorNotFoundError",
    "ExecutionFailedError",
    "Executor",
    "InProcessExecutor",
    "ManagerError",
    "ManagerRequest",
    "MemoryBackend",
    "StepFunctionsExecutor",
    "execution_name",
]

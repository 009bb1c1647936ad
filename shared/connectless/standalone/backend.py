"""The standalone Apply backend: task threads of the worker, started and stopped by the manager's Apply step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectless.manager.backends.base import Backend, TaskUnit
from connectless.storage import State

if TYPE_CHECKING:
    from connectless.standalone.worker import StandaloneWorker


class WorkerBackend(Backend):
    """Each task is a TaskThread of `worker`; a running thread reports RUNNING/FAILED itself."""

    def __init__(self, worker: StandaloneWorker) -> None:
        self.worker = worker

    def _deploy(self, unit: TaskUnit, *, restart: bool) -> State | None:
        if not restart and self.worker.task_running(unit.connector, unit.task):
            return None
        self.worker.stop_task(unit.connector, unit.task)
        self.worker.start_task(unit.connector, unit.task, unit.task_config or {}, unit.config)
        return None

    def _pause(self, unit: TaskUnit) -> State | None:
        self.worker.stop_task(unit.connector, unit.task)  # flushes and commits first
        return State.PAUSED

    def _remove(self, unit: TaskUnit) -> None:
        self.worker.stop_task(unit.connector, unit.task)

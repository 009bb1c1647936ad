"""What the source and sink functions' handlers share: one invocation at a time, the task's status in the
status topic, and the count of tasks set FAILED that the functions publish as their TaskFailures metric."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from connectless.storage import State, Status

if TYPE_CHECKING:
    from connectless.storage import StatusStore

log = logging.getLogger(__name__)


class TaskHandlerBase:
    """The handlers' common state. Subclasses run tasks; this class records what became of them.

    `statuses` None: nobody else's status is written (standalone mode, whose worker writes its tasks' states).
    """

    def __init__(self, statuses: StatusStore | None, worker_id: str) -> None:
        self.statuses = statuses
        self.worker_id = worker_id
        self.task_failures = 0  # times a task was set FAILED: the function's TaskFailures metric
        self._last_status: dict[tuple[str, int], State] = {}
        self._lock = threading.Lock()  # Lambda runs one invocation per container at a time; so does a handler

    def last_status(self, connector: str, task: int) -> State | None:
        return self._last_status.get((connector, task))

    def set_status(self, connector: str, task: int, state: State, trace: str | None = None) -> None:
        """Record `state` (a FAILED with its trace); RUNNING is written once, not at every invocation."""
        if state is State.RUNNING and self._last_status.get((connector, task)) is State.RUNNING:
            return
        self._last_status[(connector, task)] = state
        if state is State.FAILED:
            self.task_failures += 1
        if self.statuses is None:
            return
        try:
            self.statuses.put_task(connector, task, Status(state, self.worker_id, 0, trace))
        except Exception:
            log.exception("could not write the status of task %s-%d", connector, task)

"""The REST service of a standalone worker: the connector manager's steps run in-process over the worker's stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectless.manager.executor import InProcessExecutor
from connectless.manager.state import ConnectState
from connectless.rest.service import ConnectService
from connectless.standalone.backend import WorkerBackend

if TYPE_CHECKING:
    from connectless.standalone.worker import StandaloneWorker


def standalone_service(worker: StandaloneWorker) -> ConnectService:
    """Over the worker's own stores; call before `worker.start()` so the generation count sees everything."""
    w = worker
    state = ConnectState.over(w.configs, w.statuses, w.offsets, w.options.worker_id, w.settings)
    return ConnectService(state, InProcessExecutor(state, WorkerBackend(worker)))

"""The source function as standalone and local modes run it: the LocalScheduler fires the same handler.

Each (connector, task) gets its own SourceTaskHandler, as each would get its own Lambda container, and each
invocation gets the function's timeout as its emulated remaining time.

Example:
    functions = LocalSourceFunctions(lambda: SourceTaskHandler.from_env(), timeout_s=60)
    scheduler = LocalScheduler(functions)
    schedule_connector(scheduler, configs, "orders")
    scheduler.start()
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from connectless.runtime.scheduler import DEFAULT_SCHEDULE, SCHEDULE_EXPRESSION, parse_rate

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.lambda_source.handler import SourceInvocationResult, SourceTaskHandler
    from connectless.runtime.scheduler import LocalScheduler
    from connectless.storage import ConfigStore


class LocalSourceFunctions:
    """`functions(connector, task)` runs one invocation, with one warm handler per task."""

    def __init__(self, handler_factory: Callable[[], SourceTaskHandler], *, timeout_s: float = 300.0) -> None:
        self.handler_factory = handler_factory
        self.timeout_s = timeout_s
        self.results: list[SourceInvocationResult] = []
        self._handlers: dict[tuple[str, int], SourceTaskHandler] = {}
        self._lock = threading.Lock()

    def __call__(self, connector: str, task: int) -> SourceInvocationResult:
        with self._lock:
            handler = self._handlers.get((connector, task))
            if handler is None:
                handler = self._handlers[(connector, task)] = self.handler_factory()
        ends = time.monotonic() + self.timeout_s
        result = handler.handle(connector, task, remaining_s=lambda: ends - time.monotonic())
        with self._lock:
            self.results.append(result)
        return result


def schedule_connector(scheduler: LocalScheduler, configs: ConfigStore, connector: str) -> int:
    """Schedule every task of `connector` at its `connectless.source.schedule` rate; returns the number of tasks."""
    configs.refresh()
    config = configs.connector_config(connector) or {}
    every_s = parse_rate(config.get(SCHEDULE_EXPRESSION, DEFAULT_SCHEDULE))
    tasks = configs.snapshot().task_counts.get(connector, 0)
    for task in range(tasks):
        scheduler.schedule(connector, task, every_s)
    return tasks

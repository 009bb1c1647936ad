"""The source function as standalone and local modes run it: the LocalScheduler fires the same handler.

Each (connector, task) gets its own SourceTaskHandler, as each would get its own Lambda container, and each
invocation gets the function's timeout as its emulated remaining time.

Example:
    functions = LocalSourceFunctions(lambda: SourceTaskHandler.from_env(), timeout_s=60)
    scheduler = LocalScheduler(functions)
    schedule_connector(scheduler, configs, "orders")
    scheduler.start()

The standalone worker runs each source task as a `ScheduledSourceRunner`: a LocalScheduler firing the task's
own SourceTaskHandler in-process, at the connector's `connectless.source.schedule` rate or, by default, again
as soon as the previous run ends (so throughput stays continuous).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from connectless.connector_config import NAME
from connectless.lambda_source.handler import SourceBudget, SourceTaskHandler
from connectless.runtime.source_runner import SourceRunStats, SourceTaskRunner
from connectless.standalone.scheduler import (
    BACK_TO_BACK,
    DEFAULT_SCHEDULE,
    SCHEDULE_EXPRESSION,
    LocalScheduler,
    parse_rate,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.kafka.settings import KafkaSettings
    from connectless.lambda_source.handler import SourceInvocationResult
    from connectless.storage import ConfigStore, OffsetStore, StatusStore

log = logging.getLogger(__name__)
STANDALONE_RUN_S = 60.0  # how long one standalone invocation polls before it commits and ends


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


class _TaskHandler(SourceTaskHandler):
    """The handler, keeping the runner of the invocation in flight so its progress can be read live."""

    current: SourceTaskRunner | None = None

    def _running(self, runner: SourceTaskRunner) -> None:
        self.current = runner


class ScheduledSourceRunner:
    """One source task in the standalone worker: `start()`, `run(should_stop)` until stopped, `stop()`.

    A LocalScheduler fires the task's SourceTaskHandler in-process; each run polls for up to `run_s`, commits
    (offsets only after the broker acknowledged the records), and ends. `should_stop` ends the run in flight
    early with the same commit, so SIGTERM loses nothing and redelivers nothing; a kill -9 loses nothing either,
    since the next run restores the committed offsets. A failed run stops the schedule and `run` raises, so the
    task is FAILED (with the trace) until it is restarted, as in Kafka Connect. The interface is the sink's
    InProcessSinkRunner's, so the worker's task threads drive either.
    """

    def __init__(
        self,
        connector: str,
        task_id: int,
        task_config: Mapping[str, str],
        connector_config: Mapping[str, str],
        settings: KafkaSettings,
        offsets: OffsetStore,
        *,
        commit_interval_s: float = 1.0,
        cluster_id: str = "connectless",
        run_s: float = STANDALONE_RUN_S,
        statuses: StatusStore | None = None,
    ) -> None:
        self.connector = connector
        self.task_id = task_id
        expression = (connector_config.get(SCHEDULE_EXPRESSION) or "").strip()
        self.every_s = parse_rate(expression) if expression else BACK_TO_BACK
        # The handler runs with this task's configs as the worker gave them (the worker owns the config topic;
        # pausing and stopping are the worker stopping this runner): no config store at all.
        self.connector_config = {**connector_config, NAME: connector}
        self.task_config = dict(task_config)
        self.handler = _TaskHandler(
            settings,
            None,
            offsets,
            None,  # the worker's task thread writes RUNNING, FAILED and UNASSIGNED
            worker_id="standalone",
            cluster_id=cluster_id,
            budget=SourceBudget(safety_margin_s=0.0, default_run_s=run_s),
            commit_interval_s=commit_interval_s,
            topic_statuses=statuses,  # the topics the task produces to (KIP-558)
        )
        self.scheduler = LocalScheduler(self._fire, max_workers=1)
        self.failure: Exception | None = None
        self.results: list[SourceInvocationResult] = []
        self._done = SourceRunStats()
        self._should_stop: Callable[[], bool] = lambda: False
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._started = False

    @property
    def stats(self) -> SourceRunStats:
        """Totals over every run so far, the one in flight included (produced = acknowledged and committed)."""
        with self._lock:
            current = self.handler.current
            totals = SourceRunStats(**vars(self._done))
            if current is not None:
                for name, value in vars(current.stats).items():
                    setattr(totals, name, getattr(totals, name) + value)
            return totals

    def _fire(self, connector: str, task: int) -> None:
        if self._should_stop() or self.failure is not None:
            return
        try:
            result = self.handler.run(self.connector_config, self.task_config, task, should_stop=self._should_stop)
        except Exception as exc:
            self.scheduler.unschedule(connector, task)  # FAILED until restarted: no more firings
            self.failure = exc
            self._wake.set()
            return
        finally:
            with self._lock:
                current, self.handler.current = self.handler.current, None
                if current is not None:
                    for name, value in vars(current.stats).items():
                        setattr(self._done, name, getattr(self._done, name) + value)
        self.results.append(result)
        if result.outcome == "FENCED":
            log.warning("source task %s-%d: another worker runs it too (fenced)", connector, task)

    def start(self) -> None:
        self.scheduler.start()
        self._started = True

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Fire the task on its schedule until `should_stop()`; raises the failure when a run failed."""
        self._should_stop = should_stop
        self.scheduler.schedule(self.connector, self.task_id, self.every_s)
        while not should_stop() and self.failure is None:
            self._wake.wait(0.1)
        self._stop_scheduler()  # waits for the run in flight, which sees should_stop and commits
        if self.failure is not None:
            raise self.failure

    def stop(self) -> None:
        self._stop_scheduler()

    def _stop_scheduler(self) -> None:
        if self._started:
            self._started = False
            self.scheduler.stop(wait=True)
            self.handler.close()  # the task kept warm between runs

    def describe(self) -> dict[str, Any]:
        stats = self.stats
        return {"runs": len(self.results), "records_polled": stats.polled, "records_produced": stats.produced,
                "offsets_committed": stats.offsets_committed, "schedule_s": self.every_s}  # fmt: skip

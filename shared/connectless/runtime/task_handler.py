"""What the source and sink functions' handlers share: the stores from the environment, one invocation at a time,
the task's status in the status topic, the count of tasks set FAILED, and one Lambda invocation's shape.

A handler has two doors. `handle(...)` reads the configs where the function finds them (the config topic, its TTL,
the target state); `run(connector_config, task_config, ...)` takes them from its caller (standalone mode, whose
worker owns them). Both raise when the task failed. `invoke(event, context)` is the function's door: it never
raises; what failed comes back in the result (`TaskResult.error`, `TaskResult.task_failures`), and
runtime/task_function.py turns the result into the response, the metrics and the log line.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from connectless.storage import State, Status

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.kafka.settings import KafkaSettings
    from connectless.storage import ConfigStore, OffsetStore, StatusStore

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class TaskResult:
    """What every invocation reports besides its own counts."""

    task_failures: int = 0  # tasks this invocation set FAILED: the function's TaskFailures metric
    error: BaseException | None = field(default=None, repr=False, compare=False)  # why the invocation failed
    before_task: bool = field(default=False, repr=False, compare=False)  # it failed with no task set FAILED

    def response(self) -> dict[str, Any]:
        """What the function returns."""
        raise NotImplementedError

    def metrics(self, duration_s: float) -> dict[str, tuple[str, float]]:
        """Metric name -> (CloudWatch unit, value) for this invocation; zeros where it did nothing."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """The fields of the function's closing log line."""
        return self.response()


@dataclass(frozen=True)
class StateStores:
    """The state topics a function reads and writes, opened from the environment."""

    configs: ConfigStore
    statuses: StatusStore
    offsets: OffsetStore | None = None


class TaskHandlerBase:
    """The handlers' common state. Subclasses run tasks; this class records what became of them.

    `statuses` None: nobody else's status is written (standalone mode, whose worker writes its tasks' states).
    Subclasses give `_from_env` (their own settings from the environment) and `_invoke` (one invocation).
    """

    USES_OFFSETS: ClassVar[bool] = False  # from_env opens the offsets topic too
    FUNCTION_NAME: ClassVar[str] = "connectless"  # the worker id off Lambda
    DONE_MESSAGE: ClassVar[str] = "invocation done"
    FAILED_MESSAGE: ClassVar[str] = "invocation failed"
    FAILED_BEFORE_TASK_MESSAGE: ClassVar[str | None] = None  # when it differs: nothing was set FAILED
    FREEZE_WARM_STATE: ClassVar[bool] = False  # gc.freeze() once the first invocation loaded everything

    def __init__(self, statuses: StatusStore | None, worker_id: str) -> None:
        self.statuses = statuses
        self.worker_id = worker_id
        self.task_failures = 0  # times a task was set FAILED: the function's TaskFailures metric
        self._last_status: dict[tuple[str, int], State] = {}
        self._lock = threading.Lock()  # Lambda runs one invocation per container at a time; so does a handler

    # -- from the environment (the SAM template sets it) --------------------------------------------
    @classmethod
    def from_env(cls, settings: KafkaSettings | None = None, environ: Mapping[str, str] | None = None) -> Self:
        """A handler over the state topics the environment names, opened side by side."""
        from connectless.kafka.settings import KafkaSettings
        from connectless.storage.topics import StateTopics, config_store, offset_store, start_stores, status_store

        env = os.environ if environ is None else environ
        settings = settings or KafkaSettings.from_env(env.get("KAFKA_BOOTSTRAP_SERVERS"))
        topics = StateTopics.from_env(env)
        offsets = offset_store(settings, topics.offsets) if cls.USES_OFFSETS else None
        stores = StateStores(config_store(settings, topics.configs), status_store(settings, topics.status), offsets)
        start_stores(*(store for store in (stores.configs, stores.offsets, stores.statuses) if store is not None))
        worker_id = f"lambda:{env.get('AWS_LAMBDA_FUNCTION_NAME', cls.FUNCTION_NAME)}"
        return cls._from_env(settings, stores, env, worker_id)

    @classmethod
    def _from_env(cls, settings: KafkaSettings, stores: StateStores, env: Mapping[str, str], worker_id: str) -> Self:
        raise NotImplementedError

    # -- one Lambda invocation ----------------------------------------------------------------------
    @classmethod
    def invocation_keys(cls, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """What the invocation is for, as log keys: "connector" (as the event or ARN names it) and any other."""
        raise NotImplementedError

    def connector_for(self, name: str) -> str:
        """The connector `name` (from invocation_keys) stands for."""
        return name

    def counts_as_failure(self, error: BaseException) -> bool:
        """Whether an invocation that raised `error` failed (a batch that only waits does not)."""
        return True

    def invoke(self, event: Mapping[str, Any], context: Any, connector: str) -> TaskResult:
        """One invocation of the function for `connector`; never raises: a failure is in the result."""
        before = self.task_failures
        try:
            result = self._invoke(event, context, connector)
        except Exception as exc:
            result = self.failed_result(event, connector)
            result.error = exc
        result.task_failures = self.task_failures - before
        if result.error is not None and self.counts_as_failure(result.error) and result.task_failures == 0:
            result.before_task = True  # before the task ran (the state stores, Kafka, the event): counted too, once
            result.task_failures = 1
        return result

    def _invoke(self, event: Mapping[str, Any], context: Any, connector: str) -> TaskResult:
        raise NotImplementedError

    @classmethod
    def failed_result(cls, event: Mapping[str, Any], connector: str) -> TaskResult:
        """The result of an invocation that raised before it had one of its own."""
        raise NotImplementedError

    # -- status -------------------------------------------------------------------------------------
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

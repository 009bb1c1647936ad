"""The standalone worker: Kafka Connect's standalone mode, with its state on Kafka topics.

One process runs every connector given to it. Each task gets a thread that drives, for a source, a
ScheduledSourceRunner (the local scheduler firing the Lambda source handler in-process, at the connector's
`connectless.source.schedule` rate or by default back to back) or, for a sink, an InProcessSinkRunner (the
event-source-mapping emulator feeding the Lambda sink handler, in-process); both commit in the order their module
docstrings give, so stopping (SIGTERM) flushes and commits, and a kill -9 at any moment loses nothing: the next
start resumes from the committed offsets.

A connector added with `add_connector` keeps running beside its tasks, as in Kafka Connect, with a ConnectorContext:
`request_task_reconfiguration()` asks it for its task configs again and, when they changed, stops the tasks, writes
the new configs and starts them; `raise_error(e)` sets the connector FAILED with the trace (its tasks go on).
Connectors put through the REST API are planned by the manager's steps instead (manager/steps.generate_task_configs).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from connectless.connector import SinkTask, SourceTask
from connectless.connector_config import TASKS_MAX, check_connector_config, with_task_class
from connectless.errors.exceptions import ConnectError
from connectless.runtime.contexts import RuntimeConnectorContext
from connectless.standalone.inprocess_sink import InProcessSinkRunner
from connectless.standalone.scheduled_source import ScheduledSourceRunner
from connectless.storage import State, Status, TargetState
from connectless.storage.topics import config_store, offset_store, status_store

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.connector import Connector
    from connectless.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    offsets_topic: str = "connect-offsets"
    configs_topic: str = "connect-configs"
    status_topic: str = "connect-status"
    commit_interval_s: float = 1.0
    rest_port: int | None = 8083
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:8083")


class TaskThread(threading.Thread):
    """Runs one task until stopped; a failure marks the task FAILED with its trace and ends the thread."""

    def __init__(
        self,
        worker: StandaloneWorker,
        connector: str,
        task_id: int,
        runner: ScheduledSourceRunner | InProcessSinkRunner,
    ):
        super().__init__(name=f"task-{connector}-{task_id}", daemon=True)
        self.worker = worker
        self.connector = connector
        self.task_id = task_id
        self.runner = runner
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.runner.start()
            self.worker.set_task_status(self.connector, self.task_id, State.RUNNING)
            self.runner.run(self.stopping.is_set)
        except BaseException as exc:
            self.error = exc
            log.exception("task %s-%d failed", self.connector, self.task_id)
            self.worker.set_task_status(self.connector, self.task_id, State.FAILED, traceback.format_exc())
            return
        finally:
            try:
                self.runner.stop()
            except Exception:
                log.exception("stopping task %s-%d", self.connector, self.task_id)
        self.worker.set_task_status(self.connector, self.task_id, State.UNASSIGNED)


class StandaloneWorker:
    def __init__(self, settings: KafkaSettings, options: WorkerOptions | None = None) -> None:
        self.settings = settings
        self.options = options or WorkerOptions()
        opts = self.options
        self.offsets = offset_store(settings, opts.offsets_topic)
        self.configs = config_store(settings, opts.configs_topic)
        self.statuses = status_store(settings, opts.status_topic)
        self.connectors: dict[str, Connector] = {}
        self.threads: dict[str, list[TaskThread]] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        for store in (self.offsets, self.configs, self.statuses):
            store.start()

    def set_task_status(self, connector: str, task: int, state: State, trace: str | None = None) -> None:
        self.statuses.put_task(connector, task, Status(state, self.options.worker_id, 0, trace))

    def add_connector(self, name: str, config: Mapping[str, str]) -> None:
        """Validate, store the config, plan the tasks and start them. Raises ConnectorConfigError when invalid."""
        config = {**config, "name": name}
        result = check_connector_config(config, name)
        assert result.plugin is not None
        connector: Connector = result.plugin.cls()
        connector.initialize(RuntimeConnectorContext(partial(self.reconfigure, name), partial(self._failed, name)))
        connector.start(config)
        task_class = connector.task_class()
        max_tasks = int(config.get(TASKS_MAX, "1"))
        task_configs = with_task_class(result.plugin, connector.task_configs(max_tasks)[:max_tasks])
        self.configs.put_connector_config(name, config)
        self.configs.put_task_configs(name, task_configs)
        if self.configs.target_state(name) is None:
            self.configs.put_target_state(name, TargetState.STARTED)
        self.statuses.put_connector(name, Status(State.RUNNING, self.options.worker_id))
        threads = [
            TaskThread(self, name, i, self._runner(name, i, task_class, task_config, config))
            for i, task_config in enumerate(task_configs)
        ]
        with self._lock:
            self.connectors[name] = connector
            self.threads[name] = threads
        for thread in threads:
            thread.start()

    def reconfigure(self, name: str) -> None:
        """Ask the running connector `name` for its task configs again; when they changed, restart its tasks on the
        new ones (each stops with everything committed). Kafka Connect's
        requestTaskReconfiguration: nothing happens for a connector that is not running or not STARTED."""
        with self._lock:
            connector = self.connectors.get(name)
        self.configs.refresh()
        config = self.configs.connector_config(name)
        if connector is None or config is None or self.configs.target_state(name) is not TargetState.STARTED:
            log.info("connector %s is not running here: no task reconfiguration", name)
            return
        plugin = check_connector_config(config, name).plugin
        assert plugin is not None
        max_tasks = int(config.get(TASKS_MAX, "1"))
        fresh = with_task_class(plugin, connector.task_configs(max_tasks)[:max_tasks])
        if fresh == self.configs.snapshot().tasks.get(name):
            return
        log.info("connector %s asked for a reconfiguration: %d task(s) restart on new configs", name, len(fresh))
        with self._lock:
            old = [t.task_id for t in self.threads.get(name, [])]
        for task_id in old:
            self.stop_task(name, task_id)
        self.configs.put_task_configs(name, fresh)
        task_class = connector.task_class()
        for task_id, task_config in enumerate(fresh):
            thread = TaskThread(self, name, task_id, self._runner(name, task_id, task_class, task_config, config))
            with self._lock:
                self.threads.setdefault(name, []).append(thread)
            thread.start()

    def _failed(self, name: str, error: BaseException) -> None:
        """The connector raised an error through its context: FAILED with the trace, as Kafka Connect sets it."""
        trace = "".join(traceback.format_exception(error))
        self.statuses.put_connector(name, Status(State.FAILED, self.options.worker_id, 0, trace))

    def _runner(
        self, name: str, task_id: int, task_class: type, task_config: Mapping[str, str], config: Mapping[str, str]
    ) -> ScheduledSourceRunner | InProcessSinkRunner:
        task = task_class()
        interval = self.options.commit_interval_s
        if isinstance(task, SourceTask):
            # transactional.id <offsets topic>-<connector>-<task>: stable across restarts, so a new start fences
            # (and aborts the open offset write of) a killed one
            return ScheduledSourceRunner(
                name, task_id, task_config, config, self.settings, self.offsets,
                commit_interval_s=interval, cluster_id=self.options.offsets_topic, statuses=self.statuses,
            )  # fmt: skip
        if isinstance(task, SinkTask):
            return self._sink_runner(name, task_id, task_config, config)
        raise ConnectError(f"{task_class.__name__} is neither a SourceTask nor a SinkTask")

    def _sink_runner(
        self, name: str, task_id: int, task_config: Mapping[str, str], config: Mapping[str, str]
    ) -> InProcessSinkRunner:
        """Sink tasks run as on Lambda: the mapping emulator (group connect-<name>) feeds the sink handler, which
        starts its own task; each batch is committed once written (see connectless.standalone.inprocess_sink)."""
        return InProcessSinkRunner(
            name, task_id, task_config, config, self.settings, commit_interval_s=self.options.commit_interval_s,
            statuses=self.statuses,
        )  # fmt: skip

    # -- the local runtime's registry, driven by the connector manager's Apply step ---------------
    def start_task(self, name: str, task_id: int, task_config: Mapping[str, str], config: Mapping[str, str]) -> None:
        plugin = check_connector_config({**config, "name": name}, name).plugin
        assert plugin is not None
        task_class = plugin.cls().task_class()
        thread = TaskThread(self, name, task_id, self._runner(name, task_id, task_class, task_config, config))
        with self._lock:
            self.threads.setdefault(name, []).append(thread)
        thread.start()

    def task_running(self, name: str, task_id: int) -> bool:
        with self._lock:
            return any(t.task_id == task_id and t.is_alive() for t in self.threads.get(name, []))

    def stop_task(self, name: str, task_id: int, timeout: float = 60.0) -> None:
        """Stop a task's thread (it flushes and commits) and forget it."""
        with self._lock:
            threads = self.threads.get(name, [])
            found = [t for t in threads if t.task_id == task_id]
            self.threads[name] = [t for t in threads if t.task_id != task_id]
        for thread in found:
            thread.stopping.set()
        for thread in found:
            thread.join(timeout)

    def failed_tasks(self) -> list[TaskThread]:
        with self._lock:
            return [t for threads in self.threads.values() for t in threads if t.error is not None]

    def stop(self, timeout: float = 60.0) -> None:
        """Stop every task (each flushes and commits), then every connector."""
        with self._lock:
            all_threads = [t for threads in self.threads.values() for t in threads]
            connectors = dict(self.connectors)
        for thread in all_threads:
            thread.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in all_threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for name, connector in connectors.items():
            try:
                connector.stop()
            finally:
                self.statuses.put_connector(name, Status(State.UNASSIGNED, self.options.worker_id))
        with self._lock:
            managed = [name for name in self.threads if name not in connectors]
        for name in managed:  # connectors started through the manager
            self.statuses.put_connector(name, Status(State.UNASSIGNED, self.options.worker_id))
        for store in (self.offsets, self.configs, self.statuses):
            store.log.stop()

"""Connector and task status, in Kafka Connect's status-topic format.

`status-connector-<c>` / `status-task-<c>-<n>` -> {"state", "trace", "worker_id", "generation"}.
"""

from __future__ import annotations

import enum
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectless.storage import codec

if TYPE_CHECKING:
    from connectless.storage.log import KeyValueLog

CONNECTOR_STATUS_PREFIX = "status-connector-"
TASK_STATUS_PREFIX = "status-task-"
_TASK_KEY = re.compile(r"^status-task-(?P<connector>.+)-(?P<task>\d+)$")
STATUS_TOPIC_PARTITIONS = 5


class State(enum.Enum):
    UNASSIGNED = "UNASSIGNED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    RESTARTING = "RESTARTING"
    DESTROYED = "DESTROYED"


@dataclass(frozen=True)
class Status:
    state: State
    worker_id: str
    generation: int = 0
    trace: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "trace": self.trace,
            "worker_id": self.worker_id,
            "generation": self.generation,
        }

    @classmethod
    def from_json(cls, value: Any) -> Status | None:
        if not isinstance(value, dict):
            return None
        try:
            state = State(value.get("state"))
        except ValueError:
            return None
        return cls(state, str(value.get("worker_id") or ""), int(value.get("generation") or 0), value.get("trace"))


class StatusStore:
    """Latest status per connector and per task."""

    def __init__(self, log: KeyValueLog) -> None:
        self.log = log
        self._lock = threading.Lock()
        self._connectors: dict[str, Status] = {}
        self._tasks: dict[str, dict[int, Status]] = {}
        log.add_listener(self._on_record)

    def _on_record(self, raw_key: bytes, raw_value: bytes | None) -> None:
        key = raw_key.decode("utf-8", "replace")
        try:
            status = None if raw_value is None else Status.from_json(codec.decode(raw_value))
        except ValueError:
            return
        with self._lock:
            if key.startswith(CONNECTOR_STATUS_PREFIX):
                name = key[len(CONNECTOR_STATUS_PREFIX) :]
                if status is None:
                    self._connectors.pop(name, None)
                else:
                    self._connectors[name] = status
                return
            match = _TASK_KEY.match(key)
            if match:
                tasks = self._tasks.setdefault(match["connector"], {})
                if status is None:
                    tasks.pop(int(match["task"]), None)
                else:
                    tasks[int(match["task"])] = status

    def start(self) -> None:
        self.log.start()

    def refresh(self) -> None:
        self.log.read_to_end()

    def _put(self, key: bytes, value: bytes) -> None:
        self.log.send(key, value).wait()
        self._on_record(key, value)  # our own write is visible at once, without a read of the whole topic

    def put_connector(self, connector: str, status: Status) -> None:
        self._put(f"{CONNECTOR_STATUS_PREFIX}{connector}".encode(), codec.encode(status.to_json()))

    def put_task(self, connector: str, task: int, status: Status) -> None:
        self._put(f"{TASK_STATUS_PREFIX}{connector}-{task}".encode(), codec.encode(status.to_json()))

    def remove(self, connector: str, tasks: int) -> None:
        handles = [self.log.send(f"{CONNECTOR_STATUS_PREFIX}{connector}".encode(), None)]
        handles += [self.log.send(f"{TASK_STATUS_PREFIX}{connector}-{i}".encode(), None) for i in range(tasks)]
        self.log.flush()
        for handle in handles:
            handle.wait()
        with self._lock:
            self._connectors.pop(connector, None)
            self._tasks.pop(connector, None)

    def connector(self, connector: str) -> Status | None:
        with self._lock:
            return self._connectors.get(connector)

    def task(self, connector: str, task: int) -> Status | None:
        with self._lock:
            return self._tasks.get(connector, {}).get(task)

    def tasks(self, connector: str) -> dict[int, Status]:
        with self._lock:
            return dict(self._tasks.get(connector, {}))

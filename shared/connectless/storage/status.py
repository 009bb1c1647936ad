"""Connector and task status, in Kafka Connect's status-topic format.

`status-connector-<c>` / `status-task-<c>-<n>` -> {"state", "trace", "worker_id", "generation"}.
`status-topic-<topic>:connector-<c>` -> {"topic": {"name", "connector", "task", "discoverTimestamp"}}: the topics a
connector's tasks produced to or consumed from (KIP-558 active topics), as KafkaStatusBackingStore writes them.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectless.storage import codec

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.storage.log import KeyValueLog

log = logging.getLogger(__name__)

CONNECTOR_STATUS_PREFIX = "status-connector-"
TASK_STATUS_PREFIX = "status-task-"
_TASK_KEY = re.compile(r"^status-task-(?P<connector>.+)-(?P<task>\d+)$")
# Kafka Connect's KafkaStatusBackingStore.TOPIC_STATUS_PREFIX and TOPIC_STATUS_SEPARATOR. A topic name never holds
# ':', so the first ':' ends it, as in its readTopicStatus.
TOPIC_STATUS_PREFIX = "status-topic-"
TOPIC_STATUS_SEPARATOR = ":connector-"
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


@dataclass(frozen=True)
class TopicStatus:
    """A topic one of a connector's tasks used: Kafka Connect's TopicStatus."""

    topic: str
    connector: str
    task: int
    discover_timestamp: int  # epoch milliseconds

    def key(self) -> bytes:
        return topic_status_key(self.connector, self.topic)

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": {
                "name": self.topic,
                "connector": self.connector,
                "task": self.task,
                "discoverTimestamp": self.discover_timestamp,
            }
        }

    @classmethod
    def from_json(cls, value: Any) -> TopicStatus | None:
        inner = value.get("topic") if isinstance(value, dict) else None
        if not isinstance(inner, dict):
            return None
        try:
            return cls(str(inner["name"]), str(inner["connector"]), int(inner["task"]),
                       int(inner["discoverTimestamp"]))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None


def topic_status_key(connector: str, topic: str) -> bytes:
    return f"{TOPIC_STATUS_PREFIX}{topic}{TOPIC_STATUS_SEPARATOR}{connector}".encode()


def _parse_topic_key(key: str) -> tuple[str, str] | None:
    """(connector, topic) of a `status-topic-<topic>:connector-<connector>` key; None when malformed."""
    colon = key.find(":", len(TOPIC_STATUS_PREFIX))
    if colon < 0 or not key.startswith(TOPIC_STATUS_SEPARATOR, colon):
        return None
    topic, connector = key[len(TOPIC_STATUS_PREFIX) : colon], key[colon + len(TOPIC_STATUS_SEPARATOR) :]
    return (connector, topic) if topic and connector else None


class StatusStore:
    """Latest status per connector and per task, and the topics each connector used."""

    def __init__(self, log: KeyValueLog) -> None:
        self.log = log
        self._lock = threading.Lock()
        self._connectors: dict[str, Status] = {}
        self._tasks: dict[str, dict[int, Status]] = {}
        self._topics: dict[str, dict[str, TopicStatus]] = {}
        log.add_listener(self._on_record)

    def _on_record(self, raw_key: bytes, raw_value: bytes | None) -> None:
        key = raw_key.decode("utf-8", "replace")
        if key.startswith(TOPIC_STATUS_PREFIX):
            self._on_topic_record(key, raw_value)
            return
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

    def _on_topic_record(self, key: str, raw_value: bytes | None) -> None:
        parsed = _parse_topic_key(key)
        if parsed is None:
            return
        connector, topic = parsed
        if raw_value is None:
            with self._lock:
                topics = self._topics.get(connector)
                if topics is not None:
                    topics.pop(topic, None)
                    if not topics:
                        del self._topics[connector]
            return
        try:
            status = TopicStatus.from_json(codec.decode(raw_value))
        except ValueError:
            return
        if status is not None:
            with self._lock:
                self._topics.setdefault(connector, {})[topic] = status

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

    def put_topic(self, connector: str, topic: str, task: int, discover_timestamp_ms: int | None = None) -> None:
        """Record that task `task` of `connector` used `topic` (KIP-558), now unless a timestamp is given."""
        when = int(time.time() * 1000) if discover_timestamp_ms is None else discover_timestamp_ms
        status = TopicStatus(topic, connector, task, when)
        self._put(status.key(), codec.encode(status.to_json()))

    def reset_topics(self, connector: str) -> None:
        """A tombstone for each topic record of `connector` this store knows (refresh first to know them all)."""
        handles = [self.log.send(topic_status_key(connector, topic), None) for topic in self.topics(connector)]
        self.log.flush()
        for handle in handles:
            handle.wait()
        with self._lock:
            self._topics.pop(connector, None)

    def remove(self, connector: str, tasks: int) -> None:
        """Tombstones for the connector's and its tasks' statuses. Its topic records stay, as Kafka Connect's
        KafkaStatusBackingStore.remove(connector) leaves them: reset_topics removes them, which a deletion does
        after this (manager.steps.record_status), as Kafka Connect's DistributedHerder resets a deleted
        connector's active topics once its tasks are stopped."""
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

    def topic(self, connector: str, topic: str) -> TopicStatus | None:
        with self._lock:
            return self._topics.get(connector, {}).get(topic)

    def topics(self, connector: str) -> list[str]:
        """The topics `connector` used, sorted by name."""
        with self._lock:
            return sorted(self._topics.get(connector, {}))


class ActiveTopics:
    """The topics one running task has used: each is recorded in the status topic once, when first seen.

    Hot paths test `topic in active.seen` and call `record` only for a new topic. A topic the store already holds
    for the connector is not written again (Kafka Connect's WorkerTask.recordActiveTopic checks its store the same
    way). Without a store (`statuses` None: tests, or a caller that tracks nothing) nothing is written. Tracking
    never fails nor stalls the task: a failed write is logged and not tried again by this object (the next run of
    the task, or the next container, tries again).
    """

    def __init__(
        self, statuses: StatusStore | None, connector: str, task: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.statuses = statuses
        self.connector = connector
        self.task = task
        self.seen: set[str] = set()
        self._clock = clock

    def record(self, topic: str) -> None:
        if topic in self.seen:
            return
        self.seen.add(topic)
        statuses = self.statuses
        if statuses is not None and statuses.topic(self.connector, topic) is None:
            try:
                statuses.put_topic(self.connector, topic, self.task, int(self._clock() * 1000))
            except Exception:
                log.warning("could not record topic %s as active for %s-%d", topic, self.connector, self.task,
                            exc_info=True)  # fmt: skip

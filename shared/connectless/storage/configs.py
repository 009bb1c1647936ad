"""Connector and task configs plus target states, in Kafka Connect's config-topic format.

Records: `connector-<c>` -> {"properties": {...}}, `task-<c>-<n>` -> {"properties": {...}},
`commit-<c>` -> {"tasks": N}, `target-state-<c>` -> {"state": ..., "state.v2": ...}.
Task configs become visible only with their commit record, so a half-written set is never used.
As Kafka Connect does since KIP-875, STOPPED is written as state "PAUSED" plus state.v2 "STOPPED", so
older readers see a paused connector.
"""

from __future__ import annotations

import enum
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectless.storage import codec

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.storage.log import KeyValueLog

CONNECTOR_PREFIX = "connector-"
TASK_PREFIX = "task-"
COMMIT_PREFIX = "commit-"
TARGET_STATE_PREFIX = "target-state-"
_TASK_KEY = re.compile(r"^task-(?P<connector>.+)-(?P<task>\d+)$")


class TargetState(enum.Enum):
    STARTED = "STARTED"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"


@dataclass
class ConfigSnapshot:
    """A consistent copy of what the config topic says."""

    connectors: dict[str, dict[str, str]] = field(default_factory=dict)
    tasks: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    target_states: dict[str, TargetState] = field(default_factory=dict)
    task_counts: dict[str, int] = field(default_factory=dict)

    def task_config(self, connector: str, task: int) -> dict[str, str] | None:
        configs = self.tasks.get(connector, [])
        return configs[task] if 0 <= task < len(configs) else None


class ConfigStore:
    """Reads and writes the config topic. Listeners hear the name of every connector that changed."""

    def __init__(self, log: KeyValueLog) -> None:
        self.log = log
        self._lock = threading.Lock()
        self._connectors: dict[str, dict[str, str]] = {}
        self._pending_tasks: dict[str, dict[int, dict[str, str]]] = {}
        self._tasks: dict[str, list[dict[str, str]]] = {}
        self._task_counts: dict[str, int] = {}
        self._target_states: dict[str, TargetState] = {}
        self._listeners: list[Callable[[str], None]] = []
        log.add_listener(self._on_record)

    def add_listener(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    # -- reading ------------------------------------------------------------------------------
    def _on_record(self, raw_key: bytes, raw_value: bytes | None) -> None:
        key = raw_key.decode("utf-8", "replace")
        try:
            value = codec.decode(raw_value)
        except ValueError:
            return
        connector = self._apply(key, value)
        if connector is not None:
            for listener in self._listeners:
                listener(connector)

    def _apply(self, key: str, value: Any) -> str | None:
        with self._lock:
            if key.startswith(TARGET_STATE_PREFIX):
                return self._apply_target_state(key[len(TARGET_STATE_PREFIX) :], value)
            if key.startswith(CONNECTOR_PREFIX):
                name = key[len(CONNECTOR_PREFIX) :]
                if value is None:
                    self._connectors.pop(name, None)
                    self._tasks.pop(name, None)
                    self._task_counts.pop(name, None)
                    self._pending_tasks.pop(name, None)
                elif isinstance(value, dict) and isinstance(value.get("properties"), dict):
                    self._connectors[name] = value["properties"]
                    self._target_states.setdefault(name, TargetState.STARTED)
                else:
                    return None
                return name
            if key.startswith(COMMIT_PREFIX):
                name = key[len(COMMIT_PREFIX) :]
                if not isinstance(value, dict) or not isinstance(value.get("tasks"), int):
                    return None
                count = value["tasks"]
                pending = self._pending_tasks.get(name, {})
                if all(i in pending for i in range(count)):
                    self._tasks[name] = [pending[i] for i in range(count)]
                    self._task_counts[name] = count
                    self._pending_tasks.pop(name, None)
                return name
            match = _TASK_KEY.match(key)
            if match and isinstance(value, dict) and isinstance(value.get("properties"), dict):
                self._pending_tasks.setdefault(match["connector"], {})[int(match["task"])] = value["properties"]
            return None

    def _apply_target_state(self, name: str, value: Any) -> str | None:
        if value is None:
            self._target_states.pop(name, None)
            if name in self._connectors:
                self._target_states[name] = TargetState.STARTED
            return None
        if not isinstance(value, dict):
            return None
        state = value.get("state.v2") or value.get("state")
        try:
            self._target_states[name] = TargetState(state)
        except ValueError:
            return None
        return name

    def start(self) -> None:
        self.log.start()

    def refresh(self) -> None:
        self.log.read_to_end()

    def snapshot(self) -> ConfigSnapshot:
        with self._lock:
            return ConfigSnapshot(
                connectors={k: dict(v) for k, v in self._connectors.items()},
                tasks={k: [dict(t) for t in v] for k, v in self._tasks.items()},
                target_states=dict(self._target_states),
                task_counts=dict(self._task_counts),
            )

    def connector_config(self, name: str) -> dict[str, str] | None:
        with self._lock:
            found = self._connectors.get(name)
            return None if found is None else dict(found)

    def target_state(self, name: str) -> TargetState | None:
        with self._lock:
            return self._target_states.get(name)

    # -- writing (each call returns once acknowledged and read back) ---------------------------
    def _write(self, records: list[tuple[str, Any]]) -> None:
        handles = [self.log.send(k.encode(), None if v is None else codec.encode(v)) for k, v in records]
        self.log.flush()
        for handle in handles:
            handle.wait()
        self.log.read_to_end()

    def put_connector_config(self, name: str, properties: Mapping[str, str]) -> None:
        self._write([(CONNECTOR_PREFIX + name, {"properties": dict(properties)})])

    def put_task_configs(self, name: str, configs: Sequence[Mapping[str, str]]) -> None:
        records: list[tuple[str, Any]] = [
            (f"{TASK_PREFIX}{name}-{i}", {"properties": dict(c)}) for i, c in enumerate(configs)
        ]
        self._write(records)
        self._write([(COMMIT_PREFIX + name, {"tasks": len(configs)})])

    def put_target_state(self, name: str, state: TargetState) -> None:
        legacy = TargetState.PAUSED if state is TargetState.STOPPED else state
        self._write([(TARGET_STATE_PREFIX + name, {"state": legacy.value, "state.v2": state.value})])

    def remove_connector(self, name: str) -> None:
        self._write([(CONNECTOR_PREFIX + name, None), (TARGET_STATE_PREFIX + name, None)])

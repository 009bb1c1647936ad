"""Where Apply lands: a backend turns one task unit into running (or stopped) infrastructure.

The base class owns the flow (`apply`); a backend fills three hooks: deploy, pause and remove.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from connectless.storage import State


class Op(enum.Enum):
    START = "start"  # run the task; leave it alone when it already runs
    RESTART = "restart"  # run the task afresh (new config, or asked to restart)
    PAUSE = "pause"
    REMOVE = "remove"


@dataclass(frozen=True)
class TaskUnit:
    """One item of the Map state: a task of a connector and what to do with it."""

    connector: str
    task: int
    op: Op
    kind: str  # "source" | "sink"
    config: dict[str, str] = field(default_factory=dict)
    task_config: dict[str, str] | None = None


class Backend(ABC):
    """Template: `apply` decides, the hooks act. Each hook returns the task state to record, or None when
    the runtime reports the task's state itself. `on_aws`: configs must fit AWS's resources (aws_sinks)."""

    on_aws: bool = False

    def apply(self, unit: TaskUnit) -> State | None:
        if unit.op is Op.REMOVE:
            self._remove(unit)
            return None
        if unit.op is Op.PAUSE:
            return self._pause(unit)
        return self._deploy(unit, restart=unit.op is Op.RESTART)

    @abstractmethod
    def _deploy(self, unit: TaskUnit, *, restart: bool) -> State | None: ...

    @abstractmethod
    def _pause(self, unit: TaskUnit) -> State | None: ...

    @abstractmethod
    def _remove(self, unit: TaskUnit) -> None: ...


class MemoryBackend(Backend):
    """Records what it was asked to do; for tests and dry runs."""

    def __init__(self) -> None:
        self.applied: list[tuple[str, int, str]] = []
        self.running: dict[tuple[str, int], dict[str, Any]] = {}

    def _deploy(self, unit: TaskUnit, *, restart: bool) -> State | None:
        self.applied.append((unit.connector, unit.task, "restart" if restart else "start"))
        self.running[(unit.connector, unit.task)] = dict(unit.task_config or {})
        return State.RUNNING

    def _pause(self, unit: TaskUnit) -> State | None:
        self.applied.append((unit.connector, unit.task, "pause"))
        self.running.pop((unit.connector, unit.task), None)
        return State.PAUSED

    def _remove(self, unit: TaskUnit) -> None:
        self.applied.append((unit.connector, unit.task, "remove"))
        self.running.pop((unit.connector, unit.task), None)

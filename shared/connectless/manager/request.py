"""What the connector manager is asked to do: one request is one execution of the state machine."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any


class Action(enum.Enum):
    PUT = "put"  # create or update a connector's config
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    RESTART = "restart"
    DELETE = "delete"


@dataclass(frozen=True)
class ManagerRequest:
    """The execution input. `config` is set for PUT only; `task` for a single-task restart."""

    action: Action
    connector: str
    config: dict[str, str] | None = None
    initial_state: str | None = None  # RUNNING | PAUSED | STOPPED, on creation
    include_tasks: bool = False
    only_failed: bool = False
    task: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "action": self.action.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManagerRequest:
        return cls(
            action=Action(data["action"]),
            connector=str(data["connector"]),
            config=data.get("config"),
            initial_state=data.get("initial_state"),
            include_tasks=bool(data.get("include_tasks", False)),
            only_failed=bool(data.get("only_failed", False)),
            task=data.get("task"),
        )

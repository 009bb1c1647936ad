"""Connectors for manager and REST tests, addressed by import path like a user's own plugin."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from connectless.config import ConfigDef, ConfigType, Importance
from connectless.connector import SourceConnector, SourceTask

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.records import SourceRecord

PASSWORD_CONFIG_DEF = (
    ConfigDef()
    .define("db.user", ConfigType.STRING, "", None, Importance.HIGH, "user")
    .define("db.password", ConfigType.PASSWORD, None, None, Importance.HIGH, "secret")
)


class IdleTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        return None

    def poll(self) -> list[SourceRecord] | None:
        return None

    def stop(self) -> None:
        return None


class SecretSource(SourceConnector):
    CONFIG_DEF = PASSWORD_CONFIG_DEF

    def task_class(self) -> type[SourceTask]:
        return IdleTask


class FailingPlanSource(SourceConnector):
    """Valid config, but task_configs raises: the Plan step fails and the Catch path runs."""

    def task_class(self) -> type[SourceTask]:
        return IdleTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        raise RuntimeError("cannot split the work")


class BlockingSource(SourceConnector):
    """task_configs waits for `release`, so a change stays in flight as long as a test needs."""

    entered = threading.Event()
    release = threading.Event()

    def task_class(self) -> type[SourceTask]:
        return IdleTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        BlockingSource.entered.set()
        BlockingSource.release.wait(10)
        return [dict(self.props)]


class ChangingSource(SourceConnector):
    """As many tasks as `ChangingSource.partitions` says (capped by tasks.max), so a test can change what the source
    looks like between plans; `ask.again` asks for a reconfiguration during the first task_configs(), `fail` raises
    it through the ConnectorContext."""

    partitions = 1
    plans = 0

    def task_class(self) -> type[SourceTask]:
        return IdleTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        ChangingSource.plans += 1
        assert self.context is not None
        if self.props.get("fail"):
            self.context.raise_error(RuntimeError(self.props["fail"]))
        if self.props.get("ask.again") and ChangingSource.plans == 1:
            ChangingSource.partitions += 1
            self.context.request_task_reconfiguration()
        return [{**self.props, "part": str(i)} for i in range(min(ChangingSource.partitions, max_tasks))]

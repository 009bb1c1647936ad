"""The three state topics, opened together: what the manager steps and the REST API read and write."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectless.manager.generation import GenerationTracker
from connectless.storage import ConfigStore, KafkaLog, MemoryLog, OffsetStore, StatusStore
from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS
from connectless.storage.status import STATUS_TOPIC_PARTITIONS

if TYPE_CHECKING:
    from connectless.kafka.settings import KafkaSettings
    from connectless.storage import KeyValueLog

OFFSETS_TOPIC_ENV = "CONNECTLESS_OFFSETS_TOPIC"
CONFIG_TOPIC_ENV = "CONNECTLESS_CONFIG_TOPIC"
STATUS_TOPIC_ENV = "CONNECTLESS_STATUS_TOPIC"


@dataclass
class ConnectState:
    """Config, status and offsets stores plus the generation count; `settings` is None for memory state."""

    configs: ConfigStore
    statuses: StatusStore
    offsets: OffsetStore
    generations: GenerationTracker
    worker_id: str
    settings: KafkaSettings | None = None

    @classmethod
    def over(
        cls,
        configs: ConfigStore,
        statuses: StatusStore,
        offsets: OffsetStore,
        worker_id: str,
        settings: KafkaSettings | None = None,
    ) -> ConnectState:
        """Wrap stores that are not started yet (the generation count must see the config log from its start)."""
        generations = GenerationTracker()
        configs.log.add_listener(generations.on_record)
        return cls(configs, statuses, offsets, generations, worker_id, settings)

    @classmethod
    def on_kafka(
        cls,
        settings: KafkaSettings,
        worker_id: str,
        *,
        configs_topic: str = "connect-configs",
        status_topic: str = "connect-status",
        offsets_topic: str = "connect-offsets",
    ) -> ConnectState:
        state = cls.over(
            ConfigStore(KafkaLog(settings, configs_topic, partitions=1)),
            StatusStore(KafkaLog(settings, status_topic, partitions=STATUS_TOPIC_PARTITIONS)),
            OffsetStore(KafkaLog(settings, offsets_topic, partitions=OFFSETS_TOPIC_PARTITIONS)),
            worker_id,
            settings,
        )
        state.start()
        return state

    @classmethod
    def from_env(cls, worker_id: str) -> ConnectState:
        """The Lambda functions' state: topics named by the stack's environment variables."""
        from connectless.kafka.settings import KafkaSettings

        return cls.on_kafka(
            KafkaSettings.from_env(),
            worker_id,
            configs_topic=os.environ.get(CONFIG_TOPIC_ENV, "connect-configs"),
            status_topic=os.environ.get(STATUS_TOPIC_ENV, "connect-status"),
            offsets_topic=os.environ.get(OFFSETS_TOPIC_ENV, "connect-offsets"),
        )

    @classmethod
    def in_memory(cls, worker_id: str = "memory:0") -> ConnectState:
        state = cls.over(ConfigStore(MemoryLog()), StatusStore(MemoryLog()), OffsetStore(MemoryLog()), worker_id, None)
        state.start()
        return state

    @property
    def logs(self) -> tuple[KeyValueLog, ...]:
        return (self.configs.log, self.statuses.log, self.offsets.log)

    def start(self) -> None:
        for store in (self.offsets, self.configs, self.statuses):
            store.start()

    def refresh(self) -> None:
        """Read every state topic to its end: what other processes wrote becomes visible."""
        for log in self.logs:
            log.read_to_end()

    def stop(self) -> None:
        for log in self.logs:
            log.stop()

"""The three state topics, opened together: what the manager steps and the REST API read and write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectless.manager.generation import GenerationTracker
from connectless.storage import ConfigStore, MemoryLog, OffsetStore, StatusStore
from connectless.storage.topics import StateTopics, config_store, offset_store, status_store

if TYPE_CHECKING:
    from connectless.kafka.settings import KafkaSettings
    from connectless.storage import KeyValueLog


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
            config_store(settings, configs_topic),
            status_store(settings, status_topic),
            offset_store(settings, offsets_topic),
            worker_id,
            settings,
        )
        state.start()
        return state

    @classmethod
    def from_env(cls, worker_id: str) -> ConnectState:
        """The Lambda functions' state: topics named by the stack's environment variables."""
        from connectless.kafka.settings import KafkaSettings

        topics = StateTopics.from_env()
        return cls.on_kafka(
            KafkaSettings.from_env(),
            worker_id,
            configs_topic=topics.configs,
            status_topic=topics.status,
            offsets_topic=topics.offsets,
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

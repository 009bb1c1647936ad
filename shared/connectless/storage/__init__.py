"""State on Kafka: offsets, config and status stores over compacted topics (or memory, for tests)."""

from connectless.storage.configs import ConfigSnapshot, ConfigStore, TargetState
from connectless.storage.log import KafkaLog, KeyValueLog, MemoryLog, MemoryTopic, StoreError, WriteHandle
from connectless.storage.offsets import OffsetStore, TaskOffsetReader
from connectless.storage.status import ActiveTopics, State, Status, StatusStore, TopicStatus

__all__ = [
    "ActiveTopics",
    "ConfigSnapshot",
    "ConfigStore",
    "KafkaLog",
    "KeyValueLog",
    "MemoryLog",
    "MemoryTopic",
    "OffsetStore",
    "State",
    "Status",
    "StatusStore",
    "StoreError",
    "TargetState",
    "TaskOffsetReader",
    "TopicStatus",
    "WriteHandle",
]

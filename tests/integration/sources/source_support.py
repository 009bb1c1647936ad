"""Helpers for the source-side integration tests: isolated state topics, connector registration, reading back."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from confluent_kafka import Consumer, TopicPartition

from connectless.kafka.settings import KafkaSettings
from connectless.lambda_source.handler import SourceBudget, SourceTaskHandler
from connectless.storage import ConfigStore, KafkaLog, OffsetStore, StatusStore, TargetState
from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass
class SourceWorld:
    """One test's own config, offsets and status topics, and helpers to drive source tasks through them."""

    bootstrap: str
    prefix: str = field(default_factory=lambda: f"src-{uuid.uuid4().hex[:10]}")

    def __post_init__(self) -> None:
        self.settings = KafkaSettings(self.bootstrap)
        self.configs = ConfigStore(KafkaLog(self.settings, self.configs_topic, partitions=1))
        self.configs.start()

    @property
    def configs_topic(self) -> str:
        return f"{self.prefix}-configs"

    @property
    def offsets_topic(self) -> str:
        return f"{self.prefix}-offsets"

    @property
    def status_topic(self) -> str:
        return f"{self.prefix}-status"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTLESS_")}
        env |= {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "CONNECTLESS_CONFIG_TOPIC": self.configs_topic,
            "CONNECTLESS_OFFSETS_TOPIC": self.offsets_topic,
            "CONNECTLESS_STATUS_TOPIC": self.status_topic,
            "CONNECTLESS_CLUSTER_ID": self.prefix,
        }
        return env | extra

    def add_connector(self, name: str, config: Mapping[str, str], tasks: list[dict[str, str]] | None = None) -> None:
        config = {"name": name, **config}
        self.configs.put_connector_config(name, config)
        self.configs.put_task_configs(name, tasks or [dict(config)])
        self.configs.put_target_state(name, TargetState.STARTED)

    def handler(self, budget: SourceBudget | None = None, commit_interval_s: float = 0.2) -> SourceTaskHandler:
        offsets = OffsetStore(KafkaLog(self.settings, self.offsets_topic, partitions=OFFSETS_TOPIC_PARTITIONS))
        statuses = StatusStore(KafkaLog(self.settings, self.status_topic, partitions=5))
        configs = ConfigStore(KafkaLog(self.settings, self.configs_topic, partitions=1))
        for store in (configs, offsets, statuses):
            store.start()
        return SourceTaskHandler(
            self.settings,
            configs,
            offsets,
            statuses,
            worker_id="test",
            cluster_id=self.prefix,
            budget=budget or SourceBudget(safety_margin_s=0.0, max_idle_s=0.3),
            commit_interval_s=commit_interval_s,
        )

    def invoke(self, connector: str, *, remaining_s: float = 20.0, **env: str) -> subprocess.CompletedProcess[str]:
        """One invocation in its own process, as a Lambda container would run it."""
        cmd = [sys.executable, "-m", "connectless.lambda_source", "--connector", connector]
        cmd += ["--remaining-s", str(remaining_s)]
        return subprocess.run(cmd, env=self.env(**env), capture_output=True, text=True, timeout=120, check=False)

    def statuses(self) -> StatusStore:
        store = StatusStore(KafkaLog(self.settings, self.status_topic, partitions=5))
        store.start()
        return store

    def offsets(self) -> OffsetStore:
        store = OffsetStore(KafkaLog(self.settings, self.offsets_topic, partitions=OFFSETS_TOPIC_PARTITIONS))
        store.start()
        return store


def read_all(bootstrap: str, topic: str, *, committed: bool = True, timeout: float = 30.0) -> list[Any]:
    """Every record value of `topic` (JSON-decoded), read to the end of each partition."""
    return [orjson.loads(v) if v is not None else None for _, v in read_raw(bootstrap, topic, committed, timeout)]


def read_raw(
    bootstrap: str, topic: str, committed: bool = True, timeout: float = 30.0
) -> list[tuple[bytes | None, bytes | None]]:
    isolation = "read_committed" if committed else "read_uncommitted"
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": isolation,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=timeout)
        partitions = sorted(metadata.topics[topic].partitions)
        ends: dict[int, int] = {}
        for p in partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
            ends[p] = high
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        out: list[tuple[bytes | None, bytes | None]] = []
        positions = dict.fromkeys(partitions, 0)
        import time

        deadline = time.monotonic() + timeout
        while any(positions[p] < ends[p] for p in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic}: at {positions}, end {ends}")
            msg = consumer.poll(0.5)
            if msg is None:
                # read_committed stops before aborted/control records: the position tells when we are done
                for p in partitions:
                    pos = consumer.position([TopicPartition(topic, p)])[0].offset
                    if pos >= 0:
                        positions[p] = max(positions[p], pos)
                continue
            if msg.error():
                continue
            positions[msg.partition()] = msg.offset() + 1
            out.append((msg.key(), msg.value()))
        return out
    finally:
        consumer.close()

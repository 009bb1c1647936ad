"""Where Kafka is and how to talk to it: one object handed to every component that needs a client."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectless.kafka.auth import security_config

if TYPE_CHECKING:
    from collections.abc import Mapping

    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
# librdkafka stops fetching a partition whose local queue holds queued.min.messages (100,000) and by default
# waits a whole second before it fetches again (librdkafka#2879): a consumer that drains its queue faster than
# that then idles, and a fast one of small records reads at a sixth of its rate. 10 ms keeps the queue fed.
FETCH_QUEUE_BACKOFF_MS = 10
CLIENT_LOGGER = logging.getLogger("connectless.librdkafka")


class KafkaSettingsError(ValueError):
    """Kafka's location is unknown or malformed."""


@dataclass(frozen=True)
class KafkaSettings:
    """Bootstrap servers plus librdkafka settings common to all clients (security, client.id, ...)."""

    bootstrap_servers: str
    client_config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, bootstrap_servers: str | None = None, **client_config: Any) -> KafkaSettings:
        servers = bootstrap_servers or os.environ.get(BOOTSTRAP_ENV)
        if not servers:
            raise KafkaSettingsError(f"No Kafka bootstrap servers: pass --bootstrap-servers or set {BOOTSTRAP_ENV}")
        # Security (MSK IAM, SCRAM, mTLS) comes from the stack's CONNECTLESS_KAFKA_* variables; arguments win.
        return cls(servers, {**security_config(), **client_config})

    def config(self, **overrides: Any) -> dict[str, Any]:
        # librdkafka's own log lines go through Python logging, so applications decide what is shown.
        base = {"bootstrap.servers": self.bootstrap_servers, "logger": CLIENT_LOGGER}
        return {**base, **self.client_config, **overrides}

    def producer(self, **overrides: Any) -> Producer:
        from confluent_kafka import Producer

        return Producer(self.config(**overrides))

    def consumer_config(self, group_id: str, **overrides: Any) -> dict[str, Any]:
        """A consumer's librdkafka settings: no auto-commit, from the earliest offset, the queue kept fed."""
        defaults = {"group.id": group_id, "enable.auto.commit": False, "auto.offset.reset": "earliest",
                    "fetch.queue.backoff.ms": FETCH_QUEUE_BACKOFF_MS}  # fmt: skip
        return self.config(**(defaults | overrides))

    def consumer(self, group_id: str, **overrides: Any) -> Consumer:
        from confluent_kafka import Consumer

        return Consumer(self.consumer_config(group_id, **overrides))

    def admin(self) -> AdminClient:
        from confluent_kafka.admin import AdminClient

        return AdminClient(self.config())

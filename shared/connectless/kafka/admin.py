"""Topic creation that tolerates races: whoever creates first wins, the others go on."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    replication_factor: int = -1  # -1: the broker's default.replication.factor
    config: Mapping[str, str] = field(default_factory=dict)


_known: set[tuple[str, str]] = set()
_known_lock = threading.Lock()


def ensure_topic(settings: KafkaSettings, spec: TopicSpec, timeout: float = 30.0) -> bool:
    """Create `spec` unless it exists. Returns True when this call created it. Cached per process."""
    cache_key = (settings.bootstrap_servers, spec.name)
    with _known_lock:
        if cache_key in _known:
            return False
    admin = settings.admin()
    metadata = admin.list_topics(topic=spec.name, timeout=timeout)
    existing = metadata.topics.get(spec.name)
    if existing is not None and existing.error is None:
        with _known_lock:
            _known.add(cache_key)
        return False
    new = NewTopic(
        spec.name,
        num_partitions=spec.partitions,
        replication_factor=spec.replication_factor,
        config=dict(spec.config),
    )
    created = True
    try:
        admin.create_topics([new], operation_timeout=timeout, request_timeout=timeout)[spec.name].result(timeout)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
        created = False
    with _known_lock:
        _known.add(cache_key)
    return created

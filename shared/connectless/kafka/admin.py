"""Topic creation that tolerates races: whoever creates first wins, the others go on."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import AdminClient, ListOffsetsResultInfo, OffsetSpec

    from connectless.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    replication_factor: int = -1  # -1: the broker's default.replication.factor
    config: Mapping[str, str] = field(default_factory=dict)


# A group coordinator loading or moving: a moment's wait fixes it, yet librdkafka does not always flag these
# retriable (ListConsumerGroupOffsets answered COORDINATOR_LOAD_IN_PROGRESS raises a non-retriable KafkaError).
COORDINATOR_BUSY = (
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.NOT_COORDINATOR,
)

_known: set[tuple[str, str]] = set()
_known_lock = threading.Lock()


def admin_for(settings: KafkaSettings, topics: Iterable[str], timeout: float) -> AdminClient:
    """An admin client with the metadata of `topics` loaded: a fresh client's first ListOffsets otherwise waits a
    second or three now and then (measured: 4 times in 20 on a local Kafka 4.1.1, never once it was loaded)."""
    admin = settings.admin()
    for topic in sorted(set(topics)):
        admin.list_topics(topic, timeout=timeout)
    return admin


def alter_group_offsets(admin: AdminClient, group: str, partitions: list[TopicPartition], timeout: float) -> None:
    """AlterConsumerGroupOffsets, raising the first partition's error: the request succeeds as a whole while each
    partition may carry its own (a coordinator still loading, seen on a fresh broker), and then nothing is stored."""

    result = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, partitions)])[group].result(
        timeout
    )
    for tp in result.topic_partitions or []:
        if tp.error is not None:
            raise KafkaException(tp.error)


def list_offsets(
    admin: AdminClient, request: Mapping[TopicPartition, OffsetSpec], timeout: float, **options: Any
) -> dict[TopicPartition, ListOffsetsResultInfo]:
    """`AdminClient.list_offsets`, its results awaited (give it a client from `admin_for`)."""
    futures = admin.list_offsets(dict(request), request_timeout=timeout, **options)
    return {tp: future.result(timeout) for tp, future in futures.items()}


def ensure_topic(settings: KafkaSettings, spec: TopicSpec, timeout: float = 30.0) -> bool:
    """Create `spec` unless it exists. Returns True when this call created it. Cached per process."""
    cache_key = (settings.bootstrap_servers, spec.name)
    with _known_lock:
        if cache_key in _known:
            return False
    admin = settings.admin()
    # Listing all topics: a metadata request naming the topic would auto-create it with default configs.
    metadata = admin.list_topics(timeout=timeout)
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
    _wait_for_leaders(settings, spec, timeout)
    with _known_lock:
        _known.add(cache_key)
    return created


def _wait_for_leaders(settings: KafkaSettings, spec: TopicSpec, timeout: float) -> None:
    """A new topic answers 'not leader' until its partitions have leaders; wait for that."""
    admin = settings.admin()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        topic = admin.list_topics(timeout=timeout).topics.get(spec.name)
        if topic is not None and topic.error is None and topic.partitions:
            if all(p.leader >= 0 and p.error is None for p in topic.partitions.values()):
                return
        time.sleep(0.1)
    raise KafkaException(KafkaError(KafkaError._TIMED_OUT, f"topic {spec.name} has no leaders after {timeout}s"))

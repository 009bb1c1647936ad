"""How a sink connector maps onto Lambda Kafka event-source mappings, which AWS shapes as follows:
one topic per mapping, and a ConsumerGroupId unique among all Kafka mappings and fixed at creation.

- A sink with one topic gets one mapping in Kafka Connect's group `connect-<name>`, so it continues from (and
  can be moved back to) a Kafka Connect worker.
- A sink with several topics gets a mapping per topic, each in its own group `connect-<name>-<topic>`. A new
  group with no commit of its topic is seeded, through the Admin API, from `connect-<name>` when that group has
  commits for the topic: no offset is lost when a Kafka Connect sink (or a one-topic Connectless sink) moves here.
- A group that AWS's ConsumerGroupId rule refuses (1 to 200 of `[a-zA-Z0-9-/*:_+=.@]`: a name with a space, `%`,
  unicode, or too long) is derived instead (aws_names.consumer_group_id: the cleaned group, `-`, a hash of the
  exact connector and topic), and seeded from `connect-<name>` as above.
- `topics.regex` is refused (400): a mapping names its topic at creation and never follows new ones.
- `tasks.max` has no effect on a sink: Lambda runs up to one concurrent batch per partition of each topic (its
  pollers scale on their own, or within connectless.sink.minimum/maximum.pollers in provisioned mode).
- The mapping's error-handling controls (retries, record age, bisection, a kafka:// destination, and the partial
  batch responses the sink handler gives under errors.tolerance=none) exist in provisioned mode only: without
  connectless.sink.minimum.pollers or maximum.pollers they are refused, and a failed batch is retried whole.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Final

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition

from connectless import deployment_keys as lc
from connectless.aws_names import consumer_group_id
from connectless.connector_config import parse_topics_list
from connectless.deployment_keys import provisioned
from connectless.kafka.admin import COORDINATOR_BUSY, alter_group_offsets

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)
_TIMEOUT_S: Final = 30.0

TOPICS: Final = "topics"
TOPICS_REGEX: Final = "topics.regex"
REGEX_REFUSED: Final = (
    "topics.regex is not supported on AWS: a Lambda Kafka event-source mapping takes one topic, named when it is "
    "created, and does not follow new topics. List the topics in 'topics' instead."
)
_PROVISIONED_ONLY: Final = (lc.MAX_RETRY_ATTEMPTS, lc.MAX_RECORD_AGE, lc.BISECT_ON_ERROR)


def sink_topics(config: Mapping[str, str]) -> list[str]:
    return parse_topics_list(config)


def sink_group(connector: str, topic: str, topics: Sequence[str]) -> str:
    """The consumer group of `topic`'s mapping: Kafka Connect's group `connect-<name>` when the sink has that one
    topic only, `connect-<name>-<topic>` when it has several; each derived (aws_names) when AWS refuses it."""
    return consumer_group_id(connector, None if list(topics) in ([], [topic]) else topic)


def sink_groups(connector: str, topics: Sequence[str]) -> dict[str, str]:
    return {topic: sink_group(connector, topic, topics) for topic in topics}


def check_sink_config(config: Mapping[str, str]) -> dict[str, list[str]]:
    """Errors by key of a sink config that AWS's mappings cannot run (empty when it can)."""
    errors: dict[str, list[str]] = {}
    if config.get(TOPICS_REGEX, "").strip():
        errors[TOPICS_REGEX] = [REGEX_REFUSED]
    if not provisioned(config):
        for key in _PROVISIONED_ONLY:
            value = config.get(key, "").strip().lower()
            if value and value not in ("-1", "false"):
                errors[key] = [f"{key} needs provisioned mode on AWS: set {lc.MIN_POLLERS} or {lc.MAX_POLLERS}"]
        if config.get(lc.ON_FAILURE, "").strip().startswith("kafka://"):
            errors[lc.ON_FAILURE] = [
                f"a kafka:// on-failure destination needs provisioned mode on AWS: set {lc.MIN_POLLERS} or "
                f"{lc.MAX_POLLERS}"
            ]
    return errors


def seed_group(settings: KafkaSettings, group: str, topic: str, source: str, *, overwrite: bool = False) -> int:
    """Copy `source`'s committed offsets of `topic` into the new, empty `group` (through the Admin API) unless
    `group` has commits for `topic` already (an existing group's offsets win, as with a mapping's
    StartingPosition); `overwrite` copies anyway (a mapping replaced by one in another group). Returns how many
    partitions were copied."""
    if group == source:
        return 0
    admin = settings.admin()  # kept referenced: its futures complete only while it lives
    if not overwrite and _committed(admin, group, topic):
        return 0
    offsets = _committed(admin, source, topic)
    if not offsets:
        return 0
    _retrying(lambda: alter_group_offsets(admin, group, offsets, _TIMEOUT_S))
    log.info("seeded consumer group %s with %d offsets of %s from %s", group, len(offsets), topic, source)
    return len(offsets)


def _committed(admin: Any, group: str, topic: str) -> list[TopicPartition]:
    try:
        listed = _retrying(
            lambda: admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(_TIMEOUT_S)
        )
    except KafkaException as exc:
        error = exc.args[0] if exc.args else None
        if isinstance(error, KafkaError) and error.code() == KafkaError.GROUP_ID_NOT_FOUND:
            return []
        raise
    return [TopicPartition(tp.topic, tp.partition, tp.offset) for tp in listed.topic_partitions or []
            if tp.topic == topic and tp.offset >= 0]  # fmt: skip


def _retrying(call: Callable[[], Any], attempts: int = 20) -> Any:
    """Group coordinator moves and loads answer with retriable errors for a moment."""
    for _ in range(attempts - 1):
        try:
            return call()
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if not isinstance(error, KafkaError) or not (error.retriable() or error.code() in COORDINATOR_BUSY):
                raise
            time.sleep(0.5)
    return call()

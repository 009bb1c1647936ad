"""A sink connector's consumer lag per partition: the committed offsets of its group (`connect-<name>`) against
the end offsets of its topics, both from the Admin API.

A partition the group never committed counts its whole log (end - log start) as lag, as a new group starting
from the earliest offset would have it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from confluent_kafka import TopicPartition
from confluent_kafka.admin import OffsetSpec

from connectless.kafka.admin import list_offsets
from connectless.rest.offsets import TIMEOUT_S, GroupOffsets

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from connectless.kafka.settings import KafkaSettings


def sink_topics(config: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """The topics a sink reads: its `topics` list, or those of `known` that match `topics.regex`."""
    listed = [t.strip() for t in config.get("topics", "").split(",") if t.strip()]
    if listed:
        return sorted(set(listed))
    regex = config.get("topics.regex", "").strip()
    if not regex:
        return []
    pattern = re.compile(regex)
    return sorted({t for t in known if pattern.fullmatch(t)})


def consumer_lag(settings: KafkaSettings | None, group: str, config: Mapping[str, str]) -> dict[str, Any]:
    """`{"group", "partitions": [{topic, partition, committed, log_start, end, lag}], "total_lag"}`."""
    if settings is None:
        return {"group": group, "partitions": [], "total_lag": 0}
    committed = {
        (e["partition"]["kafka_topic"], e["partition"]["kafka_partition"]): e["offset"]["kafka_offset"]
        for e in GroupOffsets(settings).get(group)
    }
    admin = settings.admin()
    cluster = admin.list_topics(timeout=TIMEOUT_S)
    # the topics it reads now: the group may hold offsets of topics an older config read
    names = [t for t in sink_topics(config, cluster.topics) if t in cluster.topics]
    partitions = [TopicPartition(t, p) for t in names for p in sorted(cluster.topics[t].partitions)]
    if not partitions:
        return {"group": group, "partitions": [], "total_lag": 0}
    for topic in names:  # as admin_for does: ListOffsets on a client that has the topics' metadata
        admin.list_topics(topic, timeout=TIMEOUT_S)
    ends = list_offsets(admin, {tp: OffsetSpec.latest() for tp in partitions}, TIMEOUT_S)
    starts = list_offsets(admin, {tp: OffsetSpec.earliest() for tp in partitions}, TIMEOUT_S)
    rows: list[dict[str, Any]] = []
    for tp in partitions:
        end = ends[tp].offset
        start = starts[tp].offset
        done = committed.get((tp.topic, tp.partition))
        lag = max(0, end - (start if done is None else max(done, start)))
        rows.append({"topic": tp.topic, "partition": tp.partition, "committed": done, "log_start": start,
                     "end": end, "lag": lag})  # fmt: skip
    return {"group": group, "partitions": rows, "total_lag": sum(r["lag"] for r in rows)}

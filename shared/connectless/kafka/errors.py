"""Which client errors are passing states of the cluster (a topic not created yet, a leader moving)."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException

log = logging.getLogger(__name__)

TRANSIENT_CODES = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_LEADER_EPOCH,  # a retriable exception in the Java client: metadata behind the leader
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError._TRANSPORT,
        KafkaError._TIMED_OUT,
        KafkaError._PARTITION_EOF,
    }
)


def is_transient(error: KafkaError) -> bool:
    """True when waiting and trying again is the right answer, as a Java client would."""
    return bool(error.retriable()) or error.code() in TRANSIENT_CODES


def check_consumed(error: KafkaError) -> None:
    """For an error event from consume(): log a passing state (e.g. a subscribed topic that does not exist
    yet, which Kafka Connect also waits out) and go on; raise anything else."""
    if error.code() == KafkaError._PARTITION_EOF:
        return
    if is_transient(error):
        log.warning("consumer: %s (waiting)", error.str())
        return
    raise KafkaException(error)

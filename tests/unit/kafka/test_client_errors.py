"""Which consumer errors are waited out and which stop a task."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from connectless.kafka.errors import check_consumed, is_transient


@pytest.mark.parametrize(
    "code", [KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.LEADER_NOT_AVAILABLE, KafkaError._PARTITION_EOF]
)
def test_passing_cluster_states_are_waited_out(code: int) -> None:
    error = KafkaError(code)
    assert is_transient(error)
    check_consumed(error)  # returns: the task goes on polling


@pytest.mark.parametrize("code", [KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.INVALID_MSG])
def test_other_errors_stop_the_consumer(code: int) -> None:
    with pytest.raises(KafkaException):
        check_consumed(KafkaError(code))

"""What the DLQ reporter decides before it talks to Kafka (its produce path is tested on a real broker)."""

from __future__ import annotations

import pytest

from connectless.errors import DeadLetterQueueError, DeadLetterQueueReporter, ErrorsConfig, ProcessingContext, Stage
from connectless.kafka import KafkaSettings


def test_a_failure_without_a_record_is_not_handled_and_flush_says_so() -> None:
    reporter = DeadLetterQueueReporter(KafkaSettings("127.0.0.1:1"), ErrorsConfig(dlq_topic="dlq"), "c", 0)
    future = reporter.report(ProcessingContext(Stage.TASK_PUT, object, ValueError("x")))
    assert isinstance(future.exception(timeout=0), DeadLetterQueueError)
    with pytest.raises(DeadLetterQueueError, match="1 record\\(s\\) failed and 0 did not complete"):
        reporter.flush(0.1)
    reporter.flush(0.1)  # reported once; the next batch starts clean

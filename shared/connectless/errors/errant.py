"""The ErrantRecordReporter a sink task gets from its context: a record `put` cannot write goes to the
error pipeline (log, dead letter queue) under `errors.tolerance`, and the task goes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectless.connector import SinkTask
from connectless.errors.stage import Stage

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.errors.retry import RetryWithToleranceOperator
    from connectless.raw_records import RawRecord
    from connectless.records import SinkRecord


class SinkErrantRecordReporter:
    """Reports a sink record at stage TASK_PUT with the task's class.

    `resolve` gives the record as it was consumed (the pipeline finds the original bytes, or re-serialises
    the record as Kafka Connect's WorkerErrantRecordReporter does). With `errors.tolerance=none` `report`
    raises ToleranceExceededError, which fails the task. The DLQ acknowledgement is awaited by the
    pipeline's `flush`, before offsets are committed.
    """

    def __init__(
        self,
        operator: RetryWithToleranceOperator,
        resolve: Callable[[SinkRecord], RawRecord],
        task_class: type = SinkTask,
    ) -> None:
        self._operator = operator
        self._resolve = resolve
        self._task_class = task_class

    def report(self, record: SinkRecord, error: BaseException) -> None:
        raw = self._resolve(record)
        self._operator.execute_failed(Stage.TASK_PUT, self._task_class, error, consumer_record=raw)

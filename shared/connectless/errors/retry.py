"""RetryWithToleranceOperator: the one place where `errors.*` policy is applied.

Every risky step (converter, transform, put) runs through `execute`. Policy, as in Kafka Connect:
- only a `RetriableError` is retried, with a backoff of 300 ms doubling per retry, capped by
  `errors.retry.delay.max.ms`, while less than `errors.retry.timeout` ms have passed (0: never, -1: forever);
- a failure is then handed to every reporter (log, dead letter queue) whatever the tolerance;
- `errors.tolerance=all` skips the record (`execute` returns None) when the stage is a converter or a
  transformation, or the error is retriable; anything else raises ToleranceExceededError.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final, TypeVar

from connectless.errors.context import ProcessingContext, connect_class_name
from connectless.errors.exceptions import RetriableError, ToleranceExceededError
from connectless.errors.stage import Stage, ToleranceType

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from concurrent.futures import Future

    from connectless.errors.config import ErrorsConfig
    from connectless.errors.reporters import ErrorReporter
    from connectless.raw_records import RawRecord
    from connectless.records import SourceRecord

T = TypeVar("T")

RETRIES_DELAY_MIN_MS: Final = 300
# Kafka Connect tolerates every exception in these stages; elsewhere only retriable ones.
TOLERABLE_STAGES: Final = frozenset(
    {Stage.TRANSFORMATION, Stage.HEADER_CONVERTER, Stage.KEY_CONVERTER, Stage.VALUE_CONVERTER}
)


def backoff_delay_ms(attempt: int, max_delay_ms: int) -> int:
    """The wait after failed attempt number `attempt` (1-based): 300 ms doubling, capped at `max_delay_ms`."""
    return min(RETRIES_DELAY_MIN_MS << min(attempt - 1, 40), max_delay_ms)


class RetryWithToleranceOperator:
    """Runs operations under the connector's `errors.*` policy and reports what fails.

    The pipeline sets `consumer_record` (sink) or `source_record` (source) before each record so that a
    failure can name it; `clock` (seconds, monotonic) and `sleep` (seconds) are injectable for tests.

    Example:
        operator = RetryWithToleranceOperator(ErrorsConfig.from_config(config), [LogReporter("c", 0, cfg)])
        operator.consumer_record = raw
        value = operator.execute(converter.to_connect_data, Stage.VALUE_CONVERTER, type(converter), topic, data)
    """

    def __init__(
        self,
        config: ErrorsConfig,
        reporters: Sequence[ErrorReporter] = (),
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.reporters: tuple[ErrorReporter, ...] = tuple(reporters)
        self.consumer_record: RawRecord | None = None
        self.source_record: SourceRecord | None = None
        self.total_failures = 0  # failed operations, retries included
        self.total_retries = 0
        self.total_errors = 0  # operations that failed for good
        self.total_skipped = 0  # records dropped under errors.tolerance=all
        self._tolerate_all = config.tolerance is ToleranceType.ALL
        self._timeout_ms = config.retry_timeout_ms
        self._max_delay_ms = config.retry_delay_max_ms
        self._clock = clock
        self._sleep = sleep
        self._stopping = False

    def execute(self, operation: Callable[..., T], stage: Stage, klass: type, *args: Any) -> T | None:
        """`operation(*args)` under the policy: its result, or None when it failed and the failure is tolerated.

        Passing `args` instead of a closure spares the hot path an allocation per call.
        """
        try:
            return operation(*args)
        except Exception as error:
            return self._recover(operation, args, stage, klass, error)

    def execute_failed(
        self,
        stage: Stage,
        klass: type,
        error: BaseException,
        *,
        consumer_record: RawRecord | None = None,
        source_record: SourceRecord | None = None,
    ) -> list[Future[None]]:
        """Report an operation that failed outside `execute` (a record `put` could not write).

        Returns the reporters' handles; raises ToleranceExceededError unless `errors.tolerance=all`.
        """
        self.total_failures += 1
        self.total_errors += 1
        handles = self._report(
            ProcessingContext(stage, klass, error, 1, consumer_record, source_record),
        )
        if not self._tolerate_all:
            raise ToleranceExceededError(stage, connect_class_name(klass), error) from error
        self.total_skipped += 1
        return handles

    def stop(self) -> None:
        """Stop retrying (the task is stopping): an operation being retried fails with its last error."""
        self._stopping = True

    def _recover(
        self, operation: Callable[..., T], args: tuple[Any, ...], stage: Stage, klass: type, error: Exception
    ) -> T | None:
        self.total_failures += 1
        attempt = 1
        if isinstance(error, RetriableError) and self._timeout_ms != 0:
            start = self._clock()
            forever = self._timeout_ms < 0
            deadline = start + self._timeout_ms / 1000
            while (
                isinstance(error, RetriableError)
                and not self._stopping
                and (forever or (self._clock() - start) * 1000 < self._timeout_ms)
            ):
                self._backoff(attempt, None if forever else deadline)
                attempt += 1
                self.total_retries += 1
                try:
                    return operation(*args)
                except Exception as exc:
                    self.total_failures += 1
                    error = exc
        self._fail(stage, klass, error, attempt)
        return None

    def _backoff(self, attempt: int, deadline: float | None) -> None:
        delay = backoff_delay_ms(attempt, self._max_delay_ms) / 1000
        if deadline is not None:
            delay = max(0.0, min(delay, deadline - self._clock()))
        self._sleep(delay)

    def _fail(self, stage: Stage, klass: type, error: Exception, attempt: int) -> None:
        self.total_errors += 1
        self._report(ProcessingContext(stage, klass, error, attempt, self.consumer_record, self.source_record))
        tolerable = stage in TOLERABLE_STAGES or isinstance(error, RetriableError)
        if not (self._tolerate_all and tolerable):
            raise ToleranceExceededError(stage, connect_class_name(klass), error, unhandled=not tolerable) from error
        self.total_skipped += 1

    def _report(self, context: ProcessingContext) -> list[Future[None]]:
        handles = []
        for reporter in self.reporters:
            handle = reporter.report(context)
            if handle is not None:
                handles.append(handle)
        return handles

    def flush(self, timeout: float) -> None:
        """Wait for every reporter (the DLQ's acknowledgements); raises DeadLetterQueueError on a failure."""
        for reporter in self.reporters:
            reporter.flush(timeout)

    def close(self) -> None:
        for reporter in self.reporters:
            reporter.close()

"""RetryWithToleranceOperator: the one place where `errors.*` policy is applied.

Every risky step (converter, transform) runs through `execute`; a sink's `put` runs through the same
operator's `RetryPolicy` (`operator.policy`). Policy, as in Kafka Connect:
- only a `RetriableError` is retried, with a backoff of 300 ms doubling per retry, capped by
  `errors.retry.delay.max.ms`, while less than `errors.retry.timeout` ms have passed (0: never, -1: forever);
  any other error is never retried;
- a failure is then handed to every reporter (log, dead letter queue) whatever the tolerance;
- `errors.tolerance=all` skips the record (`execute` returns None) when the stage is a converter or a
  transformation, or the error is retriable; anything else raises ToleranceExceededError.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
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
log = logging.getLogger(__name__)

RETRIES_DELAY_MIN_MS: Final = 300
# Kafka Connect tolerates every exception in these stages; elsewhere only retriable ones.
TOLERABLE_STAGES: Final = frozenset(
    {Stage.TRANSFORMATION, Stage.HEADER_CONVERTER, Stage.KEY_CONVERTER, Stage.VALUE_CONVERTER}
)


def backoff_delay_ms(attempt: int, max_delay_ms: int) -> int:
    """The wait after failed attempt number `attempt` (1-based): 300 ms doubling, capped at `max_delay_ms`."""
    return min(RETRIES_DELAY_MIN_MS << min(attempt - 1, 40), max_delay_ms)


def _never() -> bool:
    return False


_FAILED: Any = object()


@dataclass(frozen=True)
class RetryPolicy:
    """`errors.retry.timeout` and `errors.retry.delay.max.ms` applied to one operation: the one retry loop.

    A RetriableError is retried after 300 ms, doubling, each wait capped by `max_delay_ms` and cut short at the
    deadline, while less than `timeout_ms` has passed since the first failure (0: never, negative: forever). Any
    other error propagates at once. `clock` is in seconds (monotonic), `sleep` takes seconds.

    Example:
        policy = RetryPolicy(timeout_ms=30_000, max_delay_ms=60_000)
        policy.run(task.put, records)  # retried while it raises RetriableError, for up to 30 s
    """

    timeout_ms: int
    max_delay_ms: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def within(self, timeout_s: float | None) -> RetryPolicy:
        """The same delays with another timeout: `timeout_s` seconds, or forever when None."""
        return dataclasses.replace(self, timeout_ms=-1 if timeout_s is None else int(timeout_s * 1000))

    def run(self, operation: Callable[..., T], *args: Any, stopping: Callable[[], bool] = _never) -> T:
        """`operation(*args)`, retried under the policy; raises its last error when the retries run out."""
        try:
            return operation(*args)
        except Exception as error:
            result, last, _attempts = self.retry_after(error, operation, args, stopping)
            if last is not None:
                raise last from None
            return result

    def retry_after(
        self,
        error: Exception,
        operation: Callable[..., Any],
        args: tuple[Any, ...],
        stopping: Callable[[], bool],
        next_delay: Callable[[], float | None] | None = None,
    ) -> tuple[Any, Exception | None, int]:
        """Retry `operation(*args)`, whose first attempt raised `error`: (result, None, attempts) once it works,
        (_FAILED, last error, attempts) when it does not. `stopping()` true ends the retries early. `next_delay()`
        (seconds, or None) replaces the backoff of the next wait: a sink task's SinkTaskContext.timeout."""
        attempt = 1
        if not isinstance(error, RetriableError) or self.timeout_ms == 0:
            return _FAILED, error, attempt
        start = self.clock()
        forever = self.timeout_ms < 0
        deadline = None if forever else start + self.timeout_ms / 1000
        while isinstance(error, RetriableError) and not stopping() and (deadline is None or self.clock() < deadline):
            asked = next_delay() if next_delay is not None else None
            delay = backoff_delay_ms(attempt, self.max_delay_ms) / 1000 if asked is None else asked
            if deadline is not None:
                delay = max(0.0, min(delay, deadline - self.clock()))
            log.warning("retrying in %.1f s after a retriable error: %s", delay, error)
            self.sleep(delay)
            attempt += 1
            try:
                return operation(*args), None, attempt
            except Exception as exc:
                error = exc
        return _FAILED, error, attempt


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
        self.policy = RetryPolicy(config.retry_timeout_ms, config.retry_delay_max_ms, clock, sleep)
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

    def stopping(self) -> bool:
        return self._stopping

    def run_retrying(
        self,
        operation: Callable[..., T],
        *args: Any,
        timeout_s: float | None = None,
        next_delay: Callable[[], float | None] | None = None,
    ) -> T:
        """`operation(*args)` (a sink's put and flush) retried under this connector's policy, within `timeout_s`
        (None: forever) instead of errors.retry.timeout; its error propagates, neither reported nor tolerated.
        `next_delay`: see RetryPolicy.retry_after."""
        policy = self.policy.within(timeout_s)
        try:
            return operation(*args)
        except Exception as error:
            self.total_failures += 1
            result, last, attempts = policy.retry_after(error, operation, args, self.stopping, next_delay)
            self.total_retries += attempts - 1
            self.total_failures += attempts - 1 - (last is None)
            if last is not None:
                raise last from None
            return result

    def _recover(
        self, operation: Callable[..., T], args: tuple[Any, ...], stage: Stage, klass: type, error: Exception
    ) -> T | None:
        self.total_failures += 1
        result, last, attempts = self.policy.retry_after(error, operation, args, self.stopping)
        self.total_retries += attempts - 1
        if last is None:
            self.total_failures += attempts - 2
            return result
        self.total_failures += attempts - 1
        self._fail(stage, klass, last, attempts)
        return None

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

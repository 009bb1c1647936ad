"""A sink's put goes through the connector's RetryWithToleranceOperator: errors.retry.delay.max.ms spaces the
retries of a RetriableError, the timeout bounds them, and an error that is not retriable is never retried."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from connectless.connector import SinkTask
from connectless.errors import ErrorsConfig, RetriableError, RetryWithToleranceOperator
from connectless.raw_records import RawRecord
from connectless.records import SinkRecord
from connectless.runtime.sink_batch import write_batch

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


class FlakyTask(SinkTask):
    """Fails its first `failures` puts with `error`, then writes."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error, self.failures, self.puts, self.written = error, failures, 0, []

    def version(self) -> str:
        return "test"

    def start(self, props: Mapping[str, str]) -> None: ...

    def put(self, records: Sequence[SinkRecord]) -> None:
        self.puts += 1
        if self.puts <= self.failures:
            raise self.error
        self.written += [r.value for r in records]

    def stop(self) -> None: ...


def batch(n: int) -> tuple[list[SinkRecord], list[RawRecord]]:
    raws = [RawRecord("t", 0, i, 0, "CreateTime", None, b"v") for i in range(n)]
    return [SinkRecord("t", 0, None, None, None, i, i) for i in range(n)], raws


def operator(clock: FakeClock, **config: str) -> RetryWithToleranceOperator:
    return RetryWithToleranceOperator(ErrorsConfig.from_config(config), clock=clock, sleep=clock.sleep)


def test_retriable_put_backs_off_up_to_errors_retry_delay_max_ms() -> None:
    clock, task = FakeClock(), FlakyTask(RetriableError("down"), failures=5)
    retry = operator(clock, **{"errors.retry.delay.max.ms": "1000"})
    records, raws = batch(2)
    outcome = write_batch(task, records, raws, lambda _r, _e: True, retry=retry, timeout_s=None)
    assert (outcome.written, task.written) == (2, [0, 1])
    assert clock.sleeps == [0.3, 0.6, 1.0, 1.0, 1.0]
    assert (retry.total_retries, retry.total_failures) == (5, 5)


def test_a_retriable_put_that_outlasts_the_timeout_fails_the_write() -> None:
    clock, task = FakeClock(), FlakyTask(RetriableError("down"), failures=100)
    records, raws = batch(2)
    with pytest.raises(RetriableError, match="down"):
        write_batch(task, records, raws, lambda _r, _e: True, retry=operator(clock), timeout_s=2.0)
    assert clock.now == pytest.approx(2.0)  # 0.3 + 0.6 + 1.1 (the last wait cut at the deadline)
    assert clock.sleeps == [0.3, 0.6, 1.1]


def test_a_put_error_that_is_not_retriable_is_never_retried() -> None:
    clock, task = FakeClock(), FlakyTask(ValueError("bad row"), failures=2)
    reported: list[Any] = []
    records, raws = batch(1)
    outcome = write_batch(task, records, raws, lambda raw, error: reported.append((raw.offset, error)) or True,
                          retry=operator(clock, **{"errors.retry.timeout": "-1"}), timeout_s=None)  # fmt: skip
    assert (task.puts, clock.sleeps, outcome.written, outcome.reported) == (1, [], 0, 1)
    assert [(offset, str(error)) for offset, error in reported] == [(0, "bad row")]


def test_a_stopping_operator_ends_the_retries() -> None:
    clock = FakeClock()
    retry = operator(clock)

    class StopsOnSecondPut(FlakyTask):
        def put(self, records: Sequence[SinkRecord]) -> None:
            if self.puts == 1:
                retry.stop()
            super().put(records)

    task = StopsOnSecondPut(RetriableError("down"), failures=100)
    records, raws = batch(1)
    with pytest.raises(RetriableError):
        write_batch(task, records, raws, lambda _r, _e: True, retry=retry, timeout_s=None)
    assert task.puts == 2

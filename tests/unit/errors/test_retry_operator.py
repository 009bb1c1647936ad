from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from connectless.errors import (
    ErrorsConfig,
    ProcessingContext,
    RetriableError,
    RetryWithToleranceOperator,
    Stage,
    ToleranceExceededError,
    ToleranceType,
)
from connectless.errors.retry import backoff_delay_ms
from connectless.raw_records import RawRecord

if TYPE_CHECKING:
    from collections.abc import Callable


class FakeClock:
    """Time that moves only when the operator sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


class Collecting:
    def __init__(self) -> None:
        self.contexts: list[ProcessingContext] = []

    def report(self, context: ProcessingContext) -> None:
        self.contexts.append(context)

    def flush(self, timeout: float) -> None:
        return None

    def close(self) -> None:
        return None


class Flaky:
    """Raises `error` for the first `failures` calls, then returns its argument."""

    def __init__(self, failures: int, error: Callable[[], Exception] = lambda: RetriableError("busy")) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self, value: Any = "ok") -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return value


class Converter:
    pass


def make(
    tolerance: ToleranceType = ToleranceType.NONE, timeout_ms: int = 0, max_delay_ms: int = 60000
) -> tuple[RetryWithToleranceOperator, FakeClock, Collecting]:
    clock = FakeClock()
    reporter = Collecting()
    config = ErrorsConfig(tolerance=tolerance, retry_timeout_ms=timeout_ms, retry_delay_max_ms=max_delay_ms)
    operator = RetryWithToleranceOperator(config, [reporter], clock=clock, sleep=clock.sleep)
    return operator, clock, reporter


def test_backoff_starts_at_300ms_and_doubles_up_to_the_cap() -> None:
    assert [backoff_delay_ms(a, 5000) for a in range(1, 7)] == [300, 600, 1200, 2400, 4800, 5000]
    assert backoff_delay_ms(500, 60000) == 60000


def test_success_returns_the_result_with_args_passed() -> None:
    operator, clock, reporter = make()
    assert operator.execute(lambda a, b: a + b, Stage.VALUE_CONVERTER, Converter, 2, 3) == 5
    assert clock.sleeps == []
    assert reporter.contexts == []


def test_zero_timeout_never_retries() -> None:
    operator, clock, reporter = make(ToleranceType.ALL, timeout_ms=0)
    op = Flaky(1)
    assert operator.execute(op, Stage.VALUE_CONVERTER, Converter) is None
    assert op.calls == 1
    assert clock.sleeps == []
    assert reporter.contexts[0].attempt == 1


def test_retries_until_success_within_timeout() -> None:
    operator, clock, reporter = make(timeout_ms=10_000)
    op = Flaky(3)
    assert operator.execute(op, Stage.TASK_PUT, Converter, "done") == "done"
    assert op.calls == 4
    assert clock.sleeps == [0.3, 0.6, 1.2]
    assert reporter.contexts == []
    assert operator.total_retries == 3


def test_last_sleep_is_clipped_to_the_deadline_then_one_final_attempt() -> None:
    operator, clock, reporter = make(ToleranceType.ALL, timeout_ms=1000)
    op = Flaky(100)
    assert operator.execute(op, Stage.KEY_CONVERTER, Converter) is None
    # attempts at t=0, 0.3, 0.9, 1.0 (the 1.2 s wait clipped to the 1 s deadline)
    assert clock.sleeps == [0.3, 0.6, 0.1]
    assert op.calls == 4
    assert reporter.contexts[0].attempt == 4


def test_delay_capped_by_max_delay() -> None:
    operator, clock, _ = make(timeout_ms=10_000, max_delay_ms=1000)
    assert operator.execute(Flaky(5), Stage.TASK_PUT, Converter) == "ok"
    assert clock.sleeps == [0.3, 0.6, 1.0, 1.0, 1.0]


def test_minus_one_retries_forever() -> None:
    operator, clock, _ = make(timeout_ms=-1, max_delay_ms=60000)
    op = Flaky(30)
    assert operator.execute(op, Stage.TASK_PUT, Converter) == "ok"
    assert op.calls == 31
    assert max(clock.sleeps) == 60.0
    assert clock.now - 100.0 > 60 * 20


def test_stop_ends_infinite_retries() -> None:
    operator, _, reporter = make(ToleranceType.ALL, timeout_ms=-1)

    def op() -> None:
        if len(calls) == 2:
            operator.stop()
        calls.append(1)
        raise RetriableError("down")

    calls: list[int] = []
    assert operator.execute(op, Stage.TASK_PUT, Converter) is None
    assert len(calls) == 3
    assert reporter.contexts[0].attempt == 3


def test_non_retriable_error_is_not_retried() -> None:
    operator, clock, reporter = make(ToleranceType.ALL, timeout_ms=10_000)
    op = Flaky(1, lambda: ValueError("bad json"))
    assert operator.execute(op, Stage.VALUE_CONVERTER, Converter) is None
    assert op.calls == 1
    assert clock.sleeps == []
    assert isinstance(reporter.contexts[0].error, ValueError)


def test_retrying_stops_at_a_non_retriable_error() -> None:
    operator, clock, reporter = make(ToleranceType.ALL, timeout_ms=10_000)
    errors: list[Exception] = [RetriableError("busy"), KeyError("gone")]

    def op() -> None:
        raise errors.pop(0)

    assert operator.execute(op, Stage.TRANSFORMATION, Converter) is None
    assert clock.sleeps == [0.3]
    assert isinstance(reporter.contexts[0].error, KeyError)
    assert reporter.contexts[0].attempt == 2


def test_tolerance_none_raises_naming_stage_and_class_after_reporting() -> None:
    operator, _, reporter = make(ToleranceType.NONE)
    raw = RawRecord("orders", 2, 41, None, value=b"{")
    operator.consumer_record = raw
    with pytest.raises(ToleranceExceededError) as info:
        operator.execute(Flaky(1, lambda: ValueError("bad json")), Stage.VALUE_CONVERTER, Converter)
    assert info.value.stage is Stage.VALUE_CONVERTER
    assert info.value.class_name == f"{__name__}.Converter"
    assert "VALUE_CONVERTER" in str(info.value)
    assert f"{__name__}.Converter" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)
    assert [c.consumer_record for c in reporter.contexts] == [raw]


def test_tolerance_all_reports_the_context_and_returns_none() -> None:
    operator, _, reporter = make(ToleranceType.ALL)
    raw = RawRecord("orders", 0, 7, 1_700_000_000_000, "CreateTime", b"k", b"v", (("h", b"1"),))
    operator.consumer_record = raw
    error = ValueError("no")
    assert operator.execute(Flaky(1, lambda: error), Stage.HEADER_CONVERTER, Converter) is None
    assert reporter.contexts == [ProcessingContext(Stage.HEADER_CONVERTER, Converter, error, 1, raw, None)]
    assert operator.total_skipped == 1


def test_tolerance_all_does_not_cover_a_non_retriable_error_outside_converters_and_transforms() -> None:
    operator, _, reporter = make(ToleranceType.ALL)
    with pytest.raises(ToleranceExceededError, match="Unhandled exception in error handler"):
        operator.execute(Flaky(1, lambda: ValueError("boom")), Stage.TASK_PUT, Converter)
    assert len(reporter.contexts) == 1


def test_tolerance_all_covers_a_retriable_error_anywhere_once_retries_run_out() -> None:
    operator, _, _ = make(ToleranceType.ALL, timeout_ms=500)
    assert operator.execute(Flaky(100), Stage.KAFKA_PRODUCE, Converter) is None


def test_execute_failed_follows_tolerance() -> None:
    raw = RawRecord("t", 0, 1, None)
    tolerant, _, reporter = make(ToleranceType.ALL)
    assert tolerant.execute_failed(Stage.TASK_PUT, Converter, OSError("disk"), consumer_record=raw) == []
    assert reporter.contexts[0].stage is Stage.TASK_PUT
    assert reporter.contexts[0].consumer_record is raw

    strict, _, _ = make(ToleranceType.NONE)
    with pytest.raises(ToleranceExceededError, match="Tolerance exceeded"):
        strict.execute_failed(Stage.TASK_PUT, Converter, OSError("disk"), consumer_record=raw)

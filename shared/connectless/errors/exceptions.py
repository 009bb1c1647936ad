"""Exceptions of the error-handling framework (Kafka Connect's ConnectException family)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectless.errors.stage import Stage


class ConnectError(Exception):
    """A failure the framework reports as fatal for the task (Kafka Connect's ConnectException)."""


class RetriableError(ConnectError):
    """A transient failure: the operation may succeed if tried again (Kafka Connect's RetriableException).

    Raise it from a converter, transform or task to ask for a retry with backoff within `errors.retry.timeout`.
    """


class ToleranceExceededError(ConnectError):
    """A failed operation that `errors.tolerance` does not cover; the task must stop.

    `stage` and `class_name` say where it failed; the original exception is `__cause__`.
    """

    def __init__(self, stage: Stage, class_name: str, error: BaseException, *, unhandled: bool = False) -> None:
        self.stage = stage
        self.class_name = class_name
        self.error = error
        what = "Unhandled exception in error handler" if unhandled else "Tolerance exceeded in error handler"
        super().__init__(
            f"{what} while executing stage '{stage.name}' with class '{class_name}': {type(error).__name__}: {error}"
        )


class DeadLetterQueueError(ConnectError):
    """A record sent to the dead letter queue was not acknowledged, so it does not count as handled."""

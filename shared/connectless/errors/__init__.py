"""Error handling: stages, tolerance, retries, and the log and dead-letter-queue reporters."""

from connectless.errors.config import ErrorsConfig
from connectless.errors.context import ProcessingContext
from connectless.errors.exceptions import (
    ConnectError,
    DeadLetterQueueError,
    RetriableError,
    ToleranceExceededError,
)
from connectless.errors.reporters import DeadLetterQueueReporter, ErrorReporter, LogReporter
from connectless.errors.retry import RetryWithToleranceOperator
from connectless.errors.stage import Stage, ToleranceType

__all__ = [
    "ConnectError",
    "DeadLetterQueueError",
    "DeadLetterQueueReporter",
    "ErrorReporter",
    "ErrorsConfig",
    "LogReporter",
    "ProcessingContext",
    "RetriableError",
    "RetryWithToleranceOperator",
    "Stage",
    "ToleranceExceededError",
    "ToleranceType",
]

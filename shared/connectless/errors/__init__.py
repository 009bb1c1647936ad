"""Error handling: stages, tolerance, retries, and the log and dead-letter-queue reporters."""

from connectless.errors.stage import Stage, ToleranceType

__all__ = ["Stage", "ToleranceType"]

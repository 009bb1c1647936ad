"""The serverless source: one scheduled invocation of a source task (functions/source_task), and its CLI.

Its local driver, the schedule runner, lives in connectless.standalone."""

from connectless.lambda_source.handler import (
    SourceBudget,
    SourceInvocationResult,
    SourceTaskFailedError,
    SourceTaskHandler,
)

__all__ = ["SourceBudget", "SourceInvocationResult", "SourceTaskFailedError", "SourceTaskHandler"]

"""The serverless source: one scheduled invocation of a source task (functions/source_task), and its CLI."""

from connectless.lambda_source.handler import (
    SourceBudget,
    SourceInvocationResult,
    SourceTaskFailedError,
    SourceTaskHandler,
)

__all__ = ["SourceBudget", "SourceInvocationResult", "SourceTaskFailedError", "SourceTaskHandler"]

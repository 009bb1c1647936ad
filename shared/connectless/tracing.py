"""Powertools Tracer for the Lambda handlers, without the X-Ray SDK import where tracing is off anyway.

Tracer() always builds its provider from the X-Ray SDK (aws_xray_sdk.core: botocore patching, the recorder,
its plugins), even when Powertools has decided tracing is disabled: about half of a task handler's import.
make_tracer() applies the rule Powertools documents first (POWERTOOLS_TRACE_DISABLED true, or not running in
Lambda, or in SAM local / Chalice local mode) and, where tracing is off, gives the Tracer a no-op provider
and no auto-patching. In Lambda with tracing on it is the plain Tracer(): the SDK is imported, botocore
patched and every subsegment recorded as before.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

if TYPE_CHECKING:
    import numbers
    import traceback
    from collections.abc import AsyncGenerator, Generator, Mapping, Sequence


class _NoOpSegment(BaseSegment):
    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def add_exception(
        self, exception: BaseException, stack: list[traceback.StackSummary], remote: bool = False
    ) -> None:
        pass


class NoOpTracingProvider(BaseProvider):
    """A tracing provider that records nothing (what the X-Ray SDK does when it is disabled)."""

    @contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        yield _NoOpSegment()

    @asynccontextmanager
    async def in_subsegment_async(self, name: Any = None, **kwargs: Any) -> AsyncGenerator[BaseSegment, None]:
        yield _NoOpSegment()

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


_TRUTHY = frozenset({"1", "y", "yes", "t", "true", "on"})  # Powertools reads its boolean variables so


def tracing_disabled(environ: Mapping[str, str] | None = None) -> bool:
    """Powertools' documented rule for a disabled Tracer: POWERTOOLS_TRACE_DISABLED, outside Lambda (no
    LAMBDA_TASK_ROOT), SAM local (AWS_SAM_LOCAL) or Chalice local mode (AWS_CHALICE_CLI_MODE)."""
    env = os.environ if environ is None else environ
    if env.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUTHY:
        return True
    return not env.get("LAMBDA_TASK_ROOT") or bool(env.get("AWS_SAM_LOCAL") or env.get("AWS_CHALICE_CLI_MODE"))


def make_tracer() -> Tracer:
    """Tracer() in Lambda with tracing on; a disabled Tracer on a no-op provider (no X-Ray SDK) otherwise."""
    if tracing_disabled():
        return Tracer(disabled=True, auto_patch=False, provider=NoOpTracingProvider())
    return Tracer()

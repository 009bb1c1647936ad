"""Powertools Tracer for the Lambda handlers, without the X-Ray SDK import where tracing is off anyway.

Tracer() always builds its provider from the X-Ray SDK (aws_xray_sdk.core: botocore patching, the recorder,
its plugins), even when Powertools has decided tracing is disabled: about half of a task handler's import.
make_tracer() applies the rule Powertools documents first (POWERTOOLS_TRACE_DISABLED true, or not running in
Lambda, or in SAM local / Chalice local mode) and, where tracing is off, gives the Tracer a no-op provider
and no auto-patching.

In Lambda with tracing on (the template's `Tracing: Active`), Tracer() would patch every library the X-Ray SDK
supports at import, importing each one to do so (botocore's client and docs, pymysql, sqlite3: ~150 ms of a
handler's cold start, measured). Here the Tracer is made without auto-patching and `patch_imported()`, called
by the handler at the start of each invocation, patches the supported libraries that are imported by then (a
connector imports its client library when its task starts): what gets traced is the same, and what a function
never imports it never pays for. A library first imported during an invocation is traced from the next one on.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

if TYPE_CHECKING:
    import numbers
    import traceback
    from collections.abc import AsyncGenerator, Generator, Mapping, Sequence

log = logging.getLogger(__name__)

# What Tracer's patch_all (the X-Ray SDK's, without double patching) patches: SDK name -> the module it wraps.
PATCHABLE = {
    "aiobotocore": "aiobotocore",
    "botocore": "botocore",
    "pynamodb": "pynamodb",
    "requests": "requests",
    "sqlite3": "sqlite3",
    "mysql": "mysql.connector",
    "pymongo": "pymongo",
    "pymysql": "pymysql",
    "psycopg2": "psycopg2",
    "psycopg": "psycopg",
    "pg8000": "pg8000",
    "sqlalchemy_core": "sqlalchemy",
    "httpx": "httpx",
}
_patched: dict[int, set[str]] = {}  # id(tracer) -> the SDK names patched through it


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
    """A Tracer without auto-patching in Lambda with tracing on (see patch_imported); a disabled Tracer on a no-op
    provider (no X-Ray SDK) otherwise."""
    if tracing_disabled():
        return Tracer(disabled=True, auto_patch=False, provider=NoOpTracingProvider())
    return Tracer(auto_patch=False)


def patch_imported(tracer: Tracer) -> list[str]:
    """Patch, for X-Ray, the supported libraries imported since the last call; returns their SDK names.

    A few dict look-ups when nothing new is imported: cheap enough for every invocation."""
    if tracer.disabled:
        return []
    done = _patched.setdefault(id(tracer), set())
    loaded = sys.modules
    new = [name for name, module in PATCHABLE.items() if name not in done and module in loaded]
    if new:
        done.update(new)
        try:
            tracer.patch(new)
        except Exception:  # tracing must never fail an invocation
            log.warning("could not patch %s for X-Ray tracing", new, exc_info=True)
    return new

"""The part both pipelines share: parts built from the connector config, and the process() template.

`process` runs a subclass's `_process_fast` (no per-stage bookkeeping) and, when that raises, its
`_process_staged` (every stage through the RetryWithToleranceOperator, so errors.* decides). Converters and
transforms are pure functions of the record, so running a failing record again is safe. With
errors.retry.timeout set every record takes the staged path, so the retry backoff schedule holds.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Generic, TypeVar

from connectless.converters.factory import converters_from_config
from connectless.errors.config import ErrorsConfig
from connectless.errors.retry import RetryWithToleranceOperator
from connectless.pipeline.common import build_reporters, close_all
from connectless.transforms.chain import TransformationChain

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.errors.reporters import ErrorReporter, SourceSerializer
    from connectless.kafka.settings import KafkaSettings

In = TypeVar("In")
Out = TypeVar("Out")


class PipelineBase(ABC, Generic[In, Out]):
    """Converters, transform chain, errors.* config, operator and reporters of one task."""

    def __init__(
        self,
        connector_name: str,
        task_id: int,
        config: Mapping[str, str],
        settings: KafkaSettings | None = None,
        *,
        reporters: Sequence[ErrorReporter] = (),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        source_serializer: SourceSerializer | None = None,
    ) -> None:
        self.connector_name = connector_name
        self.task_id = task_id
        self.errors = ErrorsConfig.from_config(config)
        self.key_converter, self.value_converter, self.header_converter = converters_from_config(config)
        self.chain = TransformationChain.from_config(config)
        own = build_reporters(connector_name, task_id, self.errors, settings, source_serializer=source_serializer)
        self.operator = RetryWithToleranceOperator(self.errors, [*own, *reporters], clock=clock, sleep=sleep)
        self._key_class = type(self.key_converter)
        self._value_class = type(self.value_converter)
        self._header_class = type(self.header_converter)
        self._apply_chain = self.chain.apply if len(self.chain) else None
        self._transform = self.chain.unguarded() if len(self.chain) else None  # the fast path's chain
        self._optimistic = self.errors.retry_timeout_ms == 0

    def process(self, item: In) -> Out | None:
        """The converted record, or None when a transform dropped it or it failed under errors.tolerance=all.

        Raises ToleranceExceededError when it failed and the failure is not tolerated.
        """
        if not self._optimistic:
            return self._process_staged(item)
        try:
            return self._process_fast(item)
        except Exception:
            return self._process_staged(item)

    @abstractmethod
    def _process_fast(self, item: In) -> Out | None: ...

    @abstractmethod
    def _process_staged(self, item: In) -> Out | None: ...

    def flush(self, timeout: float) -> None:
        """Wait until every dead-lettered record is acknowledged; raises DeadLetterQueueError otherwise."""
        self.operator.flush(timeout)

    def close(self) -> None:
        close_all(self.chain, self.key_converter, self.value_converter, self.header_converter, self.operator)

"""The contexts handed to tasks: what a task may see of and ask from the runtime."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.connector import ErrantRecordReporter, OffsetStorageReader, TopicPartition


class RuntimeConnectorContext:
    """A connector's ConnectorContext: what it asks goes to the callbacks of whoever runs it.

    A connector object runs only while the manager plans its tasks (the Plan step, in every mode: a Lambda keeps
    nothing running) or, in `StandaloneWorker.add_connector`, as long as the worker runs it. So:
    - `request_task_reconfiguration()`: task_configs() is asked again and, when the configs changed, they are
      written and the tasks restarted (the worker's `reconfigure`; within a plan, one more task_configs());
    - `raise_error(e)`: the connector is FAILED with `e` as its trace (a plan fails with it).
    Until a callback is given, a request is kept (`reconfiguration_requested`, `error`) for the caller to read.
    """

    def __init__(
        self,
        on_reconfigure: Callable[[], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._on_reconfigure = on_reconfigure
        self._on_error = on_error
        self.reconfiguration_requested = False
        self.error: BaseException | None = None

    def request_task_reconfiguration(self) -> None:
        self.reconfiguration_requested = True
        if self._on_reconfigure is not None:
            self._on_reconfigure()

    def raise_error(self, error: BaseException) -> None:
        self.error = error
        if self._on_error is not None:
            self._on_error(error)


class RuntimeSourceTaskContext:
    def __init__(self, configs: Mapping[str, str], reader: OffsetStorageReader) -> None:
        self._configs = dict(configs)
        self._reader = reader

    def configs(self) -> Mapping[str, str]:
        return self._configs

    @property
    def offset_storage_reader(self) -> OffsetStorageReader:
        return self._reader


class RuntimeSinkTaskContext:
    """What a sink task may ask of the runtime, kept until the sink handler takes it (lambda_sink/handler.py says
    what becomes of each request on Lambda and in standalone mode; docs/compatibility.md sums it up).

    - `offset()` rewinds (or skips ahead): the handler takes the requests after `open` and after each put/flush;
    - `timeout(ms)`: the wait before the next retry of a put or flush that raised RetriableError (once, as Kafka
      Connect uses it once);
    - `request_commit()`: always met, since every batch is committed as soon as it is written;
    - `assignment()`: the partitions this task has been given batches of.
    """

    def __init__(self, configs: Mapping[str, str], reporter: ErrantRecordReporter | None = None) -> None:
        self._configs = dict(configs)
        self._reporter = reporter
        self._lock = threading.Lock()
        self.requested_offsets: dict[TopicPartition, int] = {}
        self.timeout_ms = -1
        self.current_assignment: set[TopicPartition] = set()

    def configs(self) -> Mapping[str, str]:
        return self._configs

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        with self._lock:
            self.requested_offsets.update(offsets)

    def take_requested_offsets(self) -> dict[TopicPartition, int]:
        with self._lock:
            taken, self.requested_offsets = self.requested_offsets, {}
        return taken

    def timeout(self, timeout_ms: int) -> None:
        self.timeout_ms = timeout_ms

    def take_timeout_s(self) -> float | None:
        """The wait the task asked for before the next retry, in seconds (None: the policy's backoff); reset."""
        timeout_ms, self.timeout_ms = self.timeout_ms, -1
        return timeout_ms / 1000 if timeout_ms > 0 else None

    def assignment(self) -> set[TopicPartition]:
        return set(self.current_assignment)

    def request_commit(self) -> None:
        """Nothing to do: the batch is committed as soon as it is written (flushed), which is what a task asks."""

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self._reporter

"""The contexts handed to tasks: what a task may see of and ask from the runtime."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.connector import ErrantRecordReporter, OffsetStorageReader, TopicPartition


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
    """Sink context: offset rewinds, timeouts and commit requests are picked up by the sink runner."""

    def __init__(self, configs: Mapping[str, str], reporter: ErrantRecordReporter | None = None) -> None:
        self._configs = dict(configs)
        self._reporter = reporter
        self._lock = threading.Lock()
        self.requested_offsets: dict[TopicPartition, int] = {}
        self.timeout_ms = 0
        self.commit_requested = False
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

    def assignment(self) -> set[TopicPartition]:
        return set(self.current_assignment)

    def request_commit(self) -> None:
        self.commit_requested = True

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self._reporter

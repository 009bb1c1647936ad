"""A sink that discards every record: the cost of the runtime itself, for benchmarks and dry runs.

Every record still goes through the converters and the transform chain (and errors.*): only the write is
skipped. The task counts what it was given, so a benchmark or a test can check that nothing went missing.

    {"connector.class": "NullSink", "topics": "orders"}
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from connectless.config import ConfigDef, ConfigType, Importance, Range
from connectless.connector import SinkConnector, SinkTask
from connectless.plugins import PluginKind, register

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.connector import TopicPartition
    from connectless.records import SinkRecord

log = logging.getLogger(__name__)

LOG_EVERY = "null.log.every.records"

CONFIG_DEF = ConfigDef().define(
    LOG_EVERY, ConfigType.LONG, 0, Range.at_least(0), Importance.LOW,
    "Log a progress line every this many records (0: never).",
)  # fmt: skip


@register(PluginKind.SINK, "connectless.connectors.NullSinkConnector", "NullSinkConnector", "NullSink", "Null")
class NullSinkConnector(SinkConnector):
    CONFIG_DEF = CONFIG_DEF

    def task_class(self) -> type[SinkTask]:
        return NullSinkTask


class NullSinkTask(SinkTask):
    """Counts records and tombstones, keeps nothing."""

    def start(self, props: Mapping[str, str]) -> None:
        self.log_every: int = CONFIG_DEF.parse(props)[LOG_EVERY]
        self.records = 0
        self.tombstones = 0
        self.flushes = 0
        self._next_log = self.log_every

    def put(self, records: Sequence[SinkRecord]) -> None:
        self.records += len(records)
        for record in records:
            if record.value is None:
                self.tombstones += 1
        if self.log_every and self.records >= self._next_log:
            log.info("null sink: %d records discarded", self.records)
            self._next_log = self.records + self.log_every

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        self.flushes += 1

    def stop(self) -> None:
        return None

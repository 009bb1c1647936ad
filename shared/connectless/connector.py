"""The connector SPI: Connector splits the work, Task does it. Kafka Connect's shapes, made Pythonic.

Example:
    class MySource(SourceConnector):
        CONFIG_DEF = ConfigDef().define("topic", ConfigType.STRING, importance=Importance.HIGH)

        def task_class(self) -> type[SourceTask]:
            return MySourceTask
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from connectless.config import ConfigDef

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.config import ConfigValue
    from connectless.records import SinkRecord, SourceRecord

VERSION = "0.1.0"


class TopicPartition(tuple[str, int]):
    """(topic, partition), hashable and printable as `topic-partition`."""

    __slots__ = ()

    def __new__(cls, topic: str, partition: int) -> TopicPartition:
        return super().__new__(cls, (topic, partition))

    @property
    def topic(self) -> str:
        return self[0]

    @property
    def partition(self) -> int:
        return self[1]

    def __str__(self) -> str:
        return f"{self[0]}-{self[1]}"


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where Kafka stored a record a source task produced (Kafka's RecordMetadata): `SourceTask.commit_record` gets it.

    `timestamp` is the record's timestamp in milliseconds, None when Kafka reported none."""

    topic: str
    partition: int
    offset: int
    timestamp: int | None = None


class OffsetStorageReader(Protocol):
    """What a source task sees of the offsets store: the last committed offset per source partition."""

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None: ...

    def offsets(self, partitions: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any] | None]: ...


class ErrantRecordReporter(Protocol):
    """Lets a sink task hand a record it cannot write to the error pipeline (DLQ/log) and go on."""

    def report(self, record: SinkRecord, error: BaseException) -> None: ...


class ConnectorContext(Protocol):
    """What a connector may ask of the runtime. A connector object runs while the manager plans its tasks (and,
    in standalone mode, as long as `StandaloneWorker.add_connector` runs it); docs/compatibility.md has the table."""

    def request_task_reconfiguration(self) -> None:
        """Ask for `task_configs` again; tasks whose configs changed are restarted on the new ones."""

    def raise_error(self, error: BaseException) -> None:
        """Fail the connector: FAILED, with `error` as its trace."""


class SourceTaskContext(Protocol):
    def configs(self) -> Mapping[str, str]: ...

    @property
    def offset_storage_reader(self) -> OffsetStorageReader: ...


class SinkTaskContext(Protocol):
    """What a sink task may ask of the runtime (lambda_sink/handler.py and docs/compatibility.md say how each is
    kept on a Lambda mapping). Kafka Connect's pause()/resume() are not offered: a mapping cannot pause one
    partition, and a disabled mapping never invokes the task again to resume it."""

    def configs(self) -> Mapping[str, str]: ...

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        """The next record of each partition is the offset given: later records are skipped up to it, a partition
        rewound into the current batch is delivered again from there. Behind the batch only standalone mode can go
        (on Lambda the mapping owns the consumer group): there the partition goes on, with a warning."""

    def timeout(self, timeout_ms: int) -> None:
        """Wait this long before the next retry of a put or flush that raised RetriableError."""

    def assignment(self) -> set[TopicPartition]: ...

    def request_commit(self) -> None:
        """Always met: each batch is committed as soon as it is written."""

    def errant_record_reporter(self) -> ErrantRecordReporter | None: ...


class Task(ABC):
    """A unit of work. `start` gets the task's own config; `stop` releases what `start` took."""

    def version(self) -> str:
        return VERSION

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class SourceTask(Task):
    """Pulls records from an external system. `poll` returns a batch, or None/[] when there is nothing now."""

    context: SourceTaskContext

    def initialize(self, context: SourceTaskContext) -> None:
        self.context = context

    @abstractmethod
    def poll(self) -> list[SourceRecord] | None: ...

    def commit(self) -> None:
        """Called after the offsets of everything polled so far are durably stored."""

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        """Called for each record once Kafka acknowledged it, with where it landed; with None for a record that
        will never be acknowledged: dropped by a transform, or failed and skipped under errors.tolerance=all.

        Under exactly.once.support=required it is called only once the record's transaction committed (an
        aborted record is never passed). It runs on the task's thread; an exception it raises is logged and
        ignored, as Kafka Connect does. The runtime records offsets itself: this hook is for systems that
        acknowledge each record (a queue) or keep offsets of their own."""


class SinkTask(Task):
    """Writes records to an external system. The framework commits offsets after `flush` returns.

    Kafka Connect's `preCommit` (commit less than was flushed) is not offered: each batch is flushed at its end
    and committed whole by the event-source mapping as soon as the invocation returns, and a task may not keep
    records for a later commit, since the container holding them may be gone before the next invocation."""

    context: SinkTaskContext

    def initialize(self, context: SinkTaskContext) -> None:
        self.context = context

    @abstractmethod
    def put(self, records: Sequence[SinkRecord]) -> None: ...

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Make everything `put` so far durable: called at the end of each batch, whose offsets are then committed."""

    def open(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions newly assigned to this task."""

    def close(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions taken away from this task; flush their data."""


class Connector(ABC):
    """Splits a job into task configs. Subclasses declare CONFIG_DEF; validation comes from it."""

    CONFIG_DEF: ClassVar[ConfigDef] = ConfigDef()
    context: ConnectorContext | None = None

    def initialize(self, context: ConnectorContext) -> None:
        self.context = context

    def version(self) -> str:
        return VERSION

    @classmethod
    def config_def(cls) -> ConfigDef:
        return cls.CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    @abstractmethod
    def task_class(self) -> type[Task]: ...

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """One config per task, at most `max_tasks`. Default: a single task with the connector's config."""
        return [dict(self.props)]

    def stop(self) -> None:
        """Release what `start` took."""

    def validate(self, props: Mapping[str, Any]) -> list[ConfigValue]:
        return self.config_def().validate(props)


class SourceConnector(Connector):
    """A connector whose tasks are SourceTasks."""

    def exactly_once_support(self, props: Mapping[str, str]) -> bool | None:
        """True/False when the connector knows; None when it cannot tell (KIP-618)."""
        return None


class SinkConnector(Connector):
    """A connector whose tasks are SinkTasks. `topics` or `topics.regex` name what it reads."""

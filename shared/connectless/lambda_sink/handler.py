"""One Lambda Kafka batch through a sink connector: parse -> pipeline -> put -> flush -> DLQ acknowledged.

The order, per invocation (offsets are committed by the event-source mapping, never here):
1. the connector is the alias of the invoked ARN (or CONNECTLESS_CONNECTOR); its config comes from the config
   topic and is cached while the container is warm (re-read every `config_ttl_s`); a changed config restarts
   the task;
2. each partition's records, in offset order, go through converters and transforms (`SinkPipeline.process`);
3. `SinkTask.put` then `flush` for the whole batch; when that fails, record by record (runtime/sink_batch);
4. `pipeline.flush`: every dead-lettered record is acknowledged by Kafka, else the invocation fails;
5. the response: success, or under errors.tolerance=none `batchItemFailures` naming the first failed record of
   each failed partition, with the task set FAILED (and its trace) in the status topic.
Anything else that goes wrong raises: the mapping retries the whole batch, and the sinks are idempotent.

What a task asks through its SinkTaskContext (Kafka Connect's WorkerSinkTask semantics, on a mapping):
- `offset({tp: n})`, in `open` or during put/flush: the next record the task gets from tp is n. Records before n
  that arrive later are skipped (committed by the mapping, never put); when n is inside the batch, the partition
  is named in `batchItemFailures` at n, so the mapping commits up to n and delivers again from there (not a task
  failure; without ReportBatchItemFailures the whole batch comes again, BatchComesAgainError, and what precedes n
  is skipped). n before the batch's first record of tp: the mapping's consumer group cannot be moved while the
  mapping's pollers hold it, so on Lambda the partition goes on from where the mapping is (a warning says so);
  a handler built with `can_seek` (standalone mode, whose mapping emulator can seek) returns it in
  `BatchResult.seeks` and holds the partition;
- `timeout(ms)`: the wait before the next retry of a put or flush that raised RetriableError;
- `request_commit()`: met by every batch (the mapping commits as soon as the invocation returns).
"""

from __future__ import annotations

import bisect
import logging
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from connectless.aws_names import connector_for_alias
from connectless.config.providers import resolve_config
from connectless.connector import SinkTask, TopicPartition
from connectless.connector_config import CONNECTOR_CLASS, NAME, find_connector
from connectless.deployment_keys import provisioned
from connectless.errors.exceptions import ConnectError, ToleranceExceededError
from connectless.errors.stage import Stage
from connectless.lambda_sink.events import parse_event, partition_key, record_count
from connectless.lambda_sink.target import connector_name
from connectless.pipeline.sink import SinkPipeline
from connectless.runtime.contexts import RuntimeSinkTaskContext
from connectless.runtime.gcpause import gc_paused
from connectless.runtime.sink_batch import write_batch, write_chunks
from connectless.runtime.task_handler import TaskHandlerBase, TaskResult
from connectless.runtime.throughput import THROUGHPUT
from connectless.storage import ActiveTopics, State, TargetState

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from connectless.kafka.settings import KafkaSettings
    from connectless.raw_records import RawRecord
    from connectless.records import SinkRecord
    from connectless.runtime.task_handler import StateStores
    from connectless.storage import ConfigStore, StatusStore

log = logging.getLogger(__name__)

TASK_ID_ENV: Final = "CONNECTLESS_TASK_ID"
# Set to "false" when the mapping lacks FunctionResponseTypes=ReportBatchItemFailures: a failure then raises,
# since a mapping that ignores batchItemFailures would commit the failed records. "provisioned" (the SAM
# template's value): report for the connectors in provisioned mode only, the only mappings AWS gives
# ReportBatchItemFailures (aws_sinks).
REPORT_ITEM_FAILURES_ENV: Final = "CONNECTLESS_REPORT_BATCH_ITEM_FAILURES"
MAX_POLL_RECORDS: Final = "consumer.override.max.poll.records"
DEFAULT_MAX_POLL_RECORDS: Final = 500  # Kafka Connect's (the consumer's) default
SAFETY_MARGIN_S: Final = 10.0  # left for the DLQ flush and the status write at the end of a batch


class ConnectorNotRunnableError(ConnectError):
    """The connector is unknown, not a sink, or its target state is PAUSED/STOPPED: the batch is retried later."""


class BatchComesAgainError(ConnectError):
    """The task rewound a partition inside the batch and the mapping takes no per-partition answer (no
    ReportBatchItemFailures): the whole batch is retried, and the records before the rewind are skipped then.
    Not a failure: the task stays RUNNING."""


@dataclass
class BatchResult(TaskResult):
    """What one invocation did; the function turns it into the response and the metrics."""

    connector: str
    records_in: int = 0
    records_written: int = 0
    records_dead_lettered: int = 0
    records_dropped: int = 0  # filtered out by a transform
    records_skipped: int = 0  # before an offset the task rewound (or skipped ahead) to: never put
    failures: list[RawRecord] = field(default_factory=list)  # first failed record of each failed partition
    held: list[RawRecord] = field(default_factory=list)  # rewound partitions: delivered again from this record
    seeks: dict[TopicPartition, int] = field(default_factory=dict)  # rewinds behind the batch (can_seek only)
    trace: str | None = None  # why they failed (errors.tolerance=none), as the status topic gets it
    duration_s: float = 0.0

    def response(self) -> dict[str, Any]:
        again: dict[tuple[str, int], RawRecord] = {}
        for raw in (*self.failures, *self.held):
            found = again.get((raw.topic, raw.partition))
            if found is None or raw.offset < found.offset:
                again[raw.topic, raw.partition] = raw
        return {
            "batchItemFailures": [
                {"itemIdentifier": {"partition": partition_key(r.topic, r.partition), "offset": r.offset}}
                for r in again.values()
            ]
        }

    def metrics(self, duration_s: float) -> dict[str, tuple[str, float]]:
        return {
            "RecordsIn": ("Count", self.records_in),
            "RecordsOut": ("Count", self.records_written),
            "RecordsDeadLettered": ("Count", self.records_dead_lettered),
            "BatchDuration": ("Milliseconds", round(duration_s * 1000, 3)),
            "TaskFailures": ("Count", self.task_failures),  # the task was set FAILED
        }

    def summary(self) -> dict[str, Any]:
        return {"records_in": self.records_in, "records_out": self.records_written,
                "records_dead_lettered": self.records_dead_lettered,
                "partitions_failed": len(self.response()["batchItemFailures"])}  # fmt: skip


def put_size(config: Mapping[str, str]) -> int:
    """How many records one `put` gets at most: Kafka Connect's consumer.override.max.poll.records (default 500),
    so a task sees the put sizes it sees under Kafka Connect whatever the mapping's BatchSize."""
    raw = config.get(MAX_POLL_RECORDS, "").strip()
    if not raw:
        return DEFAULT_MAX_POLL_RECORDS
    try:
        size = int(raw)
    except ValueError:
        raise ConnectError(f"{MAX_POLL_RECORDS} must be a positive integer, got {raw!r}") from None
    if size < 1:
        raise ConnectError(f"{MAX_POLL_RECORDS} must be a positive integer, got {raw!r}")
    return size


def _offset(raw: RawRecord) -> int:
    return raw.offset


class _RunningTask:
    """A started task and its pipeline, kept while the container is warm and its config unchanged."""

    def __init__(
        self,
        connector: str,
        task_id: int,
        config: Mapping[str, str],
        task_config: Mapping[str, str],
        settings: KafkaSettings | None,
        topic_statuses: StatusStore | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config  # as stored: a change is seen against these, ${provider:...} references included
        self.task_config = task_config
        # ${provider:[path:]key} references are resolved at task start, as the task runners do.
        config, task_config = resolve_config(config), resolve_config(task_config)
        plugin = find_connector(config[CONNECTOR_CLASS])
        task_class = plugin.cls().task_class()
        if not issubclass(task_class, SinkTask):
            raise ConnectorNotRunnableError(f"connector {connector!r} is not a sink connector")
        self.pipeline = SinkPipeline(connector, task_id, config, settings, clock=clock, sleep=sleep)
        self.put_size = put_size(config)
        self.task: SinkTask = task_class()
        self.batch: Mapping[str, list[RawRecord]] = {}  # the current batch, per partition, in offset order
        self.rewinds: dict[TopicPartition, int] = {}  # SinkTaskContext.offset() not reached yet: the next offset
        self.active_topics = ActiveTopics(topic_statuses, connector, task_id)  # KIP-558, once per topic per task
        reporter = self.pipeline.errant_record_reporter(task_class, self._lookup)
        self.context = RuntimeSinkTaskContext(task_config, reporter)
        self.task.initialize(self.context)
        self.task.start(task_config)

    def _lookup(self, topic: str, partition: int, offset: int) -> RawRecord | None:
        """The consumed form of a record the task reports as errant (rare: searched, not indexed per batch)."""
        raws = self.batch.get(partition_key(topic, partition), [])
        index = bisect.bisect_left(raws, offset, key=_offset)
        return raws[index] if index < len(raws) and raws[index].offset == offset else None

    def record_topics(self, partitions: Mapping[str, list[RawRecord]]) -> None:
        """A topic this task has not consumed from before goes to the status topic (per partition, not per
        record: a batch holds a few partitions)."""
        active = self.active_topics
        for raws in partitions.values():
            if raws and raws[0].topic not in active.seen:
                active.record(raws[0].topic)

    def open(self, partitions: set[TopicPartition]) -> None:
        new = partitions - self.context.current_assignment
        if new:
            self.context.current_assignment.update(new)
            self.task.open(sorted(new))

    def reset(self) -> None:
        """After a failed write: the task drops what it buffered (close + open), so a retry starts clean."""
        assigned = sorted(self.context.current_assignment)
        self.task.close(assigned)
        self.task.open(assigned)

    def stop(self) -> None:
        try:
            self.task.close(sorted(self.context.current_assignment))
            self.task.stop()
        finally:
            self.pipeline.close()


class SinkBatchHandler(TaskHandlerBase):
    """The warm state of a sink function: stores, cached configs and started tasks, one per connector.

    `settings` locates Kafka for the dead letter queue (None: no DLQ); `worker_id` goes into status records.
    `topic_statuses` gets the active-topic records (KIP-558); by default `statuses` (None: none are written).

    Example:
        handler = SinkBatchHandler.from_env()
        result = handler.handle(event, "pg-sink", remaining_s=lambda: context.get_remaining_time_in_millis() / 1000)
        return result.response()
    """

    FUNCTION_NAME = "connectless-sink"
    DONE_MESSAGE = "batch done"
    FAILED_MESSAGE = "batch failed; the event-source mapping retries it"
    FREEZE_WARM_STATE = True

    def __init__(
        self,
        configs: ConfigStore | None,
        statuses: StatusStore | None,
        settings: KafkaSettings | None,
        *,
        worker_id: str = "lambda",
        task_id: int = 0,
        config_ttl_s: float = 30.0,
        report_item_failures: bool = True,
        report_only_provisioned: bool = False,
        dlq_flush_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        topic_statuses: StatusStore | None = None,
        can_seek: bool = False,
    ) -> None:
        super().__init__(statuses, worker_id)
        self.can_seek = can_seek  # the caller moves its consumer to BatchResult.seeks (standalone mode)
        self.configs = configs
        self.topic_statuses = statuses if topic_statuses is None else topic_statuses
        self.settings = settings
        self.task_id = task_id
        self.config_ttl_s = config_ttl_s
        self.report_item_failures = report_item_failures
        self.report_only_provisioned = report_only_provisioned
        self.dlq_flush_timeout_s = dlq_flush_timeout_s
        self._clock = clock
        self._sleep = sleep
        self._tasks: dict[str, _RunningTask] = {}
        self._aliases: dict[str, str] = {}  # alias -> connector, for names AWS's alias rule made over
        self._refreshed_at = -float("inf")

    @classmethod
    def _from_env(
        cls, settings: KafkaSettings, stores: StateStores, env: Mapping[str, str], worker_id: str
    ) -> SinkBatchHandler:
        return cls(
            stores.configs,
            stores.statuses,
            settings,
            worker_id=worker_id,
            task_id=int(env.get(TASK_ID_ENV, "0")),
            report_item_failures=env.get(REPORT_ITEM_FAILURES_ENV, "true").lower() != "false",
            report_only_provisioned=env.get(REPORT_ITEM_FAILURES_ENV, "").lower() == "provisioned",
        )

    # -- one Lambda invocation ---------------------------------------------------------------------
    @classmethod
    def invocation_keys(cls, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return {"connector": connector_name(context.invoked_function_arn)}

    def counts_as_failure(self, error: BaseException) -> bool:
        # paused, stopped or not configured yet, or a rewind that needs the batch again: nothing failed
        return not isinstance(error, ConnectorNotRunnableError | BatchComesAgainError)

    def _invoke(self, event: Mapping[str, Any], context: Any, connector: str) -> BatchResult:
        return self.handle(event, connector, remaining_s=lambda: context.get_remaining_time_in_millis() / 1000)

    @classmethod
    def failed_result(cls, event: Mapping[str, Any], connector: str) -> BatchResult:
        return BatchResult(connector, records_in=record_count(event))

    # -- config ------------------------------------------------------------------------------------
    def connector_for(self, name: str) -> str:
        """The connector an invocation through alias `name` serves: the connector of that name, or the one whose
        name AWS refuses as an alias and aws_names.alias_name derived the alias from. `name` itself when none is
        known (yet), or when the config topic cannot be read: the batch then waits, or fails on it again."""
        try:
            return self._connector_for(name)
        except Exception:
            log.exception("cannot read the config topic to map alias %s to its connector", name)
            return name

    def _connector_for(self, alias: str) -> str:
        with self._lock:
            known = self._aliases.get(alias)
            if known is not None:
                return known
            if self.configs is None or self.configs.connector_config(alias) is not None:
                return alias
            self.configs.refresh()
            self._refreshed_at = self._clock()
            found = connector_for_alias(alias, self.configs.snapshot().connectors)
            if found is None:
                return alias
            self._aliases[alias] = found
            return found

    def _topic_configs(self, connector: str) -> tuple[dict[str, str], dict[str, str]]:
        """(connector config, task config) from the config topic (re-read every config_ttl_s); raises
        ConnectorNotRunnableError when the connector is not there or not STARTED."""
        if self.configs is None:
            raise ConnectError("this handler has no config store: call run() with the configs")
        now = self._clock()
        if now - self._refreshed_at >= self.config_ttl_s or connector not in self._tasks:
            self.configs.refresh()
            self._refreshed_at = now
        config = self.configs.connector_config(connector)
        if config is None:
            raise ConnectorNotRunnableError(f"connector {connector!r} is not in the config topic")
        state = self.configs.target_state(connector) or TargetState.STARTED
        if state is not TargetState.STARTED:
            raise ConnectorNotRunnableError(f"connector {connector!r} is {state.value}; the batch waits")
        return config, self.configs.snapshot().task_config(connector, self.task_id) or config

    def _running_task(self, connector: str, config: Mapping[str, str], task_config: Mapping[str, str]) -> _RunningTask:
        """The started task of `connector` for these configs: restarted when they changed."""
        running = self._tasks.get(connector)
        if running is not None and (running.config != config or running.task_config != task_config):
            log.info("config of connector %s changed: restarting its task", connector)
            self._tasks.pop(connector).stop()
            running = None
        if running is None:
            try:
                running = _RunningTask(connector, self.task_id, config, task_config, self.settings,
                                       self.topic_statuses, self._clock, self._sleep)  # fmt: skip
            except Exception:  # a task that cannot start (its config, a secret, its system) is a failed task
                self.set_status(connector, self.task_id, State.FAILED, traceback.format_exc())
                raise
            self._tasks[connector] = running
        return running

    def warm_up(
        self, connector: str, config: Mapping[str, str] | None = None, task_config: Mapping[str, str] | None = None
    ) -> None:
        """Load the config (or take the configs given) and start the task now rather than at the first batch, so
        a task that cannot start fails here (standalone mode reports it FAILED at once)."""
        with self._lock:
            if config is None:
                config, task_config = self._topic_configs(connector)
            self._running_task(connector, config, task_config or config)

    # -- one batch ---------------------------------------------------------------------------------
    def handle(
        self, event: Mapping[str, Any], connector: str, remaining_s: Callable[[], float] | None = None
    ) -> BatchResult:
        """Run one Lambda Kafka event through `connector`, its configs and target state read from the config
        topic. Raises when the whole batch must be retried."""
        return self._timed(event, connector, lambda: self._topic_configs(connector), remaining_s)

    def run(
        self,
        connector_config: Mapping[str, str],
        task_config: Mapping[str, str],
        event: Mapping[str, Any],
        remaining_s: Callable[[], float] | None = None,
    ) -> BatchResult:
        """Run one event with the configs given (standalone mode: the worker's own, which starts and stops its
        tasks itself); no config topic is read. Raises when the whole batch must be retried."""
        return self._timed(event, connector_config[NAME], lambda: (connector_config, task_config), remaining_s)

    def _timed(
        self,
        event: Mapping[str, Any],
        connector: str,
        configs: Callable[[], tuple[Mapping[str, str], Mapping[str, str]]],
        remaining_s: Callable[[], float] | None,
    ) -> BatchResult:
        """One event under the handler's lock, timed and counted; `configs` gives the connector's and task's."""
        with self._lock, gc_paused():  # the batch's garbage is acyclic: no collections while it runs
            start = time.perf_counter()
            config, task_config = configs()
            result = self._handle(event, connector, config, task_config, remaining_s)
            result.duration_s = time.perf_counter() - start
            THROUGHPUT.add(connector, result.records_in, result.records_written, result.records_dead_lettered)
            return result

    def _handle(
        self,
        event: Mapping[str, Any],
        connector: str,
        config: Mapping[str, str],
        task_config: Mapping[str, str],
        remaining_s: Callable[[], float] | None,
    ) -> BatchResult:
        partitions = parse_event(event)
        result = BatchResult(connector, records_in=sum(len(v) for v in partitions.values()))
        running = self._running_task(connector, config, task_config)
        try:
            self._run(running, partitions, result, remaining_s)
        except BaseException as exc:
            # The task may hold half a batch: start it afresh on the next invocation.
            self.set_status(connector, self.task_id, State.FAILED, traceback.format_exc())
            self._drop_task(connector)
            raise ConnectError(f"batch failed for connector {connector!r}: {exc}") from exc
        reports = self.report_item_failures and not (self.report_only_provisioned and not provisioned(running.config))
        if result.failures:
            if not reports:
                self._drop_task(connector)
                cause = (result.trace or "").strip().splitlines()[-1:] or ["see the task's status"]
                failed = len(result.failures)
                raise ConnectError(f"{failed} partition(s) failed for connector {connector!r}: {cause[0]}")
        else:  # RUNNING is written once
            self.set_status(connector, self.task_id, State.RUNNING)
        if result.held and not reports:
            held = ", ".join(f"{r.topic}-{r.partition}@{r.offset}" for r in result.held)
            raise BatchComesAgainError(f"connector {connector!r} rewound {held}: the batch comes again")
        return result

    def _run(
        self,
        running: _RunningTask,
        partitions: Mapping[str, list[RawRecord]],
        result: BatchResult,
        remaining_s: Callable[[], float] | None,
    ) -> None:
        pipeline, task, context = running.pipeline, running.task, running.context
        partitions = self._open_batch(running, partitions, result)
        skipped_before = pipeline.operator.total_skipped
        traces: list[str] = []
        stopped: dict[TopicPartition, RawRecord] = {}
        chunk_size = running.put_size

        def converted() -> Iterator[tuple[list[SinkRecord], list[RawRecord]]]:
            """The batch through converters and transforms, `chunk_size` records at a time (a run of records per
            call: `process_into` appends to the chunk being filled)."""
            process_into = pipeline.process_into
            records: list[SinkRecord] = []
            by_record: list[RawRecord] = []
            for raws in partitions.values():
                start, end = 0, len(raws)
                while start < end:
                    run = raws[start : start + chunk_size - len(records)]
                    dropped, stopped_at, error = process_into(run, records, by_record)
                    result.records_dropped += dropped  # a transform's drop, or a tolerated failure (taken off below)
                    if error is not None:
                        assert stopped_at is not None
                        traces.append("".join(traceback.format_exception(error)))
                        raw = run[stopped_at]
                        stopped[TopicPartition(raw.topic, raw.partition)] = raw
                        break
                    start += len(run)
                    if len(records) >= chunk_size:
                        yield records, by_record
                        records, by_record = [], []
            yield records, by_record

        def report(raw: RawRecord, error: BaseException) -> bool:
            try:
                pipeline.report(raw, Stage.TASK_PUT, type(task), error)
                return True
            except ToleranceExceededError:
                traces.append(traceback.format_exc())
                return False

        retry, timeout_s = pipeline.operator, self._retry_seconds(pipeline, remaining_s)
        if result.records_in > chunk_size:  # put per chunk of max.poll.records, as Kafka Connect does per poll
            outcome = write_chunks(task, converted(), report, convert=pipeline.process, retry=retry,
                                   timeout_s=timeout_s, flush=True, reset=running.reset,
                                   backoff=context.take_timeout_s)  # fmt: skip
        else:
            records, by_record = next(converted())
            outcome = write_batch(task, records, by_record, report, retry=retry, timeout_s=timeout_s, flush=True,
                                  reset=running.reset, backoff=context.take_timeout_s)  # fmt: skip
        if context.requested_offsets:  # offset() during put/flush
            self._hold_rewound(running, partitions, result)
        result.records_dropped -= pipeline.operator.total_skipped - skipped_before
        pipeline.flush(self.dlq_flush_timeout_s)  # every dead-lettered record acknowledged, or raise
        for tp, raw in outcome.stopped.items():
            stopped.setdefault(tp, raw)
        dead = pipeline.operator.total_skipped - skipped_before
        result.records_written = outcome.written
        result.records_dead_lettered = dead
        result.failures = [stopped[tp] for tp in sorted(stopped)]
        if result.failures:
            result.trace = "\n".join(traces) or None
            self.set_status(result.connector, self.task_id, State.FAILED, result.trace)

    def _open_batch(
        self, running: _RunningTask, partitions: Mapping[str, list[RawRecord]], result: BatchResult
    ) -> Mapping[str, list[RawRecord]]:
        """The batch's topics recorded and partitions opened; the records to deliver (rewinds applied)."""
        running.record_topics(partitions)
        running.open({TopicPartition(r.topic, r.partition) for raws in partitions.values() for r in raws[:1]})
        if running.context.requested_offsets or running.rewinds:  # offset() in open, or a rewind not reached yet
            partitions = self._skip_to_rewinds(running, partitions, result)
        running.batch = partitions
        return partitions

    # -- SinkTaskContext.offset() ------------------------------------------------------------------
    def _skip_to_rewinds(
        self, running: _RunningTask, partitions: Mapping[str, list[RawRecord]], result: BatchResult
    ) -> dict[str, list[RawRecord]]:
        """The batch without the records before each partition's rewind; a rewind behind the batch is sought
        (can_seek) or, on Lambda, given up with a warning."""
        rewinds = running.rewinds
        rewinds.update(running.context.take_requested_offsets())
        kept: dict[str, list[RawRecord]] = {}
        for key, raws in partitions.items():
            tp = TopicPartition(raws[0].topic, raws[0].partition) if raws else None
            target = rewinds.get(tp) if tp is not None else None
            if tp is None or target is None:
                kept[key] = raws
                continue
            if target < raws[0].offset:
                del rewinds[tp]
                if self.can_seek:  # the caller's consumer goes back; this partition waits for it
                    result.seeks[tp] = target
                    result.held.append(raws[0])
                    continue
                log.warning("task %s-%d rewound %s to %d, behind the mapping's position %d: a Lambda mapping's "
                            "consumer group cannot be moved while it runs; going on from %d",
                            result.connector, self.task_id, tp, target, raws[0].offset, raws[0].offset)  # fmt: skip
                kept[key] = raws
                continue
            start = bisect.bisect_left(raws, target, key=_offset)
            if start < len(raws):
                del rewinds[tp]  # reached
            result.records_skipped += start
            if start < len(raws):
                kept[key] = raws[start:]
        return kept

    def _hold_rewound(
        self, running: _RunningTask, partitions: Mapping[str, list[RawRecord]], result: BatchResult
    ) -> None:
        """Rewinds asked during put/flush: a partition rewound into this batch is delivered again from there; one
        rewound past it skips ahead in the batches to come."""
        for tp, target in running.context.take_requested_offsets().items():
            raws = partitions.get(partition_key(tp.topic, tp.partition))
            if not raws or target > raws[-1].offset:
                running.rewinds[tp] = target
                continue
            if target < raws[0].offset:  # behind the batch: delivered again from as far back as the mapping can go
                if self.can_seek:
                    result.seeks[tp] = target
                else:
                    running.rewinds[tp] = target  # the next batch, from raws[0], warns that it is as far as it goes
                result.held.append(raws[0])
                continue
            again = raws[bisect.bisect_left(raws, target, key=_offset)]
            running.rewinds[tp] = again.offset  # a whole-batch retry skips what precedes it
            result.held.append(again)

    def _retry_seconds(self, pipeline: SinkPipeline, remaining_s: Callable[[], float] | None) -> float | None:
        """How long a RetriableError from put/flush is retried within this invocation.

        As Kafka Connect retries a retriable put until it works, the budget is the invocation's remaining time
        less a margin for the DLQ flush, capped by errors.retry.timeout when that is positive; then the batch
        fails and the mapping retries it. Without a deadline (offline use) errors.retry.timeout alone decides.
        """
        configured = pipeline.errors.retry_timeout_ms
        limit = configured / 1000 if configured > 0 else None
        if remaining_s is None:
            return 0.0 if configured == 0 else limit
        left = max(0.0, remaining_s() - SAFETY_MARGIN_S)
        return left if limit is None else min(limit, left)

    # -- status ------------------------------------------------------------------------------------
    def _drop_task(self, connector: str) -> None:
        running = self._tasks.pop(connector, None)
        if running is not None:
            try:
                running.stop()
            except Exception:
                log.warning("stopping the task of connector %s", connector, exc_info=True)

    def close(self) -> None:
        for connector in list(self._tasks):
            self._drop_task(connector)

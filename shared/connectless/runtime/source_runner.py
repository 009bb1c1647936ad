"""Runs one source task: poll -> transforms -> converters -> produce -> (acknowledged) -> offsets.

The commit order, for every run and every periodic commit:
1. poll the task and send each converted record to the producer, remembering the newest source offset
   per source partition (filtered and dropped records advance offsets too, as in Kafka Connect);
2. flush the producer: every record sent so far is acknowledged by the broker, or the run fails;
3. write those source offsets to the offsets topic and wait for the broker's acknowledgement;
4. call `SourceTask.commit()`.
`SourceTask.commit_record(record, metadata)` is called as each record is acknowledged (step 2), and with None for
a record dropped by a transform or skipped under errors.tolerance=all; with exactly-once, for every record of a
transaction once it committed. Only tasks that override it pay for the per-record callback.
A crash anywhere before 3 completes leaves the old offsets, so the records are produced again on restart:
at-least-once, never a gap. The standalone worker and the Lambda handler both drive this class.

With `DeliveryOptions` (runtime/source_transactions) step 3 is a Kafka transaction of a producer whose
transactional.id is fixed per task, which fences any older runner of the same task; with exactly-once the
records of 1 join that transaction too, and 2-3 become one `commit_transaction()` at each transaction boundary
(the offsets are sent into the transaction before the flush of 2, so nothing is visible before the commit).
With a transaction per poll (transaction.boundary=poll) the task has two such producers that take turns: while one
transaction is flushed and committed on a committer thread, the task's thread polls and converts the next batch
(see `_hand_off`); transactions still commit one by one, in poll order. There each poll's offsets records are sent
first, before its records (`_send_offsets_first`): same transaction, one round trip less in its flush.
Crash points (runtime/crashpoints) mark each step for the fault tests; they do nothing in production.

When the uncommitted work cannot be committed for a reason that may pass (the transaction aborted by its coordinator
or abortable: records timed out in a broker outage longer than transaction.timeout.ms; a producer error it cannot go
on from; records refused with a retriable error, errors.tolerance=none), the runner abandons it (a best-effort abort,
nothing committed) and raises RunAbortedError: its caller replays from the committed offsets with a fresh runner.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException

from connectless.config.providers import resolve_config
from connectless.connector import RecordMetadata, SourceTask
from connectless.errors.exceptions import ConnectError
from connectless.errors.stage import Stage
from connectless.pipeline.source import SourcePipeline
from connectless.runtime.crashpoints import crash_point
from connectless.runtime.gcpause import gc_paused
from connectless.runtime.source_transactions import (
    RunAbortedError,
    TaskFencedError,
    TransactionalSourceTaskContext,
    TransactionBoundary,
    WorkerTransactionContext,
    is_fenced,
    is_transient_delivery_error,
)
from connectless.runtime.throughput import THROUGHPUT
from connectless.storage import ActiveTopics, codec
from connectless.storage.log import StoreError
from connectless.storage.offsets import TaskOffsetReader, offset_key

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from confluent_kafka import Message, Producer

    from connectless.kafka.settings import KafkaSettings
    from connectless.raw_records import RawRecord
    from connectless.records import SourceRecord
    from connectless.runtime.source_transactions import DeliveryOptions
    from connectless.storage import StatusStore
    from connectless.storage.offsets import OffsetStore

log = logging.getLogger(__name__)
ABANDON_TIMEOUT_S = 5.0  # the best-effort abort of an abandoned transaction (a fresh producer's init aborts it anyway)


class ProduceError(ConnectError):
    """Kafka did not acknowledge a record and errors.tolerance does not cover it."""


@dataclass
class SourceRunStats:
    polled: int = 0
    produced: int = 0
    dropped: int = 0  # dropped by a transform
    dead_lettered: int = 0  # failed and skipped under errors.tolerance=all (to the DLQ when one is set)
    offsets_committed: int = 0
    bytes_out: int = 0
    transactions: int = 0
    aborted: int = 0


class _Abandon(Exception):  # noqa: N818 - a signal to the task's thread, not an error of its own
    """Raised by `_kafka_call` where `_kafka` abandons the run (the committer thread leaves that to the task's)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(eq=False)
class _InFlight:
    """A transaction handed to the committer thread: its producer, what it covers and how it ended."""

    producer: Producer
    pending: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]]
    sent: int
    committable: list[tuple[SourceRecord, RecordMetadata | None]]
    failures: list[tuple[str, KafkaError]]
    began: float
    thread: threading.Thread = field(init=False)
    flushed: threading.Event = field(default_factory=threading.Event)
    swapped: bool = False  # the task's thread moved on to the other producer
    committed: bool = False
    error: BaseException | None = None


def _unwrapped(call: Callable[..., Any], *args: Any) -> Any:
    """`call(*args)`; a SystemError caused by a KafkaException is raised as that exception. confluent-kafka (2.16)
    can surface a fatal error (a fence) hit inside flush's or poll's callbacks that way."""
    try:
        return call(*args)
    except SystemError as exc:
        if isinstance(exc.__cause__, KafkaException):
            raise exc.__cause__ from exc
        raise


class SourceTaskRunner:
    """One source task's loop, bounded by a deadline and an optional record/byte budget per run."""

    def __init__(
        self,
        connector: str,
        task_id: int,
        task: SourceTask,
        task_config: Mapping[str, str],
        connector_config: Mapping[str, str],
        settings: KafkaSettings,
        offsets: OffsetStore,
        *,
        producer: Producer | None = None,
        second_producer: Producer | None = None,
        pipelined: bool = True,
        commit_interval_s: float = 1.0,
        delivery: DeliveryOptions | None = None,
        statuses: StatusStore | None = None,
    ) -> None:
        # ${provider:[path:]key} references are resolved here, at task start; the stored configs keep them.
        task_config, connector_config = resolve_config(task_config), resolve_config(connector_config)
        self.connector = connector
        self.task_id = task_id
        self.task = task
        self.task_config = dict(task_config)
        self.offsets = offsets
        self.commit_interval_s = commit_interval_s
        self.delivery = delivery
        self.exactly_once = delivery is not None and delivery.exactly_once
        self.pipeline = SourcePipeline(connector, task_id, connector_config, settings)
        self.tolerate_produce_errors = self.pipeline.errors.tolerates_all and not self.exactly_once
        self._fence: Producer | None = None
        # commit_record: called only for tasks that override it (a callback per record costs)
        self._record_hook = type(task).commit_record is not SourceTask.commit_record
        # Each producer's failed deliveries go to its own list (the spare's is swapped in with it). A producer made
        # here reports them through its own on_delivery, so records are sent without a callback each (~0.2 µs a
        # record, measured); when either is handed in, both get the callback with each record.
        self._failures: list[tuple[str, KafkaError]] = []
        self._on_delivery = self._delivery_callback(self._failures)
        self._spare_failures: list[tuple[str, KafkaError]] = []
        self._spare_on_delivery = self._delivery_callback(self._spare_failures)
        self._callback_each = producer is not None or second_producer is not None
        # A transaction per poll (exactly-once): two producers take turns (see _hand_off); None: one does it all.
        self._spare: Producer | None = None
        if delivery is not None and delivery.exactly_once:
            # Exactly-once reports only failures unless the task has commit_record: otherwise the committer thread
            # would take the GIL from the task's thread for every acknowledged record. A fence that confluent-kafka
            # (2.16) raises as SystemError from a failure callback is read as the fence (_unwrapped, _serve).
            reports = {"linger.ms": 5, "delivery.report.only.error": not self._record_hook}
            self.producer = producer or settings.producer(
                **delivery.producer_config(), **reports, on_delivery=self._on_delivery
            )
            self._fence = self.producer
            if pipelined and delivery.pipelined and (producer is None or second_producer is not None):
                self._spare = second_producer or settings.producer(
                    **delivery.producer_config(second=True), **reports, on_delivery=self._spare_on_delivery
                )
        else:
            # Idempotent: a retried produce never duplicates; murmur2 places keys as Kafka Connect does.
            # enable.sparse.connections: see DeliveryOptions.producer_config (its producer ID is acquired the same way)
            self.producer = producer or settings.producer(
                **{
                    "enable.idempotence": True,
                    "acks": "all",
                    "linger.ms": 5,
                    "partitioner": "murmur2_random",
                    "enable.sparse.connections": False,
                    "on_delivery": self._on_delivery,
                }
            )
            if delivery is not None:
                self._fence = settings.producer(**delivery.producer_config(), **{"linger.ms": 0})
        boundary = delivery.boundary if delivery is not None and delivery.exactly_once else None
        self.transaction_context = WorkerTransactionContext() if boundary is TransactionBoundary.CONNECTOR else None
        self.stats = SourceRunStats()
        self._skipped = 0  # the operator's total_skipped as counted in stats
        self._reported = (0, 0)  # polled, produced: what the throughput store has seen
        # KIP-558: each topic this task produces to is recorded once in the status topic (None: not recorded)
        self.active_topics = ActiveTopics(statuses, connector, task_id)
        self._pending: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
        # per source partition, the last offset this runner committed (a warm handler checks the topic against it)
        self.committed: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
        self._sent = 0
        self._started = False
        self._in_transaction = False
        self._last_transaction = time.monotonic()
        self._transaction_began = time.monotonic()
        self._committable: list[tuple[SourceRecord, RecordMetadata | None]] = []  # exactly-once: until the commit
        self._in_flight: _InFlight | None = None  # the transaction the committer thread is flushing and committing
        self.retry_until: float | None = None  # a replaying caller's end of errors.retry.timeout (time.monotonic)

    def adopt_stats(self, previous: SourceTaskRunner) -> None:
        """Count on from `previous`, the runner this one replays for in the same invocation."""
        self.stats = previous.stats
        self._reported = previous._reported

    def start(self) -> None:
        """Claim the task (fence older runners), restore its offsets, start it."""
        if self._fence is not None:
            self._kafka(self._fence.init_transactions, 30)
            if self._spare is not None:
                self._kafka(self._spare.init_transactions, 30)
            self._refresh_offsets()  # after the fence: whatever a fenced runner committed is visible now
        reader = TaskOffsetReader(self.offsets, self.connector)
        context = TransactionalSourceTaskContext(self.task_config, reader, self.transaction_context)
        self.task.initialize(context)
        self.task.start(self.task_config)
        self._started = True

    def _refresh_offsets(self) -> None:
        """Read the offsets topic to its end; a broker just back may have no partition leader for a moment, so a
        failed read is tried again until errors.retry.timeout has passed."""
        deadline = self._retry_deadline()
        while True:
            try:
                self.offsets.refresh()
                return
            except StoreError as exc:
                if time.monotonic() >= deadline:
                    raise
                log.warning("task %s-%d: %s, trying again", self.connector, self.task_id, exc)
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    def _delivery_callback(
        self, failures: list[tuple[str, KafkaError]]
    ) -> Callable[[KafkaError | None, Message], None]:
        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                failures.append((msg.topic() or "", err))

        return on_delivery

    def run(
        self,
        deadline: float,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        max_records: int | None = None,
        max_bytes: int | None = None,
        max_idle_s: float | None = None,
    ) -> SourceRunStats:
        """Poll until `deadline` (time.monotonic), a stop request, a budget or `max_idle_s` without records;
        commit at the end (exactly-once: as the transaction boundary says)."""
        start_polled, start_bytes = self.stats.polled, self.stats.bytes_out
        try:
            self._loop(deadline, should_stop, max_records, max_bytes, max_idle_s, start_polled, start_bytes)
        except BaseException:
            self._settle_quietly()
            raise
        self._finish()
        return self.stats

    def _loop(
        self,
        deadline: float,
        should_stop: Callable[[], bool],
        max_records: int | None,
        max_bytes: int | None,
        max_idle_s: float | None,
        start_polled: int,
        start_bytes: int,
    ) -> None:
        next_commit = time.monotonic() + self.commit_interval_s
        last_records = time.monotonic()
        while not should_stop() and time.monotonic() < deadline:
            if max_records is not None and self.stats.polled - start_polled >= max_records:
                break
            if max_bytes is not None and self.stats.bytes_out - start_bytes >= max_bytes:
                break
            if self.poll_once():
                last_records = time.monotonic()
            elif max_idle_s is not None and time.monotonic() - last_records >= max_idle_s:
                break
            if self.exactly_once:
                self._maybe_commit_transaction()
            elif time.monotonic() >= next_commit:
                self.commit()
                next_commit = time.monotonic() + self.commit_interval_s

    def poll_once(self) -> int:
        """One poll: its records converted and sent (exactly-once: into the open transaction). Returns how many."""
        # A poll's records, their offsets and converted forms are acyclic and live until the poll is sent; with the
        # cycle collector on, its young collections promote them and every few polls a full collection walks the
        # whole process (~0.45 s per million records of the task's thread, measured). Paused for one poll, it
        # collects once after it: what a cycle keeps waits one poll at most (as the sink pauses it per batch).
        with gc_paused():
            return self._poll_once()

    def _poll_once(self) -> int:
        records = self.task.poll()
        if not records:
            self._serve(0)
            return 0
        # Every record through transforms and converters first: a failure errors.* does not tolerate raises before
        # any record of the poll reaches the producer or moves an offset, and with exactly-once the transaction's
        # first record (which adds the topic's partition to the transaction) is sent a whole poll's work after the
        # previous commit, when the broker has most likely finished writing that commit's markers.
        raws = self.pipeline.process_all(records)
        if None in raws:
            self._count_dropped(raws)
        offsets_first = self._spare is not None
        if offsets_first:
            self._send_offsets_first(records)
        self._send(records, raws, track_offsets=not offsets_first)
        self.stats.polled += len(records)
        self._serve(0)
        crash_point("after_produce")
        return len(records)

    def _send(self, records: list[SourceRecord], raws: list[RawRecord | None], *, track_offsets: bool) -> None:
        """Each converted record to the producer (exactly-once: into the open transaction); with `track_offsets`, the
        newest offset per source partition into the pending ones (a dropped record's too)."""
        produce, pending = self.producer.produce, self._pending
        transactions, half = self.transaction_context, len(records) // 2
        active_topics = self.active_topics.seen
        record_hook, exactly_once = self._record_hook, self.exactly_once
        on_delivery = self._on_delivery if self._callback_each else None  # None: the producer's own
        last_partition, partition_key = None, b""  # a task mostly hands out one partition object for a poll's records
        sent = sent_bytes = 0  # added to the runner's counts at the end, and before a connector-defined boundary
        try:
            for index, (record, raw) in enumerate(zip(records, raws, strict=True)):
                if index == half:
                    crash_point("mid_poll")
                if track_offsets:
                    source_partition, source_offset = record.source_partition, record.source_offset
                    if source_partition is not None and source_offset is not None:
                        if source_partition is not last_partition:
                            last_partition, partition_key = source_partition, codec.canonical(source_partition)
                        pending[partition_key] = (source_partition, source_offset)
                if raw is None:
                    if record_hook:
                        self._record_done(record, None)
                else:
                    # Producer.produce's positional form: topic, value, key, partition (-1: the partitioner's),
                    # delivery callback, its alias, timestamp (0: now), headers (a keyword dict per record: ~0.2 µs)
                    partition, timestamp, headers = raw.partition, raw.timestamp, raw.headers
                    args: tuple[Any, ...] = (raw.topic, raw.value, raw.key, partition if partition >= 0 else -1,
                            partial(self._acked, record) if record_hook else on_delivery, None,
                            timestamp or 0, list(headers) if headers else None)  # fmt: skip
                    if exactly_once and not self._in_transaction:
                        self._begin()
                    try:
                        produce(*args)
                    except (BufferError, KafkaException):  # the queue full, or fenced: waited on or raised there
                        self._produce(produce, args)
                    if raw.topic not in active_topics:
                        self.active_topics.record(raw.topic)
                    sent += 1
                    sent_bytes += len(raw.value or b"") + len(raw.key or b"")
                if transactions is not None:
                    self._sent, self.stats.bytes_out = self._sent + sent, self.stats.bytes_out + sent_bytes
                    sent = sent_bytes = 0
                    self._record_boundary(transactions, record)
                    pending = self._pending  # a commit or abort started a new one
        finally:
            self._sent += sent
            self.stats.bytes_out += sent_bytes

    def _send_offsets_first(self, records: list[SourceRecord]) -> None:
        """Exactly-once, a transaction per poll, pipelined: the poll's offsets records open its transaction, before
        its records. Both partitions then join the transaction in one AddPartitionsToTxn and the offsets record is on
        its way with the records, so the flush that the next poll waits for is one round trip, not two (the offsets
        partition added only once the records were sent). Same transaction, same offsets as sent after the records:
        they commit or abort together."""
        offsets = self._poll_offsets(records)
        if self._in_flight is not None:
            self._await_flushed()  # this poll's records go after the previous transaction's, on the other producer
        if offsets:
            self._begin()
            self._produce_offsets(self.producer, offsets.values())
            self._pending.update(offsets)

    @staticmethod
    def _poll_offsets(records: list[SourceRecord]) -> dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]]:
        """The newest source offset per source partition among `records` (dropped and failed records included):
        what the produce loop's `pending` would hold after them."""
        offsets: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
        last_partition, partition_key = None, b""
        for record in records:
            source_partition, source_offset = record.source_partition, record.source_offset
            if source_partition is not None and source_offset is not None:
                if source_partition is not last_partition:
                    last_partition, partition_key = source_partition, codec.canonical(source_partition)
                offsets[partition_key] = (source_partition, source_offset)
        return offsets

    def _record_boundary(self, transactions: WorkerTransactionContext, record: SourceRecord) -> None:
        """Connector-defined boundaries: the abort or commit the task asked for right after `record`."""
        if transactions.should_abort_on(record):
            self._abort(keep_offsets=True)
        elif transactions.should_commit_on(record):
            self.commit()

    def _count_dropped(self, raws: list[RawRecord | None]) -> None:
        """The poll's records that go nowhere: those a transform dropped, and those that failed and were skipped
        (errors.tolerance=all, counted by the operator)."""
        skipped = self.pipeline.operator.total_skipped
        dead_lettered, self._skipped = skipped - self._skipped, skipped
        self.stats.dead_lettered += dead_lettered
        self.stats.dropped += raws.count(None) - dead_lettered

    def _acked(self, record: SourceRecord, err: KafkaError | None, msg: Message) -> None:
        """The delivery callback of a task with commit_record: a failure as `_on_delivery` counts it (a tolerated one
        is passed with None, as Kafka Connect does), an acknowledgement with where the record landed."""
        if err is not None:
            self._failures.append((msg.topic() or "", err))
            if self.tolerate_produce_errors:
                self._record_done(record, None)
            return
        kind, timestamp = msg.timestamp()
        metadata = RecordMetadata(
            msg.topic() or "", msg.partition() or 0, msg.offset() or 0, timestamp if kind else None
        )
        self._record_done(record, metadata)

    def _record_done(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        if self.exactly_once:
            self._committable.append((record, metadata))  # passed once its transaction committed
        else:
            self._commit_record(record, metadata)

    def _commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        try:
            self.task.commit_record(record, metadata)
        except Exception:  # the task's own bookkeeping: Kafka Connect logs it and goes on
            log.exception("task %s-%d: commit_record raised", self.connector, self.task_id)

    def _produce(self, produce: Callable[..., None], args: tuple[Any, ...]) -> None:
        while True:
            try:
                produce(*args)
                return
            except BufferError:
                self._serve(0.1)  # local queue full: let deliveries drain, then retry
            except KafkaException as exc:
                if is_fenced(exc):
                    raise TaskFencedError(f"task {self.connector}-{self.task_id} was fenced") from exc
                raise

    def _serve(self, timeout: float) -> None:
        """Serve the producer's delivery reports; a fence met in a failure callback becomes TaskFencedError."""
        try:
            _unwrapped(self.producer.poll, timeout)
        except KafkaException as exc:
            if is_fenced(exc):
                raise TaskFencedError(f"task {self.connector}-{self.task_id} was fenced") from exc
            raise

    def _kafka(self, call: Callable[..., Any], *args: Any) -> Any:
        """A transactional call; a fenced producer becomes TaskFencedError. A retriable error (the broker away, a
        call timed out) is tried again until errors.retry.timeout has passed (-1: forever; 0: no retry), as Kafka
        Connect's producer keeps retrying: a broker outage shorter than that leaves the task running."""
        try:
            return self._kafka_call(call, *args)
        except _Abandon as exc:
            raise self._abandon(exc.reason) from exc.__cause__

    def _kafka_call(self, call: Callable[..., Any], *args: Any) -> Any:
        """`_kafka` without touching the runner's state (the committer thread's form): a transaction that must be
        abandoned raises _Abandon, which the task's thread turns into `_abandon`."""
        deadline = self._retry_deadline()
        while True:
            try:
                return _unwrapped(call, *args)
            except KafkaException as exc:
                if is_fenced(exc):
                    raise TaskFencedError(
                        f"task {self.connector}-{self.task_id} was fenced by a newer invocation of itself"
                    ) from exc
                error = exc.args[0] if exc.args else None
                if isinstance(error, KafkaError) and (error.txn_requires_abort() or error.fatal()):
                    # the transaction must be aborted, or the producer is done: what it holds is replayed
                    raise _Abandon(f"{getattr(call, '__name__', 'a transactional call')}: {error.str()}") from exc
                transient = isinstance(error, KafkaError) and error.retriable()
                if not transient or time.monotonic() >= deadline:
                    raise
                log.warning("task %s-%d: %s, trying again", self.connector, self.task_id, exc)

    def _retry_deadline(self) -> float:
        timeout_ms = self.pipeline.errors.retry_timeout_ms
        own = float("inf") if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        return own if self.retry_until is None else min(own, self.retry_until)

    def _abandon(self, reason: str) -> ConnectError:
        """Give up the uncommitted work: abort the open transaction if the producer still can (best effort: the
        fresh producer's init_transactions() aborts it otherwise), forget its offsets and records. Returns what to
        raise: RunAbortedError (replay), or TaskFencedError when the abort shows a newer invocation took the task,
        which a replay would take back (an abortable error is how an old producer first learns it)."""
        fenced: KafkaException | None = None
        flight, self._in_flight = self._in_flight, None
        if flight is not None:
            flight.thread.join()  # whatever it committed is in the offsets the replay reads
        for producer in {id(p): p for p in (self._fence, self._spare) if p is not None}.values():
            try:
                producer.abort_transaction(ABANDON_TIMEOUT_S)
            except KafkaException as exc:
                fenced = exc if is_fenced(exc) else fenced
                log.debug("task %s-%d: abort of the abandoned transaction: %s", self.connector, self.task_id, exc)
        if self._in_transaction:
            self.stats.aborted += 1
        self._in_transaction = False
        self._pending.clear()
        self._committable.clear()
        self._failures.clear()
        self._sent = 0
        if fenced is not None:
            return TaskFencedError(f"task {self.connector}-{self.task_id} was fenced ({reason}; then {fenced})")
        return RunAbortedError(
            f"task {self.connector}-{self.task_id}: {reason}; the records since the last commit were not committed"
        )

    def _transient_failures(self) -> bool:
        return bool(self._failures) and all(is_transient_delivery_error(err) for _, err in self._failures)

    # -- commit --------------------------------------------------------------------------------
    def commit(self) -> int:
        """Steps 2-4 of the commit order. Returns the number of source partitions whose offsets were written."""
        if self.exactly_once:
            return self._commit_transaction()
        deadline = self._retry_deadline()
        remaining = self.producer.flush(60)
        while remaining and time.monotonic() < deadline:  # the broker is away: its records wait, as does the commit
            log.warning("task %s-%d: %d records unacknowledged, waiting", self.connector, self.task_id, remaining)
            remaining = self.producer.flush(min(60.0, max(1.0, deadline - time.monotonic())))
        if remaining:
            raise ProduceError(f"{remaining} records still unacknowledged after 60s; offsets not committed")
        self._check_failures(tolerate=self.tolerate_produce_errors)
        self.stats.produced += self._sent
        self._sent = 0
        self._report_throughput()
        crash_point("after_flush")
        self.pipeline.flush(60)
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        self._write_offsets(pending.values())
        crash_point("after_offset_write")
        self.committed.update(pending)
        self.stats.offsets_committed += len(pending)
        self.task.commit()
        return len(pending)

    def _report_throughput(self) -> None:
        polled, produced = self.stats.polled, self.stats.produced
        THROUGHPUT.add(self.connector, polled - self._reported[0], produced - self._reported[1])
        self._reported = (polled, produced)

    def _check_failures(self, *, tolerate: bool) -> None:
        if not self._failures:
            return
        failures, self._failures[:] = list(self._failures), []
        if not tolerate:
            self._pending.clear()
            topic, err = failures[0]
            if all(is_transient_delivery_error(e) for _, e in failures):
                self._sent = 0
                raise RunAbortedError(
                    f"task {self.connector}-{self.task_id}: {len(failures)} records not delivered (on topic {topic}: "
                    f"{err.str()}); offsets of this batch are not committed"
                )
            raise ProduceError(
                f"Unrecoverable exception from producer send callback ({Stage.KAFKA_PRODUCE.name}) on topic "
                f"{topic}: {err.str()}; offsets of this batch are not committed"
            )
        log.warning("skipped %d records Kafka refused (errors.tolerance=all)", len(failures))

    def _write_offsets(self, offsets: Any) -> None:
        if self._fence is None:
            offsets_log = self.offsets.log
            handles = [offsets_log.send(offset_key(self.connector, p), codec.encode(o)) for p, o in offsets]
            crash_point("offset_write")
            offsets_log.flush()
            for handle in handles:
                handle.wait()
            return
        self._kafka(self._fence.begin_transaction)
        self._produce_offsets(self._fence, offsets)
        crash_point("offset_write")
        self._kafka(self._fence.commit_transaction, 60)
        self.stats.transactions += 1

    def _produce_offsets(self, producer: Producer, offsets: Any) -> None:
        assert self.delivery is not None
        topic = self.delivery.offsets_topic
        for partition, offset in offsets:
            self._produce(producer.produce, (topic, codec.encode(offset), offset_key(self.connector, partition)))

    # -- exactly-once transactions -------------------------------------------------------------
    def _begin(self) -> None:
        if not self._in_transaction:
            self._kafka(self.producer.begin_transaction)
            self._in_transaction = True
            self._transaction_began = time.monotonic()

    def _commit_transaction(self) -> int:
        if self._spare is not None:
            return self._hand_off()
        if not self._in_transaction and not self._pending:
            self.pipeline.flush(60)
            return 0
        self._begin()
        # The offsets join the transaction before the flush: their partition is added to the transaction and their
        # record sent while the records are acknowledged, not one round trip after another once they are.
        pending, self._pending = self._pending, {}
        self._produce_offsets(self.producer, pending.values())
        crash_point("offset_write")
        self._kafka(self.producer.flush, 60)
        if self._transient_failures():
            topic, err = self._failures[0]
            raise self._abandon(f"{len(self._failures)} records not delivered (on topic {topic}: {err.str()})")
        if self._failures:
            self._abort(keep_offsets=False)  # the offsets go with the records they cover
            self._check_failures(tolerate=False)
        crash_point("after_flush")
        self.pipeline.flush(60)
        try:
            self._kafka(self.producer.commit_transaction, 60)
        finally:
            self._in_transaction = False
        crash_point("after_offset_write")
        sent, self._sent = self._sent, 0
        committable, self._committable = self._committable, []
        self._after_commit(pending, sent, committable, self._transaction_began)
        return len(pending)

    def _after_commit(
        self,
        pending: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]],
        sent: int,
        committable: list[tuple[SourceRecord, RecordMetadata | None]],
        began: float,
    ) -> None:
        """A transaction committed: count it, then pass its records to commit_record and call the task's commit."""
        self._note_late_commit(began)
        self.committed.update(pending)
        self._last_transaction = time.monotonic()
        self.stats.transactions += 1
        self.stats.produced += sent
        self._report_throughput()
        self.stats.offsets_committed += len(pending)
        for record, metadata in committable:
            self._commit_record(record, metadata)
        self.task.commit()

    # -- exactly-once, a transaction per poll: two producers take turns ------------------------
    # Kafka Connect polls, sends, flushes and commits one after the other. Here the transaction's flush and commit run
    # on a committer thread (they wait on the broker, the GIL released) while the task's thread polls and converts
    # the next batch; that batch is sent, on the other producer, once the previous one's records are acknowledged
    # (so records keep their order in each partition, offsets records too), and its transaction is handed to the
    # committer only after the previous one committed: transactions commit in poll order, and when one fails the
    # next, still open, is aborted with it. Only the task's thread calls poll(), commit_record() and commit(); a
    # transaction's records reach commit_record() once it committed, before the next one is handed off. Two
    # producers, because the broker refuses a producer's next transaction until the previous one's commit markers
    # are written (CONCURRENT_TRANSACTIONS, which librdkafka retries 20 ms later): each producer's markers are
    # written while the other one's transaction runs.
    def _hand_off(self) -> int:
        """The open transaction (this poll's offsets records, then its records) goes to the committer thread."""
        self._await_committed()
        if not self._in_transaction and not self._pending:
            self.pipeline.flush(60)
            return 0
        self._begin()
        pending, self._pending = self._pending, {}  # its offsets records were sent before its records (poll_once)
        crash_point("offset_write")
        self.pipeline.flush(60)  # the poll's dead letters acknowledged before its transaction commits
        flight = _InFlight(
            self.producer, pending, self._sent, self._committable, self._failures, self._transaction_began
        )
        self._sent, self._in_transaction = 0, False
        flight.thread = threading.Thread(
            target=self._complete, args=(flight,), name=f"commit-{self.connector}-{self.task_id}", daemon=True
        )
        self._in_flight = flight
        flight.thread.start()
        return len(pending)

    def _complete(self, flight: _InFlight) -> None:
        """The committer thread: acknowledge the transaction's records, then commit it unless one was refused."""
        try:
            self._kafka_call(flight.producer.flush, 60)
            flight.flushed.set()
            if flight.failures:
                return  # the task's thread decides (abort, replay or fail)
            crash_point("after_flush")
            self._kafka_call(flight.producer.commit_transaction, 60)
            crash_point("after_offset_write")
            flight.committed = True
        except BaseException as exc:
            flight.error = exc
        finally:
            flight.flushed.set()

    def _await_flushed(self) -> None:
        """Before this poll's first send: the transaction in flight has its records acknowledged; then the other
        producer takes over (with its own failure list: the callbacks of the one in flight have all run)."""
        flight = self._in_flight
        assert flight is not None and self._spare is not None
        if flight.swapped:
            return
        flight.flushed.wait()
        if flight.error is not None or flight.failures:
            self._await_committed()  # raises
        self.producer, self._spare = self._spare, self.producer
        self._failures, self._spare_failures = self._spare_failures, self._failures
        self._on_delivery, self._spare_on_delivery = self._spare_on_delivery, self._on_delivery
        self._committable = []
        flight.swapped = True

    def _await_committed(self) -> None:
        """The transaction in flight, if any, committed: counted and passed on; or its failure raised, after the
        transaction opened since (on the other producer) is aborted with it."""
        flight, self._in_flight = self._in_flight, None
        if flight is None:
            return
        flight.thread.join()
        if flight.committed:
            self._after_commit(flight.pending, flight.sent, flight.committable, flight.began)
            return
        self._pending.clear()  # the offsets of anything polled since are not committed either
        if flight.error is not None:
            if isinstance(flight.error, _Abandon):
                raise self._abandon(flight.error.reason) from flight.error.__cause__
            self._abort_quietly(flight)
            raise flight.error
        failures = flight.failures
        topic, err = failures[0]
        if all(is_transient_delivery_error(e) for _, e in failures):
            raise self._abandon(f"{len(failures)} records not delivered (on topic {topic}: {err.str()})")
        self._abort_quietly(flight)
        self._sent = 0
        raise ProduceError(
            f"Unrecoverable exception from producer send callback ({Stage.KAFKA_PRODUCE.name}) on topic "
            f"{topic}: {err.str()}; offsets of this batch are not committed"
        )

    def _abort_quietly(self, flight: _InFlight) -> None:
        """Best effort, the run fails anyway: abort the transaction in flight that failed and the one opened since on
        the other producer; a fresh runner's init_transactions() aborts whatever is left."""
        producers = [flight.producer]
        if self._in_transaction and self.producer is not flight.producer:
            producers.append(self.producer)
        for producer in producers:
            try:
                producer.abort_transaction(ABANDON_TIMEOUT_S)
            except KafkaException as exc:
                log.debug("task %s-%d: abort after a failed transaction: %s", self.connector, self.task_id, exc)
        self._in_transaction = False
        self._committable.clear()

    def _settle_quietly(self) -> None:
        """The run raised: let the transaction in flight end (complete, it commits as Kafka Connect would have before
        the next poll); its failure, if any, is logged: the run's own error is the one raised."""
        if self._in_flight is None:
            return
        try:
            self._await_committed()
        except Exception as exc:
            log.warning("task %s-%d: transaction in flight: %s", self.connector, self.task_id, exc)

    def _note_late_commit(self, began: float) -> None:
        """A commit that outlived transaction.timeout.ms (the broker away, then back before its coordinator aborted the
        transaction: the coordinator accepts it) is worth a line; one it aborted is replayed instead."""
        assert self.delivery is not None
        lasted_s = time.monotonic() - began
        if lasted_s * 1000 > self.delivery.transaction_timeout_ms:
            log.warning(
                "task %s-%d: transaction committed %.1f s after it began, past its transaction.timeout.ms (%d ms)",
                self.connector, self.task_id, lasted_s, self.delivery.transaction_timeout_ms,
            )  # fmt: skip

    def _abort(self, *, keep_offsets: bool) -> None:
        """Drop the open transaction's records; with `keep_offsets` commit their offsets alone (Kafka Connect's
        abort on a connector's request, so the task does not see the same records again)."""
        if self._in_transaction:
            self._kafka(self.producer.abort_transaction, 60)
            self._in_transaction = False
            self.stats.aborted += 1
        self._sent = 0
        self._serve(0)
        self._failures.clear()  # purged by the abort
        self._committable.clear()  # never committed: not passed to commit_record
        if keep_offsets:
            self._commit_transaction()
        else:
            self._pending.clear()

    def _maybe_commit_transaction(self) -> None:
        assert self.delivery is not None
        boundary = self.delivery.boundary
        if boundary is TransactionBoundary.POLL:
            self._commit_transaction()
        elif boundary is TransactionBoundary.INTERVAL:
            if time.monotonic() >= self._last_transaction + self.delivery.interval_s:
                self._commit_transaction()
        elif self.transaction_context is not None:
            if self.transaction_context.should_abort_batch():
                self._abort(keep_offsets=True)
            elif self.transaction_context.should_commit_batch():
                self._commit_transaction()

    def _finish(self) -> None:
        """End of a run: commit; for connector-defined boundaries only what the task asked to commit."""
        if self.transaction_context is None:
            self.commit()
            self._await_committed()
            return
        self._maybe_commit_transaction()
        if self._in_transaction or self._pending:
            self._abort(keep_offsets=False)  # never asked to commit: polled again next time

    def stop(self) -> None:
        """Stop the task; pending offsets are committed first when the producer can still deliver."""
        try:
            if self._started:
                self._finish()
        finally:
            self._started = False
            self.task.stop()
            self.pipeline.close()

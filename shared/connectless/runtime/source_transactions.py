"""Kafka transactions for source tasks: exactly-once (KIP-618) and the fence that keeps one invocation in charge.

`DeliveryOptions` says how a SourceTaskRunner commits:
- no options: records through an idempotent producer, offsets through the offsets store (standalone default);
- `exactly_once=False`: the same, but the offsets are written in a transaction of a producer whose
  `transactional.id` is fixed per task. Its `init_transactions()` bumps the producer epoch on the broker, so
  an older invocation of the same task can no longer commit offsets: at most one invocation makes progress;
- `exactly_once=True`: records and offsets go in one transaction of that producer, whose boundaries follow
  `transaction.boundary` (poll, interval, connector) as Kafka Connect's ExactlyOnceWorkerSourceTask defines them.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException

from connectless.errors.exceptions import ConnectError
from connectless.runtime.contexts import RuntimeSourceTaskContext

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.connector import OffsetStorageReader
    from connectless.records import SourceRecord

EXACTLY_ONCE_SUPPORT = "exactly.once.support"
TRANSACTION_BOUNDARY = "transaction.boundary"
TRANSACTION_BOUNDARY_INTERVAL_MS = "transaction.boundary.interval.ms"
OFFSETS_STORAGE_TOPIC = "offsets.storage.topic"
# Kafka Connect's per-connector producer override (client override policy All, its default since 3.0)
TRANSACTION_TIMEOUT_OVERRIDE = "producer.override.transaction.timeout.ms"
MIN_TRANSACTION_TIMEOUT_MS = 1000  # librdkafka's lowest transaction.timeout.ms
MAX_TRANSACTION_TIMEOUT_MS = 900_000  # the broker's default transaction.max.timeout.ms


class TransactionBoundary(enum.Enum):
    POLL = "poll"
    INTERVAL = "interval"
    CONNECTOR = "connector"


class TaskFencedError(ConnectError):
    """A newer invocation of the same task claimed its transactional.id: this one must stop, unfailed."""


class RunAbortedError(ConnectError):
    """The run's uncommitted work was abandoned for a reason that may pass: its transaction was aborted by the
    coordinator or became abortable (records timed out in a broker outage longer than transaction.timeout.ms), its
    producer hit an error it cannot go on from, or records failed with a retriable error. Nothing of that work is
    committed: a fresh runner replays it from the committed offsets (lambda_source.handler, within
    errors.retry.timeout)."""


# Delivery failures that a replay may get past: the broker away or slow, records timed out or purged by an abort.
TRANSIENT_DELIVERY_ERRORS = frozenset(
    {
        KafkaError._MSG_TIMED_OUT,
        KafkaError._TIMED_OUT,
        KafkaError._TIMED_OUT_QUEUE,
        KafkaError._TRANSPORT,
        KafkaError._PURGE_QUEUE,
        KafkaError._PURGE_INFLIGHT,
        KafkaError.INVALID_PRODUCER_EPOCH,  # the coordinator aborted the transaction (timed out) and bumped the epoch
    }
)


def transactional_id(cluster: str, connector: str, task: int) -> str:
    """Kafka Connect's `<group.id>-<connector>-<task>`, fixed per task so that a restart fences its zombie."""
    return f"{cluster}-{connector}-{task}"


def is_fenced(exc: BaseException) -> bool:
    """A newer producer took the transactional.id. An abortable INVALID_PRODUCER_EPOCH is not that: it is how a
    transaction that the coordinator aborted on its timeout shows (Kafka Connect reads it as a transaction timeout)."""
    if not isinstance(exc, KafkaException) or not exc.args or not isinstance(exc.args[0], KafkaError):
        return False
    error: KafkaError = exc.args[0]
    code = error.code()
    if code == KafkaError.INVALID_PRODUCER_EPOCH:
        return not error.txn_requires_abort()
    return code in {KafkaError._FENCED, KafkaError.PRODUCER_FENCED} or (
        code == KafkaError._FATAL and "fenced" in error.str().lower()
    )


def is_transient_delivery_error(error: KafkaError) -> bool:
    return error.retriable() or error.txn_requires_abort() or error.code() in TRANSIENT_DELIVERY_ERRORS


@dataclass(frozen=True)
class DeliveryOptions:
    transactional_id: str
    offsets_topic: str
    exactly_once: bool = False
    boundary: TransactionBoundary = TransactionBoundary.POLL
    interval_s: float = 60.0
    retry_timeout_ms: int = 0  # errors.retry.timeout: -1 retries forever
    transaction_timeout_override_ms: int | None = None  # producer.override.transaction.timeout.ms

    @classmethod
    def from_config(
        cls, config: Mapping[str, str], transactional_id: str, offsets_topic: str, *, default_interval_s: float = 60.0
    ) -> DeliveryOptions:
        """From a connector config: exactly-once when `exactly.once.support=required`."""
        exactly_once = config.get(EXACTLY_ONCE_SUPPORT, "requested").strip().lower() == "required"
        boundary = TransactionBoundary(config.get(TRANSACTION_BOUNDARY, "poll").strip().lower())
        interval_ms = config.get(TRANSACTION_BOUNDARY_INTERVAL_MS, "").strip()
        interval_s = int(interval_ms) / 1000 if interval_ms else default_interval_s
        retry_ms = config.get("errors.retry.timeout", "0").strip() or "0"
        override = _transaction_timeout_override(config.get(TRANSACTION_TIMEOUT_OVERRIDE, ""))
        return cls(transactional_id, offsets_topic, exactly_once, boundary, interval_s, int(retry_ms), override)

    @property
    def transaction_timeout_ms(self) -> int:
        """Long enough for one interval transaction, and for a broker outage that errors.retry.timeout rides out
        (a transactional producer's records time out with the transaction, failing the task, where Kafka Connect's
        source producer never times a record out), within the broker's maximum; the connector's
        producer.override.transaction.timeout.ms when it sets one."""
        if self.transaction_timeout_override_ms is not None:
            return self.transaction_timeout_override_ms
        wanted = int(self.interval_s * 1000) + 60_000 if self.boundary is TransactionBoundary.INTERVAL else 60_000
        retry = MAX_TRANSACTION_TIMEOUT_MS if self.retry_timeout_ms < 0 else self.retry_timeout_ms + 60_000
        return min(MAX_TRANSACTION_TIMEOUT_MS, max(wanted, retry))

    @property
    def pipelined(self) -> bool:
        """Exactly-once with a transaction per poll: the runner alternates two producers (see `producer_config`)."""
        return self.exactly_once and self.boundary is TransactionBoundary.POLL

    def producer_config(self, *, second: bool = False) -> dict[str, Any]:
        """The task's transactional producer; `second`: the one it alternates with when pipelined. The second's
        transactional.id is the first's plus ".1" (a task id is an integer, so no other task's first id ends so):
        while one producer's commit markers are being written, the next transaction runs on the other, which the
        broker would otherwise refuse for that while (CONCURRENT_TRANSACTIONS, retried by librdkafka 20 ms later)."""
        return {
            "transactional.id": f"{self.transactional_id}.1" if second else self.transactional_id,
            "transaction.timeout.ms": self.transaction_timeout_ms,
            "enable.idempotence": True,
            "acks": "all",
            "partitioner": "murmur2_random",
            # librdkafka (2.16) otherwise connects to one broker at a time: when init_transactions() looks for the
            # transaction coordinator just as the bootstrap connection is replaced by the broker it learned, it finds
            # no broker up and asks again only on its 500 ms timer (rdkafka_txnmgr.c); 1 start in 3 paid that here.
            "enable.sparse.connections": False,
        }


def _transaction_timeout_override(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < MIN_TRANSACTION_TIMEOUT_MS:
        raise ConnectError(
            f"Invalid value {raw!r} for configuration {TRANSACTION_TIMEOUT_OVERRIDE}: an integer of milliseconds, at "
            f"least {MIN_TRANSACTION_TIMEOUT_MS} (and at most the broker's transaction.max.timeout.ms) is required"
        )
    return value


class WorkerTransactionContext:
    """Kafka Connect's TransactionContext: a task with connector-defined boundaries asks for commits and aborts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._commit_batch = False
        self._abort_batch = False
        self._commit_records: set[int] = set()
        self._abort_records: set[int] = set()

    def commit_transaction(self, record: SourceRecord | None = None) -> None:
        """Commit after the current batch, or right after `record` is dispatched."""
        with self._lock:
            if record is None:
                self._commit_batch = True
            else:
                self._commit_records.add(id(record))

    def abort_transaction(self, record: SourceRecord | None = None) -> None:
        """Abort after the current batch, or right after `record` (its offsets are still committed)."""
        with self._lock:
            if record is None:
                self._abort_batch = True
            else:
                self._abort_records.add(id(record))

    def should_commit_on(self, record: SourceRecord) -> bool:
        with self._lock:
            return _take(self._commit_records, id(record))

    def should_abort_on(self, record: SourceRecord) -> bool:
        with self._lock:
            return _take(self._abort_records, id(record))

    def should_commit_batch(self) -> bool:
        with self._lock:
            found, self._commit_batch = self._commit_batch, False
            return found

    def should_abort_batch(self) -> bool:
        with self._lock:
            found, self._abort_batch = self._abort_batch, False
            return found


def _take(items: set[int], item: int) -> bool:
    if item in items:
        items.discard(item)
        return True
    return False


class TransactionalSourceTaskContext(RuntimeSourceTaskContext):
    """The task context plus `transaction_context()`, which is None unless boundaries are connector-defined."""

    def __init__(
        self, configs: Mapping[str, str], reader: OffsetStorageReader, transactions: WorkerTransactionContext | None
    ) -> None:
        super().__init__(configs, reader)
        self._transactions = transactions

    def transaction_context(self) -> WorkerTransactionContext | None:
        return self._transactions

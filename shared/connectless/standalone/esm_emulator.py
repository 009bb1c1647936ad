"""A local Lambda Kafka event-source mapping: consume, batch, invoke the handler, commit what succeeded.

It does what the AWS poller does, on a real broker, so standalone mode, local mode and the tests run the same
handler as Lambda:
- consumer group `connect-<connector>` (or ConsumerGroupId); an existing group's offsets win over
  StartingPosition (TRIM_HORIZON, LATEST or AT_TIMESTAMP);
- a batch closes at BatchSize records, after MaximumBatchingWindowInSeconds, or before the event would pass
  6 MB (measured on the JSON the handler receives);
- the event is the byte-exact Lambda Kafka event, and the handler gets it through a JSON round trip; with
  `json_round_trip=False` (in-process runs: standalone mode, the benchmarks) it gets the same event as a
  DecodedKafkaEvent, which also carries the records already decoded, so neither side encodes JSON or base64
  per record beyond building the event's dicts;
- a function error retries the batch (MaximumRetryAttempts, -1 = until it works; capped at 10 when an
  on-failure destination is set, as Lambda does), halving it first with BisectBatchOnFunctionError;
- with ReportBatchItemFailures, each partition is committed up to its failed record and retried from there;
- a batch that exhausts its retries goes to the `kafka://<topic>` on-failure destination (the records
  themselves, with failure headers) or is discarded, and is committed past;
- with MaximumRecordAgeInSeconds (-1, or 60 to 604800), a record whose Kafka timestamp is older than that is
  never sent to the function: at first delivery and before each retry, expired records are given up on
  (destination or discard) and the rest of the batch goes on; a failing batch is retried until it expires;
- offsets are committed only for records that succeeded or were given up on, after the invocation returns,
  asynchronously (as Kafka Connect's sink tasks commit) and settled when idle, on revocation and at stop;
  a commit refused because the group is rebalancing is left out (the partition's next owner gets those
  records again: at least once);
- `seek(offsets)` (standalone mode only: no AWS mapping has it) moves partitions back, for a sink task's
  SinkTaskContext.offset() behind the batch it was given: committed there and delivered again from there;
- `run(should_stop)` stops between invocations: a batch still being retried is left uncommitted, so the next
  start delivers it again;
- with `submit` (the function in a process of its own, as on Lambda), the event's JSON bytes are handed over
  and, while the function runs, the next batch is polled and encoded (as Lambda's poller does outside the
  function); that batch is delivered only after the current one succeeded or was given up on, so offsets
  still move only past records the function finished.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, groupby
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final, cast

import orjson
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from connectless import native
from connectless.connector_config import consumer_group
from connectless.lambda_sink.events import (
    SELF_MANAGED_EVENT_SOURCE,
    decoded_event,
    encode_records,
    encoded_size,
    partition_key,
    partition_size_base,
)
from connectless.raw_records import RawRecord, raws_from_messages
from connectless.runtime.gcpause import gc_paused
from connectless.runtime.lambda_context import EmulatedLambdaContext

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from confluent_kafka import Consumer, Producer

    from connectless.kafka.settings import KafkaSettings

    Invoke = Callable[[Mapping[str, Any], Any], Any]
    # submit(event JSON bytes, context) -> wait(): the function's response, or raises its error.
    Submit = Callable[[bytes, Any], Callable[[], Any]]

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES: Final = 6 * 1024 * 1024
MAX_RETRIES_WITH_DESTINATION: Final = 10
MIN_RECORD_AGE_S: Final = 60
MAX_RECORD_AGE_S: Final = 604800
# Commit errors that mean "the group moved on": the records are redelivered to the partition's new owner.
_REBALANCE_CODES: Final = frozenset(
    {KafkaError.REBALANCE_IN_PROGRESS, KafkaError.ILLEGAL_GENERATION, KafkaError.UNKNOWN_MEMBER_ID,
     KafkaError._ASSIGNMENT_LOST, KafkaError._STATE, KafkaError._NO_OFFSET}
)  # fmt: skip
# A commit that fails for a while (the broker or the group coordinator away): left for the next commit to carry.
_TRANSIENT_CODES: Final = frozenset(
    {KafkaError._WAIT_COORD, KafkaError._TRANSPORT, KafkaError._TIMED_OUT, KafkaError._ALL_BROKERS_DOWN,
     KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
     KafkaError.REQUEST_TIMED_OUT}
)  # fmt: skip
FAILURE_HEADER_PREFIX: Final = "__connectless.esm."
_EVENT_OVERHEAD: Final = 200  # eventSource, bootstrapServers, braces
# A broker restart can forget the group's member (UNKNOWN_MEMBER_ID): the consumer joins again under a new id and
# the coordinator holds the rebalance until the old id's session expires. Kafka's 45 s default left a sink idle that
# long after every restart; 10 s (Kafka's default before 3.0) bounds it, and librdkafka heartbeats from its own thread.
SESSION_TIMEOUT_MS: Final = 10_000
JOIN_TIMEOUT_S: Final = 30.0  # run_until_idle waits this long at most for the group's first assignment
_PREFETCH_IDLE_S: Final = 0.05  # how long polling ahead waits for a first record while the function runs


_topic_partition = attrgetter("topic", "partition")
_offset = attrgetter("offset")


def _never() -> bool:
    return False


def _one_partition(raws: list[RawRecord]) -> bool:
    """Whether all of `raws` are of one partition (in offset order, with connectless.native: a check in C)."""
    fast = native.records
    if fast is not None:
        return bool(fast.one_partition_in_order(raws))
    tps = list(map(_topic_partition, raws))
    return tps.count(tps[0]) == len(tps)


def _fit_one_partition(
    items: list[RawRecord], datas: list[bytes], bases: dict[tuple[str, int], int], room: int, space: int, empty: bool
) -> tuple[int, int] | None:
    """poll_batch's record-by-record fitting for records of one partition, at once: (how many of `items` join the
    batch, the event bytes they add). `datas`: their JSON; `room`: the records the batch has left, `space`: its
    bytes left, `empty`: whether it holds none yet (a first record joins whatever its size). None when the items
    span partitions. The partition's first record in the batch also adds the partition's key."""
    if not items or not _one_partition(items):
        return None
    tp = (items[0].topic, items[0].partition)
    opening = 0
    if tp not in bases:
        bases[tp] = partition_size_base(*tp)
        opening = len(partition_key(*tp)) + 6  # "key":[ ... ] and a comma
    # each record adds its JSON and a comma; records join while the event stays within the payload limit
    lengths = list(accumulate(map(len, datas)))  # the first i + 1 records' JSON: lengths[i] + i + 1 with commas
    taken = min(room, bisect_right(range(len(lengths)), space - opening, key=lambda i: lengths[i] + i + 1))
    if taken == 0 and empty:
        taken = 1
    return taken, (opening + lengths[taken - 1] + taken if taken else 0)


class MappingConfigError(ValueError):
    """A setting is outside what Lambda accepts."""


@dataclass(frozen=True)
class MappingConfig:
    """The event-source mapping's settings, with Lambda's names and defaults for Kafka."""

    connector: str
    topics: Sequence[str]
    function_name: str = "connectless-sink"
    batch_size: int = 100
    maximum_batching_window_s: float = 0.5
    starting_position: str = "TRIM_HORIZON"
    starting_position_timestamp_ms: int | None = None
    maximum_retry_attempts: int = -1
    maximum_record_age_s: int = -1
    bisect_batch_on_function_error: bool = False
    report_batch_item_failures: bool = False
    on_failure_destination: str | None = None
    consumer_group_id: str | None = None
    event_source: str = SELF_MANAGED_EVENT_SOURCE
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    function_timeout_s: float = 300.0
    retry_delay_s: float = 0.5

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 10000:
            raise MappingConfigError("BatchSize must be between 1 and 10000")
        if not 0 <= self.maximum_batching_window_s <= 300:
            raise MappingConfigError("MaximumBatchingWindowInSeconds must be between 0 and 300")
        if self.starting_position not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
            raise MappingConfigError("StartingPosition must be TRIM_HORIZON, LATEST or AT_TIMESTAMP")
        if self.starting_position == "AT_TIMESTAMP" and self.starting_position_timestamp_ms is None:
            raise MappingConfigError("StartingPosition AT_TIMESTAMP needs StartingPositionTimestamp")
        if not -1 <= self.maximum_retry_attempts <= 10000:
            raise MappingConfigError("MaximumRetryAttempts must be between -1 and 10000")
        age = self.maximum_record_age_s
        if age != -1 and not MIN_RECORD_AGE_S <= age <= MAX_RECORD_AGE_S:
            raise MappingConfigError(
                f"MaximumRecordAgeInSeconds must be -1 or between {MIN_RECORD_AGE_S} and {MAX_RECORD_AGE_S}"
            )
        if self.on_failure_destination and not self.on_failure_destination.startswith("kafka://"):
            raise MappingConfigError("only kafka://<topic> on-failure destinations are emulated")
        if self.destination_topic in self.topics:
            raise MappingConfigError("the on-failure destination may not be a source topic")

    @property
    def group_id(self) -> str:
        return self.consumer_group_id or consumer_group(self.connector)

    @property
    def destination_topic(self) -> str | None:
        dest = self.on_failure_destination
        return dest.removeprefix("kafka://") if dest else None

    @property
    def retry_limit(self) -> int | None:
        """Retries after the first attempt; None = until it works."""
        if self.maximum_retry_attempts >= 0:
            return self.maximum_retry_attempts
        return MAX_RETRIES_WITH_DESTINATION if self.on_failure_destination else None


@dataclass
class MappingStats:
    batches: int = 0
    invocations: int = 0
    function_errors: int = 0
    records_succeeded: int = 0
    records_to_destination: int = 0
    records_discarded: int = 0
    records_expired: int = 0  # older than MaximumRecordAgeInSeconds (also counted where they went)
    payload_sizes: list[int] = field(default_factory=list)


@dataclass
class _Pending:
    """Records still to deliver, with their JSON form and size, and how often they were retried."""

    raws: list[RawRecord]
    attempts: int = 0
    last_error: str = ""


class EventSourceMappingEmulator:
    """Runs one mapping: `run_once()` delivers one batch; `run(should_stop)` loops.

    Example:
        esm = EventSourceMappingEmulator(settings, MappingConfig("s3-sink", ["orders"]), app.lambda_handler)
        esm.start()
        esm.run_until_idle()
        esm.stop()
    """

    def __init__(
        self,
        settings: KafkaSettings,
        config: MappingConfig,
        invoke: Invoke,
        *,
        sleep: Callable[[float], None] = time.sleep,
        json_round_trip: bool = True,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        submit: Submit | None = None,
    ) -> None:
        if submit is not None and not json_round_trip:
            raise ValueError("submit hands the function the event's JSON bytes: it needs json_round_trip=True")
        self.settings = settings
        self.config = config
        self.invoke = invoke
        self.stats = MappingStats()
        self._sleep = sleep
        self._json_round_trip = json_round_trip
        self._clock_ms = clock_ms
        self._should_stop: Callable[[], bool] = _never
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._carry: list[tuple[RawRecord, bytes]] = []  # polled but not fitting the last batch
        # id(batch) -> (the batch, each record's event JSON, or without the JSON round trip its length): kept for
        # the batch being delivered and the one polled ahead, a list beside each (no per-record bookkeeping)
        self._kept: dict[int, tuple[list[RawRecord], list[Any]]] = {}
        self._unsettled: dict[tuple[str, int], int] = {}  # offsets committed asynchronously, not yet settled
        self._commit_error: KafkaError | None = None  # an asynchronous commit refused for another reason
        self._submit = submit
        self._prefetched: list[RawRecord] = []  # polled while the function ran: the next batch
        self._prebuilt: tuple[list[RawRecord], bytes] | None = None  # that batch's event, built while it waited
        # With submit: the batch just delivered (and its JSON), freed once the next one is submitted, while the
        # function runs (freeing 10,000 records and their JSON took ~3 ms between two invocations)
        self._spent: list[Any] = []
        self._joined = True  # False from start() until the group first assigns partitions
        self._seeks: dict[tuple[str, int], int] = {}  # asked for during an invocation: applied when it returns

    # -- consuming -----------------------------------------------------------------------------------
    def start(self) -> None:
        reset = "latest" if self.config.starting_position == "LATEST" else "earliest"
        self._consumer = self.settings.consumer(
            self.config.group_id,
            **{"enable.auto.commit": False, "auto.offset.reset": reset, "enable.partition.eof": False,
               "on_commit": self._on_commit, "session.timeout.ms": SESSION_TIMEOUT_MS},
        )  # fmt: skip
        self._joined = False
        self._consumer.subscribe(list(self.config.topics), on_assign=self._on_assign, on_revoke=self._on_revoke)

    def _on_revoke(self, _consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        """Records polled but not delivered from a partition that leaves: its next owner reads them again."""
        gone = {(p.topic, p.partition) for p in partitions}
        self._carry = [(r, b) for r, b in self._carry if (r.topic, r.partition) not in gone]
        if self._prefetched:
            kept = [r for r in self._prefetched if (r.topic, r.partition) not in gone]
            if len(kept) != len(self._prefetched):
                self._replace_prefetched(kept)
        self.settle_commits(gone)

    def _on_assign(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        """AT_TIMESTAMP applies only where the group has no committed offset: an existing group's offsets win."""
        self._joined = True
        self._carry = [(r, b) for r, b in self._carry if any(r.topic == p.topic and r.partition == p.partition
                                                                for p in partitions)]  # fmt: skip
        if self.config.starting_position != "AT_TIMESTAMP":
            return
        committed = consumer.committed(partitions, timeout=30)
        fresh = [KafkaTopicPartition(p.topic, p.partition, self.config.starting_position_timestamp_ms or 0)
                 for p in committed if p.offset < 0]  # fmt: skip
        if not fresh:
            return
        positions = {(p.topic, p.partition): p.offset for p in consumer.offsets_for_times(fresh, timeout=30)}
        for p in partitions:
            offset = positions.get((p.topic, p.partition))
            if offset is not None:
                p.offset = offset if offset >= 0 else -1  # -1: past the end (no record that new yet)
        consumer.assign(partitions)

    def poll_batch(self, idle_timeout: float = 1.0) -> list[RawRecord]:
        """One batch: up to BatchSize records, within the batching window and the payload limit. Each record's
        event JSON (or its length) is kept beside it until the batch is delivered (`_kept_for`)."""
        consumer = self._require_consumer()
        batch_size, round_trip = self.config.batch_size, self._json_round_trip
        batch: list[RawRecord] = []
        each: list[Any] = []  # beside batch: each record's JSON (round trip) or its length
        size = _EVENT_OVERHEAD + len(self.settings.bootstrap_servers)
        # (topic, partition) -> the size its records share (partition_size_base); a key's cost is counted once.
        bases: dict[tuple[str, int], int] = {}
        window_end: float | None = None
        first_wait_end = time.monotonic() + idle_timeout
        while len(batch) < batch_size:
            datas: list[bytes] | None  # each item's JSON (round trip), or None: counted without encoding
            if self._carry:  # records carried over (already encoded with the round trip)
                items = [raw for raw, _ in self._carry]
                datas = [data for _, data in self._carry] if round_trip else None
                self._carry = []
            else:
                now = time.monotonic()
                end = window_end if window_end is not None else first_wait_end
                if now >= end:
                    break
                items = self._consume(consumer, batch_size - len(batch), min(0.1, end - now))
                datas = encode_records(items) if round_trip else None
            size, full = self._add(batch, each, items, datas, size, bases)
            if full:
                break
            if batch and window_end is None:
                window_end = time.monotonic() + self.config.maximum_batching_window_s
        if batch:
            self._kept[id(batch)] = (batch, each)
        return batch

    def _add(
        self,
        batch: list[RawRecord],
        each: list[Any],
        items: list[RawRecord],
        datas: list[bytes] | None,
        size: int,
        bases: dict[tuple[str, int], int],
    ) -> tuple[int, bool]:
        """Append to `batch` what of `items` fits in it (and to `each` their JSON, or its length); the rest is carried
        to the next batch. Returns the event's size and whether the batch is full (something was carried)."""
        cfg = self.config
        batch_size, max_bytes = cfg.batch_size, cfg.max_payload_bytes
        if datas is not None:
            fitted = _fit_one_partition(items, datas, bases, batch_size - len(batch), max_bytes - size, not batch)
            if fitted is not None:  # the common case: a chunk of one partition, fitted at once
                taken, added = fitted
                batch.extend(items[:taken])
                each.extend(datas[:taken])
                if taken < len(items):
                    self._carry = list(zip(items[taken:], datas[taken:], strict=True))
                    return size + added, True
                return size + added, False
        last_tp, base = ("", -1), 0
        for index, raw in enumerate(items):
            extra = 1
            tp = (raw.topic, raw.partition)
            if tp != last_tp:
                found = bases.get(tp)
                if found is None:  # the partition's first record (a carried one returns the batch)
                    base = bases[tp] = partition_size_base(*tp)
                    extra += len(partition_key(*tp)) + 6
                else:
                    base = found
                last_tp = tp
            if datas is not None:
                data = datas[index]
                length = len(data)
            else:  # the same length, counted without encoding
                data, length = b"", encoded_size(raw, base)
            extra += length
            if len(batch) >= batch_size or (batch and size + extra > max_bytes):
                rest = datas[index:] if datas is not None else [b""] * (len(items) - index)
                self._carry = list(zip(items[index:], rest, strict=True))
                return size, True
            batch.append(raw)
            each.append(data if datas is not None else length)  # encoded once: the event is made of these bytes
            size += extra
        return size, False

    def _consume(self, consumer: Consumer, count: int, timeout: float) -> list[RawRecord]:
        return raws_from_messages(consumer.consume(count, max(timeout, 0.0)))

    # -- delivering ------------------------------------------------------------------------------------
    def run_once(self, idle_timeout: float = 1.0) -> int:
        """Poll and deliver one batch (with its retries); returns how many records it held."""
        batch, self._prefetched = self._prefetched, []
        if not batch:
            with gc_paused():  # a RawRecord per message, none in a cycle (each invocation pauses it again)
                batch = self.poll_batch(idle_timeout)
        if not batch:
            self._spent.clear()
            self.settle_commits()  # idle: what was delivered is committed for all to see
            return 0
        self.stats.batches += 1
        try:
            self._deliver(_Pending(batch))
        finally:
            self._forget(batch)
        if self._submit is not None and self._prefetched:  # the next invocation follows at once: free it then
            self._spent.append(batch)
        return len(batch)

    def _forget(self, batch: list[RawRecord]) -> None:
        """Drop what was kept beside a delivered batch: a polled-ahead batch keeps its own until it is delivered."""
        if not self._prefetched:
            self._kept.clear()
            self._prebuilt = None
        else:
            kept = self._kept.pop(id(batch), None)
            if kept is not None and self._submit is not None:
                self._spent.append(kept)

    def _kept_for(self, raws: list[RawRecord]) -> list[Any] | None:
        """Each record's event JSON (or its length) as poll_batch kept it, when `raws` is a batch it returned (a
        retried part of one, or what a seek or a revocation left of one, is encoded again: the same bytes)."""
        found = self._kept.get(id(raws))
        return found[1] if found is not None and found[0] is raws else None

    def _replace_prefetched(self, rest: list[RawRecord]) -> None:
        self._kept.pop(id(self._prefetched), None)
        self._prebuilt = None
        self._prefetched = rest

    def run(self, should_stop: Callable[[], bool], idle_timeout: float = 0.2) -> None:
        """Deliver batches until `should_stop()`, which is also asked before each retry of a failing batch."""
        self._should_stop = should_stop
        try:
            while not should_stop():
                self.run_once(idle_timeout)
        finally:
            self._should_stop = _never

    def run_until_idle(self, idle_timeout: float = 1.0, max_batches: int = 100000) -> int:
        """Deliver batches until none arrives within `idle_timeout`; returns the records delivered."""
        total = 0
        joining_until = time.monotonic() + JOIN_TIMEOUT_S
        for _ in range(max_batches):
            count = self.run_once(idle_timeout)
            if count == 0:
                if not self._joined and time.monotonic() < joining_until:
                    continue  # the group is still joining: no record could have come yet, so this is no idleness
                break
            total += count
        return total

    def _deliver(self, first: _Pending) -> None:
        queue = [first]
        invoked = False
        while queue:
            pending = queue.pop(0)
            if invoked and self._should_stop():
                left = sum(len(p.raws) for p in (pending, *queue))
                log.info("stopping with %d records of a failing batch left uncommitted", left)
                return
            pending = self._drop_expired(pending)
            if not pending.raws:
                continue
            if self._too_large(pending):
                self._give_up(pending, "payload larger than the invocation limit")
                continue
            failed_error, failures = self._invoke(pending.raws)
            invoked = True
            if self._seeks:
                pending, failures = self._apply_seeks(pending, failures)
                if failed_error is None and not pending.raws:
                    continue
            if failed_error is None and not failures:
                self._commit(pending.raws)
                self.stats.records_succeeded += len(pending.raws)
                continue
            if failed_error is None:  # ReportBatchItemFailures: commit each partition up to its failure
                done = [r for r in pending.raws if r.offset < failures.get((r.topic, r.partition), 1 << 62)]
                retry = [r for r in pending.raws if r.offset >= failures.get((r.topic, r.partition), 1 << 62)]
                self._commit(done)
                self.stats.records_succeeded += len(done)
                pending = _Pending(retry, pending.attempts, "batch item failures reported")
            else:
                pending.last_error = failed_error
            if failed_error is not None and self.config.bisect_batch_on_function_error and len(pending.raws) > 1:
                # Splitting does not count against the retry quota: each half keeps the batch's attempts.
                half = len(pending.raws) // 2
                queue[:0] = [
                    _Pending(pending.raws[:half], pending.attempts, pending.last_error),
                    _Pending(pending.raws[half:], pending.attempts, pending.last_error),
                ]
                continue
            limit = self.config.retry_limit
            if limit is not None and pending.attempts >= limit:
                self._give_up(pending, pending.last_error)
                continue
            pending.attempts += 1
            if not self._should_stop():
                self._sleep(self.config.retry_delay_s)
            queue.insert(0, pending)

    def seek(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Deliver these partitions again from these offsets (asked during an invocation, applied once it returns)."""
        self._seeks.update(offsets)

    def _apply_seeks(
        self, pending: _Pending, failures: dict[tuple[str, int], int]
    ) -> tuple[_Pending, dict[tuple[str, int], int]]:
        """Move the sought partitions back and commit there, as Kafka Connect's rewind does: the batch (and its
        failures) without those partitions, whose records come again."""
        seeks, self._seeks = self._seeks, {}
        consumer = self._require_consumer()
        self.settle_commits(set(seeks))
        for (topic, partition), offset in seeks.items():
            consumer.seek(KafkaTopicPartition(topic, partition, offset))
        offsets = [KafkaTopicPartition(topic, partition, offset) for (topic, partition), offset in seeks.items()]
        consumer.commit(offsets=offsets, asynchronous=False)
        self._carry = [(r, b) for r, b in self._carry if (r.topic, r.partition) not in seeks]
        if self._prefetched:
            self._replace_prefetched([r for r in self._prefetched if (r.topic, r.partition) not in seeks])
        rest = [r for r in pending.raws if (r.topic, r.partition) not in seeks]
        return _Pending(rest, pending.attempts, pending.last_error), {
            tp: o for tp, o in failures.items() if tp not in seeks
        }

    def _drop_expired(self, pending: _Pending) -> _Pending:
        """Give up on the records older than MaximumRecordAgeInSeconds; the rest go on, keeping their attempts."""
        age_s = self.config.maximum_record_age_s
        if age_s < 0:
            return pending
        oldest_ms = self._clock_ms() - age_s * 1000
        expired = [r for r in pending.raws if r.timestamp is not None and r.timestamp < oldest_ms]
        if not expired:
            return pending
        reason = f"older than MaximumRecordAgeInSeconds ({age_s})"
        if pending.last_error:
            reason += f" after: {pending.last_error}"
        self.stats.records_expired += len(expired)
        self._give_up(_Pending(expired, pending.attempts, reason), reason, commit=False)
        gone = {id(r) for r in expired}
        live = [r for r in pending.raws if id(r) not in gone]
        # Commit only the expired records no live record of their partition precedes (timestamps need not grow
        # with offsets): the others are committed with the live ones, never ahead of them.
        first_live: dict[tuple[str, int], int] = {}
        for r in live:
            tp = (r.topic, r.partition)
            first_live[tp] = min(r.offset, first_live.get(tp, r.offset))
        self._commit([r for r in expired if r.offset < first_live.get((r.topic, r.partition), 1 << 62)])
        return _Pending(live, pending.attempts, pending.last_error)

    def _invoke(self, raws: list[RawRecord]) -> tuple[str | None, dict[tuple[str, int], int]]:
        """(function error text or None, {(topic, partition): first failed offset})."""
        with gc_paused():  # per invocation, so a batch retried again and again has its garbage collected between
            return self._invoke_paused(raws)

    def _invoke_paused(self, raws: list[RawRecord]) -> tuple[str | None, dict[tuple[str, int], int]]:
        context = EmulatedLambdaContext(
            self.config.function_name, self.config.connector, timeout_s=self.config.function_timeout_s
        )
        self.stats.invocations += 1
        try:
            if self._submit is not None:
                wait = self._submit(self._payload(raws), context)
                self._spent.clear()
                self._poll_ahead()
                response = wait()
            else:
                response = self.invoke(self._event(raws), context)
        except Exception as exc:
            self.stats.function_errors += 1
            log.warning("function error for a batch of %d records: %s", len(raws), exc)
            return f"{type(exc).__name__}: {exc}", {}
        if not self.config.report_batch_item_failures:
            return None, {}
        return self._item_failures(response, raws)

    def _poll_ahead(self) -> None:
        """While the function runs elsewhere: poll and encode the next batch (once), unless stopping."""
        if not self._prefetched and not self._should_stop():
            self._prefetched = batch = self.poll_batch(_PREFETCH_IDLE_S)
            if batch:  # its event too while the function runs: the next invocation only sends it
                self._prebuilt = (batch, self._build_payload(batch))

    def _event(self, raws: list[RawRecord]) -> Mapping[str, Any]:
        if not self._json_round_trip:
            return self._decoded_event(raws)
        event: dict[str, Any] = orjson.loads(self._payload(raws))
        return event

    def _payload(self, raws: list[RawRecord]) -> bytes:
        """The event's JSON bytes, as Lambda's poller sends them (built while polling ahead, for that batch)."""
        prebuilt = self._prebuilt
        if prebuilt is not None and prebuilt[0] is raws:
            payload, self._prebuilt = prebuilt[1], None
        else:
            payload = self._build_payload(raws)
        self.stats.payload_sizes.append(len(payload))
        return payload

    def _build_payload(self, raws: list[RawRecord]) -> bytes:
        datas = self._kept_for(raws)  # as poll_batch encoded them
        if datas is None:
            datas = encode_records(raws)
        grouped: dict[tuple[str, int], list[bytes]] = {}
        if raws and _one_partition(raws):
            grouped[raws[0].topic, raws[0].partition] = cast("list[bytes]", datas)
        else:
            for tp, data in zip(map(_topic_partition, raws), datas, strict=True):
                found = grouped.get(tp)
                if found is None:
                    grouped[tp] = [cast("bytes", data)]
                else:
                    found.append(cast("bytes", data))
        opening = orjson.dumps(self._head())[:-1] + b',"records":{'
        # {head,"records":{"t-0":[r,r],"t-1":[r]}} in one join over the records (the event is megabytes: each
        # concatenation of the whole would copy it again): the records and the partitions are both comma-separated.
        pieces: list[bytes] = []
        for tp, group in grouped.items():
            start = len(pieces)
            pieces.extend(group)
            pieces[start] = orjson.dumps(partition_key(*tp)) + b":[" + pieces[start]
            pieces[-1] += b"]"
        if not pieces:
            return opening + b"}}"
        pieces[0] = opening + pieces[0]
        pieces[-1] += b"}}"
        return b",".join(pieces)

    def _head(self) -> dict[str, Any]:
        head: dict[str, Any] = {"eventSource": self.config.event_source}
        if self.config.event_source == "aws:kafka":
            head["eventSourceArn"] = "arn:aws:kafka:us-east-1:000000000000:cluster/local/local"
        head["bootstrapServers"] = self.settings.bootstrap_servers
        return head

    def _decoded_event(self, raws: list[RawRecord]) -> Mapping[str, Any]:
        """The event `_event` would deliver, as a DecodedKafkaEvent; its payload size is counted, not encoded."""
        grouped: dict[tuple[str, int], list[RawRecord]] = {}
        for tp, run in groupby(raws, key=_topic_partition):  # runs of one partition: one step per run
            found = grouped.get(tp)
            if found is None:
                grouped[tp] = list(run)
            else:
                found.extend(run)
        head = self._head()
        # orjson.dumps(head)[:-1] + ',"records":{' + the partitions, comma-separated + '}}'
        payload = len(orjson.dumps(head)) - 1 + len(b',"records":{') + len(b"}}") + max(len(grouped) - 1, 0)
        batches: dict[str, list[RawRecord]] = {}
        for tp, group in grouped.items():
            key = partition_key(*tp)
            # "key":[record,record]
            payload += len(orjson.dumps(key)) + len(b":[]") + len(group) - 1
            batches[key] = group  # a key seen twice keeps its last list, as decoding the JSON object would
        lengths = self._kept_for(raws)  # counted by poll_batch
        payload += sum(lengths) if lengths is not None else sum(map(encoded_size, raws))
        self.stats.payload_sizes.append(payload)
        return decoded_event(head, batches, consumed=True)

    def _item_failures(self, response: Any, raws: list[RawRecord]) -> tuple[str | None, dict[tuple[str, int], int]]:
        """Lambda treats a malformed response, or one naming a record not in the batch, as a failed batch."""
        if response is None:
            return None, {}
        items = response.get("batchItemFailures") if isinstance(response, dict) else None
        if items is None or not isinstance(items, list):
            return None, {}
        offsets: dict[tuple[Any, Any], tuple[str, int]] = {
            (partition_key(r.topic, r.partition), r.offset): (r.topic, r.partition) for r in raws
        }
        failures: dict[tuple[str, int], int] = {}
        for item in items:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not isinstance(ident, dict):
                return "malformed batchItemFailures", {}
            tp = offsets.get((ident.get("partition"), ident.get("offset")))
            if tp is None:
                return f"batchItemFailures names a record not in the batch: {ident}", {}
            failures[tp] = min(int(ident["offset"]), failures.get(tp, 1 << 62))
        return None, failures

    def _too_large(self, pending: _Pending) -> bool:
        if len(pending.raws) != 1:
            return False
        return encoded_size(pending.raws[0]) > self.config.max_payload_bytes

    def _give_up(self, pending: _Pending, reason: str, *, commit: bool = True) -> None:
        topic = self.config.destination_topic
        if topic:
            self._send_to_destination(topic, pending, reason)
            self.stats.records_to_destination += len(pending.raws)
        else:
            log.error("discarding %d records after %d retries: %s", len(pending.raws), pending.attempts, reason)
            self.stats.records_discarded += len(pending.raws)
        if commit:
            self._commit(pending.raws)

    def _send_to_destination(self, topic: str, pending: _Pending, reason: str) -> None:
        from connectless.kafka.admin import TopicSpec, ensure_topic

        ensure_topic(self.settings, TopicSpec(topic))
        if self._producer is None:
            self._producer = self.settings.producer(**{"acks": "all", "enable.idempotence": True})
        errors: list[Any] = []

        def delivered(err: Any, _msg: Any) -> None:
            if err is not None:
                errors.append(err)

        for raw in pending.raws:
            headers = [
                *raw.headers,
                (FAILURE_HEADER_PREFIX + "reason", reason.encode()),
                (FAILURE_HEADER_PREFIX + "attempts", str(pending.attempts + 1).encode()),
                (FAILURE_HEADER_PREFIX + "function", self.config.function_name.encode()),
                (FAILURE_HEADER_PREFIX + "topic", raw.topic.encode()),
                (FAILURE_HEADER_PREFIX + "partition", str(raw.partition).encode()),
                (FAILURE_HEADER_PREFIX + "offset", str(raw.offset).encode()),
            ]
            extra = {"timestamp": raw.timestamp} if raw.timestamp is not None else {}
            self._producer.produce(topic, raw.value, raw.key, headers=headers, on_delivery=delivered, **extra)  # type: ignore[arg-type]
        if self._producer.flush(30) > 0 or errors:
            raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, f"on-failure destination {topic}: {errors}"))

    def _commit(self, raws: Sequence[RawRecord]) -> None:
        """Commit past `raws`, asynchronously as Kafka Connect's sink tasks do: the commits of one partition land in
        order, and `settle_commits` waits for them (when idle, on revocation, at stop). A commit refused because
        the group rebalances is left out (the records come again); any other refusal raises at the next commit."""
        self._raise_commit_error()
        if not raws:
            return
        offsets: dict[tuple[str, int], int] = {}
        fast = native.records
        if fast is not None and isinstance(raws, list) and fast.one_partition_in_order(raws):  # one check in C
            offsets[raws[0].topic, raws[0].partition] = max(0, raws[-1].offset + 1)
        else:
            for tp, run in groupby(raws, key=_topic_partition):  # runs of one partition, each in offset order
                offsets[tp] = max(offsets.get(tp, 0), max(map(_offset, run)) + 1)
        consumer = self._require_consumer()
        try:
            consumer.commit(offsets=[KafkaTopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=True)
        except KafkaException as exc:
            self._refused(exc, offsets)
            return
        self._unsettled.update(offsets)

    def settle_commits(self, partitions: set[tuple[str, int]] | None = None) -> None:
        """Wait until the commits sent for `partitions` (all by default) are acknowledged: the same offsets are
        committed again synchronously, which completes after the asynchronous ones before it."""
        if self._consumer is None:
            return
        offsets = {tp: o for tp, o in self._unsettled.items() if partitions is None or tp in partitions}
        for tp in offsets:
            del self._unsettled[tp]
        if offsets:
            try:
                self._consumer.commit(
                    offsets=[KafkaTopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False
                )
            except KafkaException as exc:
                if _transient(exc):  # kept: the next settle commits them (until then a restart redelivers)
                    log.warning("commit of %s failed for now (%s): kept for the next commit", offsets, exc)
                    for tp, offset in offsets.items():
                        self._unsettled[tp] = max(offset, self._unsettled.get(tp, 0))
                else:
                    self._refused(exc, offsets)
        self._raise_commit_error()

    def _on_commit(self, error: KafkaError | None, _partitions: list[KafkaTopicPartition]) -> None:
        if error is None:
            return
        if error.code() in _TRANSIENT_CODES:
            log.warning("a commit failed for now (%s): the next commit carries its offsets", error.str())
        elif error.code() not in _REBALANCE_CODES and self._commit_error is None:
            self._commit_error = error
        else:
            log.warning("a commit was refused while the group rebalances (%s): the records come again", error.str())

    def _raise_commit_error(self) -> None:
        error, self._commit_error = self._commit_error, None
        if error is not None:
            raise KafkaException(error)

    @staticmethod
    def _refused(exc: KafkaException, offsets: Mapping[tuple[str, int], int]) -> None:
        error = exc.args[0] if exc.args else None
        if not isinstance(error, KafkaError) or error.code() not in _REBALANCE_CODES:
            raise exc
        log.warning("commit of %s refused while the group rebalances (%s): the records come again",
                    offsets, error.str())  # fmt: skip

    def _require_consumer(self) -> Consumer:
        if self._consumer is None:
            raise RuntimeError("the event-source mapping emulator is not started")
        return self._consumer

    def stop(self) -> None:
        """Settle the commits, then leave the group."""
        self._spent.clear()
        try:
            self.settle_commits()
        finally:
            if self._producer is not None:
                self._producer.flush(10)
                self._producer = None
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None


def _transient(exc: KafkaException) -> bool:
    error = exc.args[0] if exc.args else None
    return isinstance(error, KafkaError) and error.code() in _TRANSIENT_CODES

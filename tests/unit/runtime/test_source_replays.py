"""An exactly-once source whose transaction is aborted (timed out by its coordinator, records timed out in a broker
outage) replays from its committed offsets within errors.retry.timeout, and fails with a clear message beyond it.

The policy runs here on a stand-in transactional producer that commits into an in-memory offsets log, so each
case takes milliseconds; the same path on the real broker (an outage longer than transaction.timeout.ms) is
tests/integration/faults/test_broker_outage.py. Each case runs twice: with one producer, and pipelined (a
transaction per poll on two producers that take turns, the next poll running while the previous transaction
commits)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from connectless.connector import SourceTask
from connectless.errors.exceptions import ConnectError
from connectless.kafka.settings import KafkaSettings
from connectless.lambda_source.handler import SourceBudget, SourceTaskFailedError, SourceTaskHandler
from connectless.records import SourceRecord
from connectless.runtime.source_runner import SourceTaskRunner
from connectless.runtime.source_transactions import (
    TRANSACTION_TIMEOUT_OVERRIDE,
    DeliveryOptions,
    is_fenced,
)
from connectless.storage import MemoryLog
from connectless.storage.offsets import OffsetStore

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

SETTINGS = KafkaSettings("127.0.0.1:1")  # never contacted: the producer is the stand-in below
OFFSETS_TOPIC = "offsets"
TOTAL, BATCH = 40, 10
CONFIG = {
    "name": "replayed",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "exactly.once.support": "required",
}


def timed_out_transaction() -> KafkaException:
    """How librdkafka reports a transaction that its coordinator aborted on timeout: abortable, not fatal."""
    return KafkaException(
        KafkaError(KafkaError.INVALID_PRODUCER_EPOCH, "transaction timed out", txn_requires_abort=True)
    )


class Cluster:
    """What the stand-in producers share: the committed records, the offsets log, and the faults to inject."""

    def __init__(self) -> None:
        self.offsets_log = MemoryLog()
        self.committed: list[str] = []
        self.failing_commits = 0  # the next N commits raise an abortable error
        self.timing_out_transactions = 0  # the records of the next N transactions time out
        self.inits = 0
        self.aborts = 0
        self.pipelined = False  # runners get a second producer (transaction.boundary=poll)


class TransactionalProducer:
    """A transactional producer as the runner drives it: records wait in the open transaction, delivery reports come
    at poll/flush, and commit_transaction makes them (and the offsets, into the offsets log) visible at once."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.open: list[tuple[str, bytes | None, bytes | None]] = []
        self.reports: list[tuple[Callable[[Any, Any], None], Any]] = []
        self.times_out = False

    def init_transactions(self, _timeout: float | None = None) -> None:
        self.cluster.inits += 1

    def begin_transaction(self) -> None:
        self.open = []
        self.times_out = self.cluster.timing_out_transactions > 0
        if self.times_out:
            self.cluster.timing_out_transactions -= 1

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None, partition: int = -1,
                on_delivery: Callable[[Any, Any], None] | None = None, *_: Any) -> None:  # fmt: skip
        self.open.append((topic, key, value))
        if on_delivery is not None:
            error = KafkaError(KafkaError._MSG_TIMED_OUT, "Local: Message timed out") if self.times_out else None
            self.reports.append((on_delivery, error))

    def poll(self, _timeout: float = 0) -> int:
        reports, self.reports = self.reports, []
        for callback, error in reports:
            callback(error, Delivered())
        return len(reports)

    def flush(self, _timeout: float = 0) -> int:
        self.poll()
        return 0

    def commit_transaction(self, _timeout: float | None = None) -> None:
        if self.cluster.failing_commits > 0:
            self.cluster.failing_commits -= 1
            raise timed_out_transaction()
        for topic, key, value in self.open:
            if topic == OFFSETS_TOPIC:
                assert key is not None
                self.cluster.offsets_log.send(key, value)
            else:
                self.cluster.committed.append((value or b"").decode())
        self.open = []

    def abort_transaction(self, _timeout: float | None = None) -> None:
        self.cluster.aborts += 1
        self.open = []
        self.reports = []


class Delivered:
    def topic(self) -> str:
        return "numbers"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return 0

    def timestamp(self) -> tuple[int, int]:
        return (0, 0)


class CountingTask(SourceTask):
    """Counts 0..TOTAL-1 in batches, from the offset it finds committed."""

    starts: list[int]

    def start(self, props: Mapping[str, str]) -> None:
        found = self.context.offset_storage_reader.offset({"p": 0})
        self.next = 0 if found is None else int(found["n"]) + 1
        CountingTask.starts.append(self.next)

    def poll(self) -> list[SourceRecord] | None:
        batch = range(self.next, min(TOTAL, self.next + BATCH))
        self.next = batch.stop
        return [SourceRecord("numbers", None, None, None, None, str(n), source_partition={"p": 0},
                             source_offset={"n": n}) for n in batch] or None  # fmt: skip

    def stop(self) -> None:
        pass


class Handler(SourceTaskHandler):
    """The source handler with runners on the stand-in producer (two when the cluster says pipelined)."""

    def __init__(self, cluster: Cluster) -> None:
        offsets = OffsetStore(cluster.offsets_log)
        offsets.start()
        budget = SourceBudget(safety_margin_s=0.0, max_idle_s=0.05, default_run_s=20.0)
        super().__init__(SETTINGS, None, offsets, None, budget=budget, keep_warm=False)
        self.cluster = cluster

    def _runner(self, connector: str, task_id: int, config: Mapping[str, str],
                task_config: Mapping[str, str]) -> SourceTaskRunner:  # fmt: skip
        delivery = DeliveryOptions.from_config(config, f"test-{connector}-{task_id}", OFFSETS_TOPIC)
        return SourceTaskRunner(connector, task_id, CountingTask(), task_config, config, SETTINGS, self.offsets,
                                producer=TransactionalProducer(self.cluster), delivery=delivery,  # type: ignore[arg-type]
                                second_producer=second(self.cluster, TransactionalProducer))  # fmt: skip


def second(cluster: Cluster, kind: Callable[[Cluster], Any]) -> Any:
    """The producer the runner alternates with, when the case runs pipelined."""
    return kind(cluster) if cluster.pipelined else None


@pytest.fixture(params=[False, True], ids=["one-producer", "pipelined"])
def cluster(request: pytest.FixtureRequest) -> Cluster:
    CountingTask.starts = []
    made = Cluster()
    made.pipelined = request.param
    return made


def run(cluster: Cluster, **config: str) -> Any:
    handler = Handler(cluster)
    return handler, handler.run({**CONFIG, **config}, {}, 0)


def test_a_transaction_the_coordinator_aborted_is_replayed_from_the_committed_offsets(cluster: Cluster) -> None:
    cluster.failing_commits = 1
    handler, result = run(cluster, **{"errors.retry.timeout": "10000"})
    assert result.outcome == "RAN" and handler.task_failures == 0
    assert cluster.committed == [str(n) for n in range(TOTAL)]  # each record once, none lost
    assert CountingTask.starts == [0, 0]  # the first commit failed: the task restarted from nothing committed
    # a fresh producer claimed the transactional.id (fencing the old one); pipelined: both of the task's ids
    assert cluster.inits == (4 if cluster.pipelined else 2)
    assert result.records_out == TOTAL


def test_records_timed_out_in_an_outage_abort_their_transaction_and_are_replayed(cluster: Cluster) -> None:
    cluster.timing_out_transactions = 1
    CountingTask.starts = []
    # the first transaction commits, the second one's records time out
    handler = Handler(cluster)
    handler.run({**CONFIG, "errors.retry.timeout": "10000", "transaction.boundary": "poll"}, {}, 0)
    assert cluster.committed == [str(n) for n in range(TOTAL)]
    assert CountingTask.starts == [0, 0] and cluster.aborts >= 1 and handler.task_failures == 0


def test_a_replay_starts_after_the_last_committed_transaction(cluster: Cluster) -> None:
    class FailSecond(TransactionalProducer):
        commits = 0

        def commit_transaction(self, _timeout: float | None = None) -> None:
            FailSecond.commits += 1
            if FailSecond.commits == 2:
                raise timed_out_transaction()
            super().commit_transaction()

    handler = Handler(cluster)
    handler._runner = lambda c, t, config, task_config: SourceTaskRunner(  # type: ignore[method-assign]
        c, t, CountingTask(), task_config, config, SETTINGS, handler.offsets, producer=FailSecond(cluster),  # type: ignore[arg-type]
        second_producer=second(cluster, FailSecond),
        delivery=DeliveryOptions.from_config(config, "test", OFFSETS_TOPIC))  # fmt: skip
    result = handler.run({**CONFIG, "errors.retry.timeout": "10000"}, {}, 0)
    assert CountingTask.starts == [0, BATCH]  # batch 0 committed; the replay restarts at the aborted batch
    assert cluster.committed == [str(n) for n in range(TOTAL)] and result.outcome == "RAN"


@pytest.mark.parametrize("tolerance", ["none", "all"])
def test_beyond_errors_retry_timeout_the_task_fails_with_a_clear_message(cluster: Cluster, tolerance: str) -> None:
    cluster.failing_commits = 10_000
    handler = Handler(cluster)
    config = {**CONFIG, "errors.retry.timeout": "1000", "errors.retry.delay.max.ms": "200",
              "errors.tolerance": tolerance}  # fmt: skip
    with pytest.raises(SourceTaskFailedError) as failed:
        handler.run(config, {}, 0)
    message = str(failed.value)
    assert "errors.retry.timeout=1000 ms allows no more" in message
    assert "transaction timed out" in message and "producer.override.transaction.timeout.ms" in message
    assert cluster.committed == [] and handler.task_failures == 1
    assert len(CountingTask.starts) >= 3  # it did replay while the window lasted


def test_without_errors_retry_timeout_the_first_abort_fails_the_task(cluster: Cluster) -> None:
    cluster.failing_commits = 1
    handler = Handler(cluster)
    with pytest.raises(SourceTaskFailedError, match="errors.retry.timeout=0 ms allows no more"):
        handler.run(CONFIG, {}, 0)
    assert CountingTask.starts == [0]


def test_an_invocation_out_of_time_returns_aborted_and_the_next_one_replays(cluster: Cluster) -> None:
    cluster.failing_commits = 1
    handler = Handler(cluster)
    config = {**CONFIG, "errors.retry.timeout": "60000", "errors.retry.delay.max.ms": "60000"}
    first = handler.run(config, {}, 0, remaining_s=lambda: 0.2)  # less than the replay's first backoff (0.3 s)
    assert first.outcome == "ABORTED" and cluster.committed == [] and handler.task_failures == 0
    second = handler.run(config, {}, 0)
    assert second.outcome == "RAN" and cluster.committed == [str(n) for n in range(TOTAL)]
    assert not handler._replaying  # the window closed with the successful commit


def test_an_abortable_epoch_error_is_a_timed_out_transaction_not_a_fence() -> None:
    assert not is_fenced(timed_out_transaction())
    assert is_fenced(KafkaException(KafkaError(KafkaError.INVALID_PRODUCER_EPOCH, "old epoch", fatal=True)))
    assert is_fenced(KafkaException(KafkaError(KafkaError.PRODUCER_FENCED, "fenced", fatal=True)))


def test_the_connector_may_set_its_producers_transaction_timeout() -> None:
    options = DeliveryOptions.from_config({TRANSACTION_TIMEOUT_OVERRIDE: "5000", "errors.retry.timeout": "600000"},
                                          "t", OFFSETS_TOPIC)  # fmt: skip
    assert options.transaction_timeout_ms == 5000
    assert options.producer_config()["transaction.timeout.ms"] == 5000
    for bad in ("999", "soon", "-1"):
        with pytest.raises(
            ConnectError, match=f"Invalid value '{bad}' for configuration {TRANSACTION_TIMEOUT_OVERRIDE}"
        ):
            DeliveryOptions.from_config({TRANSACTION_TIMEOUT_OVERRIDE: bad}, "t", OFFSETS_TOPIC)


class IdempotentProducer(TransactionalProducer):
    """At-least-once: no transaction; a record is in the topic once acknowledged, or refused with `refusal`."""

    def __init__(self, cluster: Cluster, refusals: list[KafkaError]) -> None:
        super().__init__(cluster)
        self.refusals = refusals

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None, partition: int = -1,
                on_delivery: Callable[[Any, Any], None] | None = None, *_: Any) -> None:  # fmt: skip
        error = self.refusals.pop(0) if self.refusals else None
        if error is None:
            self.cluster.committed.append((value or b"").decode())
        if on_delivery is not None:
            self.reports.append((on_delivery, error))


def at_least_once_handler(cluster: Cluster, refusals: list[KafkaError]) -> Handler:
    handler = Handler(cluster)
    handler._runner = lambda c, t, config, task_config: SourceTaskRunner(  # type: ignore[method-assign]
        c, t, CountingTask(), task_config, config, SETTINGS, handler.offsets,
        producer=IdempotentProducer(cluster, refusals))  # type: ignore[arg-type]  # fmt: skip
    return handler


def test_at_least_once_records_timed_out_are_replayed_none_lost(cluster: Cluster) -> None:
    timed_out = [KafkaError(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")] * 3
    handler = at_least_once_handler(cluster, [None, *timed_out])  # type: ignore[list-item]
    config = {**CONFIG, "exactly.once.support": "requested", "errors.retry.timeout": "10000"}
    result = handler.run(config, {}, 0)
    assert result.outcome == "RAN" and handler.task_failures == 0
    assert set(cluster.committed) == {str(n) for n in range(TOTAL)}  # none lost (the replay may repeat some)
    assert CountingTask.starts[1:] and CountingTask.starts[-1] == 0


def test_at_least_once_a_record_refused_for_good_fails_the_task_at_once(cluster: Cluster) -> None:
    too_big = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message size too large")
    handler = at_least_once_handler(cluster, [too_big])
    config = {**CONFIG, "exactly.once.support": "requested", "errors.retry.timeout": "10000"}
    with pytest.raises(SourceTaskFailedError, match="Message size too large"):
        handler.run(config, {}, 0)
    assert CountingTask.starts == [0]


def test_an_old_invocation_that_learns_of_its_fence_by_an_abortable_error_stops_without_replaying(
    cluster: Cluster,
) -> None:
    class Fenced(TransactionalProducer):
        def abort_transaction(self, _timeout: float | None = None) -> None:
            raise KafkaException(KafkaError(KafkaError._FENCED, "Producer fenced by newer instance", fatal=True))

    cluster.failing_commits = 1
    handler = Handler(cluster)
    handler._runner = lambda c, t, config, task_config: SourceTaskRunner(  # type: ignore[method-assign]
        c, t, CountingTask(), task_config, config, SETTINGS, handler.offsets, producer=Fenced(cluster),  # type: ignore[arg-type]
        delivery=DeliveryOptions.from_config(config, "test", OFFSETS_TOPIC))  # fmt: skip
    result = handler.run({**CONFIG, "errors.retry.timeout": "10000"}, {}, 0)
    assert result.outcome == "FENCED" and CountingTask.starts == [0]  # a replay would fence the newer one back
    assert handler.task_failures == 0 and cluster.committed == []


def test_a_fence_that_confluent_kafka_raises_as_a_system_error_in_flush_ends_the_run_fenced(cluster: Cluster) -> None:
    class FencedInFlush(TransactionalProducer):
        def flush(self, _timeout: float = 0) -> int:
            try:
                raise KafkaException(KafkaError(KafkaError._FENCED, "Producer fenced by newer instance", fatal=True))
            except KafkaException as fence:  # as confluent-kafka 2.16 surfaces a fence hit inside flush's callbacks
                raise SystemError("<built-in function isinstance> returned a result with an exception set") from fence

    handler = Handler(cluster)
    handler._runner = lambda c, t, config, task_config: SourceTaskRunner(  # type: ignore[method-assign]
        c, t, CountingTask(), task_config, config, SETTINGS, handler.offsets, producer=FencedInFlush(cluster),  # type: ignore[arg-type]
        delivery=DeliveryOptions.from_config(config, "test", OFFSETS_TOPIC))  # fmt: skip
    result = handler.run(CONFIG, {}, 0)
    assert result.outcome == "FENCED" and handler.task_failures == 0 and cluster.committed == []

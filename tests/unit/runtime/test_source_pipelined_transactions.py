"""Exactly-once with a transaction per poll, pipelined: a transaction's flush and commit run on a committer thread
while the task's thread polls the next batch, which goes out on the task's second producer.

On the stand-in transactional producers of test_source_replays (the real broker's side: the SIGKILL and fence tests
of tests/integration/sources/test_source_lambda_faults.py run this path too)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from confluent_kafka import KafkaError
from test_source_replays import (
    BATCH,
    CONFIG,
    OFFSETS_TOPIC,
    SETTINGS,
    TOTAL,
    Cluster,
    CountingTask,
    TransactionalProducer,
)

from connectless.connector import RecordMetadata
from connectless.records import SourceRecord
from connectless.runtime.source_runner import ProduceError, SourceTaskRunner
from connectless.runtime.source_transactions import DeliveryOptions, TaskFencedError, TransactionBoundary
from connectless.storage.offsets import OffsetStore

if TYPE_CHECKING:
    from collections.abc import Callable


class Recording(TransactionalProducer):
    """Counts the transactions each producer commits, and can refuse a record (permanently) or be fenced."""

    def __init__(self, cluster: Cluster, name: str, events: list[tuple[str, Any]]) -> None:
        super().__init__(cluster)
        self.name, self.events = name, events
        self.refuse: str | None = None  # a value whose delivery fails with MSG_SIZE_TOO_LARGE
        self.fenced_at_commit: int | None = None  # this producer's n-th commit finds it fenced

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None, partition: int = -1,
                on_delivery: Callable[[Any, Any], None] | None = None, *_: Any) -> None:  # fmt: skip
        super().produce(topic, value, key, partition, on_delivery)
        if value is not None and value.decode() == self.refuse and on_delivery is not None:
            self.reports[-1] = (on_delivery, KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message too large"))

    def commit_transaction(self, _timeout: float | None = None) -> None:
        commits = sum(1 for event, who in self.events if event == "commit" and who == self.name)
        if self.fenced_at_commit == commits + 1:
            from confluent_kafka import KafkaException

            raise KafkaException(KafkaError(KafkaError._FENCED, "Local: This instance has been fenced", fatal=True))
        super().commit_transaction()
        self.events.append(("commit", self.name))


class HookedTask(CountingTask):
    """Records which thread polls and when each record reaches commit_record and commit."""

    def __init__(self, events: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.events = events
        self.threads: set[int] = set()

    def poll(self) -> list[SourceRecord] | None:
        self.threads.add(threading.get_ident())
        records = super().poll()
        if records:
            self.events.append(("poll", records[0].value))
        return records

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        self.threads.add(threading.get_ident())
        self.events.append(("commit_record", record.value))

    def commit(self) -> None:
        self.threads.add(threading.get_ident())


def runner(cluster: Cluster, events: list[tuple[str, Any]], **config: str) -> tuple[SourceTaskRunner, HookedTask]:
    CountingTask.starts = []
    offsets = OffsetStore(cluster.offsets_log)
    offsets.start()
    full = {**CONFIG, **config}
    delivery = DeliveryOptions.from_config(full, "pipelined-0", OFFSETS_TOPIC)
    assert delivery.pipelined and delivery.boundary is TransactionBoundary.POLL
    task = HookedTask(events)
    made = SourceTaskRunner("pipelined", 0, task, {}, full, SETTINGS, offsets, delivery=delivery,
                            producer=Recording(cluster, "a", events),  # type: ignore[arg-type]
                            second_producer=Recording(cluster, "b", events))  # type: ignore[arg-type]  # fmt: skip
    made.start()
    return made, task


def test_transactions_take_turns_and_commit_in_poll_order() -> None:
    cluster, events = Cluster(), []
    run, task = runner(cluster, events)
    run.run(float("inf"), max_idle_s=0.0)
    run.stop()
    assert cluster.committed == [str(n) for n in range(TOTAL)]  # every record once, in order
    assert [who for event, who in events if event == "commit"] == ["a", "b", "a", "b"]  # one per poll, alternating
    assert run.stats.transactions == TOTAL // BATCH and run.stats.produced == TOTAL
    # commit_record: each record once, after its transaction committed, in poll order; on the task's thread only
    assert [value for event, value in events if event == "commit_record"] == [str(n) for n in range(TOTAL)]
    assert task.threads == {threading.get_ident()}
    assert run.offsets.offset("pipelined", {"p": 0}) == {"n": TOTAL - 1}


def test_a_record_refused_fails_the_task_and_nothing_after_it_commits() -> None:
    cluster, events = Cluster(), []
    run, _task = runner(cluster, events)
    run.producer.refuse = str(2 * BATCH + 3)  # type: ignore[attr-defined]  # the third batch, on producer "a" again
    with pytest.raises(ProduceError, match="Unrecoverable exception from producer send callback.*Message too large"):
        run.run(float("inf"), max_idle_s=0.0)
    # the first two transactions committed; the third (refused) and the fourth (open since, on "b") did not
    assert cluster.committed == [str(n) for n in range(2 * BATCH)]
    assert run.offsets.offset("pipelined", {"p": 0}) == {"n": 2 * BATCH - 1}
    assert cluster.aborts >= 1
    assert [value for event, value in events if event == "commit_record"] == [str(n) for n in range(2 * BATCH)]


def test_a_fenced_commit_stops_the_run_and_the_next_transaction_is_never_committed() -> None:
    cluster, events = Cluster(), []
    run, _task = runner(cluster, events)
    run._spare.fenced_at_commit = 1  # type: ignore[union-attr]  # "b": the second transaction
    with pytest.raises(TaskFencedError):
        run.run(float("inf"), max_idle_s=0.0)
    assert cluster.committed == [str(n) for n in range(BATCH)]  # only the first transaction
    assert run.offsets.offset("pipelined", {"p": 0}) == {"n": BATCH - 1}
    assert ("poll", str(2 * BATCH)) in events  # the third batch was polled while the second committed: dropped

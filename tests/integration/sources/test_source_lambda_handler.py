"""The source handler on the real broker: target states, status, the local scheduler, transaction boundaries."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from source_support import SourceWorld, read_all

from connectless.connector import SourceTask
from connectless.data import INT64_SCHEMA
from connectless.kafka.settings import KafkaSettings
from connectless.lambda_source.handler import SourceBudget, SourceTaskFailedError
from connectless.records import SourceRecord
from connectless.runtime.source_runner import SourceTaskRunner
from connectless.runtime.source_transactions import DeliveryOptions, TransactionBoundary
from connectless.standalone.scheduled_source import LocalSourceFunctions, schedule_connector
from connectless.standalone.scheduler import LocalScheduler
from connectless.storage import State, TargetState

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.connector import RecordMetadata

pytestmark = pytest.mark.kafka


def _datagen(topic: str, total: int = 100, **extra: str) -> dict[str, str]:
    return {
        "connector.class": "Datagen",
        "kafka.topic": topic,
        "max.records": str(total),
        "batch.size": "25",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        **extra,
    }


def test_paused_and_stopped_connectors_return_at_once(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("gen")
    world.add_connector("gen", _datagen(topic))
    handler = world.handler()
    for state in (TargetState.PAUSED, TargetState.STOPPED):
        world.configs.put_target_state("gen", state)
        started = time.monotonic()
        result = handler.handle("gen", 0, remaining_s=lambda: 30.0)
        assert (result.outcome, result.records_in) == (state.value, 0)
        assert time.monotonic() - started < 2
    world.configs.put_target_state("gen", TargetState.STARTED)
    result = handler.handle("gen", 0, remaining_s=lambda: 30.0)
    assert (result.outcome, result.records_out, result.offsets_committed) == ("RAN", 100, 1)
    assert handler.handle("missing", 0).outcome == "UNKNOWN"
    status = world.statuses().task("gen", 0)
    assert status is not None and status.state is State.RUNNING


def test_a_failing_task_is_failed_with_its_trace(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> None:
    world = SourceWorld(kafka_bootstrap)
    # Datagen's struct values cannot go through IntegerConverter: the converter fails, tolerance is none.
    world.add_connector("bad", _datagen(unique_topic("gen"), **{"value.converter": "IntegerConverter"}))
    with pytest.raises(SourceTaskFailedError):
        world.handler().handle("bad", 0, remaining_s=lambda: 30.0)
    status = world.statuses().task("bad", 0)
    assert status is not None and status.state is State.FAILED
    assert status.trace is not None
    assert "Traceback" in status.trace and "ToleranceExceededError" in status.trace
    assert world.offsets().all("bad") == []


def test_exactly_once_required_needs_a_connector_that_supports_it(
    kafka_bootstrap: str, tmp_path: Any, unique_topic: Callable[..., str]
) -> None:
    world = SourceWorld(kafka_bootstrap)
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n")
    config = {"connector.class": "FileStreamSource", "file": str(source), "topic": unique_topic("file"),
              "exactly.once.support": "required", "transaction.boundary": "connector"}  # fmt: skip
    world.add_connector("file", config)
    with pytest.raises(SourceTaskFailedError, match="exactly|transaction"):
        world.handler().handle("file", 0, remaining_s=lambda: 30.0)


def test_local_scheduler_runs_the_function_at_the_connector_rate(
    kafka_bootstrap: str, unique_topic: Callable[..., str]
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("gen")
    config = _datagen(topic, 300, **{"connectless.source.schedule": "rate(1 seconds)", "tasks.max": "2"})
    tasks = [{**config, "task.index": str(i), "task.count": "2"} for i in range(2)]
    world.add_connector("gen", config, tasks)
    budget = SourceBudget(safety_margin_s=0.0, max_records=50)  # each run does a slice of the work
    functions = LocalSourceFunctions(lambda: world.handler(budget), timeout_s=5.0)
    scheduler = LocalScheduler(functions)
    assert schedule_connector(scheduler, world.configs, "gen") == 2
    scheduler.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and sum(r.records_out for r in functions.results) < 300:
        time.sleep(0.2)
    scheduler.stop()
    ids = [v["id"] for v in read_all(kafka_bootstrap, topic)]
    assert sorted(ids) == list(range(300))
    assert {(r.task, r.outcome) for r in functions.results} == {(0, "RAN"), (1, "RAN")}
    assert len(functions.results) >= 6  # 150 records per task at 50 a run


class _Counting(SourceTask):
    """Emits 0..total-1 in batches of 10; with connector boundaries commits on every 30th, aborts after batch 4.
    Keeps the values commit_record was given, in order, with the Kafka offsets they landed at."""

    def start(self, props: Mapping[str, str]) -> None:
        self.committed_records: list[tuple[int, int | None]] = []
        stored = self.context.offset_storage_reader.offset({"src": "n"})
        self.next = int(stored["n"]) if stored else 0
        self.total = int(props["total"])
        self.topic = props["topic"]

    def poll(self) -> list[SourceRecord] | None:
        if self.next >= self.total:
            time.sleep(0.01)
            return None
        records = []
        for n in range(self.next, min(self.next + 10, self.total)):
            records.append(SourceRecord(topic=self.topic, kafka_partition=None, key_schema=None, key=None,
                                        value_schema=INT64_SCHEMA, value=n, source_partition={"src": "n"},
                                        source_offset={"n": n + 1}))  # fmt: skip
        self.next += len(records)
        transactions = self.context.transaction_context()  # type: ignore[attr-defined]
        if transactions is not None:
            if records[0].value == 40:
                transactions.abort_transaction()  # 30..49 are dropped, their offsets kept
            for record in records:
                if (record.value + 1) % 30 == 0:
                    transactions.commit_transaction(record)
        time.sleep(0.02)
        return records

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        self.committed_records.append((record.value, None if metadata is None else metadata.offset))

    def stop(self) -> None:
        return None


@pytest.mark.parametrize("boundary", list(TransactionBoundary))
def test_exactly_once_transaction_boundaries(
    kafka_bootstrap: str, unique_topic: Callable[..., str], boundary: TransactionBoundary
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("eos")
    config = {"name": "count", "connector.class": "Datagen", "topic": topic, "total": "90",
              "value.converter": "org.apache.kafka.connect.json.JsonConverter",
              "value.converter.schemas.enable": "false"}  # fmt: skip
    delivery = DeliveryOptions(f"{world.prefix}-count-0", world.offsets_topic, True, boundary, interval_s=0.15)
    offsets = world.offsets()
    settings = KafkaSettings(kafka_bootstrap)
    task = _Counting()
    runner = SourceTaskRunner("count", 0, task, config, config, settings, offsets, delivery=delivery)
    runner.start()
    runner.run(time.monotonic() + 3, max_idle_s=0.3)
    runner.stop()
    values = read_all(kafka_bootstrap, topic)
    offsets.refresh()
    if boundary is TransactionBoundary.CONNECTOR:
        # committed on 29, 59 and 89; 30..49 aborted, but their offsets were committed anyway
        assert values == [*range(30), *range(50, 90)]
        assert runner.stats.aborted == 1
    else:
        assert values == list(range(90))
    # commit_record: each record of a committed transaction, once it committed; an aborted one never
    assert [value for value, _ in task.committed_records] == values
    assert all(offset is not None for _, offset in task.committed_records)
    assert offsets.offset("count", {"src": "n"}) == {"n": 90}
    expected = {TransactionBoundary.POLL: (9, 10), TransactionBoundary.INTERVAL: (2, 8),
                TransactionBoundary.CONNECTOR: (4, 4)}[boundary]  # fmt: skip
    assert expected[0] <= runner.stats.transactions <= expected[1]

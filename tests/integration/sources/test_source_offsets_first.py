"""Exactly-once, a transaction per poll, pipelined, on the real broker: each poll's offsets record opens its
transaction, before the poll's records; the two commit together, and an aborted transaction drops both.

The runner makes its own producers here (the production path: failures reported through each producer's own
delivery callback), except where a test wraps them to see the order of the sends.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic
from source_support import SourceWorld, read_raw

from connectless.connector import SourceTask
from connectless.data import STRING_SCHEMA
from connectless.kafka.settings import KafkaSettings
from connectless.records import SourceRecord
from connectless.runtime.source_runner import ProduceError, SourceTaskRunner
from connectless.runtime.source_transactions import DeliveryOptions, TransactionBoundary
from connectless.storage.offsets import offset_key

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka

BATCH, POLLS = 5, 8
PARTITION = {"src": "lines"}
CONFIG = {"value.converter": "org.apache.kafka.connect.storage.StringConverter"}


class _Lines(SourceTask):
    """POLLS polls of BATCH short lines, offset {"n": next line}; poll `big` (if set) carries one line of 1,500 B."""

    big: int | None = None

    def start(self, props: Mapping[str, str]) -> None:
        stored = self.context.offset_storage_reader.offset(PARTITION)
        self.next = int(stored["n"]) if stored else 0
        self.topic = props["topic"]

    def poll(self) -> list[SourceRecord] | None:
        if self.next >= BATCH * POLLS:
            time.sleep(0.01)
            return None
        poll = self.next // BATCH
        records = []
        for n in range(self.next, self.next + BATCH):
            value = "x" * 1500 if poll == self.big and n % BATCH == 2 else f"line-{n}"
            records.append(SourceRecord(topic=self.topic, kafka_partition=None, key_schema=None, key=None,
                                        value_schema=STRING_SCHEMA, value=value, source_partition=PARTITION,
                                        source_offset={"n": n + 1}))  # fmt: skip
        self.next += BATCH
        return records

    def stop(self) -> None:
        return None


class _Watched:
    """A real producer whose sends and transaction calls are noted, in order, with which producer made them."""

    def __init__(self, producer: Producer, name: str, calls: list[tuple[str, str]]) -> None:
        self._producer, self._name, self._calls = producer, name, calls

    def begin_transaction(self) -> None:
        self._calls.append((self._name, "begin"))
        self._producer.begin_transaction()

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None:
        self._calls.append((self._name, topic))
        self._producer.produce(topic, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)


def _runner(world: SourceWorld, topic: str, task: SourceTask, **producers: Any) -> SourceTaskRunner:
    config = {"name": "lines", "topic": topic, **CONFIG}
    delivery = DeliveryOptions(f"{world.prefix}-lines-0", world.offsets_topic, True, TransactionBoundary.POLL)
    assert delivery.pipelined
    runner = SourceTaskRunner("lines", 0, task, config, config, KafkaSettings(world.bootstrap), world.offsets(),
                              delivery=delivery, **producers)  # fmt: skip
    runner.start()
    return runner


def _lines(bootstrap: str, topic: str) -> list[str]:
    """The committed values of `topic` (StringConverter's UTF-8), in log order."""
    return [(v or b"").decode() for _, v in read_raw(bootstrap, topic)]


def _offsets_history(world: SourceWorld, *, committed: bool) -> list[int]:
    """The "n" of every offsets record of the task's source partition in the offsets topic, in log order."""
    key = offset_key("lines", PARTITION)
    raw = read_raw(world.bootstrap, world.offsets_topic, committed)
    return [orjson.loads(v)["n"] for k, v in raw if k == key and v is not None]


def test_each_poll_sends_its_offsets_first_and_they_commit_with_its_records(
    kafka_bootstrap: str, unique_topic: Callable[..., str]
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("lines")
    settings = KafkaSettings(kafka_bootstrap)
    delivery = DeliveryOptions(f"{world.prefix}-lines-0", world.offsets_topic, True, TransactionBoundary.POLL)
    calls: list[tuple[str, str]] = []
    first = _Watched(settings.producer(**delivery.producer_config()), "a", calls)
    second = _Watched(settings.producer(**delivery.producer_config(second=True)), "b", calls)
    runner = _runner(world, topic, _Lines(), producer=first, second_producer=second)
    runner.run(time.monotonic() + 20, max_idle_s=0.3)
    runner.stop()

    # Per transaction (a begin on one producer up to its next begin): the offsets record, then the poll's records.
    transactions: dict[str, list[list[str]]] = {"a": [], "b": []}
    for name, call in calls:
        if call == "begin":
            transactions[name].append([])
        else:
            transactions[name][-1].append(call)
    sends = [sent for name in "ab" for sent in transactions[name]]
    assert len(sends) == POLLS and [len(t) for t in transactions.values()] == [POLLS // 2] * 2  # they take turns
    assert all(sent == [world.offsets_topic] + [topic] * BATCH for sent in sends)

    assert _lines(kafka_bootstrap, topic) == [f"line-{n}" for n in range(BATCH * POLLS)]  # each once, in order
    # one offsets record per transaction, each the newest offset of its poll, committed in poll order
    assert _offsets_history(world, committed=True) == [BATCH * (p + 1) for p in range(POLLS)]
    assert runner.stats.transactions == POLLS and runner.stats.offsets_committed == POLLS


def test_a_refused_record_aborts_its_transaction_with_the_offsets_sent_before_it(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("lines")
    # the broker refuses a batch over 1,000 B: the short lines of a poll fit, the 1,500 B line does not
    created = kafka_admin.create_topics([NewTopic(topic, 1, 1, config={"max.message.bytes": "1000"})])
    created[topic].result(30)
    task = _Lines()
    task.big = 3  # the fourth poll: its offsets record is sent (and acknowledged) before its refused records
    runner = _runner(world, topic, task)
    with pytest.raises(ProduceError, match="Unrecoverable exception from producer send callback.*too large"):
        runner.run(time.monotonic() + 20, max_idle_s=0.3)
    runner.stop()

    # the first three transactions committed; the fourth aborted, its offsets with it, and nothing after it ran
    assert _lines(kafka_bootstrap, topic) == [f"line-{n}" for n in range(3 * BATCH)]
    assert _offsets_history(world, committed=True) == [BATCH, 2 * BATCH, 3 * BATCH]
    assert _offsets_history(world, committed=False) == [BATCH, 2 * BATCH, 3 * BATCH, 4 * BATCH]  # sent, aborted
    offsets = world.offsets()
    assert offsets.offset("lines", PARTITION) == {"n": 3 * BATCH}
    # a fresh runner replays from the committed offsets: the fourth poll's lines (short this time) and the rest
    again = _runner(world, topic, _Lines())
    again.run(time.monotonic() + 20, max_idle_s=0.3)
    again.stop()
    assert _lines(kafka_bootstrap, topic) == [f"line-{n}" for n in range(BATCH * POLLS)]
    assert _offsets_history(world, committed=True)[-1] == BATCH * POLLS

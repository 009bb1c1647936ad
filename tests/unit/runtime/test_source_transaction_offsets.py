"""Exactly-once with connector-defined boundaries: a transaction the task commits in the middle of a poll holds the
offsets of its own records, and the next one the offsets of the records after it (none is lost to the first).

The producer is a stand-in that keeps each transaction's records as librdkafka would commit them, so no broker is
needed; tests/integration/sources run the same runner on a real broker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from connectless.connector import SourceTask
from connectless.kafka.settings import KafkaSettings
from connectless.records import SourceRecord
from connectless.runtime.source_runner import SourceTaskRunner
from connectless.runtime.source_transactions import DeliveryOptions, TransactionBoundary
from connectless.storage import MemoryLog
from connectless.storage.offsets import OffsetStore

if TYPE_CHECKING:
    from collections.abc import Mapping

CONFIG = {
    "name": "txn",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
}
OFFSETS_TOPIC = "txn-offsets"


class TransactionalProducer:
    """Keeps the open transaction's (topic, value) sends; `committed` holds one list per committed transaction."""

    def __init__(self) -> None:
        self.open: list[tuple[str, bytes]] | None = None
        self.committed: list[list[tuple[str, bytes]]] = []

    def init_transactions(self, _timeout: float = 0) -> None:
        pass

    def begin_transaction(self) -> None:
        assert self.open is None, "a transaction is already open"
        self.open = []

    def produce(self, topic: str, value: bytes, *_: Any) -> None:
        assert self.open is not None, "a send outside a transaction"
        self.open.append((topic, value))

    def poll(self, _timeout: float = 0) -> int:
        return 0

    def flush(self, _timeout: float = 0) -> int:
        return 0

    def commit_transaction(self, _timeout: float = 0) -> None:
        assert self.open is not None
        self.committed.append(self.open)
        self.open = None

    def abort_transaction(self, _timeout: float = 0) -> None:
        self.open = None


class CommitsAfterSecond(SourceTask):
    """One poll of four records; asks for a commit right after the second."""

    def start(self, props: Mapping[str, str]) -> None:
        self.records = [
            SourceRecord("out", None, None, None, None, f"v{n}", source_partition={"p": 0}, source_offset={"n": n})
            for n in range(1, 5)
        ]

    def poll(self) -> list[SourceRecord] | None:
        records, self.records = self.records, []
        if records:
            self.context.transaction_context().commit_transaction(records[1])
        return records or None

    def stop(self) -> None:
        pass


def test_a_commit_in_the_middle_of_a_poll_leaves_the_later_offsets_to_the_next_transaction() -> None:
    offsets = OffsetStore(MemoryLog())
    offsets.start()
    producer = TransactionalProducer()
    delivery = DeliveryOptions("c-txn-0", OFFSETS_TOPIC, exactly_once=True, boundary=TransactionBoundary.CONNECTOR)
    runner = SourceTaskRunner(
        "txn", 0, CommitsAfterSecond(), {}, CONFIG, KafkaSettings("127.0.0.1:1"), offsets,
        producer=producer, delivery=delivery,  # type: ignore[arg-type]
    )  # fmt: skip
    runner.start()
    runner.poll_once()
    assert runner.transaction_context is not None
    runner.transaction_context.commit_transaction()  # and, at the end of the batch, the rest
    runner._maybe_commit_transaction()
    first, second = producer.committed
    assert first == [("out", b"v1"), ("out", b"v2"), (OFFSETS_TOPIC, orjson.dumps({"n": 2}))]
    assert second == [("out", b"v3"), ("out", b"v4"), (OFFSETS_TOPIC, orjson.dumps({"n": 4}))]

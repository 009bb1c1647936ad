"""The emulator's poll_batch without a broker: the RawRecords it builds from consumed messages, the sizes it
counts without encoding (equal to the encoded JSON), and batches closed by the payload limit and the carry."""

from __future__ import annotations

from typing import Any

import confluent_kafka as ck
import orjson
import pytest

from connectless.lambda_sink.events import encode_record, parse_event
from connectless.records import TimestampType
from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig

# Both paths: connectless.native's C poller functions and the pure-Python ones (tests/unit/conftest.py).
pytestmark = pytest.mark.usefixtures("native_mode")


class FakeConsumer:
    def __init__(self, messages: list[Any]) -> None:
        self.messages = messages

    def consume(self, count: int, timeout: float) -> list[Any]:
        taken, self.messages = self.messages[:count], self.messages[count:]
        return taken


class Settings:
    bootstrap_servers = "localhost:9092"


def messages(one_partition: bool = False) -> list[Any]:
    out = []
    for i in range(60):
        topic, partition = ("orders", i % 3) if i % 5 else ('pay\u00e9"ments', 11)
        if one_partition:  # consumed chunks fitted at once, not record by record
            topic, partition = "orders", 4
        out.append(
            ck.Message(
                topic=topic,
                partition=partition,
                offset=i * 97,
                key=None if i % 4 == 0 else b"k" * (i % 7),
                value=None if i % 9 == 0 else b"v" * (i * 13 % 50),
                headers=[("h", b"\x00\xff"), ("empty", None)] if i % 6 == 0 else None,
                timestamp=((i % 3), 1_700_000_000_000 + i) if i % 3 else (0, -1),
            )
        )
    return out


def emulator(
    round_trip: bool, max_bytes: int = 6 * 1024 * 1024, one_partition: bool = False
) -> EventSourceMappingEmulator:
    config = MappingConfig("c", ["orders"], batch_size=25, maximum_batching_window_s=0, max_payload_bytes=max_bytes)
    esm = EventSourceMappingEmulator(Settings(), config, lambda e, c: None, json_round_trip=round_trip)  # type: ignore[arg-type]
    esm._consumer = FakeConsumer(messages(one_partition))  # type: ignore[assignment]
    return esm


@pytest.mark.parametrize("one_partition", [False, True], ids=["partitions", "one-partition"])
@pytest.mark.parametrize("max_bytes", [6 * 1024 * 1024, 2500, 400])  # 400: records alone past the limit too
def test_counted_sizes_and_batches_match_the_encoded_event(max_bytes: int, one_partition: bool) -> None:
    counted, encoded = emulator(False, max_bytes, one_partition), emulator(True, max_bytes, one_partition)
    while True:
        a, b = counted.poll_batch(0.01), encoded.poll_batch(0.01)
        assert [(r.topic, r.partition, r.offset) for r in a] == [(r.topic, r.partition, r.offset) for r in b]
        if not a:
            break
        assert counted._kept_for(a) == [len(encode_record(raw)) for raw in a]
        assert encoded._kept_for(b) == [encode_record(raw) for raw in b]
        event_a, event_b = counted._event(a), encoded._event(b)
        assert orjson.loads(orjson.dumps(dict(event_a))) == event_b
        assert parse_event(event_a) == parse_event(event_b)  # the records the handler gets, whichever way
        assert counted.stats.payload_sizes[-1] == encoded.stats.payload_sizes[-1] == len(orjson.dumps(event_b))
        assert encoded.stats.payload_sizes[-1] <= max_bytes or len(b) == 1
        counted._forget(a)
        encoded._forget(b)
        assert counted._kept == encoded._kept == {}
    assert counted.stats.payload_sizes == encoded.stats.payload_sizes
    assert sum(1 for _ in counted.stats.payload_sizes) >= (3 if max_bytes == 6 * 1024 * 1024 else 4)


def test_raw_records_from_messages() -> None:
    esm = emulator(False)
    batch = esm.poll_batch(0.01)
    first, second = batch[0], batch[1]
    assert (first.topic, first.partition, first.offset) == ('pay\u00e9"ments', 11, 0)
    assert first.timestamp is None and first.timestamp_type is TimestampType.NO_TIMESTAMP_TYPE
    assert first.key is None and first.value is None
    assert first.headers == (("h", b"\x00\xff"), ("empty", None))
    assert (second.topic, second.partition, second.offset) == ("orders", 1, 97)
    assert second.timestamp == 1_700_000_000_001 and second.timestamp_type is TimestampType.CREATE_TIME
    assert second.key == b"k" and second.value == b"v" * 13 and second.headers == ()

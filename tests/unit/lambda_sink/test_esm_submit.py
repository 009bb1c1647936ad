"""The emulator with `submit` (the function in a process of its own): while the function runs, the next batch is
polled and encoded; it is delivered only after the current one succeeded, and offsets move only past records the
function finished. Without a broker: a consumer that hands out messages and records the commits."""

from __future__ import annotations

from typing import Any

import confluent_kafka as ck
import orjson
import pytest

from connectless.lambda_sink.events import encode_record, parse_event
from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig

# Both paths: connectless.native's C poller functions and the pure-Python ones (tests/unit/conftest.py).
pytestmark = pytest.mark.usefixtures("native_mode")


class Settings:
    bootstrap_servers = "localhost:9092"


class Consumer:
    """consume() hands out the messages in order; commit() records what was committed; `log` gets both."""

    def __init__(self, messages: list[Any], log: list[tuple[Any, ...]]) -> None:
        self.messages, self.log, self.all = messages, log, messages

    def seek(self, tp: ck.TopicPartition) -> None:
        self.messages = [m for m in self.all if m.offset() >= tp.offset]
        self.log.append(("sought", tp.offset))

    def consume(self, count: int, timeout: float) -> list[Any]:
        taken, self.messages = self.messages[:count], self.messages[count:]
        if taken:
            self.log.append(("consumed", [m.offset() for m in taken]))
        return taken

    def commit(self, offsets: list[ck.TopicPartition], asynchronous: bool) -> None:
        self.log.append(("committed", [(tp.partition, tp.offset) for tp in offsets]))


class Function:
    """`submit` as FunctionProcess provides it: takes the event bytes, returns wait(). The function fails the
    invocations whose numbers are in `failing` (counted from 1)."""

    def __init__(self, log: list[tuple[Any, ...]], failing: frozenset[int] = frozenset()) -> None:
        self.log, self.failing, self.calls = log, failing, 0

    def submit(self, payload: bytes, _context: Any) -> Any:
        self.calls += 1
        call = self.calls
        offsets = [r.offset for raws in parse_event(orjson.loads(payload)).values() for r in raws]
        self.log.append(("submitted", offsets))

        def wait() -> Any:
            self.log.append(("returned", offsets))
            if call in self.failing:
                raise RuntimeError("the function failed")
            return {"batchItemFailures": []}

        return wait


def messages(count: int) -> list[Any]:
    return [
        ck.Message(
            topic="orders",
            partition=0,
            offset=i,
            key=b"k%d" % i,
            value=b'{"i":%d}' % i,
            timestamp=(1, 1_700_000_000_000 + i),
        )
        for i in range(count)
    ]


def emulator(
    count: int, failing: frozenset[int] = frozenset()
) -> tuple[EventSourceMappingEmulator, Function, list[tuple[Any, ...]]]:
    log: list[tuple[Any, ...]] = []
    function = Function(log, failing)
    config = MappingConfig("c", ["orders"], batch_size=4, maximum_batching_window_s=0, retry_delay_s=0)
    esm = EventSourceMappingEmulator(
        Settings(),  # type: ignore[arg-type]
        config,
        lambda e, c: None,
        submit=function.submit,
        sleep=lambda s: None,
    )
    esm._consumer = Consumer(messages(count), log)  # type: ignore[assignment]
    return esm, function, log


def test_the_next_batch_is_polled_while_the_function_runs_and_delivered_after_the_commit() -> None:
    esm, _, log = emulator(10)
    assert esm.run_until_idle(0.01) == 10
    assert log == [
        ("consumed", [0, 1, 2, 3]),
        ("submitted", [0, 1, 2, 3]),
        ("consumed", [4, 5, 6, 7]),  # polled ahead, between the submit and the function's return
        ("returned", [0, 1, 2, 3]),
        ("committed", [(0, 4)]),
        ("submitted", [4, 5, 6, 7]),  # the polled-ahead batch, only once the one before is committed
        ("consumed", [8, 9]),
        ("returned", [4, 5, 6, 7]),
        ("committed", [(0, 8)]),
        ("submitted", [8, 9]),
        ("returned", [8, 9]),
        ("committed", [(0, 10)]),
        ("committed", [(0, 10)]),  # idle: the asynchronous commits settled by a synchronous one
    ]
    assert esm._kept == {} and esm._prefetched == []  # nothing kept once delivered


def test_a_failed_batch_is_retried_before_the_polled_ahead_one_and_nothing_is_committed_past_it() -> None:
    esm, function, log = emulator(8, failing=frozenset({1}))
    assert esm.run_until_idle(0.01) == 8
    assert function.calls == 3
    assert [entry for entry in log if entry[0] != "returned"] == [
        ("consumed", [0, 1, 2, 3]),
        ("submitted", [0, 1, 2, 3]),
        ("consumed", [4, 5, 6, 7]),
        ("submitted", [0, 1, 2, 3]),  # the retry: the same records, before anything polled ahead
        ("committed", [(0, 4)]),
        ("submitted", [4, 5, 6, 7]),
        ("committed", [(0, 8)]),
        ("committed", [(0, 8)]),  # settled when idle
    ]
    assert esm.stats.function_errors == 1


def test_the_event_submitted_is_the_encoded_records() -> None:
    esm, _, _ = emulator(3)
    payloads: list[bytes] = []
    esm._submit = lambda payload, _context: payloads.append(payload) or (lambda: None)
    esm.run_until_idle(0.01)
    (payload,) = payloads
    records = orjson.loads(payload)["records"]["orders-0"]
    assert [orjson.dumps(r) for r in records] == [
        encode_record(raw) for raw in parse_event(orjson.loads(payload))["orders-0"]
    ]
    assert esm.stats.payload_sizes == [len(payload)]


def test_a_revoked_partition_drops_its_polled_ahead_records() -> None:
    esm, _, log = emulator(8)
    batch = esm.poll_batch(0.01)
    esm._prefetched = ahead = esm.poll_batch(0.01)  # as _poll_ahead leaves it while the function runs
    assert [r.offset for r in batch] == [0, 1, 2, 3] and [r.offset for r in ahead] == [4, 5, 6, 7]
    assert esm._kept_for(ahead) == [encode_record(r) for r in ahead]
    esm._on_revoke(esm._consumer, [ck.TopicPartition("orders", 0)])  # type: ignore[arg-type]
    assert esm._prefetched == []
    assert esm._kept_for(ahead) is None and list(esm._kept) == [id(batch)]  # their next owner reads them again
    assert log == [("consumed", [0, 1, 2, 3]), ("consumed", [4, 5, 6, 7])]


def test_no_poll_ahead_when_stopping() -> None:
    esm, _, log = emulator(8)
    esm._should_stop = lambda: True
    esm.run_once(0.01)
    assert [entry[0] for entry in log] == ["consumed", "submitted", "returned", "committed"]
    assert esm._prefetched == []


def test_the_polled_ahead_event_is_built_while_the_function_runs_and_sent_as_built() -> None:
    esm, _, _ = emulator(8)
    payloads: list[bytes] = []
    prebuilt: list[Any] = []

    def submit(payload: bytes, _context: Any) -> Any:
        payloads.append(payload)
        return lambda: prebuilt.append(esm._prebuilt)  # what was built during this invocation

    esm._submit = submit
    assert esm.run_until_idle(0.01) == 8
    ahead, built = prebuilt[0]
    assert [r.offset for r in ahead] == [4, 5, 6, 7] and built is payloads[1]  # sent as built, not rebuilt
    assert [r.offset for raws in parse_event(orjson.loads(built)).values() for r in raws] == [4, 5, 6, 7]
    assert prebuilt[1] is None and esm._prebuilt is None  # nothing left to poll ahead; nothing kept
    assert esm.stats.payload_sizes == [len(p) for p in payloads]


def test_a_seek_drops_the_polled_ahead_event_and_the_rest_is_built_again() -> None:
    esm, _, log = emulator(8)
    payloads: list[bytes] = []

    def submit(payload: bytes, _context: Any) -> Any:
        payloads.append(payload)
        if len(payloads) == 1:
            esm.seek({("orders", 0): 2})  # a sink task's rewind, asked during the first invocation
        return lambda: None

    esm._submit = submit
    esm.run_until_idle(0.01)
    delivered = [[r.offset for raws in parse_event(orjson.loads(p)).values() for r in raws] for p in payloads]
    assert delivered == [[0, 1, 2, 3], [2, 3, 4, 5], [6, 7]]  # again from the sought offset, 4-7 not as polled
    assert ("consumed", [4, 5, 6, 7]) in log  # polled ahead during the first invocation, then dropped
    assert esm._prebuilt is None and esm._kept == {}


def test_a_delivered_batch_is_freed_once_the_next_one_is_submitted() -> None:
    esm, _, _ = emulator(10)
    spent_at_submit: list[list[int]] = []
    submit = esm._submit
    assert submit is not None

    def watching(payload: bytes, context: Any) -> Any:
        spent_at_submit.append([r.offset for item in esm._spent if isinstance(item, list) for r in item])
        return submit(payload, context)

    esm._submit = watching
    assert esm.run_until_idle(0.01) == 10
    # still held while the next batch is submitted (the function waits for nothing), freed straight after
    assert spent_at_submit == [[], [0, 1, 2, 3], [4, 5, 6, 7]]
    assert esm._spent == []  # idle: nothing held

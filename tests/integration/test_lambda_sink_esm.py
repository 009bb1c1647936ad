"""The emulated event-source mapping feeding the sink function, on a real Apache Kafka broker.

The connector config lives in a real config topic, the status in a real status topic, the DLQ and the
on-failure destination are real topics; only the sink is the in-memory one of tests/sink_fakes.py.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

import sink_fakes
from connectless.kafka import KafkaSettings
from connectless.lambda_sink.handler import SinkBatchHandler
from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig, MappingConfigError
from connectless.storage import ConfigStore, KafkaLog, State

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from confluent_kafka import Message
    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka


def load_app() -> Any:
    path = Path(__file__).parents[2] / "functions" / "sink_task" / "app.py"
    spec = importlib.util.spec_from_file_location("sink_task_app_it", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sink_task_app_it"] = module
    spec.loader.exec_module(module)
    return module


def create_topic(admin: AdminClient, topic: str, partitions: int = 1) -> None:
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)


def produce(bootstrap: str, topic: str, items: list[tuple[int, bytes | None]], **extra: Any) -> None:
    producer = KafkaSettings(bootstrap).producer()
    for partition, value in items:
        producer.produce(topic, value, b"key", partition=partition, **extra)
    assert producer.flush(30) == 0


def consume_all(bootstrap: str, topic: str, count: int, timeout: float = 20.0) -> list[Message]:
    consumer = KafkaSettings(bootstrap).consumer(f"check-{topic}-{time.monotonic_ns()}")
    consumer.subscribe([topic])
    found: list[Message] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                found.append(msg)
    finally:
        consumer.close()
    return found


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> list[int]:
    consumer = KafkaSettings(bootstrap).consumer(group)
    try:
        offsets = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30)
        return [tp.offset for tp in offsets]
    finally:
        consumer.close()


class Deployment:
    """One connector 'deployed': its config in the config topic, the function, and a mapping feeding it."""

    def __init__(self, bootstrap: str, unique_topic: Callable[..., str], admin: AdminClient) -> None:
        self.bootstrap = bootstrap
        self.settings = KafkaSettings(bootstrap)
        self.admin = admin
        self.name = unique_topic("conn")
        self.topic = unique_topic("in")
        self.dlq = unique_topic("dlq")
        self.env = {"CONNECTLESS_CONFIG_TOPIC": unique_topic("cfg"), "CONNECTLESS_STATUS_TOPIC": unique_topic("st")}
        self.app = load_app()
        self.handlers: list[SinkBatchHandler] = []
        self.mappings: list[EventSourceMappingEmulator] = []
        sink_fakes.reset(self.name)

    def configure(self, **config: str) -> None:
        store = ConfigStore(KafkaLog(self.settings, self.env["CONNECTLESS_CONFIG_TOPIC"]))
        store.start()
        store.put_connector_config(
            self.name,
            {
                "name": self.name,
                "connector.class": "MemorySink",
                "topics": self.topic,
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
                **config,
            },
        )
        store.log.stop()
        handler = SinkBatchHandler.from_env(self.settings, self.env)
        self.handlers.append(handler)
        self.app.function.handler = handler

    def mapping(
        self, invoke: Callable[[dict[str, Any], Any], Any] | None = None, **settings: Any
    ) -> EventSourceMappingEmulator:
        config = MappingConfig(self.name, [self.topic], retry_delay_s=0.05, maximum_batching_window_s=0.2, **settings)
        esm = EventSourceMappingEmulator(self.settings, config, invoke or self.app.lambda_handler)
        esm.start()
        self.mappings.append(esm)
        return esm

    def written(self) -> dict[tuple[str, int, int], Any]:
        return sink_fakes.WRITTEN[self.name]

    def close(self) -> None:
        for esm in self.mappings:
            esm.stop()
        for handler in self.handlers:
            handler.close()
            handler.configs.log.stop()
            if handler.statuses is not None:
                handler.statuses.log.stop()


@pytest.fixture
def deployment(
    kafka_bootstrap: str, unique_topic: Callable[..., str], kafka_admin: AdminClient
) -> Iterator[Deployment]:
    dep = Deployment(kafka_bootstrap, unique_topic, kafka_admin)
    yield dep
    dep.close()


def test_tolerance_all_dead_letters_poison_records_with_every_header(deployment: Deployment) -> None:
    dep = deployment
    create_topic(dep.admin, dep.topic, 2)
    dep.configure(**{"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dep.dlq,
                     "errors.deadletterqueue.context.headers.enable": "true", "reject.values": "666"})  # fmt: skip
    items = [(0, b"1"), (0, b"{not json"), (0, b"3"), (1, b"666"), (1, b"5"), (1, b"6")]
    produce(dep.bootstrap, dep.topic, items)
    esm = dep.mapping(batch_size=100)
    assert esm.run_until_idle(idle_timeout=1.0) == 6
    assert sorted(dep.written().values()) == [1, 3, 5, 6]
    dead = consume_all(dep.bootstrap, dep.dlq, 2)
    assert sorted(m.value() for m in dead) == [b"666", b"{not json"]
    by_value = {m.value(): dict(m.headers() or []) for m in dead}
    assert by_value[b"{not json"]["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert by_value[b"666"]["__connect.errors.stage"] == b"TASK_PUT"
    assert by_value[b"666"]["__connect.errors.offset"] == b"0"
    assert by_value[b"666"]["__connect.errors.connector.name"] == dep.name.encode()
    for headers in by_value.values():
        assert {"__connect.errors.exception.class.name", "__connect.errors.exception.stacktrace"} <= set(headers)
    assert committed(dep.bootstrap, f"connect-{dep.name}", dep.topic, 2) == [3, 3]


def test_tolerance_none_reports_batch_item_failures_and_fails_the_task(deployment: Deployment) -> None:
    dep = deployment
    create_topic(dep.admin, dep.topic, 2)
    dep.configure()
    failed_topic = dep.dlq
    produce(dep.bootstrap, dep.topic, [(0, b"1"), (0, b"2"), (0, b"oops"), (0, b"4"), (1, b"10"), (1, b"11")])
    esm = dep.mapping(report_batch_item_failures=True, maximum_retry_attempts=1,
                      on_failure_destination=f"kafka://{failed_topic}")  # fmt: skip
    esm.run_until_idle(idle_timeout=1.0)
    assert sorted(dep.written().values()) == [1, 2, 10, 11]
    assert esm.stats.invocations == 2  # the batch, then one retry from the failed record
    given_up = consume_all(dep.bootstrap, failed_topic, 2)
    assert [m.value() for m in given_up] == [b"oops", b"4"]
    assert dict(given_up[0].headers() or [])["__connectless.esm.offset"] == b"2"
    assert committed(dep.bootstrap, f"connect-{dep.name}", dep.topic, 2) == [4, 2]
    handler = dep.handlers[-1]
    assert handler.statuses is not None
    handler.statuses.refresh()
    status = handler.statuses.task(dep.name, 0)
    assert status is not None and status.state is State.FAILED
    assert status.trace is not None and "JsonConverter" in status.trace or "json" in (status.trace or "").lower()


def test_a_crash_mid_batch_redelivers_it_without_duplicates(deployment: Deployment) -> None:
    dep = deployment
    create_topic(dep.admin, dep.topic, 1)
    dep.configure()
    produce(dep.bootstrap, dep.topic, [(0, str(i).encode()) for i in range(20)])
    calls = {"n": 0}

    def crashing(event: dict[str, Any], context: Any) -> Any:
        calls["n"] += 1
        response = dep.app.lambda_handler(event, context)
        if calls["n"] == 1:
            raise RuntimeError("the container died after writing")
        return response

    esm = dep.mapping(crashing, batch_size=20)
    esm.run_until_idle(idle_timeout=1.0)
    assert calls["n"] == 2
    assert sorted(dep.written().values()) == list(range(20))
    assert esm.stats.records_succeeded == 20


def test_bisect_isolates_the_record_that_makes_the_function_fail(deployment: Deployment) -> None:
    dep = deployment
    create_topic(dep.admin, dep.topic, 1)
    dep.configure()
    produce(dep.bootstrap, dep.topic, [(0, str(i).encode()) for i in range(8)])
    sizes: list[int] = []

    def fails_on_five(event: dict[str, Any], context: Any) -> Any:
        records = [r for rs in event["records"].values() for r in rs]
        sizes.append(len(records))
        if any(r["value"] == "NQ==" for r in records):  # base64 of b"5"
            raise RuntimeError("poison")
        return dep.app.lambda_handler(event, context)

    esm = dep.mapping(fails_on_five, bisect_batch_on_function_error=True, maximum_retry_attempts=0,
                      on_failure_destination=f"kafka://{dep.dlq}")  # fmt: skip
    esm.run_until_idle(idle_timeout=1.0)
    assert sorted(dep.written().values()) == [0, 1, 2, 3, 4, 6, 7]
    assert [m.value() for m in consume_all(dep.bootstrap, dep.dlq, 1)] == [b"5"]
    assert sizes == [8, 4, 4, 2, 1, 1, 2]  # halves, each retried alone until 5 stands by itself
    assert committed(dep.bootstrap, f"connect-{dep.name}", dep.topic, 1) == [8]


def test_batch_size_payload_limit_and_starting_position(deployment: Deployment) -> None:
    dep = deployment
    create_topic(dep.admin, dep.topic, 1)
    dep.configure()
    produce(dep.bootstrap, dep.topic, [(0, b"0")])
    seen: list[list[int]] = []

    def spy(event: dict[str, Any], context: Any) -> Any:
        seen.append([r["offset"] for rs in event["records"].values() for r in rs])
        return dep.app.lambda_handler(event, context)

    esm = dep.mapping(spy, starting_position="LATEST", batch_size=3)
    esm.poll_batch(idle_timeout=3.0)  # joins the group at the end of the partition: offset 0 is never seen
    produce(dep.bootstrap, dep.topic, [(0, b"%d" % i) for i in range(1, 8)])
    esm.run_until_idle(idle_timeout=1.0)
    assert seen == [[1, 2, 3], [4, 5, 6], [7]]
    assert all(size <= 6 * 1024 * 1024 for size in esm.stats.payload_sizes)
    esm.stop()

    big = b'"' + b"x" * 950_000 + b'"'  # 1.27 MB in base64: four fit in a 6 MB event, five do not
    produce(dep.bootstrap, dep.topic, [(0, big)] * 9)
    seen.clear()
    esm = dep.mapping(spy, batch_size=100)  # the group's committed offset (8) wins over TRIM_HORIZON
    esm.run_until_idle(idle_timeout=1.0)
    assert seen == [[8, 9, 10, 11], [12, 13, 14, 15], [16]]
    assert 4 * 1024 * 1024 < max(esm.stats.payload_sizes) <= 6 * 1024 * 1024
    assert len(dep.written()) == 16


def test_records_older_than_the_maximum_age_are_never_sent(deployment: Deployment) -> None:
    dep = deployment
    create_topic(dep.admin, dep.topic, 1)
    dep.configure()
    now_ms = int(time.time() * 1000)
    produce(dep.bootstrap, dep.topic, [(0, b"1")], timestamp=now_ms - 3_600_000)  # an hour old
    produce(dep.bootstrap, dep.topic, [(0, b"2"), (0, b"3")], timestamp=now_ms)
    sent: list[list[int]] = []

    def spy(event: dict[str, Any], context: Any) -> Any:
        sent.append([r["offset"] for rs in event["records"].values() for r in rs])
        return dep.app.lambda_handler(event, context)

    esm = dep.mapping(spy, maximum_record_age_s=60, on_failure_destination=f"kafka://{dep.dlq}")
    esm.run_until_idle(idle_timeout=1.0)
    assert sent == [[1, 2]]
    assert sorted(dep.written().values()) == [2, 3]
    expired = consume_all(dep.bootstrap, dep.dlq, 1)
    assert [m.value() for m in expired] == [b"1"]
    assert b"MaximumRecordAgeInSeconds" in dict(expired[0].headers() or [])["__connectless.esm.reason"]
    assert esm.stats.records_expired == 1
    assert committed(dep.bootstrap, f"connect-{dep.name}", dep.topic, 1) == [3]


def test_a_failing_batch_is_retried_until_its_records_expire(deployment: Deployment) -> None:
    dep = deployment
    create_topic(dep.admin, dep.topic, 1)
    dep.configure()
    produce(dep.bootstrap, dep.topic, [(0, b"1"), (0, b"2")])
    clock = {"ms": int(time.time() * 1000)}
    calls = {"n": 0}

    def always_fails(event: dict[str, Any], context: Any) -> Any:
        calls["n"] += 1
        raise RuntimeError("the target is down")

    def sleep(seconds: float) -> None:  # each retry waits 40 s of the mapping's clock
        clock["ms"] += 40_000

    config = MappingConfig(dep.name, [dep.topic], maximum_batching_window_s=0.2, maximum_record_age_s=60)
    esm = EventSourceMappingEmulator(dep.settings, config, always_fails, sleep=sleep, clock_ms=lambda: clock["ms"])
    esm.start()
    dep.mappings.append(esm)
    esm.run_until_idle(idle_timeout=1.0)
    assert calls["n"] == 2  # at 0 s and 40 s; at 80 s both records are past 60 s and are given up
    assert (esm.stats.records_expired, esm.stats.records_discarded) == (2, 2)
    assert committed(dep.bootstrap, f"connect-{dep.name}", dep.topic, 1) == [2]


def test_maximum_record_age_takes_lambdas_values() -> None:
    for age in (-1, 60, 604800):
        MappingConfig("c", ["t"], maximum_record_age_s=age)
    for age in (0, 59, 604801, -2):
        with pytest.raises(MappingConfigError):
            MappingConfig("c", ["t"], maximum_record_age_s=age)


def test_stopping_leaves_a_failing_batch_uncommitted(deployment: Deployment) -> None:
    dep = deployment
    create_topic(dep.admin, dep.topic, 1)
    dep.configure()
    produce(dep.bootstrap, dep.topic, [(0, b"1"), (0, b"2")])
    calls = {"n": 0}

    def fails(event: dict[str, Any], context: Any) -> Any:
        calls["n"] += 1
        raise RuntimeError("the target is down")

    esm = dep.mapping(fails)
    esm.run(lambda: calls["n"] >= 3)
    assert calls["n"] == 3
    assert committed(dep.bootstrap, f"connect-{dep.name}", dep.topic, 1) == [-1001]  # nothing committed


def test_a_second_mapping_joining_the_group_loses_nothing_and_commits_everything(deployment: Deployment) -> None:
    """Commits are asynchronous: the revoked partitions' commits are settled before the group moves them."""
    dep = deployment
    create_topic(dep.admin, dep.topic, 4)
    dep.configure()
    items = [(i % 4, b"%d" % i) for i in range(2000)]
    produce(dep.bootstrap, dep.topic, items)

    def slow(event: dict[str, Any], context: Any) -> Any:  # so that the first alone cannot drain the topic
        time.sleep(0.05)
        return dep.app.lambda_handler(event, context)

    first = dep.mapping(slow, batch_size=25)
    for _ in range(6):
        first.run_once(idle_timeout=2.0)
    assert 0 < first.stats.records_succeeded < 2000
    second = dep.mapping(batch_size=25)
    deadline = time.monotonic() + 60
    while len(dep.written()) < 2000 and time.monotonic() < deadline:
        first.run_once(idle_timeout=0.2)
        second.run_once(idle_timeout=0.2)
    assert second.stats.records_succeeded > 0  # the group was shared
    assert sorted(int(v) for v in dep.written().values()) == list(range(2000))
    assert first.stats.records_succeeded + second.stats.records_succeeded >= 2000  # at least once
    first.stop()
    second.stop()
    assert committed(dep.bootstrap, f"connect-{dep.name}", dep.topic, 4) == [500, 500, 500, 500]

"""Standalone mode's sink runner (mapping emulator -> sink handler, in-process) on a real broker."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

import sink_fakes
from connectless.config import ConfigError
from connectless.connector import SinkConnector, SinkTask
from connectless.connector import TopicPartition as ConnectTopicPartition
from connectless.kafka import KafkaSettings
from connectless.plugins import PluginKind, register
from connectless.standalone.inprocess_sink import InProcessSinkRunner, SinkTaskFailedError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from confluent_kafka.admin import AdminClient

    from connectless.records import SinkRecord

pytestmark = pytest.mark.kafka


def setup(bootstrap: str, admin: AdminClient, unique: Callable[..., str], values: list[bytes], **extra: str) -> dict:
    name, topic = unique("conn"), unique("in")
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = KafkaSettings(bootstrap).producer()
    for value in values:
        producer.produce(topic, value, b"k")
    assert producer.flush(30) == 0
    sink_fakes.reset(name)
    return {"name": name, "connector.class": "MemorySink", "topics": topic,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false", **extra}  # fmt: skip


def committed(bootstrap: str, config: dict) -> int:
    consumer = KafkaSettings(bootstrap).consumer(f"connect-{config['name']}")
    try:
        return int(consumer.committed([TopicPartition(config["topics"], 0)], timeout=30)[0].offset)
    finally:
        consumer.close()


def run_until(runner: InProcessSinkRunner, done: Callable[[], bool], timeout: float = 30.0) -> None:
    """run() on this thread until `done()` or the timeout; a failure of the task propagates."""
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        runner.run(lambda: done() or deadline.is_set())
    finally:
        timer.cancel()


def test_every_batch_is_committed_once_written(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    config = setup(kafka_bootstrap, kafka_admin, unique_topic, [b"%d" % i for i in range(50)],
                   **{"consumer.override.max.poll.records": "20"})  # fmt: skip
    runner = InProcessSinkRunner(config["name"], 0, config, config, KafkaSettings(kafka_bootstrap))
    runner.start()
    try:
        run_until(runner, lambda: len(sink_fakes.WRITTEN[config["name"]]) >= 50)
    finally:
        runner.stop()
    assert sorted(sink_fakes.WRITTEN[config["name"]].values()) == list(range(50))
    assert committed(kafka_bootstrap, config) == 50
    assert runner.describe()["batches"] >= 3  # BatchSize from consumer.override.max.poll.records


def test_tolerance_none_fails_the_task_at_the_bad_record_and_a_restart_begins_there(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    config = setup(kafka_bootstrap, kafka_admin, unique_topic, [b"1", b"2", b"{oops", b"4"])
    settings = KafkaSettings(kafka_bootstrap)
    runner = InProcessSinkRunner(config["name"], 0, config, config, settings)
    runner.start()
    try:
        with pytest.raises(SinkTaskFailedError, match=r"@2 \(errors.tolerance=none\)") as info:
            run_until(runner, lambda: False)
        assert "JsonConverter" in str(info.value) or "json" in str(info.value).lower()
    finally:
        runner.stop()
    assert sorted(sink_fakes.WRITTEN[config["name"]].values()) == [1, 2]
    assert committed(kafka_bootstrap, config) == 2  # up to the record that failed the task

    fixed = {**config, "errors.tolerance": "all"}  # the operator tolerates it and restarts the task
    again = InProcessSinkRunner(config["name"], 0, fixed, fixed, settings)
    again.start()
    try:
        run_until(again, lambda: committed(kafka_bootstrap, config) == 4)
    finally:
        again.stop()
    assert sorted(sink_fakes.WRITTEN[config["name"]].values()) == [1, 2, 4]


def test_a_task_that_cannot_start_fails_at_start(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    config = setup(kafka_bootstrap, kafka_admin, unique_topic, [],
                   **{"connector.class": "FileStreamSink", "file": "/nonexistent-dir/out.jsonl"})  # fmt: skip
    runner = InProcessSinkRunner(config["name"], 0, config, config, KafkaSettings(kafka_bootstrap))
    with pytest.raises((OSError, ConfigError)):
        runner.start()
    runner.stop()


PUT_OFFSETS: dict[str, list[int]] = {}


@register(PluginKind.SINK, "test.RewindOnceSinkConnector", "RewindOnceSink")
class RewindOnceSinkConnector(SinkConnector):
    def task_class(self) -> type[SinkTask]:
        return RewindOnceSinkTask


class RewindOnceSinkTask(SinkTask):
    """Puts offsets into PUT_OFFSETS; on the value `rewind.at` (the first time) rewinds to `rewind.to`."""

    def start(self, props: Mapping[str, str]) -> None:
        self.name, self.at, self.to = props["name"], props["rewind.at"], int(props["rewind.to"])
        PUT_OFFSETS[self.name] = []

    def put(self, records: Sequence[SinkRecord]) -> None:
        for record in records:
            PUT_OFFSETS[self.name].append(record.kafka_offset)
            if str(record.value) == self.at:
                self.at = ""
                self.context.offset({ConnectTopicPartition(record.topic, record.kafka_partition or 0): self.to})

    def stop(self) -> None:
        pass


def test_a_rewind_behind_the_batch_moves_the_consumer_back_and_commits_there(
    kafka_bootstrap: str, kafka_admin: AdminClient, unique_topic: Callable[..., str]
) -> None:
    """Standalone mode keeps SinkTaskContext.offset() as Kafka Connect does, even behind the batch the task was given:
    the mapping emulator seeks the group's consumer (a Lambda mapping cannot)."""
    config = setup(kafka_bootstrap, kafka_admin, unique_topic, [b"%d" % i for i in range(10)],
                   **{"connector.class": "RewindOnceSink", "rewind.at": "7", "rewind.to": "2",
                      "consumer.override.max.poll.records": "3"})  # fmt: skip
    runner = InProcessSinkRunner(config["name"], 0, config, config, KafkaSettings(kafka_bootstrap))
    runner.start()
    try:
        run_until(runner, lambda: PUT_OFFSETS.get(config["name"], [])[-1:] == [9])
    finally:
        runner.stop()
    # batches of 3: [0 1 2] [3 4 5] [6 7 8]: at 7 the task goes back to 2, and the rest of the topic comes again
    assert PUT_OFFSETS[config["name"]] == [*range(9), *range(2, 10)]
    assert committed(kafka_bootstrap, config) == 10

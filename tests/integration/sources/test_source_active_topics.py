"""Active topics (KIP-558) on the real broker: a source task records the topic it produces to in the status topic,
in Kafka Connect's format, once; the REST API lists it and its reset writes the tombstone."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from source_support import SourceWorld, read_raw

from connectless.manager import ConnectState, InProcessExecutor, MemoryBackend
from connectless.rest import ConnectService, make_handler
from connectless.rest.local_server import proxy_event

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.kafka


def _rest(service: ConnectService) -> Callable[[str, str], tuple[int, Any]]:
    handler = make_handler(lambda: service)

    def call(method: str, path: str) -> tuple[int, Any]:
        response = handler(proxy_event(method, path, {}, b"", "127.0.0.1"), None)
        text = response.get("body") or ""
        return response["statusCode"], json.loads(text) if text else None

    return call


def test_a_source_task_records_its_topic_once_and_rest_lists_and_resets_it(
    kafka_bootstrap: str, unique_topic: Callable[..., str]
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("gen")
    world.add_connector("gen-1", {
        "connector.class": "Datagen", "kafka.topic": topic, "max.records": "50", "batch.size": "10",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    })  # fmt: skip
    handler = world.handler()
    before = int(time.time() * 1000)
    assert handler.handle("gen-1", 0, remaining_s=lambda: 30.0).records_out == 50
    world.add_connector("gen-1", {"connector.class": "Datagen", "kafka.topic": topic, "max.records": "80"})
    assert handler.handle("gen-1", 0, remaining_s=lambda: 30.0).outcome == "RAN"  # the same container again

    key = f"status-topic-{topic}:connector-gen-1".encode()
    records = [(k, v) for k, v in read_raw(kafka_bootstrap, world.status_topic) if k == key]
    assert len(records) == 1, records  # once per topic, not per record, batch or invocation
    value = records[0][1]
    assert value is not None
    found = orjson.loads(value)
    assert set(found) == {"topic"}
    assert found["topic"]["name"] == topic
    assert found["topic"]["connector"] == "gen-1"
    assert found["topic"]["task"] == 0
    assert before <= found["topic"]["discoverTimestamp"] <= int(time.time() * 1000)

    state = ConnectState.on_kafka(world.settings, "test:0", configs_topic=world.configs_topic,
                                  status_topic=world.status_topic, offsets_topic=world.offsets_topic)  # fmt: skip
    try:
        service = ConnectService(state, InProcessExecutor(state, MemoryBackend()))
        api = _rest(service)
        assert service.topics("gen-1") == {"gen-1": {"topics": [topic]}}
        assert api("GET", "/connectors/gen-1/topics") == (200, {"gen-1": {"topics": [topic]}})

        assert api("PUT", "/connectors/gen-1/topics/reset") == (202, None)
        assert [v for k, v in read_raw(kafka_bootstrap, world.status_topic) if k == key] == [value, None]
        assert world.statuses().topics("gen-1") == []
        assert api("GET", "/connectors/gen-1/topics") == (200, {"gen-1": {"topics": []}})
    finally:
        state.stop()

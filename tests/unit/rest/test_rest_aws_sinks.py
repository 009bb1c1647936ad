"""The REST API on AWS refuses the sink configs a Kafka event-source mapping cannot run (400, saying why), and
accepts them in standalone mode; the consumer groups of a sink on AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectless.manager import ConnectState, InProcessExecutor, MemoryBackend
from connectless.manager.aws_sinks import sink_group, sink_groups
from connectless.rest import ConnectService, make_handler
from connectless.rest.local_server import proxy_event

SINK = {"connector.class": "FileStreamSink", "file": "/dev/null"}


def api(*, on_aws: bool) -> Any:
    state = ConnectState.in_memory()
    handler = make_handler(lambda: ConnectService(state, InProcessExecutor(state, MemoryBackend()), on_aws=on_aws))

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        raw = json.dumps(body).encode() if body is not None else b""
        response = handler(proxy_event(method, path, {}, raw, "127.0.0.1"), None)
        return response["statusCode"], json.loads(response.get("body") or "null")

    return call


def test_topics_regex_is_refused_on_aws_with_the_reason() -> None:
    status, body = api(on_aws=True)("POST", "/connectors", {"name": "s", "config": {**SINK, "topics.regex": "a.*"}})
    assert status == 400
    assert "topics.regex is not supported on AWS" in body["message"]
    assert api(on_aws=False)("POST", "/connectors", {"name": "s", "config": {**SINK, "topics.regex": "a.*"}})[0] == 201


@pytest.mark.parametrize(
    ("key", "value"),
    [("connectless.sink.maximum.retry.attempts", "3"), ("connectless.sink.maximum.record.age.seconds", "600"),
     ("connectless.sink.bisect.batch.on.function.error", "true"),
     ("connectless.sink.on.failure.destination", "kafka://dlq")],
)  # fmt: skip
def test_the_mappings_error_handling_needs_provisioned_mode_on_aws(key: str, value: str) -> None:
    call = api(on_aws=True)
    status, body = call("POST", "/connectors", {"name": "s", "config": {**SINK, "topics": "a", key: value}})
    assert status == 400
    assert key in body["message"] and "provisioned mode" in body["message"]
    provisioned = {**SINK, "topics": "a", key: value, "connectless.sink.maximum.pollers": "2"}
    assert call("POST", "/connectors", {"name": "s", "config": provisioned})[0] == 201


def test_defaults_need_no_provisioned_mode() -> None:
    config = {**SINK, "topics": "a", "connectless.sink.maximum.retry.attempts": "-1"}
    assert api(on_aws=True)("POST", "/connectors", {"name": "s", "config": config})[0] == 201


def test_groups_one_topic_keeps_kafka_connects_several_get_one_each() -> None:
    assert sink_groups("orders", ["a"]) == {"a": "connect-orders"}
    assert sink_groups("orders", ["a", "b"]) == {"a": "connect-orders-a", "b": "connect-orders-b"}
    assert sink_group("orders", "c", ["a", "b"]) == "connect-orders-c"

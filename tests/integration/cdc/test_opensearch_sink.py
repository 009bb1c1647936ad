"""The OpenSearch sink against a real OpenSearch node (started from Maven Central's jars by the test setup)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import requests

from connectless.connectors.opensearch import OpenSearchSinkTask, build_client, document_id
from connectless.errors.exceptions import RetriableError
from connectless.kafka.settings import KafkaSettings
from connectless.records import SinkRecord
from connectless.standalone.inprocess_sink import InProcessSinkRunner

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectless.connector import ErrantRecordReporter


class _Context:
    """The sink context a test gives the task; the reporter collects what the task reports."""

    def __init__(self) -> None:
        self.reported: list[tuple[SinkRecord, BaseException]] = []

    def configs(self) -> dict[str, str]:
        return {}

    def errant_record_reporter(self) -> ErrantRecordReporter:
        return self

    def report(self, record: SinkRecord, error: BaseException) -> None:
        self.reported.append((record, error))


def _index() -> str:
    return f"idx-{uuid.uuid4().hex[:12]}"


def _task(url: str, **props: str) -> tuple[OpenSearchSinkTask, _Context]:
    task = OpenSearchSinkTask()
    context = _Context()
    task.initialize(context)  # type: ignore[arg-type]
    task.start({"connection.url": url, "retry.backoff.ms": "50", **props})
    return task, context


def _record(topic: str, key: Any, value: Any, offset: int, partition: int = 0) -> SinkRecord:
    return SinkRecord(topic, partition, None, key, None, value, kafka_offset=offset)


def _docs(url: str, index: str) -> dict[str, dict[str, Any]]:
    requests.post(f"{url}/{index}/_refresh", timeout=10).raise_for_status()
    found = requests.get(f"{url}/{index}/_search", params={"size": 1000}, timeout=10).json()
    return {hit["_id"]: hit["_source"] for hit in found["hits"]["hits"]}


def test_key_is_the_id_updates_replace_and_tombstones_delete(opensearch_url: str) -> None:
    index = _index()
    task, _ = _task(opensearch_url)
    task.put([_record(index, 1, {"id": 1, "name": "a"}, 0), _record(index, 2, {"id": 2, "name": "b"}, 1)])
    task.put([_record(index, 1, {"id": 1, "name": "a2"}, 2), _record(index, 2, None, 3)])
    assert _docs(opensearch_url, index) == {"1": {"id": 1, "name": "a2"}}
    task.stop()


def test_replaying_a_batch_is_idempotent_with_offset_ids(opensearch_url: str) -> None:
    index = _index()
    task, _ = _task(opensearch_url, **{"key.ignore": "true"})
    batch = [_record(index, None, {"n": i}, i, partition=3) for i in range(5)]
    task.put(batch)
    task.put(batch)  # a redelivery after a crash before the commit
    docs = _docs(opensearch_url, index)
    assert sorted(docs) == [f"{index}+3+{i}" for i in range(5)]
    task.stop()


def test_struct_key_with_one_field_gives_that_field() -> None:
    record = _record("t", {"id": 42}, {}, 0)
    assert document_id(record, key_ignore=False) == "42"
    assert document_id(_record("t", {"b": 1, "a": "x"}, {}, 0), key_ignore=False) == '{"a":"x","b":1}'


def test_a_mapping_error_reports_only_that_document(opensearch_url: str) -> None:
    index = _index()
    requests.put(
        f"{opensearch_url}/{index}", json={"mappings": {"properties": {"n": {"type": "integer"}}}}, timeout=10
    ).raise_for_status()
    task, context = _task(opensearch_url)
    records = [_record(index, i, {"n": "not a number" if i == 2 else i}, i) for i in range(4)]
    task.put(records)
    assert [r.kafka_offset for r, _ in context.reported] == [2]
    assert "mapper_parsing_exception" in str(context.reported[0][1])
    assert sorted(_docs(opensearch_url, index)) == ["0", "1", "3"]
    task.stop()


def test_429_from_a_blocked_index_is_retried_until_it_clears(opensearch_url: str) -> None:
    """A read_only_allow_delete block answers every write with a real 429; the sink backs off and retries."""
    index = _index()
    requests.put(f"{opensearch_url}/{index}", timeout=10).raise_for_status()
    block = {"index.blocks.read_only_allow_delete": True}
    requests.put(f"{opensearch_url}/{index}/_settings", json=block, timeout=10).raise_for_status()
    task, context = _task(opensearch_url, **{"max.retries": "30", "max.retry.backoff.ms": "200"})
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    task._sleep = sleep

    def unblock() -> None:
        time.sleep(1.0)
        clear = {"index.blocks.read_only_allow_delete": None}
        requests.put(f"{opensearch_url}/{index}/_settings", json=clear, timeout=10).raise_for_status()

    thread = threading.Thread(target=unblock)
    thread.start()
    task.put([_record(index, i, {"n": i}, i) for i in range(3)])
    thread.join()
    assert sleeps, "the 429s were retried with backoff"
    assert context.reported == []
    assert sorted(_docs(opensearch_url, index)) == ["0", "1", "2"]
    task.stop()


def test_a_server_that_stays_unreachable_is_a_retriable_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    task, _ = _task(f"http://127.0.0.1:{port}", **{"max.retries": "2", "retry.backoff.ms": "1"})
    with pytest.raises(RetriableError, match="connection error"):
        task.put([_record("t", 1, {"n": 1}, 0)])


def test_sigv4_signs_each_request_and_the_node_accepts_it(opensearch_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The IAM path end to end up to the signature: requests carry SigV4 headers (the local node has no IAM)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    from connectless.connectors.opensearch import CONFIG_DEF

    config = CONFIG_DEF.parse({"connection.url": opensearch_url, "auth.type": "aws-sigv4", "aws.region": "eu-west-1"})
    client = build_client(config)
    seen: list[str] = []
    connection = client.transport.get_connection()
    original = connection.session.send

    def send(request: Any, **kwargs: Any) -> Any:
        seen.append(request.headers.get("Authorization", ""))
        return original(request, **kwargs)

    connection.session.send = send
    index = _index()
    task, _ = _task(opensearch_url)
    task.client = client
    task.put([_record(index, 1, {"n": 1}, 0)])
    assert seen and all(h.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") for h in seen)
    assert "/eu-west-1/es/aws4_request" in seen[0]
    assert _docs(opensearch_url, index) == {"1": {"n": 1}}


@pytest.mark.kafka
def test_runner_routes_indices_and_dead_letters_a_rejected_document(
    opensearch_url: str, kafka_bootstrap: str, unique_topic: Any
) -> None:
    """Real Kafka + real OpenSearch: RegexRouter then TimestampRouter name the index; under errors.tolerance=all
    the one document OpenSearch rejects goes to the dead letter queue and the others are indexed."""
    topic = unique_topic("orders")
    dlq = unique_topic("dlq")
    settings = KafkaSettings(kafka_bootstrap)
    producer = settings.producer()
    ts = 1_767_225_600_000  # 2026-01-01
    values: Sequence[Any] = [{"n": 1}, {"n": 2}, {"n": "x"}, {"n": 4}]
    for i, value in enumerate(values):
        producer.produce(topic, key=str(i).encode(), value=orjson.dumps(value), timestamp=ts)
    producer.flush(30)
    routed = f"routed-{topic[-10:]}".lower()
    index = f"{routed}-2026.01"
    requests.put(
        f"{opensearch_url}/{index}", json={"mappings": {"properties": {"n": {"type": "long"}}}}, timeout=10
    ).raise_for_status()
    config = {
        "name": f"os-{topic}",
        "connector.class": "OpenSearchSink",
        "topics": topic,
        "connection.url": opensearch_url,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "transforms": "route,month",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": ".*",
        "transforms.route.replacement": routed,
        "transforms.month.type": "org.apache.kafka.connect.transforms.TimestampRouter",
        "transforms.month.topic.format": "${topic}-${timestamp}",
        "transforms.month.timestamp.format": "yyyy.MM",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    }
    runner = InProcessSinkRunner(config["name"], 0, config, config, settings)  # standalone mode's sink path
    runner.start()
    try:
        deadline = time.monotonic() + 60
        runner.run(lambda: runner.records_in >= len(values) or time.monotonic() >= deadline)
    finally:
        runner.stop()
    assert sorted(_docs(opensearch_url, index)) == ["0", "1", "3"]
    consumer = settings.consumer(f"check-{dlq}")
    consumer.subscribe([dlq])
    dead: list[Any] = []
    deadline = time.monotonic() + 30
    while not dead and time.monotonic() < deadline:
        dead = [m for m in consumer.consume(10, 1.0) if m.error() is None]
    consumer.close()
    assert len(dead) == 1
    assert dead[0].key() == b"2" and orjson.loads(dead[0].value()) == {"n": "x"}
    headers = dict(dead[0].headers() or [])
    assert headers["__connect.errors.stage"] == b"TASK_PUT"
    assert b"mapper_parsing_exception" in headers["__connect.errors.exception.message"]

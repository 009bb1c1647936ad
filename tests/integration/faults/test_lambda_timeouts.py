"""The sink function runs out of time mid-batch, and the mapping delivers a batch twice: nothing lost, and the
idempotent sinks hold each record once.

The real function (functions/sink_task/app.py, Powertools and all) behind the event-source-mapping emulator on the
real broker, into real targets: PostgreSQL (JDBC upsert), OpenSearch (document ids), S3 and DynamoDB (moto).

After a first batch (a warm container), the next invocation gets a Lambda context with little time left, and its
deadline passes once the batch's first write has landed: the invocation is cut where it stands (SIGALRM raises in
the handler, as the runtime ends an invocation at its deadline: what was written stays written, no response,
nothing committed), and the container is recycled (the warm state closed, the module loaded again, as Lambda
starts a new sandbox after a timeout). The mapping retries the batch. Then the last batch is delivered once more
as it was. Each sink must then hold every record exactly once.

Append-only sinks (FileStreamSink, HttpSink without an idempotent receiver) write a redelivered record again:
the README says so.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import psycopg
import pytest
import requests
from confluent_kafka.admin import NewTopic
from fault_stacks import report
from moto import mock_aws

import connectless.lambda_sink.handler as sink_handler
from connectless.kafka import KafkaSettings
from connectless.runtime.lambda_context import EmulatedLambdaContext
from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig
from connectless.storage import ConfigStore, KafkaLog

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import ModuleType

    from confluent_kafka.admin import AdminClient

    import db_servers

pytestmark = pytest.mark.kafka
WARM, RECORDS = 200, 1_500
CUT_S = 0.5  # the time left in the cut invocation's context
SINK_APP = Path(__file__).resolve().parents[3] / "functions" / "sink_task" / "app.py"


class LambdaTimeoutError(BaseException):
    """The runtime ending an invocation at its deadline: like a kill, no `except Exception` of the code stops it."""


def load_function() -> ModuleType:
    """A fresh sandbox: the function's module loaded anew (no warm state)."""
    spec = importlib.util.spec_from_file_location(f"sink_app_{uuid.uuid4().hex[:6]}", SINK_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Sink:
    """One target: the connector config and a way to list what it holds, one entry per stored record."""

    def __init__(self, topic: str, config: dict[str, str], stored: Callable[[], list[int]]) -> None:
        self.topic = topic
        self.config = config
        self.stored = stored


@pytest.fixture
def sink(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    kind, topic = request.param, f"lt-{uuid.uuid4().hex[:8]}"
    if kind == "jdbc":
        server: db_servers.PostgresServer = request.getfixturevalue("postgres_server")
        name = "lt" + uuid.uuid4().hex[:10]
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        dsn = server.dsn.rsplit("/", 1)[0] + "/" + name

        def rows() -> list[int]:
            with psycopg.connect(dsn) as conn:
                return [int(r[0]) for r in conn.execute("SELECT id FROM orders").fetchall()]

        yield Sink(topic, {"connector.class": "JdbcSink", "connection.url": f"jdbc:postgresql://127.0.0.1:{server.port}/"
                    f"{name}?user=postgres", "table.name.format": "orders", "insert.mode": "upsert",
                    "pk.mode": "record_value", "pk.fields": "id", "auto.create": "true"}, rows)  # fmt: skip
    elif kind == "opensearch":
        url: str = request.getfixturevalue("opensearch_url")
        index = topic  # the sink's index is the record's topic

        def docs() -> list[int]:
            requests.post(f"{url}/{index}/_refresh", timeout=10).raise_for_status()
            found = requests.get(f"{url}/{index}/_search", params={"size": 10_000}, timeout=30).json()
            return [int(hit["_source"]["id"]) for hit in found["hits"]["hits"]]

        yield Sink(topic, {"connector.class": "ElasticsearchSinkConnector", "connection.url": url,
                           "key.ignore": "false"}, docs)  # fmt: skip
    else:
        for key, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1",
                           "AWS_REGION": "us-east-1"}.items():  # fmt: skip
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            if kind == "s3":
                s3 = boto3.client("s3")
                s3.create_bucket(Bucket="lake")

                def lines() -> list[int]:
                    objects = s3.list_objects_v2(Bucket="lake").get("Contents", [])
                    bodies = [s3.get_object(Bucket="lake", Key=o["Key"])["Body"].read() for o in objects]
                    return [json.loads(line)["id"] for body in bodies for line in body.splitlines()]

                yield Sink(topic, {"connector.class": "S3Sink", "s3.bucket.name": "lake", "flush.size": "100"}, lines)
            else:
                table = boto3.resource("dynamodb").create_table(
                    TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
                    BillingMode="PAY_PER_REQUEST")  # fmt: skip

                def items() -> list[int]:
                    found, page = [], table.scan()
                    found += page["Items"]
                    while "LastEvaluatedKey" in page:
                        page = table.scan(ExclusiveStartKey=page["LastEvaluatedKey"])
                        found += page["Items"]
                    return [int(item["id"]) for item in found]

                yield Sink(topic, {"connector.class": "DynamoDbSink", "table.name.format": "orders",
                            "pk.mode": "record_value", "pk.fields": "id"}, items)  # fmt: skip


@pytest.mark.parametrize("sink", ["jdbc", "opensearch", "s3", "dynamodb"], indirect=True)
def test_a_timeout_mid_batch_and_a_batch_delivered_twice(sink: Sink, kafka_bootstrap: str, kafka_admin: AdminClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    topic = name = tag = sink.topic
    settings = KafkaSettings(kafka_bootstrap)
    kafka_admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    env = {"CONNECTLESS_CONFIG_TOPIC": f"{tag}-cfg", "CONNECTLESS_STATUS_TOPIC": f"{tag}-st",
           "CONNECTLESS_OFFSETS_TOPIC": f"{tag}-off", "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    store = ConfigStore(KafkaLog(settings, env["CONNECTLESS_CONFIG_TOPIC"]))
    store.start()
    store.put_connector_config(name, {
        "name": name, "topics": topic, "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
        "consumer.override.max.poll.records": "100", **sink.config})  # fmt: skip
    store.log.stop()
    producer = settings.producer()

    def produce(ids: range) -> None:
        for i in ids:
            producer.produce(topic, json.dumps({"id": i, "qty": i % 7}).encode(), str(i).encode())
        assert producer.flush(30) == 0

    function = {"module": load_function()}
    seen: dict[str, Any] = {"invocations": 0, "cut": False, "stored_at_cut": None, "last": None}
    slow = threading.Event()  # set while the cut invocation runs: each chunk waits a moment after the one before
    write_chunks = sink_handler.write_chunks

    def paced(chunks: Iterator[Any]) -> Iterator[Any]:
        for i, chunk in enumerate(chunks):
            if i and slow.is_set():  # the chunk before is written: leave the deadline time to land mid-batch
                time.sleep(0.05)
            yield chunk

    def paced_write(task: Any, chunks: Iterator[Any], *args: Any, **kwargs: Any) -> Any:
        return write_chunks(task, paced(chunks), *args, **kwargs)

    monkeypatch.setattr(sink_handler, "write_chunks", paced_write)

    def on_deadline(_signum: int, _frame: Any) -> None:
        raise LambdaTimeoutError(f"Task timed out after {CUT_S:.2f} seconds")

    def deadline_after_first_write(done: threading.Event) -> None:
        """The deadline, placed after the batch's first write landed: the cut is mid-batch whatever the speed."""
        while not done.wait(0.01):
            if len(sink.stored()) > WARM:
                os.kill(os.getpid(), signal.SIGALRM)
                return

    def invoke(event: dict[str, Any], context: Any) -> Any:
        seen["invocations"] += 1
        seen["last"] = (copy.deepcopy(event), context)
        if seen["cut"] or not cutting.is_set():
            return function["module"].lambda_handler(event, context)
        seen["cut"] = True
        short = EmulatedLambdaContext(context.function_name, name, timeout_s=CUT_S)
        previous = signal.signal(signal.SIGALRM, on_deadline)
        done = threading.Event()
        watcher = threading.Thread(target=deadline_after_first_write, args=(done,), daemon=True)
        slow.set()
        watcher.start()
        try:
            return function["module"].lambda_handler(event, short)
        except LambdaTimeoutError as exc:  # what the Lambda service tells the mapping: a function error
            raise RuntimeError(str(exc)) from None
        finally:
            slow.clear()
            signal.signal(signal.SIGALRM, signal.SIG_IGN)  # a deadline after the batch ended: the check below says so
            done.set()
            watcher.join()
            signal.signal(signal.SIGALRM, previous)
            seen["stored_at_cut"] = len(sink.stored())
            recycle(function)

    config = MappingConfig(name, [topic], batch_size=10_000, retry_delay_s=0.2, maximum_batching_window_s=0.5,
                           function_timeout_s=30.0, function_name="connectless-sink")  # fmt: skip
    esm = EventSourceMappingEmulator(settings, config, invoke)
    cutting = threading.Event()
    esm.start()
    try:
        produce(range(WARM))  # a warm container first, as most invocations find it
        esm.run_until_idle(idle_timeout=1.0)
        cutting.set()
        produce(range(WARM, WARM + RECORDS))
        esm.run_until_idle(idle_timeout=1.0)
    finally:
        esm.stop()
    assert seen["cut"] and esm.stats.function_errors >= 1, "no invocation was cut"
    assert WARM < seen["stored_at_cut"] < WARM + RECORDS, f"not cut mid-batch: {seen['stored_at_cut']} stored"
    after_redelivery = sorted(sink.stored())
    event, context = seen["last"]
    response = function["module"].lambda_handler(event, context)  # the same batch, delivered again
    assert not (response or {}).get("batchItemFailures"), response
    stored = sorted(sink.stored())
    recycle(function)
    everything = list(range(WARM + RECORDS))
    assert after_redelivery == everything, "lost or doubled after the timeout's redelivery"
    assert stored == everything, "doubled by the second delivery of the same batch"
    report(f"Lambda timeout into {sink.config['connector.class']}: a batch of {RECORDS} cut when "
           f"{seen['stored_at_cut'] - WARM} of it were stored, redelivered ({seen['invocations']} invocations), then "
           f"delivered twice; {len(stored)} records stored, each once")  # fmt: skip


def recycle(function: dict[str, Any]) -> None:
    """The container after a timeout: its warm state closed (connections dropped), a new module."""
    handler = getattr(function["module"], "_handler", None)
    if handler is not None:
        handler.close()
        handler.configs.log.stop()
        if handler.statuses is not None:
            handler.statuses.log.stop()
    function["module"] = load_function()

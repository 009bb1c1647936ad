"""examples/avro-orders as its README runs it: Datagen with AvroConverter -> Kafka -> the JDBC sink (AvroConverter)
into a real PostgreSQL, through the real registry, in one standalone worker."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from connectless.kafka import KafkaSettings
from connectless.standalone.worker import StandaloneWorker, WorkerOptions

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.kafka

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "avro-orders"


def load(name: str, topic: str, db_url: str) -> tuple[str, dict[str, str]]:
    document = json.loads((EXAMPLE / name).read_text())
    config = dict(document["config"])
    for key in ("kafka.topic", "topics"):  # a topic of this test's own on a shared broker
        if key in config:
            config[key] = topic
    config["errors.deadletterqueue.topic.replication.factor"] = "1"
    if "connection.url" in config:  # the README's database, here this test's own
        config["connection.url"] = db_url
    return f"{document['name']}-{topic}", config


def test_datagen_avro_to_postgres(
    kafka_bootstrap: str,
    unique_topic: Callable[..., str],
    schema_registry_url: str,
    postgres_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = "avro" + uuid.uuid4().hex[:10]
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", schema_registry_url)
    db_url = f"jdbc:postgresql://127.0.0.1:{postgres_server.port}/{database}?user=postgres"
    topic = unique_topic("orders-avro")
    options = WorkerOptions(offsets_topic=f"{topic}-offsets", configs_topic=f"{topic}-configs",
                            status_topic=f"{topic}-status", rest_port=None, commit_interval_s=0.2)  # fmt: skip
    worker = StandaloneWorker(KafkaSettings(kafka_bootstrap), options)
    worker.start()
    dsn = postgres_server.dsn.rsplit("/", 1)[0] + "/" + database

    def rows() -> list[tuple[Any, ...]]:
        try:
            with psycopg.connect(dsn) as conn:
                return conn.execute(
                    "SELECT id, customer, item, amount, status, created_at FROM orders ORDER BY id"
                ).fetchall()
        except psycopg.errors.UndefinedTable:
            return []

    try:
        for name in ("datagen-avro.json", "postgres-sink.json"):
            worker.add_connector(*load(name, topic, db_url))
        deadline = time.monotonic() + 90
        while len(found := rows()) < 1000 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        worker.stop()
    assert len(found) == 1000
    assert [r[0] for r in found] == list(range(1000))
    assert found[1][1:5] == ("customer-0919", "pear", 0.37, "PAID")
    assert isinstance(found[1][5], dt.datetime)

"""The flagship pipeline on real servers: MariaDB binlog -> Kafka -> OpenSearch, with the source killed -9 mid-stream.

Two `connectless standalone` processes (source, sink) as a user would run them. Every change gets a unique
version number; after the source is SIGKILLed while changes keep coming, and restarted, the change topic holds
every version (nothing lost) and the index equals the table (inserts, updates and deletes all arrived).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson
import pymysql
import pytest
import requests
from confluent_kafka.admin import AdminClient, NewTopic

from connectless.kafka.settings import KafkaSettings

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from connectless_local.mariadb_binlog import MariaDBBinlogServer

pytestmark = pytest.mark.kafka

INITIAL = 150


def _connectors(db: MariaDBBinlogServer, database: str, prefix: str, opensearch_url: str) -> tuple[dict, dict]:
    source = {
        "name": f"{prefix}-source",
        "config": {
            "connector.class": "io.debezium.connector.mysql.MySqlConnector",
            "database.hostname": "127.0.0.1",
            "database.port": str(db.port),
            "database.user": db.params["user"],
            "database.password": db.params["password"],
            "topic.prefix": prefix,
            "database.include.list": database,
            "poll.interval.ms": "50",
            "max.batch.size": "50",
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        },
    }
    sink = {
        "name": f"{prefix}-sink",
        "config": {
            "connector.class": "OpenSearchSink",
            "topics": f"{prefix}.{database}.items",
            "connection.url": opensearch_url,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "transforms": "unwrap,index",
            "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.unwrap.delete.tombstone.handling.mode": "tombstone",
            "transforms.index.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.index.regex": r".*\.([^.]+)$",
            "transforms.index.replacement": f"{prefix}-$1",
        },
    }
    return source, sink


def _start(bootstrap: str, connector: Path, state: str, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "connectless_cli.main", "standalone", str(connector), "--bootstrap-servers",
           bootstrap, "--rest-port", "0", "--offset-flush-interval-ms", "300", "--offsets-topic", f"{state}-offsets",
           "--config-topic", f"{state}-configs", "--status-topic", f"{state}-status"]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())


def _table(db: MariaDBBinlogServer, database: str) -> dict[str, dict[str, Any]]:
    conn = pymysql.connect(**db.params, database=database)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id, name, v FROM items")
        return {str(i): {"id": i, "name": n, "v": v} for i, n, v in cur.fetchall()}


def _index(url: str, index: str) -> dict[str, dict[str, Any]]:
    if requests.post(f"{url}/{index}/_refresh", timeout=10).status_code == 404:
        return {}
    hits = requests.get(f"{url}/{index}/_search", params={"size": 10_000}, timeout=10).json()["hits"]["hits"]
    return {h["_id"]: {k: h["_source"][k] for k in ("id", "name", "v")} for h in hits}


def _versions_in_topic(bootstrap: str, topic: str) -> set[int]:
    consumer = KafkaSettings(bootstrap).consumer(f"check-{uuid.uuid4().hex}")
    consumer.subscribe([topic])
    versions: set[int] = set()
    idle = 0
    while idle < 3:
        messages = consumer.consume(500, 1.0)
        idle = idle + 1 if not messages else 0
        for message in messages:
            value = message.value()
            if message.error() is None and value:
                payload = orjson.loads(value)["payload"]
                if payload["op"] == "d":
                    versions.add(-payload["before"]["id"])  # a delete counts as the row's negative id
                else:
                    versions.add(payload["after"]["v"])
    consumer.close()
    return versions


def test_changes_reach_the_index_and_a_killed_source_loses_nothing(
    mariadb_binlog: MariaDBBinlogServer,
    opensearch_url: str,
    kafka_bootstrap: str,
    kafka_admin: AdminClient,
    unique_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    database = f"shop_{uuid.uuid4().hex[:8]}"
    prefix = unique_topic("cdc").lower()
    conn = pymysql.connect(**mariadb_binlog.params, autocommit=True)
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE {database}")
    cur.execute(f"CREATE TABLE {database}.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, v INT NOT NULL)")
    version = 0
    expected: set[int] = set()
    for start in range(0, INITIAL, 50):  # rows that only the snapshot can see
        rows = [(i, f"item-{i}", i + 1) for i in range(start, start + 50)]
        cur.executemany(f"INSERT INTO {database}.items VALUES (%s, %s, %s)", rows)
        expected.update(v for _, _, v in rows)
    version = INITIAL

    source_json, sink_json = tmp_path / "source.json", tmp_path / "sink.json"
    for path, doc in zip((source_json, sink_json), _connectors(mariadb_binlog, database, prefix, opensearch_url),
                         strict=True):  # fmt: skip
        path.write_text(json.dumps(doc))
    topic = f"{prefix}.{database}.items"
    kafka_admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)  # the sink subscribes before the source
    sink = _start(kafka_bootstrap, sink_json, f"{prefix}-sink", tmp_path / "sink.log")
    source = _start(kafka_bootstrap, source_json, f"{prefix}-source", tmp_path / "source.log")

    def change(step: int) -> None:
        nonlocal version
        version += 1
        row_id = step % (INITIAL + 40)
        if step % 7 == 3:
            cur.execute(f"DELETE FROM {database}.items WHERE id = %s", (row_id,))
            if cur.rowcount:
                expected.add(-row_id)
            return
        cur.execute(
            f"INSERT INTO {database}.items VALUES (%s, %s, %s) "
            "ON DUPLICATE KEY UPDATE name = VALUES(name), v = VALUES(v)",
            (row_id, f"item-{row_id}-v{version}", version),
        )
        expected.add(version)

    try:
        index = f"{prefix}-items"
        deadline = time.monotonic() + 90
        while len(_index(opensearch_url, index)) < INITIAL and time.monotonic() < deadline:
            time.sleep(0.3)  # the snapshot has reached the index: every change from now on is a binlog event
        assert len(_index(opensearch_url, index)) == INITIAL
        for step in range(300):  # changes while the source streams ...
            change(step)
            time.sleep(0.01)
        source.send_signal(signal.SIGKILL)  # ... kill -9 mid-stream ...
        source.wait(10)
        cur.execute("BEGIN")
        for step in range(300, 420):  # ... a transaction and more changes while it is down ...
            change(step)
        cur.execute("COMMIT")
        for step in range(420, 500):
            change(step)
        source = _start(kafka_bootstrap, source_json, f"{prefix}-source", tmp_path / "source.log")
        for step in range(500, 600):  # ... and after the restart
            change(step)
            time.sleep(0.005)

        table = _table(mariadb_binlog, database)
        deadline = time.monotonic() + 120
        while _index(opensearch_url, index) != table and time.monotonic() < deadline:
            for proc, name in ((source, "source"), (sink, "sink")):
                if proc.poll() is not None:
                    pytest.fail(
                        f"{name} exited with {proc.returncode}: {(tmp_path / f'{name}.log').read_text()[-3000:]}"
                    )
            time.sleep(0.5)
        assert _index(opensearch_url, index) == table
        missing = expected - _versions_in_topic(kafka_bootstrap, topic)
        assert missing == set(), f"{len(missing)} changes lost, e.g. {sorted(missing)[:10]}"
    finally:
        for proc in (source, sink):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (source, sink):
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        conn.close()

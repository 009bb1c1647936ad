"""The SQL source end to end: PostgreSQL -> the source function -> Kafka, exactly-once across a SIGKILL."""

from __future__ import annotations

import collections
import signal
from typing import TYPE_CHECKING

import pytest
from source_support import SourceWorld, read_all
from sql_databases import postgres_database

from connectless.storage.offsets import offset_key

if TYPE_CHECKING:
    from collections.abc import Callable

    import db_servers

pytestmark = pytest.mark.kafka


def test_postgres_table_to_kafka_exactly_once_across_a_crash(
    kafka_bootstrap: str, postgres_server: db_servers.PostgresServer, unique_topic: Callable[..., str]
) -> None:
    db = postgres_database(postgres_server)
    db.execute("CREATE TABLE events (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)")
    for n in range(250):
        db.execute("INSERT INTO events (body) VALUES (%s)", f"event-{n}")
    world = SourceWorld(kafka_bootstrap)
    prefix = unique_topic("pg") + "-"
    world.add_connector("pg", {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "connection.url": db.url,
        "mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "events",
        "topic.prefix": prefix, "batch.max.rows": "40", "poll.interval.ms": "200",
        "exactly.once.support": "required", "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false"})  # fmt: skip
    crashed = world.invoke("pg", CONNECTLESS_CRASH_POINT="offset_write", CONNECTLESS_CRASH_AFTER="3")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    done = world.invoke("pg", CONNECTLESS_SOURCE_MAX_IDLE_MS="500")
    assert done.returncode == 0, done.stderr[-2000:]
    for n in range(250, 260):
        db.execute("INSERT INTO events (body) VALUES (%s)", f"event-{n}")
    assert world.invoke("pg", CONNECTLESS_SOURCE_MAX_IDLE_MS="500").returncode == 0
    ids = [v["id"] for v in read_all(kafka_bootstrap, prefix + "events")]
    assert sorted(ids) == list(range(1, 261))
    assert max(collections.Counter(ids).values()) == 1
    offsets = world.offsets()
    partition = {"protocol": "1", "table": db.fqn("events")}
    assert offsets.offset("pg", partition) == {"incrementing": 260}
    assert offset_key("pg", partition) == f'["pg",{{"protocol":"1","table":"{db.fqn("events")}"}}]'.encode()
    db.close()

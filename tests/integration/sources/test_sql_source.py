"""The SQL source against real SQLite, PostgreSQL and MariaDB: every mode, custom query, whitelist, offsets."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

import pytest
from source_tasks import Offsets
from sql_databases import Database, mariadb_database, postgres_database, sqlite_database

from connectless.connectors.sql import SqlSourceConnector, SqlSourceTask
from connectless.runtime.contexts import RuntimeSourceTaskContext
from connectless.storage import codec

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from connectless.records import SourceRecord


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = sqlite_database(tmp_path)
    elif request.param == "postgresql":
        database = postgres_database(request.getfixturevalue("postgres_server"))
    else:
        database = mariadb_database(request.getfixturevalue("mariadb_server"))
    yield database
    database.close()


def drain(db: Database, offsets: Offsets, **config: str) -> list[SourceRecord]:
    """Start a task, poll until it runs dry, commit its offsets, stop it: one scheduled run."""
    props = {"connection.url": db.url, "topic.prefix": "db-", "poll.interval.ms": "0", **config}
    task = SqlSourceTask()
    task.initialize(RuntimeSourceTaskContext(props, offsets))
    task.start(props)
    records: list[SourceRecord] = []
    try:
        for _ in range(200):
            batch = task.poll()
            if not batch:
                break
            records.extend(batch)
    finally:
        task.stop()
    offsets.commit(records)
    return records


def values(records: list[SourceRecord], field: str = "id") -> list[Any]:
    return [r.value.get(field) for r in records]


def _orders(db: Database) -> None:
    db.execute(f"CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, item VARCHAR(20), "
               f"updated_at {db.timestamp_type} NOT NULL)")  # fmt: skip


def _insert(db: Database, first: int, last: int, stamp: str) -> None:
    for i in range(first, last + 1):
        db.execute("INSERT INTO orders (id, item, updated_at) VALUES (%s, %s, %s)", i, f"item-{i}", stamp)


def test_incrementing_resumes_from_its_offset(db: Database) -> None:
    _orders(db)
    _insert(db, 1, 5, "2024-01-01 10:00:00")
    offsets = Offsets()
    config = {"mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "orders",
              "batch.max.rows": "2"}  # fmt: skip
    first = drain(db, offsets, **config)
    assert values(first) == [1, 2, 3, 4, 5]
    assert {r.topic for r in first} == {"db-orders"}
    assert first[-1].source_partition == {"protocol": "1", "table": db.fqn("orders")}
    assert first[-1].source_offset == {"incrementing": 5}
    assert drain(db, offsets, **config) == []
    _insert(db, 6, 7, "2024-01-01 10:00:00")
    assert values(drain(db, offsets, **config)) == [6, 7]


def test_timestamp_mode_sees_updates(db: Database) -> None:
    _orders(db)
    _insert(db, 1, 3, "2024-01-01 10:00:00.250")
    offsets = Offsets()
    config = {"mode": "timestamp", "timestamp.column.name": "updated_at", "table.whitelist": "orders"}
    assert values(drain(db, offsets, **config)) == [1, 2, 3]
    stamp = dt.datetime(2024, 1, 1, 10, 0, 0, 250_000, tzinfo=dt.UTC)
    millis = int(stamp.timestamp() * 1000)
    assert offsets.offset({"protocol": "1", "table": db.fqn("orders")}) == {
        "timestamp": millis, "timestamp_nanos": 250_000_000}  # fmt: skip
    db.execute("UPDATE orders SET item = %s, updated_at = %s WHERE id = 2", "changed", "2024-01-02 08:00:00")
    again = drain(db, offsets, **config)
    assert values(again) == [2]
    assert again[0].value.get("item") == "changed"
    assert again[0].value.get("updated_at") == dt.datetime(2024, 1, 2, 8, tzinfo=dt.UTC)


def test_timestamp_incrementing_splits_equal_timestamps_safely(db: Database) -> None:
    _orders(db)
    _insert(db, 1, 5, "2024-01-01 10:00:00")  # five rows on one timestamp, read two at a time
    offsets = Offsets()
    config = {"mode": "timestamp+incrementing", "timestamp.column.name": "updated_at",
              "incrementing.column.name": "id", "table.whitelist": "orders", "batch.max.rows": "2"}  # fmt: skip
    assert values(drain(db, offsets, **config)) == [1, 2, 3, 4, 5]
    _insert(db, 6, 6, "2024-01-01 10:00:00")  # same timestamp, higher id
    _insert(db, 7, 7, "2024-01-03 00:00:00")
    db.execute("UPDATE orders SET updated_at = %s WHERE id = 1", "2024-01-02 00:00:00")
    assert values(drain(db, offsets, **config)) == [6, 1, 7]
    offset = offsets.offset({"protocol": "1", "table": db.fqn("orders")})
    assert offset is not None and offset["incrementing"] == 7


def test_bulk_reloads_everything_without_offsets(db: Database) -> None:
    _orders(db)
    _insert(db, 1, 3, "2024-01-01 10:00:00")
    offsets = Offsets()
    config = {"mode": "bulk", "table.whitelist": "orders", "poll.interval.ms": "60000"}
    assert values(drain(db, offsets, **config)) == [1, 2, 3]
    assert values(drain(db, offsets, **config)) == [1, 2, 3]
    assert offsets.data == {}


def test_custom_query_with_incrementing(db: Database) -> None:
    _orders(db)
    _insert(db, 1, 4, "2024-01-01 10:00:00")
    offsets = Offsets()
    config = {"mode": "incrementing", "incrementing.column.name": "id", "topic.prefix": "orders-feed",
              "query": "SELECT id, item FROM orders"}  # fmt: skip
    records = drain(db, offsets, **config)
    assert values(records) == [1, 2, 3, 4]
    assert {r.topic for r in records} == {"orders-feed"}
    assert [f.name for f in records[0].value_schema.fields] == ["id", "item"]  # type: ignore[union-attr]
    assert offsets.offset({"query": "query"}) == {"incrementing": 4}


def test_whitelisted_tables_keep_offsets_per_table(db: Database) -> None:
    _orders(db)
    db.execute("CREATE TABLE users (uid INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20))")
    _insert(db, 1, 2, "2024-01-01 10:00:00")
    for uid in (10, 11, 12):
        db.execute("INSERT INTO users (uid, name) VALUES (%s, %s)", uid, f"u{uid}")
    connector = SqlSourceConnector()
    connector.start({"connection.url": db.url, "topic.prefix": "db-", "mode": "bulk"})
    assert sorted(t.rsplit(".", 1)[-1] for t in connector.tables) == ["orders", "users"]  # discovered
    offsets = Offsets()
    config = {"mode": "incrementing", "incrementing.column.name": "id"}
    orders = drain(db, offsets, **{**config, "table.whitelist": "orders"})
    users = drain(db, offsets, **{**config, "table.whitelist": "users", "incrementing.column.name": "uid"})
    assert (values(orders), values(users, "uid")) == ([1, 2], [10, 11, 12])
    assert {codec.decode(k)["table"]: v for k, v in offsets.data.items()} == {
        db.fqn("orders"): {"incrementing": 2}, db.fqn("users"): {"incrementing": 12}}  # fmt: skip


def test_column_types_map_to_connect_types(db: Database) -> None:
    blob = "BYTEA" if db.kind == "postgresql" else "BLOB"
    db.execute(f"CREATE TABLE typed (id INTEGER NOT NULL PRIMARY KEY, price DECIMAL(10,2), qty BIGINT, "
               f"ratio DOUBLE PRECISION, note TEXT, raw {blob}, day DATE, at {db.timestamp_type})")  # fmt: skip
    price = "12.50" if db.kind == "sqlite" else decimal.Decimal("12.50")
    db.execute("INSERT INTO typed VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", 1, price, 7, 0.5,
               "hello", b"\x00\x01", "2024-02-29", "2024-03-01 12:30:45.123456")  # fmt: skip
    db.execute("INSERT INTO typed (id) VALUES (%s)", 2)
    record, empty = drain(db, Offsets(), mode="incrementing", **{"incrementing.column.name": "id",
                                                                  "table.whitelist": "typed"})  # fmt: skip
    value = record.value
    assert (value.get("qty"), value.get("ratio"), value.get("note")) == (7, 0.5, "hello")
    assert value.get("raw") == b"\x00\x01"
    assert value.get("price") == decimal.Decimal("12.50")  # SQLite: from the declared DECIMAL(10,2)
    assert value.get("day") == dt.date(2024, 2, 29)
    assert value.get("at") == dt.datetime(2024, 3, 1, 12, 30, 45, 123456, tzinfo=dt.UTC)
    assert all(empty.value.get(f) is None for f in ("price", "qty", "note", "raw", "day", "at"))


def test_connector_validation_names_the_bad_keys() -> None:
    errors = {
        v.name: v.errors
        for v in SqlSourceConnector().validate(
            {"connection.url": "jdbc:sqlite:x.db", "topic.prefix": "p", "mode": "timestamp+incrementing"}
        )  # fmt: skip
        if v.errors
    }
    assert set(errors) == {"incrementing.column.name", "timestamp.column.name"}

"""The JDBC sink against real PostgreSQL and MariaDB servers: upserts, deletes, auto-create, rejects, outages."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import psycopg
import pymysql
import pytest

from connectless.connectors.jdbc_sink import JdbcSinkConnector, JdbcSinkTask
from connectless.data import INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Struct, struct_schema
from connectless.errors import RetriableError
from connectless.records import SinkRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


KEY_SCHEMA = struct_schema([("id", INT64_SCHEMA)], name="Key")
VALUE_SCHEMA = struct_schema([("id", INT64_SCHEMA), ("name", STRING_SCHEMA), ("qty", INT32_SCHEMA),
                              ("note", OPTIONAL_STRING_SCHEMA)], name="Order")  # fmt: skip


class Database:
    """One server under test: a fresh database per test, a URL for the sink and a query helper."""

    def __init__(self, kind: str, server: Any) -> None:
        self.kind = kind
        self.server = server
        self.name = "t" + uuid.uuid4().hex[:12]
        if kind == "postgresql":
            with psycopg.connect(server.dsn, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {self.name}")
            self.url = f"jdbc:postgresql://127.0.0.1:{server.port}/{self.name}?user=postgres"
        else:
            conn = pymysql.connect(**server.params, autocommit=True)
            with conn.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {self.name}")
            conn.close()
            self.url = server.url(self.name)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.kind == "postgresql":
            with psycopg.connect(self.server.dsn.rsplit("/", 1)[0] + "/" + self.name) as conn:
                return [tuple(r) for r in conn.execute(sql).fetchall()]
        conn = pymysql.connect(**self.server.params, database=self.name)
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return [tuple(r) for r in cursor.fetchall()]
        finally:
            conn.close()

    def execute(self, sql: str) -> None:
        if self.kind == "postgresql":
            with psycopg.connect(self.server.dsn.rsplit("/", 1)[0] + "/" + self.name, autocommit=True) as conn:
                conn.execute(sql)
            return
        conn = pymysql.connect(**self.server.params, database=self.name, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(sql)
        conn.close()


@pytest.fixture(params=["postgresql", "mariadb"])
def database(request: pytest.FixtureRequest) -> Database:
    server = request.getfixturevalue("postgres_server" if request.param == "postgresql" else "mariadb_server")
    return Database("postgresql" if request.param == "postgresql" else "mysql", server)


@pytest.fixture
def make_task(database: Database) -> Iterator[Callable[..., JdbcSinkTask]]:
    tasks: list[JdbcSinkTask] = []

    def make(**config: str) -> JdbcSinkTask:
        task = JdbcSinkTask()
        task.start({"connection.url": database.url, "table.name.format": "orders", **config})
        tasks.append(task)
        return task

    yield make
    for task in tasks:
        task.stop()


def order(offset: int, oid: int, name: str | None, qty: int = 1) -> SinkRecord:
    key = Struct(KEY_SCHEMA).put("id", oid)
    if name is None:
        return SinkRecord("orders", 0, KEY_SCHEMA, key, VALUE_SCHEMA, None, kafka_offset=offset)
    value = Struct(VALUE_SCHEMA).put("id", oid).put("name", name).put("qty", qty)
    return SinkRecord("orders", 0, KEY_SCHEMA, key, VALUE_SCHEMA, value, kafka_offset=offset)


UPSERT = {"insert.mode": "upsert", "pk.mode": "record_key", "auto.create": "true", "delete.enabled": "true"}


def test_upsert_is_idempotent_under_redelivery(database: Database, make_task: Callable[..., JdbcSinkTask]) -> None:
    task = make_task(**UPSERT)
    batch = [order(0, 1, "apple", 3), order(1, 2, "pear"), order(2, 1, "apple", 5)]
    task.put(batch)
    task.put(batch)  # redelivered
    assert database.query("SELECT id, name, qty FROM orders ORDER BY id") == [(1, "apple", 5), (2, "pear", 1)]


def test_a_tombstone_deletes_the_row(database: Database, make_task: Callable[..., JdbcSinkTask]) -> None:
    task = make_task(**UPSERT)
    task.put([order(0, 1, "apple"), order(1, 2, "pear"), order(2, 1, None)])
    assert database.query("SELECT id FROM orders") == [(2,)]


def test_schemaless_values_with_the_key_from_value_fields(
    database: Database, make_task: Callable[..., JdbcSinkTask]
) -> None:
    task = make_task(**{"insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "sku", "auto.create": "true"})
    records = [SinkRecord("orders", 0, None, None, None, {"sku": "A-1", "qty": n}, kafka_offset=n) for n in (1, 2)]
    task.put(records)
    assert database.query("SELECT sku, qty FROM orders") == [("A-1", 2)]


def test_plain_inserts_into_an_existing_table(database: Database, make_task: Callable[..., JdbcSinkTask]) -> None:
    database.execute("CREATE TABLE orders (id BIGINT, name VARCHAR(20), qty INT, note TEXT)")
    task = make_task()
    task.put([order(0, 1, "apple"), order(1, 2, "pear")])
    assert database.query("SELECT id, name FROM orders ORDER BY id") == [(1, "apple"), (2, "pear")]


def test_a_row_the_database_refuses_raises_a_plain_error(
    database: Database, make_task: Callable[..., JdbcSinkTask], request: pytest.FixtureRequest
) -> None:
    database.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty INT, note TEXT)")
    if database.kind == "mysql":
        # Global, so the sink's own connections are strict; the server is shared by the session: put it back.
        ((previous,),) = database.query("SELECT @@GLOBAL.sql_mode")
        database.execute("SET GLOBAL sql_mode = 'STRICT_ALL_TABLES'")
        request.addfinalizer(lambda: database.execute(f"SET GLOBAL sql_mode = '{previous}'"))
    task = make_task(**{"insert.mode": "upsert", "pk.mode": "record_key"})
    with pytest.raises(Exception) as info:
        task.put([order(0, 1, "ok"), order(1, 2, "far too long a name")])
    assert not isinstance(info.value, RetriableError)
    assert database.query("SELECT id FROM orders") == []  # the transaction rolled back
    task.put([order(0, 1, "ok")])
    assert database.query("SELECT id FROM orders") == [(1,)]


def test_an_outage_is_retriable_and_the_sink_recovers(
    database: Database, make_task: Callable[..., JdbcSinkTask]
) -> None:
    task = make_task(**UPSERT)
    task.put([order(0, 1, "apple")])
    database.server.stop()
    try:
        with pytest.raises(RetriableError):
            task.put([order(1, 2, "pear")])
    finally:
        database.server.start()
    task.put([order(1, 2, "pear")])
    assert database.query("SELECT id FROM orders ORDER BY id") == [(1,), (2,)]


def test_validation_names_the_bad_keys() -> None:
    errors = {v.name: v.errors for v in JdbcSinkConnector().validate(
        {"connection.url": "jdbc:oracle:thin:@x", "delete.enabled": "true"})}  # fmt: skip
    assert errors["connection.url"]
    assert errors["delete.enabled"]

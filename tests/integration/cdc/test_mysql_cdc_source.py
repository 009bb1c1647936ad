"""The MySQL CDC source against a real MariaDB with the row binlog (Debian's package, started by the test setup)."""

from __future__ import annotations

import decimal
import uuid
from typing import TYPE_CHECKING, Any

import pymysql
import pytest

from connectless.connectors.mysql_cdc import MySqlCdcSourceTask
from connectless.data import Struct
from connectless.errors.exceptions import ConnectError
from connectless.transforms.extract_new_record_state import ExtractNewRecordState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.records import SourceRecord
    from connectless_local.mariadb_binlog import MariaDBBinlogServer


class _Offsets:
    def __init__(self, stored: dict[str, Any] | None) -> None:
        self.stored = stored

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.stored

    def offsets(self, partitions: Any) -> dict[str, Any]:
        return {}


class _Context:
    def __init__(self, stored: dict[str, Any] | None) -> None:
        self.offset_storage_reader = _Offsets(stored)

    def configs(self) -> dict[str, str]:
        return {}


def _sql(db: MariaDBBinlogServer, *statements: str) -> None:
    conn = pymysql.connect(**db.params, autocommit=True)
    with conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def _task(db: MariaDBBinlogServer, database: str, stored: dict[str, Any] | None = None, /, **props: str) -> Any:
    task = MySqlCdcSourceTask()
    task.initialize(_Context(stored))
    task.start({
        "database.hostname": "127.0.0.1", "database.port": str(db.port), "database.user": db.params["user"],
        "database.password": db.params["password"], "topic.prefix": "shop", "database.include.list": database,
        "poll.interval.ms": "10", "max.batch.size": "100", **props,
    })  # fmt: skip
    return task


def _drain(task: Any, polls: int = 3) -> list[SourceRecord]:
    records: list[SourceRecord] = []
    empty = 0
    while empty < polls:
        batch = task.poll()
        if batch:
            records.extend(batch)
            empty = 0
        else:
            empty += 1
    return records


def _summary(records: list[SourceRecord]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for r in records:
        if r.value is None:
            out.append(("tombstone", r.key.get("id")))
            continue
        before, after = r.value.get("before"), r.value.get("after")
        out.append((r.value.get("op"), (before or after).get("id"), after.get("name") if after else None))
    return out


@pytest.fixture
def database(mariadb_binlog: MariaDBBinlogServer) -> str:
    name = f"shop_{uuid.uuid4().hex[:8]}"
    _sql(mariadb_binlog, f"CREATE DATABASE {name}", f"CREATE TABLE {name}.customers (id INT PRIMARY KEY, "
         "name VARCHAR(40) NOT NULL, balance DECIMAL(10,2), born DATE, seen DATETIME(3), tags SET('a','b'), "
         "photo BLOB, doc JSON)")  # fmt: skip
    return name


def test_snapshot_then_inserts_updates_deletes_as_debezium_events(
    mariadb_binlog: MariaDBBinlogServer, database: str
) -> None:
    _sql(
        mariadb_binlog,
        f"INSERT INTO {database}.customers VALUES (1, 'ann', 10.50, '1990-02-03', "
        "'2024-05-06 07:08:09.123', 'a,b', x'00ff', '{\"vip\": true}'), (2, 'bob', NULL, NULL, NULL, '', NULL, NULL)",
    )
    task = _task(mariadb_binlog, database)
    snapshot = _drain(task)
    assert _summary(snapshot) == [("r", 1, "ann"), ("r", 2, "bob")]
    assert [r.value.get("source").get("snapshot") for r in snapshot] == ["true", "last"]
    assert snapshot[0].source_offset is not None and snapshot[0].source_offset.get("snapshot") is True
    assert snapshot[-1].source_offset is not None and "snapshot" not in snapshot[-1].source_offset
    ann = snapshot[0].value.get("after")
    assert ann.get("balance") == decimal.Decimal("10.50")
    assert ann.get("born").isoformat() == "1990-02-03"
    assert ann.get("seen").isoformat() == "2024-05-06T07:08:09.123000+00:00"
    assert (ann.get("tags"), ann.get("photo"), ann.get("doc")) == ("a,b", b"\x00\xff", '{"vip": true}')
    assert snapshot[0].topic == f"shop.{database}.customers"
    assert isinstance(snapshot[0].key, Struct) and snapshot[0].key.get("id") == 1

    _sql(mariadb_binlog, f"INSERT INTO {database}.customers (id, name) VALUES (3, 'cat')",
         f"UPDATE {database}.customers SET name = 'anne', balance = 11 WHERE id = 1",
         f"DELETE FROM {database}.customers WHERE id = 2")  # fmt: skip
    changes = _drain(task)
    task.stop()
    assert _summary(changes) == [("c", 3, "cat"), ("u", 1, "anne"), ("d", 2, None), ("tombstone", 2)]
    update = changes[1].value
    assert update.get("before").get("name") == "ann" and update.get("after").get("balance") == decimal.Decimal("11.00")
    source = update.get("source")
    assert source.get("db") == database and source.get("table") == "customers" and source.get("snapshot") == "false"
    assert source.get("file").startswith("binlog.") and source.get("pos") > 4
    assert source.get("gtid") and source.get("gtid").startswith("0-1-")
    # the snapshot rows and the binlog rows share one schema
    assert changes[0].value_schema == snapshot[0].value_schema
    assert changes[0].source_offset is not None and "gtids" in changes[0].source_offset


def test_restart_inside_a_transaction_skips_only_what_was_emitted(
    mariadb_binlog: MariaDBBinlogServer, database: str
) -> None:
    task = _task(mariadb_binlog, database, **{"snapshot.mode": "no_data"})
    assert _drain(task) == []
    _sql(mariadb_binlog, "BEGIN", *(f"INSERT INTO {database}.customers (id, name) VALUES ({i}, 'n{i}')"
                                    for i in range(1, 6)), "COMMIT",
         f"INSERT INTO {database}.customers (id, name) VALUES (6, 'n6')")  # fmt: skip
    first = _drain(task)
    task.stop()
    assert [r.key.get("id") for r in first] == [1, 2, 3, 4, 5, 6]
    committed = first[1].source_offset  # the runner committed up to the second row of the transaction
    assert committed is not None and committed["row"] == 2
    again = _task(mariadb_binlog, database, dict(committed))
    replayed = _drain(again)
    again.stop()
    assert [r.key.get("id") for r in replayed] == [3, 4, 5, 6]
    assert [r.source_offset for r in replayed] == [r.source_offset for r in first[2:]]


def test_ddl_is_reported_and_the_new_shape_is_used(mariadb_binlog: MariaDBBinlogServer, database: str) -> None:
    task = _task(mariadb_binlog, database, **{"snapshot.mode": "no_data"})
    _drain(task)
    _sql(mariadb_binlog, f"ALTER TABLE {database}.customers ADD COLUMN email VARCHAR(80)",
         f"INSERT INTO {database}.customers (id, name, email) VALUES (7, 'dan', 'dan@example.com')")  # fmt: skip
    records = _drain(task)
    task.stop()
    ddl, row = records
    assert ddl.topic == "shop" and ddl.key.get("databaseName") == database
    assert "ADD COLUMN email" in ddl.value.get("ddl")
    assert row.value.get("after").get("email") == "dan@example.com"
    after_field = row.value_schema.field("after") if row.value_schema is not None else None
    assert after_field is not None and after_field.schema.field("email") is not None


def test_unwrap_turns_events_into_rows_and_deletes_into_tombstones(
    mariadb_binlog: MariaDBBinlogServer, database: str
) -> None:
    task = _task(mariadb_binlog, database, **{"snapshot.mode": "no_data", "tombstones.on.delete": "false"})
    _drain(task)
    _sql(mariadb_binlog, f"INSERT INTO {database}.customers (id, name) VALUES (8, 'eve')",
         f"DELETE FROM {database}.customers WHERE id = 8")  # fmt: skip
    created, deleted = _drain(task)
    task.stop()
    unwrap = ExtractNewRecordState()
    unwrap.configure({"delete.tombstone.handling.mode": "tombstone", "add.fields": "op,source.ts_ms"})
    row = unwrap.apply(created)
    assert row.value.get("name") == "eve" and row.value.get("__op") == "c" and row.value.get("__source_ts_ms")
    gone = unwrap.apply(deleted)
    assert gone.value is None and gone.key.get("id") == 8


def test_a_server_without_row_metadata_is_refused_clearly(mariadb_binlog: MariaDBBinlogServer, database: str) -> None:
    _sql(mariadb_binlog, "SET GLOBAL binlog_row_metadata = 'MINIMAL'")
    try:
        with pytest.raises(ConnectError, match=r"binlog_row_metadata=MINIMAL \(needs FULL\)"):
            _task(mariadb_binlog, database)
    finally:
        _sql(mariadb_binlog, "SET GLOBAL binlog_row_metadata = 'FULL'")

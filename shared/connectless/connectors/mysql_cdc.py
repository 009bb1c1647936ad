"""MySQL/MariaDB change data capture from the row binlog, with Debezium's configs and event shapes.

What the task emits, to `<topic.prefix>.<database>.<table>`:
- key: the primary key columns (a struct), or null for a table without one;
- value: the envelope {before, after, source, op, ts_ms}; op is r (snapshot read), c, u or d; `source`
  says server, database, table, binlog file and position, row number in the event, GTID and snapshot flag;
- after a delete, a tombstone with the same key (`tombstones.on.delete`), so compacted topics and the
  OpenSearch sink forget the row;
- every DDL statement to `<topic.prefix>` as {source, ts_ms, databaseName, ddl} (`include.schema.changes`),
  and to the log. Row events carry their columns' names and types (the server must run with
  `binlog_row_metadata=FULL`), so a changed table is read with its new shape from the next event on.

Offsets (partition {"server": topic.prefix}) name a transaction boundary and how far into it we got:
{"file", "pos", "row", "gtids"}. `file`/`pos` is where the transaction of the record starts, `row` how many
of its rows are already emitted, `gtids` the server's GTID position (MariaDB domain-server-seq list) before
it. A restart reads from `file`/`pos` again and skips `row` rows: a kill -9 anywhere loses nothing and
repeats only what was not yet committed. The snapshot (`snapshot.mode=initial`) reads every included table
in one consistent transaction, then streams from the binlog position of that transaction; its records carry
{"snapshot": true}, and a restart before the snapshot's last record was committed runs the snapshot again.

The server needs `binlog_format=ROW`, `binlog_row_image=FULL`, `binlog_row_metadata=FULL` and a user with
SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE and REPLICATION CLIENT; the task checks the first three.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
import zlib
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, NonEmptyString, Range, ValidString
from connectless.connector import SourceConnector, SourceTask
from connectless.connectors.mysql_cdc_schema import (
    SCHEMA_CHANGE_KEY_SCHEMA,
    SCHEMA_CHANGE_VALUE_SCHEMA,
    ColumnInfo,
    SourceInfo,
    TableSchema,
    column_from_binlog,
    column_from_information_schema,
)
from connectless.data import Struct
from connectless.errors.exceptions import ConnectError, RetriableError
from connectless.plugins import PluginKind, register
from connectless.records import SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

log = logging.getLogger(__name__)

HOSTNAME = "database.hostname"
PORT = "database.port"
USER = "database.user"
PASSWORD = "database.password"  # noqa: S105 - a config key, not a secret
SERVER_ID = "database.server.id"
TOPIC_PREFIX = "topic.prefix"
DATABASE_INCLUDE = "database.include.list"
DATABASE_EXCLUDE = "database.exclude.list"
TABLE_INCLUDE = "table.include.list"
TABLE_EXCLUDE = "table.exclude.list"
SNAPSHOT_MODE = "snapshot.mode"
INCLUDE_SCHEMA_CHANGES = "include.schema.changes"
TOMBSTONES_ON_DELETE = "tombstones.on.delete"
DECIMAL_MODE = "decimal.handling.mode"
MAX_BATCH_SIZE = "max.batch.size"
POLL_INTERVAL_MS = "poll.interval.ms"
CONNECT_TIMEOUT_MS = "connect.timeout.ms"

CONFIG_DEF = (
    ConfigDef()
    .define(HOSTNAME, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="Host of the MySQL/MariaDB server.")
    .define(PORT, ConfigType.INT, 3306, Range.between(1, 65535), Importance.HIGH, "Port of the server.")
    .define(USER, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="User with SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT.")
    .define(PASSWORD, ConfigType.PASSWORD, "", None, Importance.HIGH, "Password of that user.")
    .define(SERVER_ID, ConfigType.LONG, None, None, Importance.MEDIUM,
            "Replica server id, unique among the server's replicas; default: derived from the connector name.")
    .define(TOPIC_PREFIX, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="Logical server name: topics are <prefix>.<database>.<table>, DDL goes to <prefix>.")
    .define(DATABASE_INCLUDE, ConfigType.LIST, "", None, Importance.MEDIUM, "Regexes of databases to capture.")
    .define(DATABASE_EXCLUDE, ConfigType.LIST, "", None, Importance.MEDIUM, "Regexes of databases to skip.")
    .define(TABLE_INCLUDE, ConfigType.LIST, "", None, Importance.MEDIUM,
            "Regexes of <database>.<table> to capture.")
    .define(TABLE_EXCLUDE, ConfigType.LIST, "", None, Importance.MEDIUM, "Regexes of <database>.<table> to skip.")
    .define(SNAPSHOT_MODE, ConfigType.STRING, "initial", ValidString(("initial", "no_data"), case_sensitive=False),
            Importance.MEDIUM, "initial: snapshot existing rows first; no_data: only changes from now on.")
    .define(INCLUDE_SCHEMA_CHANGES, ConfigType.BOOLEAN, True, None, Importance.MEDIUM,
            "Emit every DDL statement to the <topic.prefix> topic.")
    .define(TOMBSTONES_ON_DELETE, ConfigType.BOOLEAN, True, None, Importance.MEDIUM,
            "Follow each delete event with a tombstone of the same key.")
    .define(DECIMAL_MODE, ConfigType.STRING, "precise", ValidString(("precise", "double", "string")),
            Importance.LOW, "DECIMAL as Connect Decimal (precise), float64 (double) or string.")
    .define(MAX_BATCH_SIZE, ConfigType.INT, 2048, Range.between(1, 100_000), Importance.LOW,
            "Records returned by one poll.")
    .define(POLL_INTERVAL_MS, ConfigType.LONG, 200, Range.at_least(0), Importance.LOW,
            "Wait before asking the server again when the binlog had nothing new.")
    .define(CONNECT_TIMEOUT_MS, ConfigType.INT, 10_000, Range.at_least(1), Importance.LOW, "Connect timeout.")
)  # fmt: skip

_TXN_KEYWORDS = ("BEGIN", "COMMIT", "ROLLBACK", "XA ", "SAVEPOINT", "RELEASE SAVEPOINT")
_SYSTEM_DATABASES = {"mysql", "information_schema", "performance_schema", "sys"}


@register(PluginKind.SOURCE, "io.debezium.connector.mysql.MySqlConnector", "MySqlConnector",
          "io.debezium.connector.mariadb.MariaDbConnector", "MariaDbConnector", "MySqlCdc",
          "connectless.connectors.MySqlCdcSourceConnector")  # fmt: skip
class MySqlCdcSourceConnector(SourceConnector):
    """One task: the binlog is a single ordered stream."""

    CONFIG_DEF = CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        CONFIG_DEF.parse(props)
        self.props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return MySqlCdcSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def exactly_once_support(self, props: Mapping[str, str]) -> bool | None:
        return True  # offsets are exact positions: a replay from them emits the same records


class _Filter:
    def __init__(self, config: Mapping[str, Any]) -> None:
        def compile_all(key: str) -> list[re.Pattern[str]]:
            return [re.compile(p.strip(), re.IGNORECASE) for p in config[key] if p.strip()]

        self.db_in, self.db_out = compile_all(DATABASE_INCLUDE), compile_all(DATABASE_EXCLUDE)
        self.table_in, self.table_out = compile_all(TABLE_INCLUDE), compile_all(TABLE_EXCLUDE)

    def database(self, db: str) -> bool:
        if db.lower() in _SYSTEM_DATABASES:
            return False
        if self.db_in and not any(p.fullmatch(db) for p in self.db_in):
            return False
        return not any(p.fullmatch(db) for p in self.db_out)

    def table(self, db: str, table: str) -> bool:
        if not self.database(db):
            return False
        name = f"{db}.{table}"
        if self.table_in and not any(p.fullmatch(name) for p in self.table_in):
            return False
        return not any(p.fullmatch(name) for p in self.table_out)


class MySqlCdcSourceTask(SourceTask):
    """Snapshot, then the binlog, as the module docstring says."""

    def start(self, props: Mapping[str, str]) -> None:
        config = CONFIG_DEF.parse(props)
        self.config = config
        self.prefix: str = config[TOPIC_PREFIX]
        self.params: dict[str, Any] = {
            "host": config[HOSTNAME],
            "port": config[PORT],
            "user": config[USER],
            "password": config[PASSWORD].value if config[PASSWORD] else "",
            "connect_timeout": max(1, config[CONNECT_TIMEOUT_MS] // 1000),
        }
        name = props.get("name", self.prefix)
        self.server_id: int = config[SERVER_ID] or 5400 + zlib.crc32(name.encode()) % 100_000
        self.filter = _Filter(config)
        self.decimal_mode: str = config[DECIMAL_MODE]
        self.batch_size: int = config[MAX_BATCH_SIZE]
        self.poll_interval_s = config[POLL_INTERVAL_MS] / 1000
        self.include_ddl: bool = config[INCLUDE_SCHEMA_CHANGES]
        self.tombstones: bool = config[TOMBSTONES_ON_DELETE]
        self.partition = {"server": self.prefix}
        self._check_server()
        reader = getattr(self, "context", None)
        stored = reader.offset_storage_reader.offset(self.partition) if reader is not None else None
        self._stream: Any = None
        self._snapshot: Iterator[SourceRecord] | None = None
        self._snapshot_conn: Any = None
        self._schemas: dict[tuple[str, str, tuple[ColumnInfo, ...]], TableSchema] = {}
        self._gtids: dict[str, str] = {}  # MariaDB domain -> last completed GTID
        if stored and not stored.get("snapshot"):
            self._file, self._pos = str(stored["file"]), int(stored["pos"])
            self._skip_rows = int(stored.get("row", 0))
            self._gtids = _parse_gtids(str(stored.get("gtids") or ""))
            log.info("resuming the binlog at %s:%d, skipping %d rows", self._file, self._pos, self._skip_rows)
        elif config[SNAPSHOT_MODE] == "initial":
            self._snapshot = self._snapshot_records()
            self._file, self._pos, self._skip_rows = "", 0, 0
        else:
            self._file, self._pos = self._master_position()
            self._skip_rows = 0
            self._gtids = self._gtids_at(self._file, self._pos)
        self._txn_file, self._txn_pos, self._txn_rows = self._file, self._pos, 0
        self._txn_gtid: str | None = None

    # -- server checks

    def _connect(self, **extra: Any) -> Any:
        import pymysql

        try:
            return pymysql.connect(**self.params, autocommit=True, **extra)
        except pymysql.err.OperationalError as exc:
            raise RetriableError(f"cannot connect to {self.params['host']}:{self.params['port']}: {exc}") from exc

    def _check_server(self) -> None:
        conn = self._connect()
        with conn, conn.cursor() as cur:
            cur.execute("SELECT @@version")
            self.server_version = str(cur.fetchone()[0])
            self.is_mariadb = "mariadb" in self.server_version.lower()
            needed = {"binlog_format": "ROW", "binlog_row_image": "FULL", "binlog_row_metadata": "FULL"}
            problems = []
            for variable, wanted in needed.items():
                cur.execute(f"SHOW GLOBAL VARIABLES LIKE '{variable}'")
                row = cur.fetchone()
                actual = str(row[1]).upper() if row else "(not supported)"
                if actual != wanted:
                    problems.append(f"{variable}={actual} (needs {wanted})")
            cur.execute("SHOW GLOBAL VARIABLES LIKE 'log_bin'")
            row = cur.fetchone()
            if not row or str(row[1]).upper() != "ON":
                problems.append("log_bin is OFF (start the server with --log-bin)")
        if problems:
            raise ConnectError(f"MySQL server {self.params['host']}:{self.params['port']} cannot be captured: "
                               + "; ".join(problems))  # fmt: skip

    def _master_position(self) -> tuple[str, int]:
        conn = self._connect()
        with conn, conn.cursor() as cur:
            cur.execute("SHOW MASTER STATUS")
            row = cur.fetchone()
        if not row:
            raise ConnectError("SHOW MASTER STATUS returned nothing: is the binlog on?")
        return str(row[0]), int(row[1])

    def _gtids_at(self, file: str, pos: int) -> dict[str, str]:
        """MariaDB's GTID position at a binlog file/position (empty on MySQL or without GTIDs)."""
        if not self.is_mariadb:
            return {}
        conn = self._connect()
        with conn, conn.cursor() as cur:
            cur.execute("SELECT BINLOG_GTID_POS(%s, %s)", (file, pos))
            row = cur.fetchone()
        return _parse_gtids(str(row[0] or "")) if row else {}

    # -- poll

    def poll(self) -> list[SourceRecord] | None:
        if self._snapshot is not None:
            records = self._take_snapshot_batch()
            if records:
                return records
        records = self._read_binlog()
        if not records:
            time.sleep(self.poll_interval_s)
            return None
        return records

    # -- snapshot

    def _take_snapshot_batch(self) -> list[SourceRecord]:
        assert self._snapshot is not None
        records: list[SourceRecord] = []
        for record in self._snapshot:
            records.append(record)
            if len(records) >= self.batch_size:
                return records
        self._snapshot = None
        return records

    def _snapshot_records(self) -> Iterator[SourceRecord]:
        """Every included row at one consistent point, then the binlog from that point on."""
        import pymysql.cursors

        conn = self._connect(cursorclass=pymysql.cursors.SSCursor)
        self._snapshot_conn = conn
        try:
            file, pos, tables = self._begin_snapshot(conn)
            self._file, self._pos = file, pos
            self._txn_file, self._txn_pos = file, pos
            self._gtids = self._gtids_at(file, pos)
            log.info("snapshot of %d tables at binlog %s:%d", len(tables), file, pos)
            previous: SourceRecord | None = None
            for (db, table), columns in tables.items():
                schema = self._table_schema(db, table, columns)
                names = ", ".join(f"`{c.name}`" for c in columns)
                with conn.cursor() as cur:
                    cur.execute(f"SELECT {names} FROM `{db}`.`{table}`")  # noqa: S608 - quoted identifiers
                    for row in cur:
                        values = dict(zip((c.name for c in columns), row, strict=True))
                        source = SourceInfo(self.prefix, int(time.time() * 1000), db, table, self.server_id, file,
                                            pos, 0, "true")  # fmt: skip
                        if previous is not None:
                            yield previous
                        previous = self._change(schema, "r", None, values, source, {"snapshot": True})
            conn.commit()
            if previous is not None:  # the last snapshot record carries the binlog offset: snapshot done
                value = previous.value
                value.get("source").put_unchecked("snapshot", "last")
                yield previous.new_record(source_offset=self._offset(file, pos, 0))
        finally:
            self._snapshot_conn = None
            conn.close()

    def _begin_snapshot(self, conn: Any) -> tuple[str, int, dict[tuple[str, str], list[ColumnInfo]]]:
        with conn.cursor() as cur:
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SET SESSION time_zone = '+00:00'")
            if self.is_mariadb:
                # MariaDB names the binlog position of a consistent snapshot without any lock.
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                cur.execute("SHOW STATUS LIKE 'binlog_snapshot_%'")
                status = {str(k).lower(): str(v) for k, v in cur.fetchall()}
                file, pos = status["binlog_snapshot_file"], int(status["binlog_snapshot_position"])
            else:
                cur.execute("FLUSH TABLES WITH READ LOCK")
                try:
                    cur.execute("SHOW MASTER STATUS")
                    row = cur.fetchone()
                    cur.fetchall()
                    cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                finally:
                    cur.execute("UNLOCK TABLES")
                file, pos = str(row[0]), int(row[1])
            cur.execute(
                "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.NUMERIC_SCALE,"
                " c.COLUMN_KEY FROM information_schema.COLUMNS c JOIN information_schema.TABLES t"
                " ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME"
                " WHERE t.TABLE_TYPE = 'BASE TABLE'"
                " ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION"
            )
            tables: dict[tuple[str, str], list[ColumnInfo]] = {}
            for db, table, name, data_type, column_type, scale, key in cur.fetchall():
                if not self.filter.table(db, table):
                    continue
                column = column_from_information_schema(name, data_type, column_type, scale, key == "PRI")
                tables.setdefault((db, table), []).append(column)
        return file, pos, tables

    # -- binlog

    def _open_stream(self) -> Any:
        from pymysqlreplication import BinLogStreamReader
        from pymysqlreplication.event import GtidEvent, MariadbGtidEvent, QueryEvent, XidEvent
        from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

        # pymysqlreplication still passes PyMySQL's deprecated `db` argument on every connect.
        warnings.filterwarnings("ignore", message="'db' is deprecated", category=DeprecationWarning)
        try:
            return BinLogStreamReader(
                connection_settings=dict(self.params),
                server_id=self.server_id,
                blocking=False,  # ends at the end of the log: each poll returns, a Lambda run ends on time
                resume_stream=True,
                log_file=self._file,
                log_pos=self._pos,
                # pymysqlreplication's MariaDB mode resumes by GTID only; file/pos works on both servers.
                is_mariadb=False,
                enable_logging=False,  # it logs its settings at INFO on every connect
                only_events=[
                    GtidEvent,
                    MariadbGtidEvent,
                    QueryEvent,
                    XidEvent,
                    WriteRowsEvent,
                    UpdateRowsEvent,
                    DeleteRowsEvent,
                ],  # fmt: skip
            )
        except Exception as exc:
            raise RetriableError(f"cannot open the binlog stream at {self._file}:{self._pos}: {exc}") from exc

    def _read_binlog(self) -> list[SourceRecord]:
        from pymysqlreplication.event import GtidEvent, MariadbGtidEvent, QueryEvent, XidEvent
        from pymysqlreplication.row_event import RowsEvent

        if self._stream is None:
            self._stream = self._open_stream()
        stream = self._stream
        records: list[SourceRecord] = []
        while len(records) < self.batch_size:
            before = (stream.log_file or self._file, stream.log_pos or self._pos)
            try:
                event = stream.fetchone()
            except Exception as exc:
                self._close_stream()
                if records:
                    log.warning("binlog stream failed after %d records, returning them first: %s", len(records), exc)
                    return records
                raise RetriableError(f"reading the binlog at {self._file}:{self._pos} failed: {exc}") from exc
            if event is None:  # the end of the log: reconnect on the next poll
                self._close_stream()
                break
            if isinstance(event, MariadbGtidEvent | GtidEvent):
                self._begin_txn(before, str(event.gtid))
            elif isinstance(event, RowsEvent):
                if self._txn_gtid is None and self._txn_rows == 0 and (self._txn_file, self._txn_pos) != before:
                    self._begin_txn(before, None)  # rows outside a GTID-marked transaction
                records.extend(self._row_records(event))
            elif isinstance(event, QueryEvent):
                query = _text(event.query).strip()
                upper = query.upper()
                if upper.startswith("BEGIN"):
                    if self._txn_gtid is None:
                        self._begin_txn(before, None)
                elif upper.startswith(_TXN_KEYWORDS):
                    self._end_txn()
                else:
                    records.extend(self._ddl(event, query))
                    self._end_txn()
            elif isinstance(event, XidEvent):
                self._end_txn()
            self._file, self._pos = stream.log_file, stream.log_pos
        return records

    def _begin_txn(self, start: tuple[str, int], gtid: str | None) -> None:
        self._txn_file, self._txn_pos = start
        self._txn_rows = 0
        self._txn_gtid = gtid

    def _end_txn(self) -> None:
        if self._txn_gtid is not None and self.is_mariadb:
            domain = self._txn_gtid.split("-", 1)[0]
            self._gtids[domain] = self._txn_gtid
        self._txn_gtid = None
        self._txn_rows = 0
        self._skip_rows = 0  # only the first transaction after a restart is partly emitted already

    def _offset(self, file: str, pos: int, row: int) -> dict[str, Any]:
        offset: dict[str, Any] = {"file": file, "pos": pos, "row": row}
        if self._gtids:
            offset["gtids"] = ",".join(self._gtids[d] for d in sorted(self._gtids))
        return offset

    def _row_records(self, event: Any) -> list[SourceRecord]:
        from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

        db, table = _text(event.schema), _text(event.table)
        wanted = self.filter.table(db, table)
        records: list[SourceRecord] = []
        schema: TableSchema | None = None
        if wanted:
            primary = set(_primary_key_names(event))
            columns = [column_from_binlog(c, c.name in primary) for c in event.columns]
            schema = self._table_schema(db, table, columns)
        for row in event.rows:
            self._txn_rows += 1
            if self._txn_rows <= self._skip_rows or schema is None:
                continue
            source = SourceInfo(self.prefix, event.timestamp * 1000, db, table, self.server_id, self._txn_file,
                                self._txn_pos, self._txn_rows, "false", self._txn_gtid)  # fmt: skip
            offset = self._offset(self._txn_file, self._txn_pos, self._txn_rows)
            if isinstance(event, WriteRowsEvent):
                records.append(self._change(schema, "c", None, row["values"], source, offset))
            elif isinstance(event, UpdateRowsEvent):
                records.append(self._change(schema, "u", row["before_values"], row["after_values"], source, offset))
            elif isinstance(event, DeleteRowsEvent):
                deleted = self._change(schema, "d", row["values"], None, source, offset)
                records.append(deleted)
                if self.tombstones and deleted.key is not None:
                    records.append(deleted.new_record(value=None, value_schema=None))
        return records

    def _ddl(self, event: Any, query: str) -> list[SourceRecord]:
        db = ddl_database(query, _text(getattr(event, "schema", b"")))
        log.info("DDL in %r at %s:%d: %s", db, self._file, self._pos, query)
        if not self.include_ddl or not db or not self.filter.database(db):
            return []
        source = SourceInfo(self.prefix, event.timestamp * 1000, db, None, self.server_id, self._txn_file,
                            self._txn_pos, 0, "false", self._txn_gtid)  # fmt: skip
        value = Struct(SCHEMA_CHANGE_VALUE_SCHEMA)
        value.put_unchecked("source", source.struct())
        value.put_unchecked("ts_ms", int(time.time() * 1000))
        value.put_unchecked("databaseName", db)
        value.put_unchecked("ddl", query)
        key = Struct(SCHEMA_CHANGE_KEY_SCHEMA).put("databaseName", db)
        # The statement is complete once read: the offset points past it (the stream's position now).
        self._end_txn()
        offset = self._offset(self._stream.log_file, self._stream.log_pos, 0)
        return [
            SourceRecord(self.prefix, 0, SCHEMA_CHANGE_KEY_SCHEMA, key, SCHEMA_CHANGE_VALUE_SCHEMA, value,
                         timestamp=event.timestamp * 1000, source_partition=self.partition, source_offset=offset)
        ]  # fmt: skip

    # -- records

    def _table_schema(self, db: str, table: str, columns: list[ColumnInfo]) -> TableSchema:
        signature = (db, table, tuple(columns))
        schema = self._schemas.get(signature)
        if schema is None:
            schema = TableSchema(f"{self.prefix}.{db}.{table}", columns, self.decimal_mode)
            self._schemas[signature] = schema
        return schema

    def _change(
        self,
        schema: TableSchema,
        op: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        source: SourceInfo,
        offset: dict[str, Any],
    ) -> SourceRecord:
        before_struct = schema.row(before) if before is not None else None
        after_struct = schema.row(after) if after is not None else None
        key_row = after_struct if after_struct is not None else before_struct
        assert key_row is not None
        now_ms = int(time.time() * 1000)
        if offset.get("snapshot"):
            offset = {**self._offset(source.file, source.pos, 0), "snapshot": True}
        return SourceRecord(
            topic=schema.topic,
            kafka_partition=None,
            key_schema=schema.key_schema,
            key=schema.key(key_row),
            value_schema=schema.envelope_schema,
            value=schema.envelope(op, before_struct, after_struct, source, now_ms),
            timestamp=source.ts_ms if op != "r" else now_ms,
            source_partition=self.partition,
            source_offset=offset,
        )

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception:
                log.debug("closing the binlog stream", exc_info=True)

    def stop(self) -> None:
        self._close_stream()
        conn, self._snapshot_conn = getattr(self, "_snapshot_conn", None), None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing the snapshot connection", exc_info=True)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes | bytearray) else str(value or "")


_QUALIFIED = re.compile(r"\b(?:TABLE|VIEW|ON|INTO)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?`?([\w$]+)`?\s*\.\s*`?[\w$]+", re.I)
_DATABASE = re.compile(r"\b(?:DATABASE|SCHEMA)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?`?([\w$]+)`?", re.I)


def ddl_database(query: str, session_db: str) -> str:
    """The database a DDL statement changes: the one it names, else the session's default database."""
    found = _QUALIFIED.search(query) or _DATABASE.search(query)
    return found.group(1) if found else session_db


def _primary_key_names(event: Any) -> list[str]:
    key = getattr(event, "primary_key", None)
    if not key:
        return []
    if isinstance(key, str):
        return [key]
    return [str(k) for k in key]


def _parse_gtids(text: str) -> dict[str, str]:
    gtids: dict[str, str] = {}
    for gtid in filter(None, (g.strip() for g in text.split(","))):
        gtids[gtid.split("-", 1)[0]] = gtid
    return gtids

"""What differs between databases, for the JDBC source and the JDBC sink: the URL, the driver, quoting,
placeholders, table listing and column types (reading), upserts and DDL (writing).

`dialect_for(url)` picks one from the JDBC URL prefix, as Confluent's dialect.name auto-detection does.
Drivers are imported only when used: psycopg for PostgreSQL, PyMySQL for MySQL/MariaDB, sqlite3 built in.
The sink writes to PostgreSQL and MySQL/MariaDB; SQLite is a source only.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from connectless.config import ConfigError
from connectless.connectors.optional_deps import require
from connectless.connectors.sink_values import plain
from connectless.data import (
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_BYTES_SCHEMA,
    OPTIONAL_FLOAT32_SCHEMA,
    OPTIONAL_FLOAT64_SCHEMA,
    OPTIONAL_INT8_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    Struct,
    Type,
)
from connectless.data.logical import (
    DATE_NAME,
    DECIMAL_NAME,
    OPTIONAL_DATE_SCHEMA,
    OPTIONAL_TIME_SCHEMA,
    OPTIONAL_TIMESTAMP_SCHEMA,
    TIME_NAME,
    TIMESTAMP_NAME,
    decimal_schema,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

    from connectless.data import Schema

URL_CONFIG = "connection.url"


@dataclass(frozen=True)
class ConnectionInfo:
    host: str
    port: int | None
    database: str
    user: str | None
    password: str | None


def parse_jdbc_url(url: str, user: str | None = None, password: str | None = None) -> tuple[str, ConnectionInfo]:
    """`jdbc:<kind>://host:port/db?user=..&password=..` (or `jdbc:sqlite:<path>`) -> (kind, info).

    `user` and `password` (connection.user/password) win over the URL's query, which wins over its user info.
    The `jdbc:` prefix may be left out. Raises ConfigError naming connection.url for anything else.
    """
    text = url.strip()
    rest = text[len("jdbc:") :] if text[:5].lower() == "jdbc:" else text
    kind, sep, target = rest.partition(":")
    kind = kind.lower()
    if not sep or kind not in _DIALECTS:
        known = ", ".join(f"jdbc:{k}" for k in sorted(_DIALECTS))
        raise ConfigError(URL_CONFIG, url, f"not a JDBC URL of a known database ({known})")
    if kind == "sqlite":
        return kind, ConnectionInfo("", None, target, None, None)
    parts = urlsplit(f"{kind}:{target}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return kind, ConnectionInfo(
        parts.hostname or "localhost",
        parts.port,
        unquote(parts.path.lstrip("/")),
        user or query.get("user") or (unquote(parts.username) if parts.username else None),
        password or query.get("password") or (unquote(parts.password) if parts.password else None),
    )


class Dialect:
    """The SQL and driver differences; subclasses fill in the hooks. Statements use `placeholder`."""

    name: ClassVar[str] = "generic"
    placeholder: ClassVar[str] = "%s"
    quote_char: ClassVar[str] = '"'
    writes: ClassVar[bool] = False  # the JDBC sink can write to it

    def __init__(self, info: ConnectionInfo, *, quote: bool = True) -> None:
        self.info = info
        self.quote_enabled = quote

    def connect(self, *, autocommit: bool = True, utc_session: bool = True) -> Any:
        """A new connection; the source reads in autocommit with the session in UTC, the sink commits itself."""
        raise NotImplementedError

    def retriable_errors(self) -> tuple[type[BaseException], ...]:
        """The driver's errors that a retry can cure (connection lost, serialization failure, deadlock)."""
        return ()

    def list_tables(self, conn: Any) -> list[str]:
        raise NotImplementedError

    def quote(self, identifier: str) -> str:
        """`a.b` -> `"a"."b"` (each part quoted) unless quoting is off."""
        if not self.quote_enabled:
            return identifier
        return ".".join(self.quote_part(part) for part in identifier.split("."))

    def quote_part(self, name: str) -> str:
        """One identifier, quoted whatever it holds (a column name may contain a dot)."""
        q = self.quote_char
        return f"{q}{name.replace(q, q + q)}{q}"

    def fqn(self, table: str) -> str:
        """The fully qualified name in the offsets' source partition ({"protocol": "1", "table": fqn})."""
        return table

    def timestamp_expression(self, columns: list[str]) -> str:
        quoted = [self.quote(c) for c in columns]
        return quoted[0] if len(quoted) == 1 else f"COALESCE({', '.join(quoted)})"

    def bind_timestamp(self, value: dt.datetime) -> Any:
        """A naive UTC datetime, as sessions run in UTC (set on connect)."""
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def limit(self, sql: str, rows: int) -> str:
        return f"{sql} LIMIT {int(rows)}"

    def declared_types(self, conn: Any, table: str | None) -> dict[str, str]:
        """Column name -> declared type, for drivers whose result columns carry no type (SQLite)."""
        return {}

    def column_schema(self, cursor: Any, index: int, sample: Any, declared: str | None = None) -> Schema:
        return schema_for_value(sample)

    # -- writing (the JDBC sink) ------------------------------------------------------------------------
    def insert(self, table: str, columns: Sequence[str]) -> str:
        cols = ", ".join(self.quote_part(c) for c in columns)
        values = ", ".join([self.placeholder] * len(columns))
        return f"INSERT INTO {self.quote(table)} ({cols}) VALUES ({values})"

    def upsert(self, table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
        raise NotImplementedError

    def delete(self, table: str, keys: Sequence[str]) -> str:
        where = " AND ".join(f"{self.quote_part(k)} = {self.placeholder}" for k in keys)
        return f"DELETE FROM {self.quote(table)} WHERE {where}"

    def create_table(self, table: str, columns: Sequence[tuple[str, Schema]], keys: Sequence[str]) -> str:
        defs = [
            f"{self.quote_part(name)} {self.column_type(schema, name in keys)}"
            + ("" if schema.optional and name not in keys else " NOT NULL")
            for name, schema in columns
        ]
        if keys:
            defs.append(f"PRIMARY KEY ({', '.join(self.quote_part(k) for k in keys)})")
        return f"CREATE TABLE IF NOT EXISTS {self.quote(table)} ({', '.join(defs)})"

    def column_type(self, schema: Schema, is_key: bool) -> str:
        raise NotImplementedError

    def bind(self, value: Any) -> Any:
        """A Connect value as the driver takes it: nested structures become JSON text."""
        if isinstance(value, Struct | dict | list):
            return orjson.dumps(plain(value)).decode()
        return value


def schema_for_value(value: Any) -> Schema:
    """A schema from a Python value, for drivers that do not type their columns."""
    if isinstance(value, bool):
        return OPTIONAL_BOOLEAN_SCHEMA
    if isinstance(value, int):
        return OPTIONAL_INT64_SCHEMA
    if isinstance(value, float):
        return OPTIONAL_FLOAT64_SCHEMA
    if isinstance(value, bytes | bytearray | memoryview):
        return OPTIONAL_BYTES_SCHEMA
    if isinstance(value, dt.datetime):
        return OPTIONAL_TIMESTAMP_SCHEMA
    if isinstance(value, dt.date):
        return OPTIONAL_DATE_SCHEMA
    if isinstance(value, dt.time | dt.timedelta):
        return OPTIONAL_TIME_SCHEMA
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return decimal_schema(-exponent if isinstance(exponent, int) and exponent < 0 else 0, optional=True)
    return OPTIONAL_STRING_SCHEMA


# PostgreSQL type OIDs (pg_type.dat)
_PG_TYPES: dict[int, Schema] = {
    16: OPTIONAL_BOOLEAN_SCHEMA, 20: OPTIONAL_INT64_SCHEMA, 21: OPTIONAL_INT16_SCHEMA, 23: OPTIONAL_INT32_SCHEMA,
    26: OPTIONAL_INT64_SCHEMA, 700: OPTIONAL_FLOAT32_SCHEMA, 701: OPTIONAL_FLOAT64_SCHEMA, 17: OPTIONAL_BYTES_SCHEMA,
    1114: OPTIONAL_TIMESTAMP_SCHEMA, 1184: OPTIONAL_TIMESTAMP_SCHEMA, 1082: OPTIONAL_DATE_SCHEMA,
    1083: OPTIONAL_TIME_SCHEMA,
}  # fmt: skip
_PG_NUMERIC = 1700


class PostgresDialect(Dialect):
    name = "PostgreSqlDatabaseDialect"
    writes = True
    _WRITE_TYPES: ClassVar[dict[Type, str]] = {
        Type.INT8: "SMALLINT", Type.INT16: "SMALLINT", Type.INT32: "INTEGER", Type.INT64: "BIGINT",
        Type.FLOAT32: "REAL", Type.FLOAT64: "DOUBLE PRECISION", Type.BOOLEAN: "BOOLEAN", Type.STRING: "TEXT",
        Type.BYTES: "BYTEA",
    }  # fmt: skip

    @staticmethod
    def driver() -> ModuleType:
        return require("psycopg", "postgres", "psycopg")

    def connect(self, *, autocommit: bool = True, utc_session: bool = True) -> Any:
        info = self.info
        conn = self.driver().connect(
            host=info.host, port=info.port or 5432, dbname=info.database or "postgres", user=info.user,
            password=info.password, autocommit=autocommit, connect_timeout=10,
        )  # fmt: skip
        if utc_session:
            conn.execute("SET TIME ZONE 'UTC'")
        return conn

    def retriable_errors(self) -> tuple[type[BaseException], ...]:
        psycopg = self.driver()
        return (psycopg.OperationalError, psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)

    def list_tables(self, conn: Any) -> list[str]:
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        ).fetchall()
        return [f"{s}.{t}" for s, t in rows]

    def fqn(self, table: str) -> str:
        return f"{self.info.database}.{table if '.' in table else 'public.' + table}"

    def column_schema(self, cursor: Any, index: int, sample: Any, declared: str | None = None) -> Schema:
        column = cursor.description[index]
        if column.type_code == _PG_NUMERIC:
            scale = column.scale
            if scale is not None and scale >= 0:
                return decimal_schema(scale, optional=True)
            return schema_for_value(sample)
        return _PG_TYPES.get(column.type_code, OPTIONAL_STRING_SCHEMA)

    def upsert(self, table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
        others = [c for c in columns if c not in keys]
        conflict = ", ".join(self.quote_part(k) for k in keys)
        action = (
            "DO UPDATE SET " + ", ".join(f"{self.quote_part(c)} = EXCLUDED.{self.quote_part(c)}" for c in others)
            if others
            else "DO NOTHING"
        )
        return f"{self.insert(table, columns)} ON CONFLICT ({conflict}) {action}"

    def column_type(self, schema: Schema, is_key: bool) -> str:
        if schema.name == DECIMAL_NAME:
            return "NUMERIC"  # unconstrained: keeps every scale
        if schema.name == DATE_NAME:
            return "DATE"
        if schema.name == TIME_NAME:
            return "TIME"
        if schema.name == TIMESTAMP_NAME:
            return "TIMESTAMP"
        return self._WRITE_TYPES.get(schema.type, "JSONB")


# MySQL protocol field types (include/mysql_com.h) -> schemas; BLOB-family are text unless the charset is binary
_MYSQL_TYPES: dict[int, Schema] = {
    1: OPTIONAL_INT8_SCHEMA, 2: OPTIONAL_INT16_SCHEMA, 3: OPTIONAL_INT32_SCHEMA, 9: OPTIONAL_INT32_SCHEMA,
    8: OPTIONAL_INT64_SCHEMA, 13: OPTIONAL_INT32_SCHEMA, 4: OPTIONAL_FLOAT32_SCHEMA, 5: OPTIONAL_FLOAT64_SCHEMA,
    7: OPTIONAL_TIMESTAMP_SCHEMA, 12: OPTIONAL_TIMESTAMP_SCHEMA, 10: OPTIONAL_DATE_SCHEMA, 11: OPTIONAL_TIME_SCHEMA,
    16: OPTIONAL_BYTES_SCHEMA,
}  # fmt: skip
_MYSQL_DECIMALS = {0, 246}
_MYSQL_BLOBS = {249, 250, 251, 252, 253, 254}
_BINARY_CHARSET = 63


class MySqlDialect(Dialect):
    name = "MySqlDatabaseDialect"
    quote_char = "`"
    writes = True
    _WRITE_TYPES: ClassVar[dict[Type, str]] = {
        Type.INT8: "TINYINT", Type.INT16: "SMALLINT", Type.INT32: "INT", Type.INT64: "BIGINT",
        Type.FLOAT32: "FLOAT", Type.FLOAT64: "DOUBLE", Type.BOOLEAN: "TINYINT(1)", Type.STRING: "TEXT",
        Type.BYTES: "BLOB",
    }  # fmt: skip

    @staticmethod
    def driver() -> ModuleType:
        return require("pymysql", "mysql", "PyMySQL")

    def connect(self, *, autocommit: bool = True, utc_session: bool = True) -> Any:
        info = self.info
        conn = self.driver().connect(
            host=info.host, port=info.port or 3306, database=info.database or None, user=info.user or "root",
            password=info.password or "", autocommit=autocommit, connect_timeout=10, charset="utf8mb4",
        )  # fmt: skip
        if utc_session:
            with conn.cursor() as cursor:
                cursor.execute("SET time_zone = '+00:00'")
        return conn

    def retriable_errors(self) -> tuple[type[BaseException], ...]:
        pymysql = self.driver()
        return (pymysql.err.OperationalError, pymysql.err.InterfaceError)

    def list_tables(self, conn: Any) -> list[str]:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            )
            return [row[0] for row in cursor.fetchall()]

    def fqn(self, table: str) -> str:
        return table if "." in table else f"{self.info.database}.{table}"

    def column_schema(self, cursor: Any, index: int, sample: Any, declared: str | None = None) -> Schema:
        type_code, scale = cursor.description[index][1], cursor.description[index][5]
        if type_code in _MYSQL_DECIMALS:
            return decimal_schema(int(scale or 0), optional=True)
        if type_code in _MYSQL_BLOBS:
            fields = getattr(getattr(cursor, "_result", None), "fields", None)
            binary = fields is not None and fields[index].charsetnr == _BINARY_CHARSET
            return OPTIONAL_BYTES_SCHEMA if binary else OPTIONAL_STRING_SCHEMA
        return _MYSQL_TYPES.get(type_code, OPTIONAL_STRING_SCHEMA)

    def upsert(self, table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
        others = [c for c in columns if c not in keys] or list(keys)
        updates = ", ".join(f"{self.quote_part(c)} = VALUES({self.quote_part(c)})" for c in others)
        return f"{self.insert(table, columns)} ON DUPLICATE KEY UPDATE {updates}"

    def column_type(self, schema: Schema, is_key: bool) -> str:
        if schema.name == DECIMAL_NAME:
            return f"DECIMAL(65, {int((schema.parameters or {}).get('scale', 0))})"
        if schema.name == DATE_NAME:
            return "DATE"
        if schema.name == TIME_NAME:
            return "TIME(3)"
        if schema.name == TIMESTAMP_NAME:
            return "DATETIME(3)"
        if is_key and schema.type is Type.STRING:
            return "VARCHAR(255)"  # a TEXT column cannot be a key without a prefix length
        if is_key and schema.type is Type.BYTES:
            return "VARBINARY(255)"
        return self._WRITE_TYPES.get(schema.type, "LONGTEXT")


_SQLITE_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%f"
_DECLARED_SCALE = re.compile(r"\(\s*\d+\s*,\s*(\d+)\s*\)")
# first match wins: TIMESTAMP before TIME, DATETIME before DATE, BIGINT etc. through INT
_SQLITE_DECLARED: tuple[tuple[str, Schema], ...] = (
    ("TIMESTAMP", OPTIONAL_TIMESTAMP_SCHEMA), ("DATETIME", OPTIONAL_TIMESTAMP_SCHEMA), ("DATE", OPTIONAL_DATE_SCHEMA),
    ("TIME", OPTIONAL_TIME_SCHEMA), ("BOOL", OPTIONAL_BOOLEAN_SCHEMA), ("INT", OPTIONAL_INT64_SCHEMA),
    ("CHAR", OPTIONAL_STRING_SCHEMA), ("CLOB", OPTIONAL_STRING_SCHEMA), ("TEXT", OPTIONAL_STRING_SCHEMA),
    ("BLOB", OPTIONAL_BYTES_SCHEMA), ("REAL", OPTIONAL_FLOAT64_SCHEMA), ("FLOA", OPTIONAL_FLOAT64_SCHEMA),
    ("DOUB", OPTIONAL_FLOAT64_SCHEMA), ("DECIMAL", OPTIONAL_FLOAT64_SCHEMA), ("NUMERIC", OPTIONAL_FLOAT64_SCHEMA),
)  # fmt: skip


class SqliteDialect(Dialect):
    """SQLite keeps timestamps as text: both sides of every comparison go through strftime (ms precision)."""

    name = "SqliteDatabaseDialect"
    placeholder = "?"

    def connect(self, *, autocommit: bool = True, utc_session: bool = True) -> Any:
        conn = sqlite3.connect(self.info.database, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    def list_tables(self, conn: Any) -> list[str]:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        ).fetchall()
        return [row[0] for row in rows]

    def declared_types(self, conn: Any, table: str | None) -> dict[str, str]:
        if not table:
            return {}
        rows = conn.execute(f"PRAGMA table_info({self.quote(table)})").fetchall()
        return {row[1]: str(row[2] or "") for row in rows}

    def column_schema(self, cursor: Any, index: int, sample: Any, declared: str | None = None) -> Schema:
        """SQLite's type affinity rules, read the other way: the declared type names the Connect type."""
        decl = (declared or "").upper()
        scale = _DECLARED_SCALE.search(decl)
        for marker, schema in _SQLITE_DECLARED:
            if marker in decl:
                if marker in ("DECIMAL", "NUMERIC") and scale:
                    return decimal_schema(int(scale[1]), optional=True)
                return schema
        return schema_for_value(sample)

    def timestamp_expression(self, columns: list[str]) -> str:
        normalized = [f"strftime('{_SQLITE_TIMESTAMP_FORMAT}', {self.quote(c)})" for c in columns]
        return normalized[0] if len(normalized) == 1 else f"COALESCE({', '.join(normalized)})"

    def bind_timestamp(self, value: dt.datetime) -> Any:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


_DIALECTS: dict[str, type[Dialect]] = {
    "postgresql": PostgresDialect,
    "postgres": PostgresDialect,
    "mysql": MySqlDialect,
    "mariadb": MySqlDialect,
    "sqlite": SqliteDialect,
}


def dialect_for(url: str, user: str | None = None, password: str | None = None, *, quote: bool = True) -> Dialect:
    """The dialect of `url`'s database, over its connection info; ConfigError naming connection.url otherwise."""
    kind, info = parse_jdbc_url(url, user, password)
    return _DIALECTS[kind](info, quote=quote)


def writable_dialect_for(url: str, user: str | None = None, password: str | None = None) -> Dialect:
    """As dialect_for, for the JDBC sink: only databases it can write to."""
    dialect = dialect_for(url, user, password)
    if not dialect.writes:
        writable = sorted(k for k, cls in _DIALECTS.items() if cls.writes)
        raise ConfigError(URL_CONFIG, url, f"the JDBC sink writes to {', '.join('jdbc:' + k for k in writable)}")
    return dialect

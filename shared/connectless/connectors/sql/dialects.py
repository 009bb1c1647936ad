"""What differs between databases: URL, driver, quoting, placeholders, table listing and column types.

`dialect_for(url)` picks one from the JDBC URL prefix, as Confluent's dialect.name auto-detection does.
Drivers are imported only when used: psycopg for PostgreSQL, PyMySQL for MySQL/MariaDB, sqlite3 built in.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from connectless.config import ConfigError
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
)
from connectless.data.logical import (
    OPTIONAL_DATE_SCHEMA,
    OPTIONAL_TIME_SCHEMA,
    OPTIONAL_TIMESTAMP_SCHEMA,
    decimal_schema,
)

if TYPE_CHECKING:
    from connectless.data import Schema


@dataclass(frozen=True)
class ConnectionInfo:
    host: str
    port: int | None
    database: str
    user: str | None
    password: str | None


def parse_jdbc_url(url: str, user: str | None, password: str | None) -> tuple[str, ConnectionInfo]:
    """`jdbc:<kind>://host:port/db?user=..&password=..` (or `jdbc:sqlite:<path>`) -> (kind, info)."""
    if not url.startswith("jdbc:"):
        raise ConfigError("connection.url", url, "must start with jdbc:")
    rest = url[len("jdbc:") :]
    kind, _, target = rest.partition(":")
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
    """The SQL and driver differences; subclasses fill in the hooks."""

    name: ClassVar[str] = "generic"
    placeholder: ClassVar[str] = "%s"
    quote_char: ClassVar[str] = '"'

    def __init__(self, info: ConnectionInfo, *, quote: bool = True) -> None:
        self.info = info
        self.quote_enabled = quote

    def connect(self) -> Any:
        raise NotImplementedError

    def list_tables(self, conn: Any) -> list[str]:
        raise NotImplementedError

    def quote(self, identifier: str) -> str:
        """`a.b` -> `"a"."b"` (each part quoted) unless quoting is off."""
        if not self.quote_enabled:
            return identifier
        q = self.quote_char
        return ".".join(f"{q}{part.replace(q, q + q)}{q}" for part in identifier.split("."))

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

    def connect(self) -> Any:
        import psycopg

        info = self.info
        conn = psycopg.connect(
            host=info.host, port=info.port or 5432, dbname=info.database, user=info.user, password=info.password,
            autocommit=True, connect_timeout=10,
        )  # fmt: skip
        conn.execute("SET TIME ZONE 'UTC'")
        return conn

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

    def connect(self) -> Any:
        import pymysql

        info = self.info
        conn = pymysql.connect(
            host=info.host, port=info.port or 3306, database=info.database, user=info.user or "",
            password=info.password or "", autocommit=True, connect_timeout=10, charset="utf8mb4",
        )  # fmt: skip
        with conn.cursor() as cursor:
            cursor.execute("SET time_zone = '+00:00'")
        return conn

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

    def connect(self) -> Any:
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
    kind, info = parse_jdbc_url(url, user, password)
    cls = _DIALECTS.get(kind)
    if cls is None:
        raise ConfigError("connection.url", url, f"no dialect for jdbc:{kind}; known: {', '.join(sorted(_DIALECTS))}")
    return cls(info, quote=quote)

"""What differs between PostgreSQL and MySQL/MariaDB for the JDBC sink: connecting, quoting, upserts, types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from connectless.connectors.optional_deps import require
from connectless.connectors.sink_values import plain
from connectless.data.schema import Type
from connectless.data.struct import Struct

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectless.data.schema import Schema

_URL = re.compile(r"^(?:jdbc:)?(?P<scheme>postgresql|postgres|mysql|mariadb)://", re.IGNORECASE)
DECIMAL = "org.apache.kafka.connect.data.Decimal"
DATE = "org.apache.kafka.connect.data.Date"
TIME = "org.apache.kafka.connect.data.Time"
TIMESTAMP = "org.apache.kafka.connect.data.Timestamp"


class UnsupportedDatabaseError(ValueError):
    """connection.url names no database this sink speaks to."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int | None
    database: str
    user: str | None
    password: str | None


def parse_url(url: str) -> tuple[str, Endpoint]:
    """('postgresql'|'mysql', endpoint) from a JDBC URL (jdbc:postgresql://h:p/db?user=u) or a plain URL."""
    match = _URL.match(url.strip())
    if not match:
        raise UnsupportedDatabaseError(f"connection.url must start with jdbc:postgresql:// or jdbc:mysql:// ({url})")
    scheme = match["scheme"].lower()
    kind = "postgresql" if scheme.startswith("postgres") else "mysql"
    parts = urlsplit(url.strip().removeprefix("jdbc:"))
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return kind, Endpoint(
        parts.hostname or "127.0.0.1",
        parts.port,
        unquote(parts.path.lstrip("/")),
        unquote(parts.username) if parts.username else query.get("user"),
        unquote(parts.password) if parts.password else query.get("password"),
    )


class Dialect:
    """One database's SQL. Subclasses fill the hooks; statements use %s placeholders (both drivers do)."""

    quote_char = '"'
    retriable_errors: tuple[type[BaseException], ...] = ()

    def connect(self, endpoint: Endpoint, user: str | None, password: str | None) -> Any:
        raise NotImplementedError

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def table(self, name: str) -> str:
        return ".".join(self.quote(part) for part in name.split("."))

    def insert(self, table: str, columns: Sequence[str]) -> str:
        cols = ", ".join(self.quote(c) for c in columns)
        return f"INSERT INTO {self.table(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"

    def upsert(self, table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
        raise NotImplementedError

    def delete(self, table: str, keys: Sequence[str]) -> str:
        where = " AND ".join(f"{self.quote(k)} = %s" for k in keys)
        return f"DELETE FROM {self.table(table)} WHERE {where}"

    def create_table(self, table: str, columns: Sequence[tuple[str, Schema]], keys: Sequence[str]) -> str:
        defs = [
            f"{self.quote(name)} {self.column_type(schema, name in keys)}"
            + ("" if schema.optional and name not in keys else " NOT NULL")
            for name, schema in columns
        ]
        if keys:
            defs.append(f"PRIMARY KEY ({', '.join(self.quote(k) for k in keys)})")
        return f"CREATE TABLE IF NOT EXISTS {self.table(table)} ({', '.join(defs)})"

    def column_type(self, schema: Schema, is_key: bool) -> str:
        raise NotImplementedError

    def bind(self, value: Any) -> Any:
        """A Connect value as the driver takes it: nested structures become JSON text."""
        if isinstance(value, Struct | dict | list):
            return orjson.dumps(plain(value)).decode()
        return value


class PostgresDialect(Dialect):
    _TYPES = {Type.INT8: "SMALLINT", Type.INT16: "SMALLINT", Type.INT32: "INTEGER", Type.INT64: "BIGINT",
              Type.FLOAT32: "REAL", Type.FLOAT64: "DOUBLE PRECISION", Type.BOOLEAN: "BOOLEAN", Type.STRING: "TEXT",
              Type.BYTES: "BYTEA"}  # fmt: skip

    def __init__(self) -> None:
        self.psycopg = require("psycopg", "postgres", "psycopg")
        self.retriable_errors = (self.psycopg.OperationalError, self.psycopg.errors.SerializationFailure,
                                 self.psycopg.errors.DeadlockDetected)  # fmt: skip

    def connect(self, endpoint: Endpoint, user: str | None, password: str | None) -> Any:
        return self.psycopg.connect(
            host=endpoint.host, port=endpoint.port or 5432, dbname=endpoint.database or "postgres",
            user=user or endpoint.user, password=password or endpoint.password, connect_timeout=10,
        )  # fmt: skip

    def upsert(self, table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
        others = [c for c in columns if c not in keys]
        conflict = ", ".join(self.quote(k) for k in keys)
        action = (
            "DO UPDATE SET " + ", ".join(f"{self.quote(c)} = EXCLUDED.{self.quote(c)}" for c in others)
            if others
            else "DO NOTHING"
        )
        return f"{self.insert(table, columns)} ON CONFLICT ({conflict}) {action}"

    def column_type(self, schema: Schema, is_key: bool) -> str:
        if schema.name == DECIMAL:
            return "NUMERIC"  # unconstrained: keeps every scale
        if schema.name == DATE:
            return "DATE"
        if schema.name == TIME:
            return "TIME"
        if schema.name == TIMESTAMP:
            return "TIMESTAMP"
        return self._TYPES.get(schema.type, "JSONB")


class MySqlDialect(Dialect):
    quote_char = "`"
    _TYPES = {Type.INT8: "TINYINT", Type.INT16: "SMALLINT", Type.INT32: "INT", Type.INT64: "BIGINT",
              Type.FLOAT32: "FLOAT", Type.FLOAT64: "DOUBLE", Type.BOOLEAN: "TINYINT(1)", Type.STRING: "TEXT",
              Type.BYTES: "BLOB"}  # fmt: skip

    def __init__(self) -> None:
        self.pymysql = require("pymysql", "mysql", "PyMySQL")
        self.retriable_errors = (self.pymysql.err.OperationalError, self.pymysql.err.InterfaceError)

    def connect(self, endpoint: Endpoint, user: str | None, password: str | None) -> Any:
        return self.pymysql.connect(
            host=endpoint.host, port=endpoint.port or 3306, database=endpoint.database or None,
            user=user or endpoint.user or "root", password=password or endpoint.password or "",
            connect_timeout=10, autocommit=False, charset="utf8mb4",
        )  # fmt: skip

    def upsert(self, table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
        others = [c for c in columns if c not in keys] or list(keys)
        updates = ", ".join(f"{self.quote(c)} = VALUES({self.quote(c)})" for c in others)
        return f"{self.insert(table, columns)} ON DUPLICATE KEY UPDATE {updates}"

    def column_type(self, schema: Schema, is_key: bool) -> str:
        if schema.name == DECIMAL:
            return f"DECIMAL(65, {int((schema.parameters or {}).get('scale', 0))})"
        if schema.name == DATE:
            return "DATE"
        if schema.name == TIME:
            return "TIME(3)"
        if schema.name == TIMESTAMP:
            return "DATETIME(3)"
        if is_key and schema.type is Type.STRING:
            return "VARCHAR(255)"  # a TEXT column cannot be a key without a prefix length
        if is_key and schema.type is Type.BYTES:
            return "VARBINARY(255)"
        return self._TYPES.get(schema.type, "LONGTEXT")


def dialect_for(kind: str) -> Dialect:
    return PostgresDialect() if kind == "postgresql" else MySqlDialect()

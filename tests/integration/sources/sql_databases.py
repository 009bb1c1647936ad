"""A fresh database per test on each real engine, with one `execute` that hides the drivers' paramstyles."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import db_servers


@dataclass
class Database:
    kind: str  # sqlite, postgresql, mariadb
    url: str
    conn: Any
    name: str

    def execute(self, sql: str, *params: Any) -> None:
        if self.kind == "sqlite":
            self.conn.execute(sql.replace("%s", "?"), params)
        elif self.kind == "postgresql":
            self.conn.execute(sql, params)
        else:
            with self.conn.cursor() as cursor:
                cursor.execute(sql, params)

    @property
    def timestamp_type(self) -> str:
        return "DATETIME(6)" if self.kind == "mariadb" else "TIMESTAMP"

    def fqn(self, table: str) -> str:
        return {"sqlite": table, "postgresql": f"{self.name}.public.{table}", "mariadb": f"{self.name}.{table}"}[
            self.kind
        ]

    def close(self) -> None:
        self.conn.close()


def sqlite_database(tmp_path: Path) -> Database:
    path = tmp_path / "source.db"
    return Database("sqlite", f"jdbc:sqlite:{path}", sqlite3.connect(path, isolation_level=None), "main")


def postgres_database(server: db_servers.PostgresServer) -> Database:
    import psycopg

    name = f"src_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    conn = psycopg.connect(server.dsn.rsplit("/", 1)[0] + f"/{name}", autocommit=True)
    return Database("postgresql", f"jdbc:postgresql://127.0.0.1:{server.port}/{name}?user=postgres", conn, name)


def mariadb_database(server: db_servers.MariaDBServer) -> Database:
    import pymysql

    name = f"src_{uuid.uuid4().hex[:10]}"
    admin = pymysql.connect(**server.params, autocommit=True)  # type: ignore[arg-type]
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    conn = pymysql.connect(**server.params, database=name, autocommit=True)  # type: ignore[arg-type]
    return Database("mariadb", server.url(name) + "?user=root", conn, name)

"""The one JDBC dialect family: URL parsing and the SQL each side of the JDBC connectors writes."""

from __future__ import annotations

import pytest

from connectless.config import ConfigError
from connectless.connectors.sql.dialects import (
    ConnectionInfo,
    MySqlDialect,
    PostgresDialect,
    SqliteDialect,
    dialect_for,
    parse_jdbc_url,
    writable_dialect_for,
)
from connectless.data import INT32_SCHEMA, OPTIONAL_STRING_SCHEMA


@pytest.mark.parametrize(
    ("url", "kind", "info"),
    [
        ("jdbc:postgresql://db:5433/app?user=u&password=p", "postgresql", ConnectionInfo("db", 5433, "app", "u", "p")),
        ("postgresql://u:p@db/app", "postgresql", ConnectionInfo("db", None, "app", "u", "p")),
        ("jdbc:mariadb://127.0.0.1:3306/shop", "mariadb", ConnectionInfo("127.0.0.1", 3306, "shop", None, None)),
        ("JDBC:MySQL://h/d", "mysql", ConnectionInfo("h", None, "d", None, None)),
        ("jdbc:sqlite:/tmp/x.db", "sqlite", ConnectionInfo("", None, "/tmp/x.db", None, None)),
    ],
)
def test_parse_jdbc_url(url: str, kind: str, info: ConnectionInfo) -> None:
    assert parse_jdbc_url(url) == (kind, info)


def test_connection_user_wins_over_the_query_which_wins_over_user_info() -> None:
    assert parse_jdbc_url("jdbc:postgresql://a:b@h/d?user=q")[1].user == "q"
    info = parse_jdbc_url("jdbc:postgresql://a:b@h/d?user=q", "cfg", "pw")[1]
    assert (info.user, info.password) == ("cfg", "pw")


@pytest.mark.parametrize("url", ["jdbc:oracle:thin:@x", "not a url", "jdbc:"])
def test_unknown_databases_name_connection_url(url: str) -> None:
    with pytest.raises(ConfigError, match="connection.url") as info:
        dialect_for(url)
    assert info.value.name == "connection.url"


def test_the_sink_refuses_databases_it_cannot_write() -> None:
    assert isinstance(dialect_for("jdbc:sqlite:x.db"), SqliteDialect)
    with pytest.raises(ConfigError, match="the JDBC sink writes to jdbc:mariadb, jdbc:mysql, jdbc:postgres"):
        writable_dialect_for("jdbc:sqlite:x.db")
    assert isinstance(writable_dialect_for("jdbc:mysql://h/d"), MySqlDialect)


def test_write_sql_quotes_table_parts_and_whole_column_names() -> None:
    pg = PostgresDialect(ConnectionInfo("h", None, "d", None, None))
    assert pg.upsert("s.t", ["id", "a.b"], ["id"]) == (
        'INSERT INTO "s"."t" ("id", "a.b") VALUES (%s, %s) ON CONFLICT ("id") DO UPDATE SET "a.b" = EXCLUDED."a.b"'
    )
    my = MySqlDialect(ConnectionInfo("h", None, "d", None, None))
    assert my.delete("t", ["id"]) == "DELETE FROM `t` WHERE `id` = %s"
    assert my.create_table("t", [("id", INT32_SCHEMA), ("n", OPTIONAL_STRING_SCHEMA)], ["id"]) == (
        "CREATE TABLE IF NOT EXISTS `t` (`id` INT NOT NULL, `n` TEXT, PRIMARY KEY (`id`))"
    )

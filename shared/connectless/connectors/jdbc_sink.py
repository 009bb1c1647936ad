"""JDBC sink for PostgreSQL and MySQL/MariaDB, with the Confluent JDBC sink's config names.

Each `put` is one transaction: rows are inserted or upserted by primary key, tombstones delete
(`delete.enabled`), and `auto.create` creates a missing table from the value schema (or, schemaless, from the
first value's inferred schema). Upserts make a redelivered batch leave the table as it was: the sink is
idempotent under redelivery with insert.mode=upsert. A lost connection raises RetriableError, so an outage
is retried; a row the database refuses raises an ordinary error, so the runtime isolates and dead-letters it.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigError, ConfigType, Importance, NonEmptyString, ValidString
from connectless.connector import SinkConnector, SinkTask
from connectless.connectors.sink_values import RecordShapeError, fields_of, key_fields
from connectless.connectors.sql.dialects import writable_dialect_for
from connectless.data import OPTIONAL_STRING_SCHEMA, struct_schema
from connectless.data.values import infer_schema
from connectless.errors.exceptions import ConnectError, RetriableError
from connectless.plugins import PluginKind, register

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.connectors.sql.dialects import Dialect
    from connectless.data.schema import Schema
    from connectless.records import SinkRecord

log = logging.getLogger(__name__)

GROUP = "JDBC"
CONFIG_DEF = (
    ConfigDef()
    .define("connection.url", ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH, group=GROUP,
            documentation="JDBC URL: jdbc:postgresql://host:port/db or jdbc:mysql://host:port/db (mariadb too).")
    .define("connection.user", ConfigType.STRING, None, None, Importance.HIGH, "Database user.", group=GROUP)
    .define("connection.password", ConfigType.PASSWORD, None, None, Importance.HIGH, "Database password.",
            group=GROUP)
    .define("table.name.format", ConfigType.STRING, "${topic}", None, Importance.MEDIUM,
            "Destination table name; ${topic} is replaced by the record's topic.", group=GROUP)
    .define("insert.mode", ConfigType.STRING, "insert", ValidString.in_ignore_case("insert", "upsert"),
            Importance.HIGH, "insert: plain INSERT; upsert: insert or update by primary key (idempotent).",
            group=GROUP)
    .define("pk.mode", ConfigType.STRING, "none", ValidString.in_ignore_case("none", "record_key", "record_value"),
            Importance.HIGH, "Where the primary key comes from.", group=GROUP)
    .define("pk.fields", ConfigType.LIST, "", None, Importance.MEDIUM,
            "Primary-key field names (all key fields when empty and the key is a struct).", group=GROUP)
    .define("delete.enabled", ConfigType.BOOLEAN, False, None, Importance.MEDIUM,
            "Delete the row of a tombstone (a null value); needs pk.mode=record_key.", group=GROUP)
    .define("auto.create", ConfigType.BOOLEAN, False, None, Importance.MEDIUM,
            "Create a missing destination table from the record schema.", group=GROUP)
)  # fmt: skip


@register(PluginKind.SINK, "io.confluent.connect.jdbc.JdbcSinkConnector", "JdbcSinkConnector", "JdbcSink")
class JdbcSinkConnector(SinkConnector):
    CONFIG_DEF = CONFIG_DEF

    def task_class(self) -> type[SinkTask]:
        return JdbcSinkTask

    def validate(self, props: Mapping[str, Any]) -> list[Any]:
        values = super().validate(props)
        for value in values:
            if value.name == "delete.enabled" and value.value and props.get("pk.mode", "none") != "record_key":
                value.errors.append("delete.enabled=true needs pk.mode=record_key")
            if value.name == "connection.url" and value.value:
                try:
                    writable_dialect_for(str(value.value))
                except ConfigError as exc:
                    value.errors.append(exc.reason or str(exc))
        return values


class JdbcSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        cfg = CONFIG_DEF.parse(props)
        password = cfg["connection.password"]
        self.dialect: Dialect = writable_dialect_for(
            cfg["connection.url"], cfg["connection.user"], password.value if password is not None else None
        )
        self.retriable_errors = self.dialect.retriable_errors()
        self.table_format: str = cfg["table.name.format"]
        self.upsert = cfg["insert.mode"].lower() == "upsert"
        self.pk_mode: str = cfg["pk.mode"].lower()
        self.pk_fields: list[str] = cfg["pk.fields"]
        self.delete_enabled: bool = cfg["delete.enabled"]
        self.auto_create: bool = cfg["auto.create"]
        if self.upsert and self.pk_mode == "none":
            raise ConnectError("insert.mode=upsert needs a pk.mode")
        self._conn: Any = None
        self._known_tables: set[str] = set()

    # -- connection ---------------------------------------------------------------------------------
    def _connection(self) -> Any:
        if self._conn is None:
            try:
                self._conn = self.dialect.connect(autocommit=False, utc_session=False)
            except self.retriable_errors as exc:
                raise RetriableError(f"cannot connect to the database: {exc}") from exc
        return self._conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing a broken connection", exc_info=True)

    # -- writing ------------------------------------------------------------------------------------
    def put(self, records: Sequence[SinkRecord]) -> None:
        if not records:
            return
        statements = self._statements(records)
        conn = self._connection()
        try:
            with conn.cursor() as cursor:
                for table, create, sql, rows in statements:
                    if create is not None and table not in self._known_tables:
                        cursor.execute(create)
                        self._known_tables.add(table)
                    cursor.executemany(sql, rows)
            conn.commit()
        except self.retriable_errors as exc:
            self._drop_connection()
            raise RetriableError(f"database unavailable: {exc}") from exc
        except Exception:
            try:
                conn.rollback()
            except Exception:
                self._drop_connection()
            raise

    def _statements(self, records: Sequence[SinkRecord]) -> list[tuple[str, str | None, str, list[tuple[Any, ...]]]]:
        """Consecutive records of one table and one statement share an executemany; order is kept."""
        out: list[tuple[str, str | None, str, list[tuple[Any, ...]]]] = []
        for record in records:
            table = self.table_format.replace("${topic}", record.topic)
            if record.value is None:
                if not self.delete_enabled:
                    continue  # Confluent's sink also ignores tombstones unless deletes are enabled
                keys = key_fields(record, self.pk_fields, self.pk_mode)
                sql, create, row = self.dialect.delete(table, list(keys)), None, tuple(keys.values())
            else:
                keys = key_fields(record, self.pk_fields, self.pk_mode)
                values = fields_of(record.value)
                columns = {**keys, **values}
                names = list(columns)
                sql = (
                    self.dialect.upsert(table, names, list(keys)) if self.upsert else self.dialect.insert(table, names)
                )
                row = tuple(self.dialect.bind(v) for v in columns.values())
                create = self._create_sql(table, record, list(keys)) if self.auto_create else None
            if out and out[-1][0] == table and out[-1][2] == sql:
                out[-1][3].append(row)
            else:
                out.append((table, create, sql, [row]))
        return out

    def _create_sql(self, table: str, record: SinkRecord, keys: list[str]) -> str | None:
        if table in self._known_tables:
            return None
        columns: dict[str, Schema] = {}
        if self.pk_mode == "record_key":
            key_schema = record.key_schema or _schema_of(record.key)
            if key_schema is not None and key_schema.fields:
                for name in keys:
                    found = key_schema.field(name)
                    if found is not None:
                        columns[name] = found.schema
            elif key_schema is not None:
                columns[keys[0]] = key_schema
        value_schema = record.value_schema or _schema_of(record.value)
        if value_schema is None or not value_schema.fields:
            raise RecordShapeError(f"auto.create of {table} needs a struct value schema or a map value")
        for field in value_schema.fields:
            columns.setdefault(field.name, field.schema)
        return self.dialect.create_table(table, list(columns.items()), keys)

    def flush(self, current_offsets: Mapping[Any, int]) -> None:
        """Every put commits its own transaction: nothing is left to flush."""

    def stop(self) -> None:
        self._drop_connection()


def _schema_of(value: Any) -> Schema | None:
    """A schemaless value's schema: a map becomes a struct of its entries (None values: optional strings)."""
    if isinstance(value, dict):
        fields = [(str(k), infer_schema(v) or OPTIONAL_STRING_SCHEMA) for k, v in value.items()]
        return struct_schema([(name, _optional(schema)) for name, schema in fields])
    return infer_schema(value)


def _optional(schema: Schema) -> Schema:
    return schema if schema.optional else dataclasses.replace(schema, optional=True)

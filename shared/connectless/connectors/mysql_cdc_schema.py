"""MySQL/MariaDB column types -> Connect schemas and values, and the Debezium-like change event envelope.

The same table gets the same schema whether its rows come from the snapshot (information_schema) or from the
binlog (the table map's metadata), so a consumer never sees the schema flip between the two. Mapping
(Debezium's defaults with `time.precision.mode=connect`):
tinyint/smallint int16 (unsigned smallint int32), mediumint/int int32 (unsigned int int64), bigint int64,
float/double float64, decimal Connect Decimal (or float64/string per `decimal.handling.mode`), date Connect
Date, datetime/timestamp Connect Timestamp (UTC), time int64 microseconds (io.debezium.time.MicroTime),
year int32, bit(1) boolean, bit(n) int64, char/varchar/text/enum/set string (json: io.debezium.data.Json),
binary/varbinary/blob/geometry bytes. Primary key columns are required, every other column optional.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectless.data import Schema, SchemaBuilder, Struct
from connectless.data.logical import date_builder, decimal_builder, timestamp_builder

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

CONNECTOR_NAME = "mysql"
VERSION = "0.1.0"

# FIELD_TYPE codes of the binlog's table map -> the kinds below
_BINLOG_KINDS = {
    1: "tinyint", 2: "smallint", 3: "int", 4: "float", 5: "double", 7: "timestamp", 8: "bigint", 9: "mediumint",
    10: "date", 11: "time", 12: "datetime", 13: "year", 14: "date", 15: "varchar", 16: "bit", 17: "timestamp",
    18: "datetime", 19: "time", 245: "json", 246: "decimal", 247: "enum", 248: "set", 249: "blob", 250: "blob",
    251: "blob", 252: "blob", 253: "varchar", 254: "char", 255: "geometry",
}  # fmt: skip
_TEXT_KINDS = {"char", "varchar", "text", "tinytext", "mediumtext", "longtext", "enum", "set", "json"}
_BINARY_KINDS = {"binary", "varbinary", "blob", "tinyblob", "mediumblob", "longblob", "geometry"}
_TIMESTAMP_KINDS = {"datetime", "timestamp"}


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """What the schema of one column depends on."""

    name: str
    kind: str  # information_schema DATA_TYPE spelling: int, varchar, decimal, ...
    unsigned: bool = False
    scale: int | None = None  # decimal scale
    length: int | None = None  # bit width
    primary: bool = False


def column_from_information_schema(
    name: str, data_type: str, column_type: str, scale: int | None, primary: bool
) -> ColumnInfo:
    kind = data_type.lower()
    width = None
    if kind == "bit":
        inside = column_type[column_type.find("(") + 1 : column_type.find(")")] if "(" in column_type else "1"
        width = int(inside or 1)
    return ColumnInfo(name, kind, "unsigned" in column_type.lower(), scale, width, primary)


def column_from_binlog(column: Any, primary: bool) -> ColumnInfo:
    """A pymysqlreplication Column (with binlog_row_metadata=FULL, so names and charsets are known)."""
    kind = _BINLOG_KINDS.get(column.type, "varchar")
    charset = getattr(column, "character_set_name", None)
    if kind in {"blob", "varchar", "char"}:
        binary = charset in (None, "binary") if kind == "blob" else charset == "binary"
        if kind == "blob" and not binary:
            kind = "text"
        elif kind in {"varchar", "char"} and binary:
            kind = "varbinary"
    scale = getattr(column, "decimals", None) if kind == "decimal" else None
    width = None
    if kind == "bit":
        width = int(getattr(column, "bits", 0) or 1)
    return ColumnInfo(column.name, kind, bool(getattr(column, "unsigned", False)), scale, width, primary)


def column_schema(column: ColumnInfo, decimal_mode: str) -> Schema:
    builder = _builder(column, decimal_mode)
    if not column.primary:
        builder.optional()
    return builder.build()


def _builder(column: ColumnInfo, decimal_mode: str) -> SchemaBuilder:  # noqa: PLR0911 - one arm per kind
    kind = column.kind
    if kind in {"tinyint", "smallint"}:
        return SchemaBuilder.int32() if column.unsigned and kind == "smallint" else SchemaBuilder.int16()
    if kind in {"mediumint", "int", "integer"}:
        return SchemaBuilder.int64() if column.unsigned and kind != "mediumint" else SchemaBuilder.int32()
    if kind == "bigint":
        return SchemaBuilder.int64()
    if kind in {"float", "double", "real"}:
        return SchemaBuilder.float64()
    if kind in {"decimal", "numeric"}:
        if decimal_mode == "double":
            return SchemaBuilder.float64()
        if decimal_mode == "string":
            return SchemaBuilder.string()
        return decimal_builder(column.scale or 0)
    if kind == "date":
        return date_builder()
    if kind in _TIMESTAMP_KINDS:
        return timestamp_builder()
    if kind == "time":
        return SchemaBuilder.int64().name("io.debezium.time.MicroTime").version(1)
    if kind == "year":
        return SchemaBuilder.int32().name("io.debezium.time.Year").version(1)
    if kind == "bit":
        return SchemaBuilder.boolean() if (column.length or 1) == 1 else SchemaBuilder.int64()
    if kind == "json":
        return SchemaBuilder.string().name("io.debezium.data.Json").version(1)
    if kind in _BINARY_KINDS:
        return SchemaBuilder.bytes()
    return SchemaBuilder.string()


def convert_value(column: ColumnInfo, value: Any, decimal_mode: str) -> Any:  # noqa: C901, PLR0911
    """A value from PyMySQL (snapshot) or pymysqlreplication (binlog) -> the Connect value of its schema."""
    if value is None:
        return None
    kind = column.kind
    if kind in {"decimal", "numeric"}:
        number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
        if decimal_mode == "double":
            return float(number)
        if decimal_mode == "string":
            return str(number)
        return number.quantize(decimal.Decimal(1).scaleb(-(column.scale or 0)))
    if kind in _TIMESTAMP_KINDS:
        if isinstance(value, str):  # a zero date the driver could not parse
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return value if isinstance(value, dt.date) else None
    if kind == "time":
        if isinstance(value, dt.timedelta):
            return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        if isinstance(value, dt.time):
            return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        return None
    if kind == "bit":
        bits = _bit_value(value)
        return bool(bits) if (column.length or 1) == 1 else bits
    if kind in {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"}:
        return int(value)
    if kind in {"float", "double", "real"}:
        return float(value)
    if kind == "set":
        if isinstance(value, set | frozenset | list | tuple):
            return ",".join(sorted(str(v) for v in value))
        return value.decode() if isinstance(value, bytes) else str(value)
    if kind in _BINARY_KINDS:
        return value.encode() if isinstance(value, str) else bytes(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _bit_value(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return int.from_bytes(value, "big")
    if isinstance(value, str):
        return int(value, 2) if value else 0
    return int(value)


# --------------------------------------------------------------------------- envelope

SOURCE_SCHEMA = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.mysql.Source")
    .field("version", SchemaBuilder.string().build())
    .field("connector", SchemaBuilder.string().build())
    .field("name", SchemaBuilder.string().build())
    .field("ts_ms", SchemaBuilder.int64().build())
    .field("snapshot", SchemaBuilder.string().optional().default_value("false").build())
    .field("db", SchemaBuilder.string().build())
    .field("table", SchemaBuilder.string().optional().build())
    .field("server_id", SchemaBuilder.int64().build())
    .field("gtid", SchemaBuilder.string().optional().build())
    .field("file", SchemaBuilder.string().build())
    .field("pos", SchemaBuilder.int64().build())
    .field("row", SchemaBuilder.int32().build())
    .build()
)

SCHEMA_CHANGE_KEY_SCHEMA = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.mysql.SchemaChangeKey")
    .field("databaseName", SchemaBuilder.string().build())
    .build()
)
SCHEMA_CHANGE_VALUE_SCHEMA = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.mysql.SchemaChangeValue")
    .field("source", SOURCE_SCHEMA)
    .field("ts_ms", SchemaBuilder.int64().build())
    .field("databaseName", SchemaBuilder.string().optional().build())
    .field("ddl", SchemaBuilder.string().optional().build())
    .build()
)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """The `source` block of one event: where in the server's history it came from."""

    server: str
    ts_ms: int
    db: str
    table: str | None
    server_id: int
    file: str
    pos: int
    row: int = 0
    snapshot: str = "false"
    gtid: str | None = None

    def struct(self) -> Struct:
        source = Struct(SOURCE_SCHEMA)
        for name, value in (
            ("version", VERSION), ("connector", CONNECTOR_NAME), ("name", self.server), ("ts_ms", self.ts_ms),
            ("snapshot", self.snapshot), ("db", self.db), ("table", self.table), ("server_id", self.server_id),
            ("gtid", self.gtid), ("file", self.file), ("pos", self.pos), ("row", self.row),
        ):  # fmt: skip
            source.put_unchecked(name, value)
        return source


class TableSchema:
    """Key, value and envelope schemas of one table at one shape of its columns, and row conversion."""

    def __init__(self, topic: str, columns: Sequence[ColumnInfo], decimal_mode: str) -> None:
        self.topic = topic
        self.columns = list(columns)
        self.decimal_mode = decimal_mode
        value = SchemaBuilder.struct().name(f"{topic}.Value").optional()
        key = SchemaBuilder.struct().name(f"{topic}.Key")
        self.key_columns = [c for c in self.columns if c.primary]
        for column in self.columns:
            schema = column_schema(column, decimal_mode)
            value.field(column.name, schema)
            if column.primary:
                key.field(column.name, schema)
        self.value_schema = value.build()
        self.key_schema = key.build() if self.key_columns else None
        self.envelope_schema = (
            SchemaBuilder.struct()
            .name(f"{topic}.Envelope")
            .version(1)
            .field("before", self.value_schema)
            .field("after", self.value_schema)
            .field("source", SOURCE_SCHEMA)
            .field("op", SchemaBuilder.string().build())
            .field("ts_ms", SchemaBuilder.int64().optional().build())
            .build()
        )

    def row(self, values: Mapping[str, Any]) -> Struct:
        struct = Struct(self.value_schema)
        for column in self.columns:
            struct.put_unchecked(column.name, convert_value(column, values.get(column.name), self.decimal_mode))
        return struct

    def key(self, row: Struct) -> Struct | None:
        if self.key_schema is None:
            return None
        key = Struct(self.key_schema)
        for column in self.key_columns:
            key.put_unchecked(column.name, row.get(column.name))
        return key

    def envelope(self, op: str, before: Struct | None, after: Struct | None, source: SourceInfo, now_ms: int) -> Struct:
        envelope = Struct(self.envelope_schema)
        envelope.put_unchecked("before", before)
        envelope.put_unchecked("after", after)
        envelope.put_unchecked("source", source.struct())
        envelope.put_unchecked("op", op)
        envelope.put_unchecked("ts_ms", now_ms)
        return envelope

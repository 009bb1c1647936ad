"""One table (or the custom query) of the SQL source: builds the incremental query, runs it, makes records.

Queries per mode, as Confluent's TimestampIncrementingCriteria builds them (`ts` is the timestamp column, or
COALESCE of several; `end` is now minus timestamp.delay.interval.ms):
- bulk:                   SELECT ... (every poll.interval.ms, the whole table; no offsets)
- incrementing:           WHERE inc > ? ORDER BY inc ASC
- timestamp:              WHERE ts > ? AND ts < end ORDER BY ts ASC
- timestamp+incrementing: WHERE ts < end AND ((ts = ? AND inc > ?) OR ts > ?) ORDER BY ts, inc ASC
The keyed modes (incrementing, timestamp+incrementing) add LIMIT batch.max.rows and query again at once while
batches come back full; bulk and timestamp read the result in batches (a LIMIT could split rows that share a
timestamp). Offsets: {"incrementing": n}, {"timestamp": epoch ms, "timestamp_nanos": nanos of the second}.
"""

from __future__ import annotations

import datetime as dt
import decimal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from connectless.connectors.sql.config import (
    MODE_BULK,
    MODE_INCREMENTING,
    MODE_TIMESTAMP,
    MODE_TIMESTAMP_INCREMENTING,
    TIMESTAMP_INITIAL_CURRENT,
)
from connectless.data import Schema, Struct, Type, struct_schema
from connectless.data.logical import (
    DATE_NAME,
    DECIMAL_NAME,
    OPTIONAL_TIMESTAMP_SCHEMA,
    TIME_NAME,
    TIMESTAMP_NAME,
    decimal_scale,
)
from connectless.records import SourceRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.connectors.sql.dialects import Dialect

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class QuerySpec:
    mode: str
    incrementing_column: str
    timestamp_columns: list[str]
    batch_max_rows: int
    poll_interval_s: float
    delay_s: float
    suffix: str
    timestamp_initial_ms: int | None
    timezone: str


def offset_timestamp(offset: Mapping[str, Any]) -> dt.datetime | None:
    millis = offset.get("timestamp")
    if millis is None:
        return None
    nanos = offset.get("timestamp_nanos")
    seconds = EPOCH + dt.timedelta(seconds=int(millis) // 1000)
    micros = int(nanos) // 1000 if nanos is not None else (int(millis) % 1000) * 1000
    return seconds + dt.timedelta(microseconds=micros)


def timestamp_offset(value: dt.datetime) -> dict[str, int]:
    """Java's Timestamp as Confluent stores it: getTime() (ms) and getNanos() (the whole fraction in ns)."""
    delta = value - EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    return {"timestamp": seconds * 1000 + delta.microseconds // 1000, "timestamp_nanos": delta.microseconds * 1000}


class TableQuerier:
    """Polls one table or the custom query; `next_poll_at` (time.monotonic) says when it is due again."""

    def __init__(
        self,
        dialect: Dialect,
        spec: QuerySpec,
        *,
        topic: str,
        table: str | None = None,
        query: str | None = None,
        stored: Mapping[str, Any] | None = None,
    ) -> None:
        self.dialect = dialect
        self.spec = spec
        self.topic = topic
        self.table = table
        self.query = query
        self.partition: dict[str, str] = (
            {"protocol": "1", "table": dialect.fqn(table)} if table is not None else {"query": "query"}
        )
        self.tz = ZoneInfo(spec.timezone)
        self.incrementing: int = int(stored["incrementing"]) if stored and "incrementing" in stored else -1
        self.timestamp: dt.datetime = self._initial_timestamp(stored)
        self.next_poll_at = 0.0
        self._cursor: Any = None
        self._schema: Schema | None = None
        self._converters: list[Callable[[Any], Any]] = []
        self._columns: list[str] = []
        self._inc_index = -1
        self._ts_indexes: list[int] = []

    def _initial_timestamp(self, stored: Mapping[str, Any] | None) -> dt.datetime:
        found = offset_timestamp(stored) if stored else None
        if found is not None:
            return found
        initial = self.spec.timestamp_initial_ms
        if initial == TIMESTAMP_INITIAL_CURRENT:
            return dt.datetime.now(dt.UTC)
        return EPOCH + dt.timedelta(milliseconds=initial or 0)

    @property
    def keyed(self) -> bool:
        return self.spec.mode in (MODE_INCREMENTING, MODE_TIMESTAMP_INCREMENTING)

    # -- SQL ---------------------------------------------------------------------------------------
    def statement(self, end: dt.datetime) -> tuple[str, list[Any]]:
        d, spec = self.dialect, self.spec
        if self.query:
            base = self.query if d.placeholder != "%s" else self.query.replace("%", "%%")
        else:
            base = f"SELECT * FROM {d.quote(self.table or '')}"
        inc = d.quote(spec.incrementing_column) if spec.incrementing_column else ""
        ts = d.timestamp_expression(spec.timestamp_columns) if spec.timestamp_columns else ""
        bind = d.bind_timestamp
        params: list[Any] = []
        if spec.mode == MODE_BULK:
            sql = base
        elif spec.mode == MODE_INCREMENTING:
            sql, params = f"{base} WHERE {inc} > %s ORDER BY {inc} ASC", [self.incrementing]
        elif spec.mode == MODE_TIMESTAMP:
            sql = f"{base} WHERE {ts} > %s AND {ts} < %s ORDER BY {ts} ASC"
            params = [bind(self.timestamp), bind(end)]
        else:
            sql = f"{base} WHERE {ts} < %s AND (({ts} = %s AND {inc} > %s) OR {ts} > %s) ORDER BY {ts} ASC, {inc} ASC"
            params = [bind(end), bind(self.timestamp), self.incrementing, bind(self.timestamp)]
        if self.keyed:
            sql = d.limit(sql, spec.batch_max_rows)
        if spec.suffix:
            sql = f"{sql} {spec.suffix}"
        if d.placeholder != "%s":
            sql = sql.replace("%s", d.placeholder)
        return sql, params

    # -- polling -----------------------------------------------------------------------------------
    def poll(self, conn: Any) -> list[SourceRecord]:
        spec = self.spec
        if self._cursor is None:
            end = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=spec.delay_s)
            sql, params = self.statement(end)
            self._cursor = conn.cursor()
            self._cursor.execute(sql, params)
        cursor = self._cursor
        rows = cursor.fetchmany(spec.batch_max_rows)
        if rows:
            self._prepare(conn, cursor, rows)
        if self.keyed or len(rows) < spec.batch_max_rows:
            cursor.close()
            self._cursor = None
            full = self.keyed and len(rows) == spec.batch_max_rows
            self.next_poll_at = time.monotonic() + (0.0 if full else spec.poll_interval_s)
        return [self._record(row) for row in rows]

    def close(self) -> None:
        if self._cursor is not None:
            try:
                self._cursor.close()
            finally:
                self._cursor = None

    def _prepare(self, conn: Any, cursor: Any, rows: list[Any]) -> None:
        columns = [column[0] for column in cursor.description]
        if self._schema is not None and columns == self._columns:
            return
        declared = self.dialect.declared_types(conn, self.table)
        fields = []
        for index, name in enumerate(columns):
            sample = next((row[index] for row in rows if row[index] is not None), None)
            schema = self.dialect.column_schema(cursor, index, sample, declared.get(name))
            if name in self.spec.timestamp_columns and schema.type is Type.STRING:
                schema = OPTIONAL_TIMESTAMP_SCHEMA  # timestamps kept as text (SQLite)
            fields.append((name, schema))
        self._schema = struct_schema(fields, name=self.table.rsplit(".", 1)[-1] if self.table else None)
        self._columns = columns
        self._converters = [self._converter(schema) for _, schema in fields]
        self._inc_index = columns.index(spec_col) if (spec_col := self.spec.incrementing_column) in columns else -1
        self._ts_indexes = [columns.index(c) for c in self.spec.timestamp_columns if c in columns]
        if self.spec.mode in (MODE_INCREMENTING, MODE_TIMESTAMP_INCREMENTING) and self._inc_index < 0:
            raise ValueError(f"incrementing column {self.spec.incrementing_column!r} is not in the result {columns}")
        if self.spec.mode in (MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING) and not self._ts_indexes:
            raise ValueError(f"timestamp columns {self.spec.timestamp_columns} are not in the result {columns}")

    def _record(self, row: Any) -> SourceRecord:
        assert self._schema is not None
        struct = Struct(self._schema)
        for name, convert, value in zip(self._columns, self._converters, row, strict=True):
            struct.put_unchecked(name, None if value is None else convert(value))
        offset: dict[str, int] | None = None
        mode = self.spec.mode
        if mode != MODE_BULK:
            offset = {}
            if mode in (MODE_INCREMENTING, MODE_TIMESTAMP_INCREMENTING):
                self.incrementing = int(row[self._inc_index])
                offset["incrementing"] = self.incrementing
            if mode in (MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING):
                raw = next((row[i] for i in self._ts_indexes if row[i] is not None), None)
                if raw is not None:
                    self.timestamp = self._to_datetime(raw)
                offset |= timestamp_offset(self.timestamp)
        return SourceRecord(
            topic=self.topic, kafka_partition=None, key_schema=None, key=None, value_schema=self._schema,
            value=struct, source_partition=self.partition if offset is not None else None, source_offset=offset,
        )  # fmt: skip

    # -- values ------------------------------------------------------------------------------------
    def _to_datetime(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return value.astimezone(dt.UTC)

    def _converter(self, schema: Schema) -> Callable[[Any], Any]:
        name = schema.name
        if name == TIMESTAMP_NAME:
            return self._to_datetime
        if name == DATE_NAME:
            return _to_date
        if name == TIME_NAME:
            return _to_time
        if name == DECIMAL_NAME:
            quantum = decimal.Decimal(1).scaleb(-decimal_scale(schema))
            return lambda v: decimal.Decimal(str(v)).quantize(quantum)
        return _PRIMITIVE_CONVERTERS.get(schema.type, _to_string)


def _to_date(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value.date() if isinstance(value, dt.datetime) else value


def _to_time(value: Any) -> dt.time:
    if isinstance(value, dt.timedelta):  # MySQL TIME
        return (dt.datetime.min + value).time()
    if isinstance(value, str):
        return dt.time.fromisoformat(value)
    return value.replace(tzinfo=None) if isinstance(value, dt.time) else value


def _to_bytes(value: Any) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):  # json/jsonb
        return orjson.dumps(value).decode()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


_PRIMITIVE_CONVERTERS: dict[Type, Callable[[Any], Any]] = {
    Type.BOOLEAN: bool,
    Type.INT8: int,
    Type.INT16: int,
    Type.INT32: int,
    Type.INT64: int,
    Type.FLOAT32: float,
    Type.FLOAT64: float,
    Type.BYTES: _to_bytes,
    Type.STRING: _to_string,
}

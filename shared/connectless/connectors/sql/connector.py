"""The SQL source connector and task, under Confluent's JDBC source class name and configs.

Example (Kafka Connect JSON, unchanged):
    {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
     "connection.url": "jdbc:postgresql://db:5432/shop", "connection.user": "app", "connection.password": "...",
     "table.whitelist": "orders,customers", "mode": "timestamp+incrementing",
     "incrementing.column.name": "id", "timestamp.column.name": "updated_at", "topic.prefix": "shop-"}
Offsets are kept per table ({"protocol": "1", "table": "<fully qualified name>"}), or under {"query": "query"}
for a custom query, in Confluent's offset format, so a Kafka Connect JDBC source moves over with its position.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from connectless.connector import SourceConnector, SourceTask
from connectless.connectors.sql import config as c
from connectless.connectors.sql.dialects import Dialect, dialect_for
from connectless.connectors.sql.querier import QuerySpec, TableQuerier
from connectless.plugins import PluginKind, register

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.config import ConfigValue
    from connectless.records import SourceRecord

IDLE_SLEEP_S = 0.1  # the longest a poll() waits for a table to be due, so a Lambda deadline is never overrun


def _dialect(config: Mapping[str, Any]) -> Dialect:
    password = config[c.CONNECTION_PASSWORD]
    return dialect_for(
        config[c.CONNECTION_URL],
        config[c.CONNECTION_USER],
        password.value() if hasattr(password, "value") else password,
        quote=config[c.QUOTE_IDENTIFIERS] == "always",
    )


def connect(dialect: Dialect, attempts: int, backoff_s: float) -> Any:
    """Connect, retrying `attempts` times with `backoff_s` between (connection.attempts, connection.backoff.ms)."""
    for attempt in range(1, attempts + 1):
        try:
            return dialect.connect()
        except Exception:
            if attempt == attempts:
                raise
            time.sleep(backoff_s)
    raise AssertionError("unreachable")


@register(
    PluginKind.SOURCE,
    "io.confluent.connect.jdbc.JdbcSourceConnector",
    "JdbcSourceConnector",
    "JdbcSource",
    "connectless.connectors.SqlSourceConnector",
)
class SqlSourceConnector(SourceConnector):
    CONFIG_DEF = c.CONFIG_DEF

    def validate(self, props: Mapping[str, Any]) -> list[ConfigValue]:
        values = super().validate(props)
        by_name = {v.name: v for v in values}
        for key, message in mode_errors(props):
            by_name[key].errors.append(message)
        return values

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)
        config = c.CONFIG_DEF.parse(props)
        errors = mode_errors(props)
        if errors:
            from connectless.config import ConfigError

            key, message = errors[0]
            raise ConfigError(key, props.get(key), message)
        self.tables: list[str] = []
        if not config[c.QUERY]:
            whitelist = [t for t in config[c.TABLE_WHITELIST] if t]
            if whitelist:
                self.tables = whitelist
            else:
                dialect = _dialect(config)
                conn = connect(dialect, config[c.CONNECTION_ATTEMPTS], config[c.CONNECTION_BACKOFF_MS] / 1000)
                try:
                    blacklist = set(config[c.TABLE_BLACKLIST])
                    self.tables = [t for t in dialect.list_tables(conn) if t not in blacklist]
                finally:
                    conn.close()

    def task_class(self) -> type[SourceTask]:
        return SqlSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """The custom query runs in one task; tables are dealt round-robin to at most `max_tasks` tasks."""
        if not self.tables:
            return [dict(self.props)]
        groups = [self.tables[i::max_tasks] for i in range(min(max_tasks, len(self.tables)))]
        return [{**self.props, c.TABLES: ",".join(group)} for group in groups]

    def exactly_once_support(self, props: Mapping[str, str]) -> bool | None:
        return props.get(c.MODE, "") != c.MODE_BULK  # bulk has no offsets to commit with the records


def mode_errors(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The cross-key rules of Confluent's JDBC source config."""
    errors: list[tuple[str, str]] = []
    mode = str(props.get(c.MODE, "")).strip()
    whitelist = str(props.get(c.TABLE_WHITELIST, "")).strip()
    blacklist = str(props.get(c.TABLE_BLACKLIST, "")).strip()
    if not mode:
        errors.append((c.MODE, 'Missing required configuration "mode" which has no default value.'))
    if whitelist and blacklist:
        errors.append((c.TABLE_WHITELIST, "table.whitelist and table.blacklist are mutually exclusive"))
    if str(props.get(c.QUERY, "")).strip() and (whitelist or blacklist):
        errors.append((c.QUERY, "Do not specify table filtering configs with 'query'"))
    if (
        mode in (c.MODE_INCREMENTING, c.MODE_TIMESTAMP_INCREMENTING)
        and not str(props.get(c.INCREMENTING_COLUMN, "")).strip()
    ):
        errors.append((c.INCREMENTING_COLUMN, f"incrementing.column.name is required in mode {mode}"))
    if mode in (c.MODE_TIMESTAMP, c.MODE_TIMESTAMP_INCREMENTING) and not str(props.get(c.TIMESTAMP_COLUMN, "")).strip():
        errors.append((c.TIMESTAMP_COLUMN, f"timestamp.column.name is required in mode {mode}"))
    return errors


class SqlSourceTask(SourceTask):
    """Polls its tables in turn, each when it is due (poll.interval.ms after it last ran dry)."""

    def start(self, props: Mapping[str, str]) -> None:
        config = c.CONFIG_DEF.parse(props)
        self.dialect = _dialect(config)
        spec = QuerySpec(
            mode=config[c.MODE],
            incrementing_column=config[c.INCREMENTING_COLUMN].strip(),
            timestamp_columns=[t.strip() for t in config[c.TIMESTAMP_COLUMN] if t.strip()],
            batch_max_rows=config[c.BATCH_MAX_ROWS],
            poll_interval_s=config[c.POLL_INTERVAL_MS] / 1000,
            delay_s=config[c.TIMESTAMP_DELAY_MS] / 1000,
            suffix=config[c.QUERY_SUFFIX].strip(),
            timestamp_initial_ms=config[c.TIMESTAMP_INITIAL],
            timezone=config[c.DB_TIMEZONE],
        )
        prefix: str = config[c.TOPIC_PREFIX]
        reader = self.context.offset_storage_reader
        self.queriers: list[TableQuerier] = []
        if config[c.QUERY]:
            stored = reader.offset({"query": "query"})
            querier = TableQuerier(self.dialect, spec, topic=prefix, query=config[c.QUERY], stored=stored)
            self.queriers.append(querier)
        else:
            tables = props.get(c.TABLES) or ",".join(config[c.TABLE_WHITELIST])
            for table in (t.strip() for t in tables.split(",") if t.strip()):
                topic = prefix + table.rsplit(".", 1)[-1]
                stored = reader.offset({"protocol": "1", "table": self.dialect.fqn(table)})
                if stored is None:  # Confluent's protocol 0 partition: the bare table name
                    stored = reader.offset({"table": table.rsplit(".", 1)[-1]})
                self.queriers.append(TableQuerier(self.dialect, spec, topic=topic, table=table, stored=stored))
        self.conn = connect(self.dialect, config[c.CONNECTION_ATTEMPTS], config[c.CONNECTION_BACKOFF_MS] / 1000)
        self._turn = 0

    def poll(self) -> list[SourceRecord] | None:
        now = time.monotonic()
        count = len(self.queriers)
        for step in range(count):
            querier = self.queriers[(self._turn + step) % count]
            if querier.next_poll_at <= now:
                self._turn = (self._turn + step + 1) % count
                return querier.poll(self.conn) or None
        wake = min(q.next_poll_at for q in self.queriers) if self.queriers else now + IDLE_SLEEP_S
        time.sleep(min(IDLE_SLEEP_S, max(0.0, wake - now)))
        return None

    def stop(self) -> None:
        for querier in getattr(self, "queriers", []):
            querier.close()
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()
            self.conn = None

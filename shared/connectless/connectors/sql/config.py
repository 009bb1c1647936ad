"""The SQL source's ConfigDef: Confluent's JDBC source connector names, defaults and meanings."""

from __future__ import annotations

from typing import Final

from connectless.config import ConfigDef, ConfigType, Importance, NonEmptyString, Range, ValidString

CONNECTION_URL: Final = "connection.url"
CONNECTION_USER: Final = "connection.user"
CONNECTION_PASSWORD: Final = "connection.password"  # noqa: S105 - a config key, not a secret
CONNECTION_ATTEMPTS: Final = "connection.attempts"
CONNECTION_BACKOFF_MS: Final = "connection.backoff.ms"
TABLE_WHITELIST: Final = "table.whitelist"
TABLE_BLACKLIST: Final = "table.blacklist"
QUERY: Final = "query"
QUERY_SUFFIX: Final = "query.suffix"
MODE: Final = "mode"
INCREMENTING_COLUMN: Final = "incrementing.column.name"
TIMESTAMP_COLUMN: Final = "timestamp.column.name"
TIMESTAMP_INITIAL: Final = "timestamp.initial"
TIMESTAMP_DELAY_MS: Final = "timestamp.delay.interval.ms"
VALIDATE_NON_NULL: Final = "validate.non.null"
POLL_INTERVAL_MS: Final = "poll.interval.ms"
BATCH_MAX_ROWS: Final = "batch.max.rows"
TOPIC_PREFIX: Final = "topic.prefix"
DB_TIMEZONE: Final = "db.timezone"
QUOTE_IDENTIFIERS: Final = "quote.sql.identifiers"
TABLES: Final = "tables"  # set per task by the connector, as Confluent's JdbcSourceTaskConfig does

MODE_BULK: Final = "bulk"
MODE_INCREMENTING: Final = "incrementing"
MODE_TIMESTAMP: Final = "timestamp"
MODE_TIMESTAMP_INCREMENTING: Final = "timestamp+incrementing"
MODES: Final = (MODE_BULK, MODE_INCREMENTING, MODE_TIMESTAMP, MODE_TIMESTAMP_INCREMENTING)
TIMESTAMP_INITIAL_CURRENT: Final = -1

CONFIG_DEF = (
    ConfigDef()
    .define(CONNECTION_URL, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="JDBC connection URL: jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db, "
            "jdbc:mariadb://host:port/db or jdbc:sqlite:/path/to/file.db", group="Database", order_in_group=1)
    .define(CONNECTION_USER, ConfigType.STRING, None, None, Importance.HIGH, "JDBC connection user.",
            group="Database", order_in_group=2)
    .define(CONNECTION_PASSWORD, ConfigType.PASSWORD, None, None, Importance.HIGH, "JDBC connection password.",
            group="Database", order_in_group=3)
    .define(CONNECTION_ATTEMPTS, ConfigType.INT, 3, Range.at_least(1), Importance.LOW,
            "Maximum number of attempts to retrieve a valid connection.", group="Database", order_in_group=4)
    .define(CONNECTION_BACKOFF_MS, ConfigType.LONG, 10_000, Range.at_least(0), Importance.LOW,
            "Backoff time in milliseconds between connection attempts.", group="Database", order_in_group=5)
    .define(TABLE_WHITELIST, ConfigType.LIST, "", None, Importance.MEDIUM,
            "List of tables to include in copying. If specified, table.blacklist may not be set.",
            group="Database", order_in_group=6)
    .define(TABLE_BLACKLIST, ConfigType.LIST, "", None, Importance.MEDIUM,
            "List of tables to exclude from copying. If specified, table.whitelist may not be set.",
            group="Database", order_in_group=7)
    .define(DB_TIMEZONE, ConfigType.STRING, "UTC", None, Importance.MEDIUM,
            "Time zone of timestamp columns without one, used with time-based criteria.", group="Database")
    .define(QUOTE_IDENTIFIERS, ConfigType.STRING, "always", ValidString(("always", "never")), Importance.MEDIUM,
            "When to quote table names, column names, and other identifiers in SQL statements.", group="Database")
    .define(MODE, ConfigType.STRING, "", ValidString(("", *MODES)), Importance.HIGH,
            "The mode for updating a table each time it is polled: bulk, incrementing, timestamp, "
            "timestamp+incrementing.", group="Mode", order_in_group=1)
    .define(INCREMENTING_COLUMN, ConfigType.STRING, "", None, Importance.MEDIUM,
            "The name of the strictly incrementing column to use to detect new rows.", group="Mode",
            order_in_group=2)
    .define(TIMESTAMP_COLUMN, ConfigType.LIST, "", None, Importance.MEDIUM,
            "Comma separated list of one or more timestamp columns to detect new or modified rows using the "
            "COALESCE SQL function.", group="Mode", order_in_group=3)
    .define(TIMESTAMP_INITIAL, ConfigType.LONG, None, None, Importance.LOW,
            "Epoch ms of the first timestamp to read in timestamp modes; -1 means the current time. "
            "Unset: from the beginning.", group="Mode", order_in_group=4)
    .define(VALIDATE_NON_NULL, ConfigType.BOOLEAN, True, None, Importance.LOW,
            "Check that the incrementing and timestamp columns are NOT NULL.", group="Mode", order_in_group=5)
    .define(QUERY, ConfigType.STRING, "", None, Importance.MEDIUM,
            "If specified, the query to perform to select new or updated rows; whole-table copying is then "
            "disabled. It must be possible to append a WHERE clause to it.", group="Mode", order_in_group=6)
    .define(QUERY_SUFFIX, ConfigType.STRING, "", None, Importance.LOW,
            "Suffix to append at the end of the generated query.", group="Mode", order_in_group=7)
    .define(POLL_INTERVAL_MS, ConfigType.INT, 5000, Range.at_least(0), Importance.HIGH,
            "Frequency in ms to poll for new data in each table.", group="Connector", order_in_group=1)
    .define(BATCH_MAX_ROWS, ConfigType.INT, 100, Range.at_least(1), Importance.LOW,
            "Maximum number of rows to include in a single batch when polling for new data.", group="Connector",
            order_in_group=2)
    .define(TOPIC_PREFIX, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="Prefix to prepend to table names to generate the name of the Kafka topic to publish "
            "data to, or in the case of a custom query, the full name of the topic to publish to.",
            group="Connector", order_in_group=3)
    .define(TIMESTAMP_DELAY_MS, ConfigType.LONG, 0, Range.at_least(0), Importance.HIGH,
            "How long to wait after a row with a certain timestamp appears before including it in the result.",
            group="Connector", order_in_group=4)
)  # fmt: skip

"""A query-based incremental SQL source (Confluent's JDBC source, in Python): PostgreSQL, MySQL/MariaDB, SQLite."""

from connectless.connectors.sql.connector import SqlSourceConnector, SqlSourceTask

__all__ = ["SqlSourceConnector", "SqlSourceTask"]

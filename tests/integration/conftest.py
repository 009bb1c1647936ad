"""Real databases, started once per session and shared by every integration folder: PostgreSQL and MariaDB
from Debian's packages (tests/db_servers.py), a MariaDB with the row binlog for CDC, and an OpenSearch node
(OPENSEARCH_URL points the session at another OpenSearch or Elasticsearch instead of the embedded node).

Tests that use them keep out of each other's way: each creates its own uniquely named database, and a test
that stops a server or changes a global setting puts it back before it ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import db_servers
from connectless_local.embedded_opensearch import EmbeddedOpenSearch, url_from_env
from connectless_local.mariadb_binlog import MariaDBBinlogServer

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[db_servers.PostgresServer]:
    db_servers.ensure_installed()
    server = db_servers.PostgresServer()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[db_servers.MariaDBServer]:
    db_servers.ensure_installed()
    server = db_servers.MariaDBServer()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """The base URL of the session's OpenSearch node, started on first use."""
    existing = url_from_env()
    if existing:
        yield existing
        return
    with EmbeddedOpenSearch() as node:
        yield node.url


@pytest.fixture(scope="session")
def mariadb_binlog() -> Iterator[MariaDBBinlogServer]:
    """A MariaDB with log-bin, binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL and GTIDs."""
    server = MariaDBBinlogServer()
    try:
        yield server.start()
    finally:
        server.destroy()

"""Session fixtures of the MySQL-to-OpenSearch tests: a real OpenSearch node and a MariaDB with the row binlog.

Every test module in this folder gets them.
OPENSEARCH_URL points the session at another OpenSearch or Elasticsearch instead of the embedded node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from connectless_local.embedded_opensearch import EmbeddedOpenSearch, url_from_env
from connectless_local.mariadb_binlog import MariaDBBinlogServer

if TYPE_CHECKING:
    from collections.abc import Iterator


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

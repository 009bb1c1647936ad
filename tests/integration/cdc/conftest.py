"""Session fixtures of the MySQL-to-OpenSearch tests: a MariaDB with the row binlog (the OpenSearch node is
tests/integration/conftest.py's, shared with the fault suite).

Every test module in this folder gets them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from connectless_local.mariadb_binlog import MariaDBBinlogServer

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def mariadb_binlog() -> Iterator[MariaDBBinlogServer]:
    """A MariaDB with log-bin, binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL and GTIDs."""
    server = MariaDBBinlogServer()
    try:
        yield server.start()
    finally:
        server.destroy()

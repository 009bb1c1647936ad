"""Real source systems, started once per session: PostgreSQL and MariaDB (tests/db_servers.py), moto S3."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import db_servers

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def source_postgres() -> Iterator[db_servers.PostgresServer]:
    db_servers.ensure_installed()
    server = db_servers.PostgresServer()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def source_mariadb() -> Iterator[db_servers.MariaDBServer]:
    db_servers.ensure_installed()
    server = db_servers.MariaDBServer()
    server.start()
    yield server
    server.destroy()

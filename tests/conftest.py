"""Session fixtures shared by every test directory: one real Apache Kafka and one schema registry per session.

KAFKA_BOOTSTRAP_SERVERS points the whole session at another broker instead, SCHEMA_REGISTRY_URL at another
Confluent-compatible registry.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import uuid
from typing import TYPE_CHECKING

import pytest
from confluent_kafka.admin import AdminClient

from connectless.config import aws_parameters
from connectless_local.embedded_kafka import EmbeddedKafka, bootstrap_from_env
from connectless_local.schema_registry import EmbeddedSchemaRegistry
from connectless_local.schema_registry import url_from_env as registry_url_from_env

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture(autouse=True)
def _fresh_secret_caches() -> None:
    """Secrets and parameters are cached per process (Powertools parameters): each test reads its own moto."""
    aws_parameters.clear_caches()


@pytest.fixture(autouse=True)
def _library_logger_as_it_was() -> Iterator[None]:
    """A test that imports a function's app.py joins the library's logs to its Logger (no propagation to the
    root logger); the next test gets the library logger back as it was, so caplog sees its records."""
    library = logging.getLogger("connectless")
    handlers, level, propagate = library.handlers[:], library.level, library.propagate
    yield
    library.handlers, library.propagate = handlers, propagate
    library.setLevel(level)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """bootstrap.servers of the session's broker, started on first use and stopped at the end."""
    existing = bootstrap_from_env()
    if existing:
        yield existing
        return
    with EmbeddedKafka() as kafka:
        yield kafka.bootstrap_servers


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


@pytest.fixture(scope="session")
def schema_registry_url() -> Iterator[str]:
    """`schema.registry.url` of the session's Confluent-compatible registry (Apicurio, built once per user)."""
    existing = registry_url_from_env()
    if existing:
        yield existing
        return
    with EmbeddedSchemaRegistry() as registry:
        yield registry.url


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> Callable[..., str]:
    """Factory of topic names never used before, even against a long-lived external broker.

    The test's name is part of the topic so a leftover topic tells which test made it.
    """
    test = re.sub(r"[^a-zA-Z0-9._-]+", "-", request.node.name).strip("-")[:80]

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{test}-{uuid.uuid4().hex[:10]}"

    return make


_EXIT_STATUS: dict[str, int] = {}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS["status"] = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without interpreter finalization once the summary is printed: librdkafka clients that a test's
    threads still hold can crash (SIGSEGV) while CPython tears its modules down, turning a green run red."""
    if "status" in _EXIT_STATUS and os.environ.get("CONNECTLESS_TEST_FINALIZE") != "1":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS["status"])

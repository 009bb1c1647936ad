"""Schemathesis against the served OpenAPI document, through the local HTTP adapter: no request gets a 5xx.

The state is in memory and the backend records, so the run is fast and bounded (max_examples per operation).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from connectless.manager import ConnectState, InProcessExecutor, MemoryBackend
from connectless.rest import ConnectService, LocalApiServer, make_handler
from connectless.rest.openapi import EXAMPLE_CONNECTOR, openapi_document

if TYPE_CHECKING:
    from collections.abc import Iterator

schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    state = ConnectState.in_memory()
    service = ConnectService(state, InProcessExecutor(state, MemoryBackend()))
    service.create({"name": EXAMPLE_CONNECTOR, "config": {"connector.class": "Datagen", "kafka.topic": "t"}})
    service.create({"name": "sink", "config": {"connector.class": "FileStreamSink", "topics": "t"}})
    server = LocalApiServer(make_handler(lambda: service), port=0)
    server.start()
    root_level = logging.getLogger().level
    try:
        yield server.url
    finally:
        server.stop()
        logging.getLogger().setLevel(root_level)


@schema.parametrize()
@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_no_server_errors(case: schemathesis.Case, base_url: str) -> None:
    case.call_and_validate(base_url=base_url, checks=[not_a_server_error])

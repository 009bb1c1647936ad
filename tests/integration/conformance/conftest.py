"""Fixtures of the connector conformance suite: moto's server for S3 and DynamoDB, and the HTTP service."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import pytest
from conformance_harness import HttpService

if TYPE_CHECKING:
    from collections.abc import Iterator

AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module", autouse=True)
def _aws_test_credentials() -> Iterator[None]:
    """boto3 needs credentials to sign for moto; set (when missing) for this folder's modules only, and the
    standalone processes they start inherit them."""
    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update({k: os.environ.get(k) or v for k, v in AWS_ENV.items()})
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server on 127.0.0.1: reachable from this process and from a standalone worker process alike."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def http_service() -> Iterator[HttpService]:
    with HttpService() as service:
        yield service

"""Kafka Connect's REST API over the state topics and the connector manager."""

from connectless.rest.api import build_app, make_handler
from connectless.rest.local_server import LocalApiServer
from connectless.rest.service import ConnectService

__all__ = ["ConnectService", "LocalApiServer", "build_app", "make_handler"]

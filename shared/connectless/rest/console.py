"""The web console (`/ui`) and the REST extensions it reads, which Kafka Connect has no endpoint for.

The extensions live under `/connectless/`, a path Kafka Connect never uses:

- `GET  /connectless/connectors/{c}/lag`: a sink's consumer lag per partition (connectless.rest.lag);
- `GET  /connectless/connectors/{c}/throughput`: records in, out and dead-lettered over time
  (connectless.rest.throughput);
- `GET  /connectless/connectors/{c}/dlq?limit=N`: the last N records of its dead-letter topic, decoded;
- `POST /connectless/connectors/{c}/dlq/replay` `{"records": [{"partition", "offset"}], "topic"?}`: produce them
  back to their original topic (connectless.rest.dlq).

The console itself is one page, assembled from the package's `ui/` files (HTML, CSS, JavaScript, no build step)
so it works offline and behind API Gateway's stage prefix alike.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types

from connectless.connector_config import CONNECTOR_CLASS, connector_type, consumer_group, find_connector
from connectless.manager.errors import BadRequestError, ConnectorNotFoundError
from connectless.plugins import PluginNotFoundError
from connectless.rest import throughput
from connectless.rest.dlq import DeadLetterQueue, dlq_topic, parse_selections
from connectless.rest.lag import consumer_lag

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    from connectless.rest.service import ConnectService

EXTENSION_PREFIX = "/connectless"


@functools.cache
def console_page() -> str:
    """index.html with console.css and console.js inlined: one response, no asset paths to get wrong."""
    ui = resources.files("connectless.rest") / "ui"
    page = (ui / "index.html").read_text(encoding="utf-8")
    css = (ui / "console.css").read_text(encoding="utf-8")
    script = (ui / "console.js").read_text(encoding="utf-8")
    return page.replace("/*CONSOLE_CSS*/", css).replace("/*CONSOLE_JS*/", script)


def _json(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _config(service: ConnectService, name: str) -> dict[str, str]:
    config = service.state.configs.connector_config(name)
    if config is None:
        raise ConnectorNotFoundError(name)
    return config


def _is_sink(config: dict[str, str]) -> bool:
    try:
        return connector_type(find_connector(config.get(CONNECTOR_CLASS, ""))) == "sink"
    except PluginNotFoundError:
        return False


def add_console_routes(app: APIGatewayRestResolver, svc: Callable[[], ConnectService], body: Callable[[], Any]) -> None:
    """Register `/ui` and the `/connectless/...` extensions on the REST API's resolver."""

    def page() -> Response:
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return Response(status_code=200, content_type="text/html; charset=utf-8", body=console_page(), headers=headers)

    app.get("/ui")(page)  # "/ui/" too: the resolver ignores a trailing slash

    @app.get(f"{EXTENSION_PREFIX}/connectors/<name>/lag")
    def lag(name: str) -> Response:
        service = svc()
        config = _config(service, name)
        if not _is_sink(config):
            raise BadRequestError(f"Connector {name} is not a sink connector: it has no consumer group")
        groups = service.topic_groups(name, config)
        return _json(200, consumer_lag(service.state.settings, consumer_group(name), config, topic_groups=groups))

    @app.get(f"{EXTENSION_PREFIX}/connectors/<name>/throughput")
    def connector_throughput(name: str) -> Response:
        _config(svc(), name)
        return _json(200, throughput.throughput(name))

    @app.get(f"{EXTENSION_PREFIX}/connectors/<name>/dlq")
    def dlq_peek(name: str) -> Response:
        service = svc()
        raw_limit = app.current_event.get_query_string_value("limit") or "50"
        if not raw_limit.isdigit():
            raise BadRequestError(f"limit must be a positive integer, got {raw_limit!r}")
        queue = DeadLetterQueue(service.state.settings, dlq_topic(_config(service, name)))
        return _json(200, queue.peek(int(raw_limit)))

    @app.post(f"{EXTENSION_PREFIX}/connectors/<name>/dlq/replay")
    def dlq_replay(name: str) -> Response:
        service = svc()
        queue = DeadLetterQueue(service.state.settings, dlq_topic(_config(service, name)))
        selections, topic = parse_selections(body())
        return _json(200, {"replayed": queue.replay(selections, topic)})

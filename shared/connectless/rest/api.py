"""The Kafka Connect REST API as a Powertools event handler (API Gateway REST proxy events).

The same resolver serves AWS (functions/api) and standalone mode (local_server translates HTTP requests
into proxy events). Each request reads the state topics to their end first.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from connectless.config import ConfigError
from connectless.manager.errors import BadRequestError, ManagerError
from connectless.manager.request import Action
from connectless.rest import loggers, plugins_view
from connectless.rest.console import add_console_routes
from connectless.rest.errors import NotFoundError, error_body
from connectless.rest.openapi import openapi_document

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.rest.service import ConnectService

log = logging.getLogger(__name__)
HEALTHY = "Worker has completed startup and is ready to handle requests."


def _json(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _routes(app: APIGatewayRestResolver) -> list[Any]:
    """The resolver's routes (Powertools keeps them as `_static_routes` and `_dynamic_routes`, pinned 3.37.0)."""
    return [*getattr(app, "_static_routes", ()), *getattr(app, "_dynamic_routes", ())]


def _empty(status: int) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body="")


def _flag(value: str | None, default: bool = False) -> bool:
    return default if value is None else value.strip().lower() == "true"


def _task_id(task: str) -> int:
    if not task.isdigit():
        raise NotFoundError(f"Task {task} not found")
    return int(task)


def build_app(service: Callable[[], ConnectService]) -> APIGatewayRestResolver:  # noqa: C901, PLR0915
    """The resolver; `service` gives the ConnectService (built lazily: a cold start pays for Kafka once)."""
    app = APIGatewayRestResolver()

    def body() -> Any:
        try:
            raw = app.current_event.decoded_body
            return json.loads(raw) if raw else None
        except ValueError:  # UnicodeDecodeError included
            raise BadRequestError("Request body is not valid JSON") from None

    def svc() -> ConnectService:
        current = service()
        current.refresh()
        return current

    def query(name: str) -> str | None:
        return app.current_event.get_query_string_value(name)

    @app.exception_handler(ManagerError)
    def manager_error(exc: ManagerError) -> Response:
        return _json(exc.status, error_body(exc.status, str(exc)))

    @app.exception_handler(ConfigError)
    def config_error(exc: ConfigError) -> Response:
        return _json(400, error_body(400, str(exc)))

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("request failed: %s %s", app.current_event.http_method, app.current_event.path)
        return _json(500, error_body(500, f"{type(exc).__name__}: {exc}"))

    @app.not_found
    def not_found(_exc: Exception) -> Response:
        # A known resource asked with another method is 405, with the methods it takes, as Kafka Connect answers.
        allowed = sorted({route.method for route in _routes(app) if route.rule.match(app.current_event.path)})
        if allowed:
            response = _json(405, error_body(405, "HTTP 405 Method Not Allowed"))
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return _json(404, error_body(404, "HTTP 404 Not Found"))

    # -- server ------------------------------------------------------------------------------------
    @app.get("/")
    def root() -> Response:
        return _json(200, service().server_info())

    @app.get("/health")
    def health() -> Response:
        return _json(200, {"status": "healthy", "message": HEALTHY})

    @app.get("/openapi.json")
    def openapi() -> Response:
        return _json(200, openapi_document())

    # -- connectors --------------------------------------------------------------------------------
    @app.get("/connectors")
    def list_connectors() -> Response:
        expand = (app.current_event.multi_value_query_string_parameters or {}).get("expand") or []
        return _json(200, svc().list_connectors(expand))

    @app.post("/connectors")
    def create() -> Response:
        return _json(201, svc().create(body()))

    @app.get("/connectors/<name>")
    def info(name: str) -> Response:
        return _json(200, svc().connector_info(name))

    @app.delete("/connectors/<name>")
    def delete(name: str) -> Response:
        svc().delete(name)
        return _empty(204)

    @app.get("/connectors/<name>/config")
    def get_config(name: str) -> Response:
        return _json(200, svc().connector_config(name))

    @app.put("/connectors/<name>/config")
    def put_config(name: str) -> Response:
        created, found = svc().put_config(name, body())
        return _json(201 if created else 200, found)

    @app.patch("/connectors/<name>/config")
    def patch_config(name: str) -> Response:
        return _json(200, svc().patch_config(name, body()))

    @app.get("/connectors/<name>/status")
    def status(name: str) -> Response:
        return _json(200, svc().status(name))

    @app.post("/connectors/<name>/restart")
    def restart(name: str) -> Response:
        found = svc().restart(name, _flag(query("includeTasks")), _flag(query("onlyFailed")))
        return _empty(204) if found is None else _json(202, found)

    @app.put("/connectors/<name>/pause")
    def pause(name: str) -> Response:
        svc().change_state(name, Action.PAUSE)
        return _empty(202)

    @app.put("/connectors/<name>/resume")
    def resume(name: str) -> Response:
        svc().change_state(name, Action.RESUME)
        return _empty(202)

    @app.put("/connectors/<name>/stop")
    def stop(name: str) -> Response:
        svc().change_state(name, Action.STOP)
        return _empty(204)

    # -- tasks -------------------------------------------------------------------------------------
    @app.get("/connectors/<name>/tasks")
    def tasks(name: str) -> Response:
        return _json(200, svc().tasks(name))

    @app.get("/connectors/<name>/tasks-config")
    def tasks_config(name: str) -> Response:
        return _json(200, svc().tasks_config(name))

    @app.get("/connectors/<name>/tasks/<task>/status")
    def task_status(name: str, task: str) -> Response:
        return _json(200, svc().task_status(name, _task_id(task)))

    @app.post("/connectors/<name>/tasks/<task>/restart")
    def restart_task(name: str, task: str) -> Response:
        svc().restart_task(name, _task_id(task))
        return _empty(204)

    # -- topics and offsets ------------------------------------------------------------------------
    @app.get("/connectors/<name>/topics")
    def topics(name: str) -> Response:
        return _json(200, svc().topics(name))

    @app.put("/connectors/<name>/topics/reset")
    def reset_topics(name: str) -> Response:
        svc().reset_topics(name)
        return _empty(202)

    @app.get("/connectors/<name>/offsets")
    def get_offsets(name: str) -> Response:
        return _json(200, svc().get_offsets(name))

    @app.patch("/connectors/<name>/offsets")
    def alter_offsets(name: str) -> Response:
        return _json(200, svc().alter_offsets(name, body()))

    @app.delete("/connectors/<name>/offsets")
    def reset_offsets(name: str) -> Response:
        return _json(200, svc().reset_offsets(name))

    # -- plugins -----------------------------------------------------------------------------------
    @app.get("/connector-plugins")
    def plugins() -> Response:
        return _json(200, plugins_view.list_plugins(_flag(query("connectorsOnly"), default=True)))

    @app.get("/connector-plugins/<plugin>/config")
    def plugin_config(plugin: str) -> Response:
        return _json(200, plugins_view.plugin_config(plugin))

    @app.put("/connector-plugins/<plugin>/config/validate")
    def validate(plugin: str) -> Response:
        return _json(200, plugins_view.validate(plugin, body()))

    # -- admin -------------------------------------------------------------------------------------
    @app.get("/admin/loggers")
    def all_loggers() -> Response:
        return _json(200, loggers.all_levels())

    @app.get("/admin/loggers/<logger>")
    def get_logger(logger: str) -> Response:
        return _json(200, loggers.get_level(logger))

    @app.put("/admin/loggers/<logger>")
    def set_logger(logger: str) -> Response:
        names = loggers.set_level(logger, body())
        return _empty(204) if (query("scope") or "").lower() == "cluster" else _json(200, names)

    add_console_routes(app, svc, body)  # /ui and the /connectless/... extensions it reads
    return app


def make_handler(service: Callable[[], ConnectService]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda handler over `service`; the local HTTP adapter calls the very same function."""
    app = build_app(service)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler

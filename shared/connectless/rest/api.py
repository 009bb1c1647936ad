"""The Kafka Connect REST API as a Powertools event handler (API Gateway REST proxy events).

The same resolver serves AWS (functions/api) and standalone mode (local_server translates HTTP requests
into proxy events). Each request reads the state topics to their end first.

The event's path is percent-encoded, as API Gateway's REST APIs deliver it: routes match the encoded path, so a
connector named `a/b` is `/connectors/a%2Fb`, and each path parameter is decoded before it reaches a route.
Request bodies are checked before any route sees them, each bad one a 4xx with Kafka Connect's error body: a
body sent with a Content-Type other than JSON is a 415, as Kafka Connect answers (none at all is taken as JSON);
JSON that does not parse or nests deeper than MAX_JSON_DEPTH levels is a 400, and so is a field a request object
does not know, named (Kafka Connect answers those with a 500). A client that accepts no JSON gets a 406.
"""

from __future__ import annotations

import functools
import json
import logging
import queue
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from connectless.config import ConfigError
from connectless.manager.errors import BadRequestError, ManagerError
from connectless.manager.request import Action
from connectless.rest import loggers, plugins_view
from connectless.rest.console import add_console_routes
from connectless.rest.errors import NotFoundError, error_body
from connectless.rest.openapi import openapi_document

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.rest.service import ConnectService

log = logging.getLogger(__name__)
HEALTHY = "Worker has completed startup and is ready to handle requests."
MAX_JSON_DEPTH = 64  # far above any request's shape (offsets nest 3 levels), far below the parser's recursion limit
CREATE_FIELDS = ("name", "config", "initial_state")
OFFSETS_FIELDS = ("offsets",)
LOGGER_FIELDS = ("level",)
_JSON = "application/json"


class UnsupportedMediaTypeError(ManagerError):
    status = 415


def _json(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _empty(status: int) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body="")


def _flag(value: str | None, default: bool = False) -> bool:
    return default if value is None else value.strip().lower() == "true"


def _decoded(route: Callable[..., Response]) -> Callable[..., Response]:
    """The route with its path parameters percent-decoded (the resolver matches the encoded path)."""

    @functools.wraps(route)
    def call(**params: str) -> Response:
        return route(**{key: unquote(value) for key, value in params.items()})

    return call


_PATH_PARAMETER = re.compile(r"(<\w+>)")


class _Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver whose routes, every one registered (the console's too), take decoded path
    parameters; which keeps (path pattern, methods) of each route for its 405 answers (Powertools' own list is
    private); and whose current event is its own: Powertools keeps the event being answered on a class shared by
    every resolver (BaseRouter.current_event), which concurrent requests would overwrite for each other."""

    _event: APIGatewayProxyEvent

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known_routes: list[tuple[re.Pattern[str], frozenset[str]]] = []

    def methods_for(self, path: str) -> set[str]:
        """The methods some route takes at `path`."""
        return {m for pattern, methods in self.known_routes if pattern.fullmatch(path) for m in methods}

    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEvent:
        return self._event

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEvent) -> None:
        self._event = value

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self._event = APIGatewayProxyEvent(dict(event))
        return super().resolve(event, context)

    def route(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:  # type: ignore[override]  # passes every argument on
        rule = kwargs.get("rule", args[0] if args else "")
        method = kwargs.get("method", args[1] if len(args) > 1 else ())
        methods = frozenset(m.upper() for m in ([method] if isinstance(method, str) else method))
        parts = _PATH_PARAMETER.split(rule)  # "/connectors/<name>" -> ["/connectors/", "<name>", ""]
        pattern = "".join("[^/]+" if _PATH_PARAMETER.fullmatch(part) else re.escape(part) for part in parts)
        self.known_routes.append((re.compile(pattern), methods))
        register = super().route(*args, **kwargs)

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            register(_decoded(func))
            return func

        return decorate


def _depth(value: Any) -> int:
    """How deeply `value` nests arrays and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def _accepts_json(header: str | None) -> bool:
    if not header:
        return True
    wanted = {_media_type(part) for part in header.split(",")}
    return bool(wanted & {_JSON, "application/*", "*/*", "*"})


def _task_id(task: str) -> int:
    if not task.isdigit():
        raise NotFoundError(f"Task {task} not found")
    return int(task)


def build_app(service: Callable[[], ConnectService]) -> APIGatewayRestResolver:  # noqa: C901, PLR0915
    """The resolver; `service` gives the ConnectService (built lazily: a cold start pays for Kafka once)."""
    app = _Resolver()

    def body(fields: tuple[str, ...] = ()) -> Any:
        """The request's JSON body; with `fields`, an object holding none but those."""
        event = app.current_event
        try:
            raw = event.decoded_body
        except UnicodeDecodeError:
            raise BadRequestError("Request body is not valid JSON") from None
        if not raw:
            return None
        media_type = _media_type(event.headers.get("Content-Type") or event.headers.get("content-type"))
        if media_type not in (_JSON, ""):
            raise UnsupportedMediaTypeError("HTTP 415 Unsupported Media Type")
        try:
            parsed = json.loads(raw)
        except RecursionError:
            raise BadRequestError(f"Request body nests JSON deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError:  # UnicodeDecodeError included
            raise BadRequestError("Request body is not valid JSON") from None
        if _depth(parsed) > MAX_JSON_DEPTH:
            raise BadRequestError(f"Request body nests JSON deeper than {MAX_JSON_DEPTH} levels")
        unknown = sorted(set(parsed) - set(fields)) if fields and isinstance(parsed, dict) else []
        if unknown:
            raise BadRequestError(
                f'Unrecognized field "{unknown[0]}" in the request body; known fields: {", ".join(fields)}'
            )
        return parsed

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

    @app.exception_handler(RecursionError)
    def too_deep(_exc: RecursionError) -> Response:  # a request value nested past what a step can walk
        return _json(400, error_body(400, f"Request body nests JSON deeper than {MAX_JSON_DEPTH} levels"))

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("request failed: %s %s", app.current_event.http_method, app.current_event.path)
        return _json(500, error_body(500, f"{type(exc).__name__}: {exc}"))

    @app.not_found
    def not_found(_exc: Exception) -> Response:
        # A known resource asked with another method is 405, with the methods it takes, as Kafka Connect answers.
        allowed = sorted(app.methods_for(app.current_event.path))
        if allowed:
            response = _json(405, error_body(405, "HTTP 405 Method Not Allowed"))
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return _json(404, error_body(404, "HTTP 404 Not Found"))

    def negotiate(current: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
        """406 for a client that takes no JSON, as Kafka Connect answers; every answer here is JSON."""
        headers = current.current_event.headers
        if not _accepts_json(headers.get("Accept") or headers.get("accept")):
            return _json(406, error_body(406, "HTTP 406 Not Acceptable"))
        return next_middleware(current)

    app.use(middlewares=[negotiate])

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
        return _json(201, svc().create(body(CREATE_FIELDS)))

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
        return _json(200, svc().alter_offsets(name, body(OFFSETS_FIELDS)))

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
        names = loggers.set_level(logger, body(LOGGER_FIELDS))
        return _empty(204) if (query("scope") or "").lower() == "cluster" else _json(200, names)

    add_console_routes(app, svc, body)  # /ui and the /connectless/... extensions it reads
    return app


def make_handler(service: Callable[[], ConnectService]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda handler over `service`; the local HTTP adapter calls the very same function.

    A resolver holds the request it is answering, so concurrent requests (the local adapter answers them in
    parallel, as Lambda gives each its own container) each take a resolver of their own from a pool."""
    idle: queue.SimpleQueue[APIGatewayRestResolver] = queue.SimpleQueue()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            app = idle.get_nowait()
        except queue.Empty:
            app = build_app(service)
        try:
            return app.resolve(event, context)
        finally:
            idle.put(app)

    return handler

"""The sink function's own Lambda runtime client: the Runtime API loop that hands a handler the event's bytes.

The managed python3.13 runtime (awslambdaric) parses every event with simplejson into a dict before the handler
runs; for a Kafka batch of 5 MB that parse is ~40% of the function's CPU. Started through the wrapper script
`lambda_exec_wrapper` (AWS_LAMBDA_EXEC_WRAPPER, Lambda's wrapper scripts for managed runtimes), this module speaks the
Runtime API (2018-06-01) at $AWS_LAMBDA_RUNTIME_API itself, with the standard library:

- GET  /runtime/invocation/next: the event's bytes and the invocation's headers (request id, deadline, ARN, X-Ray
  trace id -> _X_AMZN_TRACE_ID as awslambdaric sets it, client context, Cognito identity);
- POST /runtime/invocation/{id}/response: the handler's result as JSON;
- POST /runtime/invocation/{id}/error and /runtime/init/error: Lambda's error JSON (errorMessage, errorType,
  stackTrace, requestId) with the Lambda-Runtime-Function-Error-Type header.

The handler is $_HANDLER ("module.function") imported from $LAMBDA_TASK_ROOT. If its module also defines
`<function>_bytes`, that entry is called with the event's raw bytes (it parses them itself, e.g. with orjson);
otherwise the event is parsed here (orjson, the standard library's json for what orjson rejects) and the handler
gets the dict, as under awslambdaric. The wrapper falls back to the standard runtime when this module cannot start.
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

API_VERSION = "2018-06-01"

try:
    import orjson
except ImportError:  # the client still works, at the standard library's speed
    orjson = None  # type: ignore[assignment]


def parse_event(body: bytes) -> Any:
    """The event's JSON as a dict, as awslambdaric's simplejson would give it (orjson rejects NaN and >64-bit ints:
    those take the standard library's parser)."""
    if orjson is not None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


class RuntimeContext:
    """What awslambdaric's LambdaContext offers a handler (Powertools reads the names, ARN and request id)."""

    def __init__(self, headers: Any, environ: Any = os.environ) -> None:
        self.aws_request_id: str = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        self.invoked_function_arn: str = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.function_name: str | None = environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version: str | None = environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb: str | None = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name: str | None = environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name: str | None = environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = _json_header(headers, "Lambda-Runtime-Client-Context")
        self.identity = _json_header(headers, "Lambda-Runtime-Cognito-Identity")

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def __repr__(self) -> str:
        return f"RuntimeContext(aws_request_id={self.aws_request_id!r}, function_name={self.function_name!r})"


def _json_header(headers: Any, name: str) -> Any:
    text = headers.get(name)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the {name} header is not JSON: {exc}") from exc


def error_body(exc: BaseException, request_id: str | None = None, error_type: str | None = None) -> dict[str, Any]:
    """Lambda's error JSON for an exception, its stack trace from the handler's frames on (not this loop's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and frames[0].filename == __file__:
        del frames[0]
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id or "",
        "stackTrace": traceback.format_list(frames),
    }


class RuntimeApi:
    """The Runtime API over one kept-alive HTTP connection (the API is local: no timeout on `next`, by its spec)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.connection = http.client.HTTPConnection(host or address, int(port) if port.isdigit() else 80)

    def _request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        for attempt in (1, 2):
            try:
                self.connection.request(method, f"/{API_VERSION}/runtime/{path}", body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # a kept-alive connection the API closed meanwhile: once more, on a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def next(self) -> tuple[bytes, Any]:
        response, body = self._request("GET", "invocation/next")
        if response.status != 200:
            raise RuntimeError(f"Runtime API: invocation/next answered {response.status}: {body[:200]!r}")
        return body, response.headers

    def respond(self, request_id: str, body: bytes) -> None:
        self._post(f"invocation/{request_id}/response", body, {"Content-Type": "application/json"})

    def fail(self, request_id: str, error: dict[str, Any], error_type: str = "Unhandled") -> None:
        self._post(f"invocation/{request_id}/error", json.dumps(error).encode(), _error_headers(error_type))

    def init_error(self, error: dict[str, Any]) -> None:
        self._post("init/error", json.dumps(error).encode(), _error_headers(error["errorType"]))

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        response, data = self._request("POST", path, body, headers)
        if response.status >= 300 and response.status != 413:  # 413: the response is too large, the call has failed
            raise RuntimeError(f"Runtime API: {path} answered {response.status}: {data[:200]!r}")


def _error_headers(error_type: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type}


def load_handler(spec: str, task_root: str) -> tuple[Callable[[Any, Any], Any], bool]:
    """The handler named by $_HANDLER and False, or its `<function>_bytes` entry and True when the module has one;
    errors are named as awslambdaric names them (Runtime.ImportModuleError, ...)."""
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise HandlerError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not module.function")
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise HandlerError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from exc
    except SyntaxError as exc:
        raise HandlerError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}") from exc
    raw = getattr(module, f"{function_name}_bytes", None)
    if callable(raw):
        return raw, True
    handler = getattr(module, function_name, None)
    if handler is None:
        raise HandlerError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return handler, False


class HandlerError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _log_error(error: dict[str, Any]) -> None:
    # one line: without awslambdaric's telemetry log descriptor, each stdout line is one CloudWatch log event
    sys.stdout.write(json.dumps({"level": "ERROR", **error}) + "\n")
    sys.stdout.flush()


def invoke(api: RuntimeApi, handler: Callable[[Any, Any], Any], takes_bytes: bool) -> None:
    """One invocation: next, the handler, its response or its error."""
    body, headers = api.next()
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
    trace_id = headers.get("Lambda-Runtime-Trace-Id")
    if trace_id is not None:  # the X-Ray SDK (Powertools' Tracer) reads the invocation's trace header here
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        context = RuntimeContext(headers)
        result = handler(body if takes_bytes else parse_event(body), context)
        try:
            payload = json.dumps(result).encode()  # as awslambdaric's (the standard library's types; small)
        except (TypeError, ValueError) as exc:
            raise HandlerError("Runtime.MarshalError", f"Unable to marshal response: {exc}") from exc
    except Exception as exc:
        error = error_body(exc, request_id, getattr(exc, "error_type", None))
        _log_error(error)
        api.fail(request_id, error, getattr(exc, "error_type", "Unhandled"))
        return
    api.respond(request_id, payload)


def main(invocations: int | None = None) -> None:
    """The runtime's loop (`invocations` bounds it, for tests): the handler is imported once, then invoked forever."""
    api = RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler, takes_bytes = load_handler(os.environ["_HANDLER"], os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
    except Exception as exc:
        error = error_body(exc, None, getattr(exc, "error_type", None) or "Runtime.Unknown")
        _log_error(error)
        api.init_error(error)
        raise SystemExit(1) from None
    count = 0
    while invocations is None or count < invocations:
        invoke(api, handler, takes_bytes)
        count += 1


if __name__ == "__main__":
    main()

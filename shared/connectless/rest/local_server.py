"""A small local HTTP adapter: each request becomes an API Gateway REST proxy event for the same handler
that serves AWS, and the handler's proxy response becomes the HTTP response.

As on AWS, the event's path stays percent-encoded (API Gateway's REST APIs deliver it so), its query string is
decoded, and a request body larger than a Lambda invocation takes (6 MB) never reaches the handler: it is a 413.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from connectless.runtime.lambda_context import EmulatedLambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_BODY_BYTES = 6 * 1024 * 1024  # a synchronous Lambda invocation's payload limit
_URI_CHARS = "/%:@!$&'()*+,;=-._~"  # RFC 3986 path characters, and the escapes already made


def proxy_event(
    method: str, raw_path: str, headers: dict[str, list[str]], body: bytes, source_ip: str
) -> dict[str, Any]:
    """The API Gateway (REST, proxy integration) event for one HTTP request: the path percent-encoded (any byte
    sent raw is escaped, escapes sent stay as they are), the query decoded, as API Gateway's REST APIs give them."""
    parts = urlsplit(raw_path)
    path = quote(parts.path.encode("latin-1", "replace"), safe=_URI_CHARS) or "/"
    query = parse_qs(parts.query, keep_blank_values=True)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "httpMethod": method,
            "path": path,
            "resourcePath": path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": source_ip},
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


class _RequestHandler(BaseHTTPRequestHandler):
    handler: Handler
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _error(self, status: int, message: str) -> None:
        data = json.dumps({"error_code": status, "message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._error(400, "Invalid Content-Length header")
            return
        body = self.rfile.read(length) if length else b""
        if length > MAX_BODY_BYTES:
            self._error(413, f"Request body of {length} bytes exceeds the {MAX_BODY_BYTES} bytes a Lambda "
                             "invocation takes")  # fmt: skip
            return
        headers: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            headers.setdefault(key, []).append(value)
        event = proxy_event(self.command, self.path, headers, body, self.client_address[0])
        context = EmulatedLambdaContext("connectless-api-local", None, timeout_s=29, memory_limit_in_mb=1024)
        response = self.handler(event, context)
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
        self.send_response(int(response.get("statusCode", 500)))
        sent = {"content-length"}
        for key, values in (response.get("multiValueHeaders") or {}).items():
            for value in values:
                self.send_header(key, str(value))
            sent.add(key.lower())
        for key, value in (response.get("headers") or {}).items():
            if key.lower() not in sent:
                self.send_header(key, str(value))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method goes to the handler, which answers unknown ones itself
            return self._handle
        raise AttributeError(name)


class LocalApiServer:
    """Serves `handler` on host:port (0: any free port) in a background thread."""

    def __init__(self, handler: Handler, port: int = 8083, host: str = "127.0.0.1") -> None:
        request_handler = type("RequestHandler", (_RequestHandler,), {"handler": staticmethod(handler)})
        self.server = ThreadingHTTPServer((host, port), request_handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="rest", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

"""The console's CLI parts without Kafka: the signing proxy of `connectless console` (against a recording server
and against the real REST handler over memory state), `--offsets` parsing, and the rates `connectless top` shows."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from connectless.manager import ConnectState, InProcessExecutor, MemoryBackend
from connectless.rest import ConnectService, LocalApiServer, make_handler
from connectless_cli.client import ConnectClient
from connectless_cli.client.console_proxy import SigningProxy
from connectless_cli.client.dlq import OffsetsArgumentError, parse_offsets
from connectless_cli.client.top import rates

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def recorder() -> Iterator[tuple[list[dict[str, Any]], str]]:
    """An HTTP server that records each request and answers 418 with a JSON body."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                         "body": self.rfile.read(length) if length else b""})  # fmt: skip
            payload = json.dumps({"error_code": 418, "message": "teapot"}).encode()
            self.send_response(418)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield seen, f"http://127.0.0.1:{server.server_address[1]}/dev"
    finally:
        server.shutdown()
        server.server_close()


def _call(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def test_proxy_signs_with_sigv4_and_passes_errors_through(
    recorder: tuple[list[dict[str, Any]], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen, target = recorder
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    proxy = SigningProxy(ConnectClient(target, sigv4=True))
    proxy.start()
    try:
        status, headers, body = _call(proxy.url + "/connectors/a%2Fb/config?x=1", "PUT", b'{"k": "v"}')
    finally:
        proxy.stop()
    assert (status, json.loads(body)) == (418, {"error_code": 418, "message": "teapot"})
    assert headers["Content-Type"] == "application/json"
    request = seen[0]
    assert (request["method"], request["path"], request["body"]) == ("PUT", "/dev/connectors/a%2Fb/config?x=1",
                                                                     b'{"k": "v"}')  # fmt: skip
    auth = request["headers"]["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in auth
    assert "X-Amz-Date" in request["headers"]


def test_proxy_without_credentials_answers_502(
    recorder: tuple[list[dict[str, Any]], str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    _seen, target = recorder
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    proxy = SigningProxy(ConnectClient(target, sigv4=True))
    proxy.start()
    try:
        status, _headers, body = _call(proxy.url + "/connectors")
    finally:
        proxy.stop()
    assert status == 502
    assert "no AWS credentials" in json.loads(body)["message"]


def test_proxy_serves_the_console_and_the_api_of_a_real_handler() -> None:
    state = ConnectState.in_memory()
    service = ConnectService(state, InProcessExecutor(state, MemoryBackend()))
    service.create({"name": "gen", "config": {"connector.class": "Datagen", "kafka.topic": "t"}})
    api = LocalApiServer(make_handler(lambda: service), port=0)
    api.start()
    proxy = SigningProxy(ConnectClient(api.url))
    proxy.start()
    try:
        status, headers, page = _call(proxy.url + "/ui")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b"function connectorView" in page
        assert json.loads(_call(proxy.url + "/connectors")[2]) == ["gen"]
        status, _headers, body = _call(proxy.url + "/connectless/connectors/gen/lag")
        assert status == 400 and b"not a sink" in body
    finally:
        proxy.stop()
        api.stop()


def test_offsets_argument() -> None:
    assert parse_offsets(["0:12,1:4", "7"]) == [{"partition": 0, "offset": 12}, {"partition": 1, "offset": 4},
                                                {"partition": 0, "offset": 7}]  # fmt: skip
    for bad in ("x:1", "0:-1", "0:"):
        with pytest.raises(OffsetsArgumentError, match="PARTITION:OFFSET"):
            parse_offsets([bad])


def test_top_rates_count_the_last_minute() -> None:
    points = [{"t": 900, "in": 600, "out": 600, "dead_lettered": 5},
              {"t": 950, "in": 60, "out": 30, "dead_lettered": 1},
              {"t": 990, "in": 60, "out": 60, "dead_lettered": 2}]  # fmt: skip
    assert rates(points, now=1000) == (2.0, 1.5, 3)
    assert rates([], now=1000) == (0.0, 0.0, 0)

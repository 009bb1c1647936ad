"""connectless.runtime.lambda_runtime_client against a local Runtime API (stdlib http.server in a thread), and the
wrapper script's fallback to the standard runtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from connectless.runtime import lambda_runtime_client as client

SHARED = Path(client.__file__).resolve().parents[2]
WRAPPER = SHARED / "connectless" / "runtime" / "lambda_exec_wrapper"

HANDLER_MODULE = """
import json, os

def handler(event, context):
    if event.get("fail"):
        raise ValueError("bad batch: " + event["fail"])
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "client_context": context.client_context,
        "identity": context.identity,
    }
"""

BYTES_MODULE = """
def handler(event, context):
    raise AssertionError("the bytes entry is the one to call")

def handler_bytes(event, context):
    return {"type": type(event).__name__, "length": len(event)}
"""


class FakeRuntimeApi:
    """Lambda's Runtime API for a queue of invocations: (request id, body bytes, headers); records what is posted."""

    def __init__(self, invocations: list[tuple[str, bytes, dict[str, str]]], drop_kept_alive: bool = False) -> None:
        """drop_kept_alive: HTTP/1.1, and each connection closed after a POST's answer without saying so."""
        self.invocations = list(invocations)
        self.posts: list[tuple[str, dict[str, str], Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if drop_kept_alive else "HTTP/1.0"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                assert self.path == "/2018-06-01/runtime/invocation/next", self.path
                if not api.invocations:  # the end of the test: the client stops on a failed `next`
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                request_id, body, headers = api.invocations.pop(0)
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                api.posts.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(202)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                self.close_connection = drop_kept_alive or self.close_connection

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeRuntimeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def lambda_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "probe_handler.py").write_text(HANDLER_MODULE)
    (tmp_path / "probe_bytes_handler.py").write_text(BYTES_MODULE)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "connectless-sink")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in ("probe_handler", "probe_bytes_handler"):
        sys.modules.pop(name, None)
    return tmp_path


def run_client(monkeypatch: pytest.MonkeyPatch, api: FakeRuntimeApi, handler: str, invocations: int) -> None:
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", api.address)
    monkeypatch.setenv("_HANDLER", handler)
    client.main(invocations)


@pytest.mark.parametrize("drop_kept_alive", [False, True])
def test_invocations_success_error_trace_and_remaining_time(
    lambda_env: Path, monkeypatch: pytest.MonkeyPatch, drop_kept_alive: bool
) -> None:
    deadline = int(time.time() * 1000) + 60_000
    arn = "arn:aws:lambda:us-east-1:123456789012:function:connectless-sink:orders"
    trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
    first = {
        "Lambda-Runtime-Deadline-Ms": str(deadline),
        "Lambda-Runtime-Invoked-Function-Arn": arn,
        "Lambda-Runtime-Trace-Id": trace,
        "Lambda-Runtime-Client-Context": json.dumps({"custom": {"a": 1}}),
        "Lambda-Runtime-Cognito-Identity": json.dumps({"cognito_identity_id": "id-1"}),
    }
    second = {"Lambda-Runtime-Deadline-Ms": str(deadline), "Lambda-Runtime-Invoked-Function-Arn": arn}
    invocations = [
        ("req-1", b'{"records": {"t-0": [1, 2]}, "n": 18446744073709551616}', first),
        ("req-2", b'{"fail": "offset 7"}', second),
    ]
    with FakeRuntimeApi(invocations, drop_kept_alive) as api:
        run_client(monkeypatch, api, "probe_handler.handler", 2)

    (path1, headers1, body1), (path2, headers2, body2) = api.posts
    assert path1 == "/2018-06-01/runtime/invocation/req-1/response"
    assert body1["event"] == {"records": {"t-0": [1, 2]}, "n": 18446744073709551616}  # beyond orjson: json's
    assert body1["request_id"] == "req-1"
    assert body1["arn"] == arn
    assert (body1["function_name"], body1["memory"]) == ("connectless-sink", "1769")
    assert 55_000 < body1["remaining_ms"] <= 60_000
    assert body1["trace"] == trace
    assert body1["client_context"] == {"custom": {"a": 1}}
    assert body1["identity"] == {"cognito_identity_id": "id-1"}

    assert path2 == "/2018-06-01/runtime/invocation/req-2/error"
    assert headers2["Lambda-Runtime-Function-Error-Type"] == "Unhandled"
    assert body2["errorType"] == "ValueError"
    assert body2["errorMessage"] == "bad batch: offset 7"
    assert body2["requestId"] == "req-2"
    assert any("probe_handler.py" in line and "in handler" in line for line in body2["stackTrace"])
    assert not any("lambda_runtime_client.py" in line for line in body2["stackTrace"])
    assert "_X_AMZN_TRACE_ID" not in os.environ  # the second invocation came without one


def test_the_bytes_entry_gets_the_event_bytes(lambda_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = b'{"records": {}}'
    with FakeRuntimeApi([("req-1", body, {"Lambda-Runtime-Deadline-Ms": "0"})]) as api:
        run_client(monkeypatch, api, "probe_bytes_handler.handler", 1)
    [(path, _headers, response)] = api.posts
    assert path.endswith("/req-1/response")
    assert response == {"type": "bytes", "length": len(body)}


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("missing_module.handler", "Runtime.ImportModuleError", "Unable to import module 'missing_module'"),
        ("probe_handler.nothing", "Runtime.HandlerNotFound", "Handler 'nothing' missing on module 'probe_handler'"),
        ("nodots", "Runtime.MalformedHandlerName", "Bad handler 'nodots'"),
    ],
)
def test_init_errors(
    lambda_env: Path, monkeypatch: pytest.MonkeyPatch, handler: str, error_type: str, message: str
) -> None:
    with FakeRuntimeApi([]) as api, pytest.raises(SystemExit):
        run_client(monkeypatch, api, handler, 1)
    [(path, headers, body)] = api.posts
    assert path == "/2018-06-01/runtime/init/error"
    assert headers["Lambda-Runtime-Function-Error-Type"] == error_type
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message)


def test_an_unserializable_result_is_a_marshal_error(lambda_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (lambda_env / "probe_set_handler.py").write_text("def handler(event, context):\n    return {1, 2}\n")
    with FakeRuntimeApi([("req-9", b"{}", {})]) as api:
        run_client(monkeypatch, api, "probe_set_handler.handler", 1)
    [(path, headers, body)] = api.posts
    assert path.endswith("/req-9/error")
    assert headers["Lambda-Runtime-Function-Error-Type"] == "Runtime.MarshalError"
    assert body["errorType"] == "Runtime.MarshalError"


def _wrapper_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return {**env, **extra}


def test_the_wrapper_starts_the_client_from_the_layer(lambda_env: Path) -> None:
    """Through the wrapper script, as Lambda starts it: "$@" = the interpreter + the runtime's own arguments."""
    with FakeRuntimeApi([("req-1", b'{"x": 1}', {}), ("req-2", b'{"x": 2}', {})]) as api:
        process = subprocess.Popen(
            [str(WRAPPER), sys.executable, "-c", "raise SystemExit('the standard runtime ran')"],
            env=_wrapper_env(AWS_LAMBDA_RUNTIME_API=api.address, _HANDLER="probe_handler.handler"),
            cwd=lambda_env,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while len(api.posts) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.kill()
        _out, err = process.communicate()
    assert [post[2]["event"] for post in api.posts] == [{"x": 1}, {"x": 2}], err.decode()


@pytest.mark.parametrize("broken", ["no client", "client off"])
def test_the_wrapper_execs_the_standard_runtime_when_the_client_cannot_start(tmp_path: Path, broken: str) -> None:
    if broken == "no client":  # a layer whose connectless package fails to import (it comes first on sys.path)
        wrapper = tmp_path / "python" / "connectless" / "runtime" / "lambda_exec_wrapper"
        wrapper.parent.mkdir(parents=True)
        (wrapper.parent.parent / "__init__.py").write_text("raise ImportError('a broken layer')\n")
        wrapper.write_bytes(WRAPPER.read_bytes())
        wrapper.chmod(0o755)
        env = _wrapper_env()
    else:
        wrapper, env = WRAPPER, _wrapper_env(CONNECTLESS_RUNTIME_CLIENT="off")
    standard = [sys.executable, "-c", "import sys; print('standard runtime', sys.argv[1:])", "--flag", "two words"]
    result = subprocess.run(
        [str(wrapper), *standard], check=False, env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "standard runtime ['--flag', 'two words']"
    if broken == "no client":
        assert "connectless runtime client cannot start" in result.stderr.decode()

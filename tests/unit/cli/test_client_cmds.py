"""kcctl-style client commands against a small fake Kafka Connect REST server (http.server on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from connectless_cli.client import ConnectClient, ConnectRestError
from connectless_cli.main import main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class FakeConnect:
    """Kafka Connect's REST answers for the calls the client makes; every request is recorded."""

    def __init__(self) -> None:
        self.connectors: dict[str, dict[str, str]] = {}
        self.states: dict[str, str] = {}
        self.offsets: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]], Any]] = []
        self.expand_supported = True

    def status(self, name: str) -> dict[str, Any]:
        state = self.states[name]
        tasks = [
            {"id": i, "state": state, "worker_id": "w1:8083"}
            for i in range(int(self.connectors[name].get("tasks.max", "1")))
        ]
        if self.connectors[name].get("fail.task"):
            tasks[0] |= {"state": "FAILED", "trace": "org.example.BoomException: boom\n\tat Task.poll"}
        return {"name": name, "connector": {"state": state, "worker_id": "w1:8083"}, "tasks": tasks, "type": "sink"}

    def info(self, name: str) -> dict[str, Any]:
        tasks = [{"connector": name, "task": i} for i in range(int(self.connectors[name].get("tasks.max", "1")))]
        return {"name": name, "config": self.connectors[name], "tasks": tasks, "type": "sink"}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:  # noqa: C901, PLR0911
        self.requests.append((method, path, query, body))
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts == ["connectors"] and method == "GET":
            if not self.expand_supported or not query.get("expand"):
                return 200, sorted(self.connectors)
            return 200, {n: {"status": self.status(n), "info": self.info(n)} for n in self.connectors}
        if parts == ["connector-plugins"]:
            return 200, [
                {"class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "type": "sink", "version": "4.1.1"}
            ]
        if parts[:1] == ["connector-plugins"] and parts[-1] == "validate":
            bad = body.get("tasks.max") == "0"
            value = {
                "name": "tasks.max",
                "value": body.get("tasks.max"),
                "errors": ["Value must be at least 1"] if bad else [],
            }
            return 200, {"name": parts[1], "error_count": int(bad), "groups": [], "configs": [{"value": value}]}
        if parts[:1] != ["connectors"] or len(parts) < 2:
            return 404, {"error_code": 404, "message": "HTTP 404 Not Found"}
        name = parts[1]
        if parts[2:] == ["config"] and method == "PUT":
            created = name not in self.connectors
            self.connectors[name] = body
            self.states.setdefault(name, "RUNNING")
            return (201 if created else 200), self.info(name)
        if name not in self.connectors:
            return 404, {"error_code": 404, "message": f"Connector {name} not found"}
        rest = parts[2:]
        if rest == [] and method == "GET":
            return 200, self.info(name)
        if rest == [] and method == "DELETE":
            del self.connectors[name]
            return 204, None
        if rest == ["status"]:
            return 200, self.status(name)
        if rest == ["topics"]:
            return 200, {name: {"topics": ["orders", "users"]}}
        if rest in (["pause"], ["resume"], ["stop"]):
            self.states[name] = {"pause": "PAUSED", "resume": "RUNNING", "stop": "STOPPED"}[rest[0]]
            return 202, None
        if rest == ["restart"]:
            return 202 if query.get("includeTasks") == ["true"] else 204, None
        if rest == ["offsets"] and method == "GET":
            return 200, {"offsets": self.offsets.get(name, [])}
        if rest == ["offsets"] and method == "DELETE":
            if self.states[name] != "STOPPED":
                return 400, {"error_code": 400, "message": f"Connectors must be in the STOPPED state ({name})"}
            self.offsets.pop(name, None)
            return 200, {"message": "The offsets for this connector have been reset successfully"}
        return 405, {"error_code": 405, "message": "HTTP 405 Method Not Allowed"}


@pytest.fixture
def fake() -> Iterator[tuple[FakeConnect, str]]:
    state = FakeConnect()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, answer = state.handle(self.command, url.path, parse_qs(url.query), body)
            payload = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = _serve  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("CONNECTLESS_URL", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def connector_file(tmp_path: Path, name: str = "orders-sink", **extra: str) -> str:
    config = {"connector.class": "FileStreamSink", "tasks.max": "2", "topics": "orders", "file": "/tmp/out", **extra}
    path = tmp_path / f"{name.replace('/', '_')}.json"
    path.write_text(json.dumps({"name": name, "config": config}), encoding="utf-8")
    return str(path)


def test_apply_creates_then_updates(
    fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = fake
    path = connector_file(tmp_path)
    assert run(capsys, "apply", "-f", path, "--url", url)[1].strip() == "connector orders-sink created"
    assert run(capsys, "apply", "-f", path, "--url", url)[1].strip() == "connector orders-sink updated"
    assert state.connectors["orders-sink"]["topics"] == "orders"
    assert state.requests[-1][:2] == ("PUT", "/connectors/orders-sink/config")


def test_apply_properties_file(
    fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = fake
    path = tmp_path / "p.properties"
    path.write_text("name=props-sink\nconnector.class=FileStreamSink\ntopics=a\n", encoding="utf-8")
    assert run(capsys, "apply", "-f", str(path), "--url", url)[0] == 0
    assert state.connectors["props-sink"]["connector.class"] == "FileStreamSink"


def test_apply_dry_run_validates_only(
    fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = fake
    code, out, _ = run(capsys, "apply", "--dry-run", "-f", connector_file(tmp_path, **{"tasks.max": "0"}), "--url", url)
    assert code == 1 and "1 error(s)" in out and "Value must be at least 1" in out
    assert state.connectors == {}
    assert state.requests[-1][:2] == ("PUT", "/connector-plugins/FileStreamSink/config/validate")


def test_url_from_environment(fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    state, url = fake
    monkeypatch.setenv("CONNECTLESS_URL", url)
    assert run(capsys, "apply", "-f", connector_file(tmp_path))[0] == 0
    assert "orders-sink" in state.connectors


def test_get_connectors_table(
    fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = fake
    run(
        capsys,
        "apply",
        "-f",
        connector_file(tmp_path),
        "-f",
        connector_file(tmp_path, "bad-sink", **{"fail.task": "1"}),
        "--url",
        url,
    )
    code, out, _ = run(capsys, "get", "connectors", "--url", url)
    lines = [line.split() for line in out.strip().splitlines()]
    assert code == 0 and lines[0] == ["NAME", "TYPE", "STATE", "TASKS", "CLASS"]
    assert lines[1] == ["bad-sink", "sink", "RUNNING", "1", "FAILED,", "1", "RUNNING", "FileStreamSink"]
    assert lines[2] == ["orders-sink", "sink", "RUNNING", "2", "RUNNING", "FileStreamSink"]
    assert state.requests[-1][2] == {"expand": ["status", "info"]}


def test_get_connectors_without_expand_support(fake: tuple[FakeConnect, str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    state, url = fake
    state.expand_supported = False
    run(capsys, "apply", "-f", connector_file(tmp_path), "--url", url)
    out = run(capsys, "get", "connectors", "--url", url)[1]
    assert out.strip().splitlines()[1].split()[:3] == ["orders-sink", "sink", "RUNNING"]


def test_get_connectors_json(fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _state, url = fake
    run(capsys, "apply", "-f", connector_file(tmp_path), "--url", url)
    out = run(capsys, "get", "connectors", "-o", "json", "--url", url)[1]
    assert json.loads(out)["orders-sink"]["status"]["connector"]["state"] == "RUNNING"


def test_get_plugins(fake: tuple[FakeConnect, str], capsys: pytest.CaptureFixture[str]) -> None:
    _state, url = fake
    out = run(capsys, "get", "plugins", "--url", url)[1]
    assert "org.apache.kafka.connect.file.FileStreamSinkConnector" in out and "4.1.1" in out


def test_describe_connector(fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _state, url = fake
    run(capsys, "apply", "-f", connector_file(tmp_path, **{"fail.task": "1"}), "--url", url)
    code, out, _ = run(capsys, "describe", "connector", "orders-sink", "--url", url)
    assert code == 0
    assert ["Name:", "orders-sink"] in [line.split() for line in out.splitlines()]
    assert "Topics:" in out and "orders, users" in out
    assert "BoomException: boom" in out and "\tat Task.poll" not in out
    assert "connector.class" in out and "FileStreamSink" in out


def test_lifecycle_commands(fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, url = fake
    run(capsys, "apply", "-f", connector_file(tmp_path), "--url", url)
    assert run(capsys, "pause", "orders-sink", "--url", url)[1].strip() == "connector orders-sink paused"
    assert state.states["orders-sink"] == "PAUSED"
    assert run(capsys, "resume", "connector", "orders-sink", "--url", url)[0] == 0
    assert state.states["orders-sink"] == "RUNNING"
    assert run(capsys, "restart", "orders-sink", "--include-tasks", "--only-failed", "--url", url)[0] == 0
    assert state.requests[-1][:3] == (
        "POST",
        "/connectors/orders-sink/restart",
        {"includeTasks": ["true"], "onlyFailed": ["true"]},
    )
    assert run(capsys, "stop", "orders-sink", "--url", url)[0] == 0
    assert state.states["orders-sink"] == "STOPPED"
    assert run(capsys, "delete", "orders-sink", "--url", url)[1].strip() == "connector orders-sink deleted"
    assert state.connectors == {}


def test_unknown_connector_is_an_error(fake: tuple[FakeConnect, str], capsys: pytest.CaptureFixture[str]) -> None:
    _state, url = fake
    code, _out, err = run(capsys, "pause", "nope", "--url", url)
    assert code == 1 and "Connector nope not found" in err and "404" in err


def test_names_are_escaped_in_paths(
    fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = fake
    run(capsys, "apply", "-f", connector_file(tmp_path, "a b/c"), "--url", url)
    assert "a b/c" in state.connectors
    assert state.requests[-1][1] == "/connectors/a%20b%2Fc/config"


def test_offsets_get_sink_and_source(
    fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = fake
    run(capsys, "apply", "-f", connector_file(tmp_path), "--url", url)
    state.offsets["orders-sink"] = [
        {"partition": {"kafka_topic": "orders", "kafka_partition": 1}, "offset": {"kafka_offset": 42}},
        {"partition": {"kafka_topic": "orders", "kafka_partition": 0}, "offset": {"kafka_offset": 7}},
    ]
    lines = [
        line.split() for line in run(capsys, "offsets", "get", "orders-sink", "--url", url)[1].strip().splitlines()
    ]
    assert lines == [["TOPIC", "PARTITION", "OFFSET"], ["orders", "0", "7"], ["orders", "1", "42"]]
    state.offsets["orders-sink"] = [{"partition": {"filename": "/tmp/in"}, "offset": {"position": 10}}]
    out = run(capsys, "offsets", "get", "orders-sink", "--url", url)[1]
    assert '{"filename":"/tmp/in"}' in out and '{"position":10}' in out


def test_offsets_reset_needs_stopped(
    fake: tuple[FakeConnect, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = fake
    run(capsys, "apply", "-f", connector_file(tmp_path), "--url", url)
    state.offsets["orders-sink"] = [{"partition": {"p": 1}, "offset": {"o": 1}}]
    code, _out, err = run(capsys, "offsets", "reset", "orders-sink", "--url", url)
    assert code == 1 and "STOPPED" in err
    run(capsys, "stop", "orders-sink", "--url", url)
    code, out, _ = run(capsys, "offsets", "reset", "orders-sink", "--url", url)
    assert code == 0 and "reset successfully" in out and "orders-sink" not in state.offsets


def test_unreachable_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "get", "connectors", "--url", "http://127.0.0.1:9")
    assert code == 1 and "cannot reach http://127.0.0.1:9" in err


def test_execute_api_hosts_are_signed_with_sigv4(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = ConnectClient("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/")
    assert client.sigv4 and client.region == "eu-west-1" and client.url.endswith("/prod")
    headers = client.signed_headers("GET", client.url + "/connectors", None, {"Accept": "application/json"})
    assert (
        "Credential=AKIDEXAMPLE/" in headers["Authorization"]
        and "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    )
    assert not ConnectClient("http://127.0.0.1:8083").sigv4


def test_rest_error_carries_kafka_connect_message(fake: tuple[FakeConnect, str]) -> None:
    _state, url = fake
    with pytest.raises(ConnectRestError) as caught:
        ConnectClient(url).get("/connectors/none/status")
    assert caught.value.status == 404 and caught.value.message == "Connector none not found"

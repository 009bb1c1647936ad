"""The HTTP sink against a real HTTP server on 127.0.0.1: batches, retries on 429/5xx, refusals."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from connectless.connectors.http_sink import HttpRequestRefusedError, HttpSinkTask
from connectless.errors import RetriableError
from connectless.records import SinkRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class Receiver:
    """Answers with the next status of `script` (then 200) and keeps every request it got."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.requests: list[tuple[dict[str, str], Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ingest"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[Any]:
        return [body for _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def make_task(receiver: Receiver) -> Callable[..., HttpSinkTask]:
    def make(**config: str) -> HttpSinkTask:
        task = HttpSinkTask()
        task.start({"http.api.url": receiver.url, "batch.max.size": "2", "retry.backoff.ms": "1", **config})
        return task

    return make


def rec(offset: int, value: Any = None) -> SinkRecord:
    return SinkRecord("orders", 0, None, None, None, {"n": offset} if value is None else value, kafka_offset=offset)


def test_records_go_in_batches_as_json_arrays(receiver: Receiver, make_task: Callable[..., HttpSinkTask]) -> None:
    make_task(headers="Authorization: Bearer t0k3n").put([rec(0), rec(1), rec(2)])
    assert receiver.bodies() == [[{"n": 0}, {"n": 1}], [{"n": 2}]]
    headers = receiver.requests[0][0]
    assert headers["Authorization"] == "Bearer t0k3n"
    assert headers["Content-Type"] == "application/json"


def test_a_redelivered_batch_carries_the_same_idempotency_key(
    receiver: Receiver, make_task: Callable[..., HttpSinkTask]
) -> None:
    task = make_task()
    task.put([rec(0), rec(1)])
    task.put([rec(0), rec(1)])
    keys = [h["Idempotency-Key"] for h, _ in receiver.requests]
    assert keys[0] == keys[1]


def test_429_and_5xx_are_retried(receiver: Receiver, make_task: Callable[..., HttpSinkTask]) -> None:
    receiver.script = [429, 503, 500]
    make_task().put([rec(0)])
    assert receiver.bodies() == [[{"n": 0}]] * 4


def test_a_receiver_that_stays_down_makes_a_retriable_error(
    receiver: Receiver, make_task: Callable[..., HttpSinkTask]
) -> None:
    receiver.script = [503] * 10
    with pytest.raises(RetriableError):
        make_task(**{"max.retries": "2"}).put([rec(0)])
    assert len(receiver.requests) == 3


def test_a_refusal_is_not_retried(receiver: Receiver, make_task: Callable[..., HttpSinkTask]) -> None:
    receiver.script = [400]
    with pytest.raises(HttpRequestRefusedError):
        make_task().put([rec(0)])
    assert len(receiver.requests) == 1


def test_an_unreachable_receiver_is_retriable() -> None:
    import db_servers

    task = HttpSinkTask()
    task.start({"http.api.url": f"http://127.0.0.1:{db_servers.free_port()}/x", "max.retries": "1",
                "retry.backoff.ms": "1"})  # fmt: skip
    with pytest.raises(RetriableError):
        task.put([rec(0)])

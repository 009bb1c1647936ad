"""The HTTP polling source against a real local HTTP server: JSON paths, cursor paging, resume, errors."""

from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import orjson
import pytest
from source_tasks import Offsets, run_once

from connectless.connectors.http_source import HttpSourceError, HttpSourceTask

if TYPE_CHECKING:
    from collections.abc import Iterator


class Api:
    """Items with ids 1..n; `?after=<id>` returns the next 3 as {"data": {"items": [...]}, "paging": {"next": id}}."""

    def __init__(self) -> None:
        self.items = [{"id": i, "name": f"item-{i}"} for i in range(1, 8)]
        self.requests: list[str] = []
        self.fail = False


@pytest.fixture
def api() -> Iterator[tuple[Api, str]]:
    state = Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if state.fail:
                self.send_response(503)
                self.end_headers()
                return
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            after = int(query.get("after", ["0"])[0])
            page = [i for i in state.items if i["id"] > after][:3]
            body = {"data": {"items": page}, "paging": {"next": page[-1]["id"] if page else None}}
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(orjson.dumps(body))

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/v1/items"
    server.shutdown()
    server.server_close()


def props(url: str, **extra: str) -> dict[str, str]:
    return {"http.url": url, "http.cursor.param": "after", "http.records.path": "$.data.items",
            "http.cursor.path": "$.paging.next", "http.key.path": "id", "http.poll.interval.ms": "60000",
            "topic": "items", **extra}  # fmt: skip


def test_pages_are_followed_by_cursor_and_resumed_from_the_offset(api: tuple[Api, str]) -> None:
    state, url = api
    offsets = Offsets()
    records = run_once(HttpSourceTask(), props(url), offsets)
    assert [r.value["id"] for r in records] == list(range(1, 8))
    assert [r.key for r in records] == list(range(1, 8))
    assert [r.source_offset for r in records][-1] == {"cursor": "7"}
    assert records[0].source_partition == {"url": url}
    assert state.requests == ["/v1/items", "/v1/items?after=3", "/v1/items?after=6", "/v1/items?after=7"]
    state.items.extend({"id": i, "name": f"item-{i}"} for i in (8, 9))
    state.requests.clear()
    again = run_once(HttpSourceTask(), props(url), offsets)
    assert [r.value["id"] for r in again] == [8, 9]
    assert state.requests[0] == "/v1/items?after=7"


def test_a_crash_repeats_at_most_the_page_in_flight(api: tuple[Api, str]) -> None:
    _, url = api
    offsets = Offsets()
    run_once(HttpSourceTask(), props(url), offsets, commit_first=4)  # committed through the second page's first
    assert [r.value["id"] for r in run_once(HttpSourceTask(), props(url), offsets)] == [7]


def test_initial_cursor_and_server_errors(api: tuple[Api, str]) -> None:
    state, url = api
    assert [r.value["id"] for r in run_once(HttpSourceTask(), props(url, **{"http.initial.cursor": "5"}),
                                            Offsets())] == [6, 7]  # fmt: skip
    state.fail = True
    with pytest.raises(HttpSourceError, match="503"):
        run_once(HttpSourceTask(), props(url), Offsets())

"""A minimal REST endpoint for the standalone worker: version, health and status reads.

The whole Kafka Connect REST API is served by functions/api through the same worker stores; this small
server answers what a load balancer or an operator's first `curl` needs.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import orjson

from connectless.connector import VERSION

if TYPE_CHECKING:
    from connectless.runtime.standalone import StandaloneWorker


HEALTHY = "Worker has completed startup and is ready to handle requests."


class _Handler(BaseHTTPRequestHandler):
    worker: StandaloneWorker

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # access logs would drown the progress display

    def _send(self, status: int, body: Any) -> None:
        data = orjson.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        worker = self.worker
        if path == "/":
            self._send(200, {"version": VERSION, "commit": "connectless", "kafka_cluster_id": None})
        elif path == "/health":
            self._send(
                200, {"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}
            )
        elif path == "/connectors":
            self._send(200, sorted(worker.configs.snapshot().connectors))
        elif path.startswith("/connectors/") and path.endswith("/status"):
            name = path[len("/connectors/") : -len("/status")]
            self._status(name)
        else:
            self._send(404, {"error_code": 404, "message": f"Unknown endpoint {path}"})

    def _status(self, name: str) -> None:
        worker = self.worker
        snapshot = worker.configs.snapshot()
        if name not in snapshot.connectors:
            self._send(404, {"error_code": 404, "message": f"No status found for connector {name}"})
            return
        connector = worker.statuses.connector(name)
        tasks = worker.statuses.tasks(name)
        body = {
            "name": name,
            "connector": {"state": connector.state.value if connector else "UNASSIGNED",
                          "worker_id": connector.worker_id if connector else worker.options.worker_id},
            "tasks": [
                {"id": i, "state": s.state.value, "worker_id": s.worker_id, **({"trace": s.trace} if s.trace else {})}
                for i, s in sorted(tasks.items())
            ],
            "type": "sink" if "topics" in snapshot.connectors[name] or "topics.regex" in snapshot.connectors[name]
            else "source",
        }  # fmt: skip
        self._send(HTTPStatus.OK, body)


class BasicRestServer:
    def __init__(self, worker: StandaloneWorker, port: int, host: str = "127.0.0.1") -> None:
        handler = type("Handler", (_Handler,), {"worker": worker})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="rest", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

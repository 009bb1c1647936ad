"""`connectless standalone CONNECTOR.json...`: Kafka Connect's standalone worker, state kept on Kafka."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse
    from types import FrameType


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "standalone",
        help="run connectors in one process (Kafka Connect's standalone mode)",
        description="Run the given connectors until SIGINT/SIGTERM, which flushes and commits before exiting. "
        'Connector files are Kafka Connect JSON ({"name", "config"}) or .properties.',
    )
    parser.add_argument("connectors", nargs="*", metavar="CONNECTOR.json")
    parser.add_argument("--bootstrap-servers", help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS)")
    parser.add_argument("--rest-port", type=int, default=8083, help="REST port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--offsets-topic", default="connect-offsets")
    parser.add_argument("--config-topic", default="connect-configs")
    parser.add_argument("--status-topic", default="connect-status")
    parser.add_argument(
        "--offset-flush-interval-ms", type=int, default=1000, help="how often tasks commit offsets (default 1000)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from connectless.config import ConfigError
    from connectless.config.connector_file import ConnectorFileError, load_connector_file
    from connectless.connector_config import check_connector_config
    from connectless.kafka.settings import KafkaSettings, KafkaSettingsError
    from connectless.rest.api import make_handler
    from connectless.rest.local_server import LocalApiServer
    from connectless.standalone.service import standalone_service
    from connectless.standalone.worker import StandaloneWorker, WorkerOptions

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        files = [load_connector_file(path) for path in args.connectors]
        for connector in files:  # every file is checked before anything starts
            check_connector_config({**connector.config, "name": connector.name}, connector.name)
        settings = KafkaSettings.from_env(args.bootstrap_servers)
    except (ConnectorFileError, KafkaSettingsError, ConfigError) as exc:
        print(f"connectless standalone: {exc}", file=sys.stderr)
        return 2
    options = WorkerOptions(
        offsets_topic=args.offsets_topic,
        configs_topic=args.config_topic,
        status_topic=args.status_topic,
        commit_interval_s=args.offset_flush_interval_ms / 1000,
        rest_port=args.rest_port,
        worker_id=f"{socket.gethostname()}:{args.rest_port}",
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker = StandaloneWorker(settings, options)
    service = standalone_service(worker)  # the connector manager's steps, run in-process
    worker.start()
    rest = LocalApiServer(make_handler(lambda: service), args.rest_port)
    rest.start()
    exit_code = 0
    try:
        service.resume_stored(exclude={connector.name for connector in files})
        for connector in files:
            service.put_config(connector.name, dict(connector.config))
        print(f"REST API on http://127.0.0.1:{rest.port}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        rest.stop()
        worker.stop()
    if worker.failed_tasks():
        exit_code = exit_code or 1
    return exit_code

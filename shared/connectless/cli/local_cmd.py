"""`connectless local up|down|status`: the SAM stack on this machine (moto, Kafka, handlers in-process)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse
    from types import FrameType


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("local", help="the SAM stack on this machine: no Docker, no AWS account")
    local = parser.add_subparsers(dest="local_command", required=True)
    up = local.add_parser(
        "up",
        help="run the stack in the foreground until SIGINT/SIGTERM",
        description="Translate template.yaml, create it in moto (server on 127.0.0.1), run the handlers "
        "in-process, schedules and event-source mappings in the local runtime, and the REST API on --rest-port. "
        "Kafka: $KAFKA_BOOTSTRAP_SERVERS or an embedded broker.",
    )
    up.add_argument("--rest-port", type=int, default=8083, help="REST API port on 127.0.0.1 (default 8083)")
    up.add_argument("--bootstrap-servers", help="Kafka to use (default: $KAFKA_BOOTSTRAP_SERVERS, else embedded)")
    up.set_defaults(func=run_up)
    down = local.add_parser("down", help="stop the stack that `local up` runs")
    down.set_defaults(func=run_down)
    status = local.add_parser("status", help="endpoints, connectors and tasks of the running stack")
    status.set_defaults(func=run_status)


def run_up(args: argparse.Namespace) -> int:
    from connectless_local.local_up import LocalStack

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "botocore", "moto"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation.*")
    stack = LocalStack(rest_port=args.rest_port, bootstrap_servers=args.bootstrap_servers)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stack.request_stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    endpoints = stack.start()
    try:
        print(
            f"Connectless local stack up (pid {endpoints.pid}); Ctrl-C or `connectless local down` stops it", flush=True
        )
        print(f"  REST API       {endpoints.rest_url}", flush=True)
        print(f"  AWS (moto)     {endpoints.aws_endpoint_url}", flush=True)
        print(f"  Kafka          {endpoints.bootstrap_servers}", flush=True)
        print(f"  state machine  {endpoints.state_machine_arn}", flush=True)
        stack.wait()
    finally:
        stack.stop()
    print("Connectless local stack stopped", flush=True)
    return 0


def run_down(args: argparse.Namespace) -> int:
    from connectless_local.local_up import LocalEndpoints, wait_until_stopped

    endpoints = LocalEndpoints.read()
    if endpoints is None:
        print("no local stack is running", file=sys.stderr)
        return 1
    try:
        os.kill(endpoints.pid, signal.SIGTERM)
    except ProcessLookupError:
        print(f"the local stack (pid {endpoints.pid}) is gone already", file=sys.stderr)
        return 1
    if not wait_until_stopped(endpoints.pid, 120):
        print(f"the local stack (pid {endpoints.pid}) did not stop within 120 s", file=sys.stderr)
        return 1
    print("Connectless local stack stopped")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from rich.console import Console

    from connectless.cli.client import ConnectClient, ConnectRestError
    from connectless.cli.client.views import connectors_table
    from connectless_local.local_up import LocalEndpoints

    endpoints = LocalEndpoints.read()
    console = Console()
    if endpoints is None:
        console.print("no local stack is running")
        return 1
    console.print(f"[bold]local stack[/] pid {endpoints.pid}")
    console.print(f"  REST {endpoints.rest_url}  AWS {endpoints.aws_endpoint_url}  Kafka {endpoints.bootstrap_servers}")
    try:
        expanded = ConnectClient(endpoints.rest_url).get("/connectors", "expand=status&expand=info")
    except ConnectRestError as exc:
        console.print(f"[bold red]not answering[/]: {exc.message}")
        return 1
    console.print(connectors_table(expanded))
    return 0

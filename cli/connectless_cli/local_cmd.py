"""`connectless local up|down|status`: the SAM stack on this machine (moto, Kafka, handlers in-process)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import FrameType

UP_DESCRIPTION = """\
Translate template.yaml with aws-sam-translator, create the stack, run the Lambda handlers in this process,
schedules and Kafka event-source mappings in the local runtime, and the REST API on 127.0.0.1:--rest-port.
Kafka: --bootstrap-servers, $KAFKA_BOOTSTRAP_SERVERS, or an embedded broker.

Where the AWS side runs:
  default               moto's server on 127.0.0.1, started and stopped with the stack; its Step Functions
                        runs the real ASL and its Lambda tasks call the handlers in this process; its Lambda
                        serves Kafka event-source mappings with AWS's rules (list them at the AWS endpoint).
  $AWS_ENDPOINT_URL     (or --endpoint-url; LocalStack, another moto) no moto is started. Through that
  or $AWS_PROFILE       endpoint, or the account of the profile / standard credential chain, boto3 creates
                        (or updates) the stack `connectless-local`, its artifacts bucket, the schedule group,
                        and at run time the connectors' schedules and sink aliases. Still in this process: the
                        api, manager, source and sink handlers (the endpoint's functions are never invoked),
                        each manager request's steps in the ASL's order (the endpoint's state machine exists
                        but no execution is started there), the firing of the schedules it reads back from
                        the endpoint, and the Kafka event-source mappings (the same emulated Lambda API,
                        answered in this process for its own clients; not created there).
                        Stopping deletes what this run created there (stack, artifacts bucket, schedule
                        group with its schedules); a stack that existed already is updated and left in place.
  --localstack          (or $LOCALSTACK_HOST set) the same at LocalStack, found as localstack_client finds
                        it: $LOCALSTACK_HOST host[:port] (default localhost:4566), $EDGE_PORT, $USE_SSL;
                        credentials test/test unless set. The Kafka mappings are emulated here, as on moto.
  --moto                ignore $AWS_ENDPOINT_URL, $AWS_PROFILE and $LOCALSTACK_HOST and start moto.
"""


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("local", help="the SAM stack on this machine: no Docker, no AWS account")
    local = parser.add_subparsers(dest="local_command", required=True)
    up = local.add_parser(
        "up",
        help="run the stack in the foreground until SIGINT/SIGTERM",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=UP_DESCRIPTION,
    )
    up.add_argument("--rest-port", type=int, default=8083, help="REST API port on 127.0.0.1 (default 8083)")
    up.add_argument("--bootstrap-servers", help="Kafka to use (default: $KAFKA_BOOTSTRAP_SERVERS, else embedded)")
    up.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None,
                    help="create the stack at this AWS endpoint, not in moto (default: $AWS_ENDPOINT_URL)")  # fmt: skip
    up.add_argument("--profile", default=os.environ.get("AWS_PROFILE") or None,
                    help="create the stack with this AWS profile, not in moto (default: $AWS_PROFILE)")  # fmt: skip
    up.add_argument("--localstack", action="store_true", default=bool(os.environ.get("LOCALSTACK_HOST", "").strip()),
                    help="create the stack at LocalStack ($LOCALSTACK_HOST, $EDGE_PORT, $USE_SSL)")  # fmt: skip
    up.add_argument("--moto", action="store_true", help="start moto even when an endpoint or profile is set")
    up.add_argument("--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE",
                    help="template parameters, as `sam deploy` takes them (e.g. SourceTaskTimeout=60)")  # fmt: skip
    up.set_defaults(func=run_up)
    down = local.add_parser("down", help="stop the stack that `local up` runs")
    down.set_defaults(func=run_down)
    status = local.add_parser("status", help="endpoints, connectors and tasks of the running stack")
    status.add_argument(
        "-o",
        "--output",
        choices=("table", "json"),
        default="table",
        help="json: rest_url, aws_endpoint, kafka_bootstrap and each connector's state, for scripts",
    )
    status.set_defaults(func=run_status)


def run_up(args: argparse.Namespace) -> int:
    from connectless_local.local_up import LocalSamStack

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "botocore", "moto"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation.*")
    parameters = dict(item.split("=", 1) for item in args.parameter_overrides if "=" in item)
    endpoint, profile = (None, None) if args.moto else (args.endpoint_url, args.profile)
    if args.localstack and not args.moto:
        from connectless_local.localstack import use_localstack

        endpoint, profile = use_localstack(), None
    stack = LocalSamStack(rest_port=args.rest_port, bootstrap_servers=args.bootstrap_servers, parameters=parameters,
                       aws_endpoint_url=endpoint, aws_profile=profile)  # fmt: skip

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
        where = "AWS (endpoint)" if stack.external else "AWS (moto)    "
        print(f"  {where} {endpoints.aws_endpoint_url}", flush=True)
        print(f"  Kafka          {endpoints.bootstrap_servers}", flush=True)
        print(f"  schema registry {endpoints.schema_registry_url}", flush=True)
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


def status_document(endpoints: Any, expanded: dict[str, Any] | None, error: str | None = None) -> dict[str, Any]:
    """`local status -o json`: the endpoints, and each connector's type, state and tasks' states."""
    connectors = {
        name: {
            "type": entry.get("status", {}).get("type") or entry.get("info", {}).get("type"),
            "state": entry.get("status", {}).get("connector", {}).get("state"),
            "tasks": [{"id": t.get("id"), "state": t.get("state")} for t in entry.get("status", {}).get("tasks", [])],
        }
        for name, entry in sorted((expanded or {}).items())
    }
    document: dict[str, Any] = {
        "pid": endpoints.pid,
        "rest_url": endpoints.rest_url,
        "aws_endpoint": endpoints.aws_endpoint_url,
        "kafka_bootstrap": endpoints.bootstrap_servers,
        "stack_name": endpoints.stack_name,
        "state_machine_arn": endpoints.state_machine_arn,
        "connectors": connectors,
    }
    if error is not None:
        document["error"] = error
    return document


def run_status(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console

    from connectless_cli.client import ConnectClient, ConnectRestError
    from connectless_cli.client.views import connectors_table
    from connectless_local.local_up import LocalEndpoints

    as_json = getattr(args, "output", "table") == "json"
    endpoints = LocalEndpoints.read()
    console = Console()
    if endpoints is None:
        if as_json:
            print(json.dumps({"error": "no local stack is running"}))
        else:
            console.print("no local stack is running")
        return 1
    if not as_json:
        console.print(f"[bold]local stack[/] pid {endpoints.pid}")
        console.print(
            f"  REST {endpoints.rest_url}  AWS {endpoints.aws_endpoint_url}  Kafka {endpoints.bootstrap_servers}"
        )
    try:
        expanded = ConnectClient(endpoints.rest_url).get("/connectors", "expand=status&expand=info")
    except ConnectRestError as exc:
        if as_json:
            print(json.dumps(status_document(endpoints, None, f"not answering: {exc.message}"), indent=2))
        else:
            console.print(f"[bold red]not answering[/]: {exc.message}")
        return 1
    if as_json:
        print(json.dumps(status_document(endpoints, expanded), indent=2))
        return 0
    console.print(connectors_table(expanded))
    return 0

"""`connectless apply|get|describe|pause|resume|stop|restart|delete|offsets`, in the spirit of kcctl.

Each command talks to a Kafka Connect REST endpoint: --url, else $CONNECTLESS_URL, else http://127.0.0.1:8083
(`connectless standalone`, `connectless local up`, a Kafka Connect worker, or the stack's ApiUrl output).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from connectless_cli.client import console_proxy, dlq, top, views
from connectless_cli.client.http import DEFAULT_URL, URL_ENV, ConnectClient, ConnectRestError, path_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console, RenderableType

_HINTS = {
    409: "another change of this connector is in progress; retry when it is done",
}


def _console() -> Console:
    from rich.console import Console

    return Console(soft_wrap=False)


def run_command(
    command: Callable[[argparse.Namespace, ConnectClient, Console], int],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        console = _console()
        client = ConnectClient(args.url, sigv4=args.sigv4)
        try:
            return command(args, client, console)
        except ConnectRestError as exc:
            err = _console()
            err.file = sys.stderr
            err.print(f"[bold red]Error[/]: {exc.message}" + (f" (HTTP {exc.status})" if exc.status else ""))
            if exc.status in _HINTS:
                err.print(_HINTS[exc.status], style="dim")
            return 1

    return run


def _show(args: argparse.Namespace, console: Console, body: Any, table: Callable[[], RenderableType]) -> None:
    if args.output == "json":
        console.print_json(json.dumps(body))
    else:
        console.print(table())


def _names(words: list[str]) -> list[str]:
    """kcctl writes `pause connector NAME`; `pause NAME` works too."""
    return words[1:] if words and words[0] in ("connector", "connectors") and len(words) > 1 else words


# -- commands ---------------------------------------------------------------------------------------------
def apply(args: argparse.Namespace, client: ConnectClient, console: Console) -> int:
    from connectless.config.connector_file import ConnectorFileError, load_connector_file

    failed = 0
    for path in args.files:
        try:
            connector = load_connector_file(path)
        except ConnectorFileError as exc:
            console.print(f"[bold red]Error[/]: {exc}")
            failed += 1
            continue
        if args.dry_run:
            failed += _validate(client, console, connector.config)
            continue
        status, _body = client.request("PUT", path_of("connectors", connector.name, "config"), connector.config)
        console.print(f"connector [bold]{connector.name}[/] {'created' if status == 201 else 'updated'}")
    return 1 if failed else 0


def _validate(client: ConnectClient, console: Console, config: dict[str, str]) -> int:
    plugin = config.get("connector.class", "")
    _status, result = client.request("PUT", path_of("connector-plugins", plugin, "config", "validate"), config)
    errors = int(result.get("error_count", 0))
    if errors:
        console.print(f"connector [bold]{config.get('name')}[/]: [bold red]{errors} error(s)[/]")
        console.print(views.validation_table(result))
        return 1
    console.print(f"connector [bold]{config.get('name')}[/]: valid")
    return 0


def get(args: argparse.Namespace, client: ConnectClient, console: Console) -> int:
    if args.resource in ("plugins", "plugin"):
        plugins = client.get("/connector-plugins", "connectorsOnly=false")
        _show(args, console, plugins, lambda: views.plugins_table(plugins))
        return 0
    expanded = client.get("/connectors", "expand=status&expand=info")
    if isinstance(expanded, list):  # an endpoint without ?expand: ask each connector
        expanded = {name: {"status": client.get(path_of("connectors", name, "status"))} for name in expanded}
    _show(args, console, expanded, lambda: views.connectors_table(expanded))
    return 0


def describe(args: argparse.Namespace, client: ConnectClient, console: Console) -> int:
    name = args.name
    info = client.get(path_of("connectors", name))
    status = client.get(path_of("connectors", name, "status"))
    try:
        topics: list[str] | None = (client.get(path_of("connectors", name, "topics")) or {}).get(name, {}).get("topics")
    except ConnectRestError:
        topics = None  # topic tracking off, or an older endpoint
    body = {"info": info, "status": status, "topics": topics}
    _show(args, console, body, lambda: views.describe(info, status, topics))
    return 0


def _lifecycle(method: str, action: str, done: str) -> Callable[[argparse.Namespace, ConnectClient, Console], int]:
    def command(args: argparse.Namespace, client: ConnectClient, console: Console) -> int:
        for name in _names(args.names):
            segments = ("connectors", name) if action == "delete" else ("connectors", name, action)
            query = ""
            if action == "restart":
                query = f"includeTasks={str(args.include_tasks).lower()}&onlyFailed={str(args.only_failed).lower()}"
            client.request(method, path_of(*segments), query=query)
            console.print(f"connector [bold]{name}[/] {done}")
        return 0

    return command


def offsets(args: argparse.Namespace, client: ConnectClient, console: Console) -> int:
    path = path_of("connectors", args.name, "offsets")
    if args.offsets_command == "get":
        body = client.get(path)
        _show(args, console, body, lambda: views.offsets_table(body or {}))
        return 0
    _status, body = client.request("DELETE", path)
    message = body.get("message") if isinstance(body, dict) else None
    console.print(message or f"offsets of connector [bold]{args.name}[/] reset")
    return 0


# -- argparse ---------------------------------------------------------------------------------------------
def common_options() -> argparse.ArgumentParser:
    """--url, --sigv4 and -o: what every client command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help=f"Kafka Connect REST endpoint (default: ${URL_ENV} or {DEFAULT_URL})")
    common.add_argument("--sigv4", action="store_true", default=None,
                        help="sign requests with AWS SigV4 (automatic for *.execute-api.*.amazonaws.com)")  # fmt: skip
    common.add_argument("-o", "--output", choices=("table", "json"), default="table")
    return common


def add_parsers(sub: Any) -> None:
    common = common_options()

    p = sub.add_parser("apply", parents=[common], help="create or update connectors from their files")
    p.add_argument("-f", "--file", dest="files", action="append", required=True, metavar="CONNECTOR.json",
                   help="Kafka Connect JSON ({name, config}) or .properties; repeatable")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="only validate the configs on the endpoint")
    p.set_defaults(func=run_command(apply))

    p = sub.add_parser("get", parents=[common], help="list connectors (or plugins) with their state")
    p.add_argument("resource", choices=("connectors", "connector", "plugins", "plugin"))
    p.set_defaults(func=run_command(get))

    p = sub.add_parser("describe", parents=[common], help="a connector's state, tasks, config and topics")
    p.add_argument("resource", choices=("connector",))
    p.add_argument("name")
    p.set_defaults(func=run_command(describe))

    lifecycle = {
        "pause": ("PUT", "pause", "paused"),
        "resume": ("PUT", "resume", "resumed"),
        "stop": ("PUT", "stop", "stopped"),
        "restart": ("POST", "restart", "restarted"),
        "delete": ("DELETE", "delete", "deleted"),
    }
    for verb, (method, action, done) in lifecycle.items():
        p = sub.add_parser(verb, parents=[common], help=f"{verb} connectors")
        p.add_argument("names", nargs="+", metavar="NAME", help="connector names ('connector NAME' works too)")
        if verb == "restart":
            p.add_argument("--include-tasks", action="store_true", help="restart the tasks too")
            p.add_argument("--only-failed", action="store_true", help="only what has FAILED")
        p.set_defaults(func=run_command(_lifecycle(method, action, done)))

    p = sub.add_parser("offsets", help="a connector's offsets (reset needs the connector STOPPED)")
    offsets_sub = p.add_subparsers(dest="offsets_command", required=True)
    for verb, text in (("get", "show the committed offsets"), ("reset", "delete every offset (connector STOPPED)")):
        q = offsets_sub.add_parser(verb, parents=[common], help=text)
        q.add_argument("name")
        q.set_defaults(func=run_command(offsets))

    # the console's commands: dead-letter queues, a live table, the web console through a signing proxy
    dlq.add_parsers(sub, common, run_command)
    top.add_parser(sub, common, run_command)
    console_proxy.add_parser(sub, common)

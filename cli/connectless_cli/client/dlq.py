"""`connectless dlq peek NAME` and `connectless dlq replay NAME [--offsets P:O,...]`: a connector's dead-letter
queue from the terminal, through the REST API's /connectless/connectors/{c}/dlq extension (any mode, AWS too)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table

from connectless_cli.client.http import path_of

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from connectless_cli.client.http import ConnectClient

ERRORS_PREFIX = "__connect.errors."


class OffsetsArgumentError(ValueError):
    pass


def parse_offsets(values: list[str]) -> list[dict[str, int]]:
    """`--offsets 0:12,0:13 --offsets 1:4` (partition:offset; a bare offset means partition 0)."""
    found: list[dict[str, int]] = []
    for value in values:
        for item in (v.strip() for v in value.split(",")):
            if not item:
                continue
            partition, _, offset = item.rpartition(":")
            partition = partition or "0"
            if not partition.isdigit() or not offset.isdigit():
                raise OffsetsArgumentError(f"--offsets takes PARTITION:OFFSET pairs (e.g. 0:12), got {item!r}")
            found.append({"partition": int(partition), "offset": int(offset)})
    return found


def _shown(data: dict[str, str] | None, width: int = 60) -> str:
    if data is None:
        return "null"
    text = data["text"] if "text" in data else "base64:" + data["base64"]
    return text if len(text) <= width else text[: width - 1] + "…"


def _time(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S") if ms else "-"


def records_table(body: dict[str, Any]) -> Table:
    table = Table(box=None, header_style="bold", title=f"{body['topic']}: {body['total']} record(s), newest first",
                  title_justify="left")  # fmt: skip
    for column in ("RECORD", "TIME (UTC)", "KEY", "VALUE", "ORIGINAL", "STAGE"):
        table.add_column(column, no_wrap=True)
    table.add_column("ERROR", overflow="ellipsis", no_wrap=True, max_width=60)
    for record in body.get("records") or []:
        errors = record.get("errors") or {}
        original = f"{errors['topic']}-{errors.get('partition')}@{errors.get('offset')}" if "topic" in errors else "-"
        error = errors.get("exception.class.name", "").rpartition(".")[2]
        if errors.get("exception.message"):
            error += ": " + errors["exception.message"].splitlines()[0]
        table.add_row(f"{record['partition']}:{record['offset']}", _time(record.get("timestamp")),
                      _shown(record.get("key"), 24), _shown(record.get("value"), 40), original,
                      errors.get("stage", "-"), error or "-")  # fmt: skip
    return table


def peek(args: argparse.Namespace, client: ConnectClient, console: Console) -> int:
    body = client.get(path_of("connectless", "connectors", args.name, "dlq"), f"limit={args.limit}")
    if args.output == "json":
        console.print_json(json.dumps(body))
    else:
        console.print(records_table(body))
    return 0


def replay(args: argparse.Namespace, client: ConnectClient, console: Console) -> int:
    try:
        records = parse_offsets(args.offsets or [])
    except OffsetsArgumentError as exc:
        console.print(f"[bold red]Error[/]: {exc}")
        return 2
    if not records:  # every record the peek shows
        body = client.get(path_of("connectless", "connectors", args.name, "dlq"), f"limit={args.limit}")
        records = [{"partition": r["partition"], "offset": r["offset"]} for r in body.get("records") or []]
        if not records:
            console.print("the dead-letter queue is empty: nothing to replay")
            return 0
        if not args.yes and not console.input(f"Replay {len(records)} record(s)? [y/N] ").strip().lower() == "y":
            console.print("nothing replayed")
            return 1
    request: dict[str, Any] = {"records": records}
    if args.topic:
        request["topic"] = args.topic
    _status, body = client.request("POST", path_of("connectless", "connectors", args.name, "dlq", "replay"), request)
    if args.output == "json":
        console.print_json(json.dumps(body))
        return 0
    for entry in body.get("replayed") or []:
        source, target = entry["from"], entry["to"]
        console.print(f"{source['partition']}:{source['offset']} -> "
                      f"{target['topic']}-{target['partition']}@{target['offset']}")  # fmt: skip
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser, run: Any) -> None:
    p = sub.add_parser("dlq", help="a sink connector's dead-letter queue: peek at it, replay records from it")
    dlq_sub = p.add_subparsers(dest="dlq_command", required=True)
    q = dlq_sub.add_parser("peek", parents=[common], help="the last records of the DLQ, decoded, newest first")
    q.add_argument("name")
    q.add_argument("--limit", type=int, default=20, help="how many records (default 20, at most 500)")
    q.set_defaults(func=run(peek))
    q = dlq_sub.add_parser("replay", parents=[common], help="produce DLQ records back to the topic they failed on")
    q.add_argument("name")
    q.add_argument("--offsets", action="append", metavar="P:O[,P:O...]",
                   help="the records (partition:offset); without it, every record `peek --limit` shows")  # fmt: skip
    q.add_argument("--limit", type=int, default=20, help="without --offsets: how many of the last records")
    q.add_argument("--topic", help="replay to this topic instead of the one in the __connect.errors.topic header")
    q.add_argument("-y", "--yes", action="store_true", help="do not ask before replaying every shown record")
    q.set_defaults(func=run(replay))

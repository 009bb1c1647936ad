"""Entry point of the `connectless` command: one subcommand per job, each in its own module."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from connectless_cli import client, local_cmd, standalone_cmd, transform_cmd

if TYPE_CHECKING:
    from collections.abc import Sequence


def _cmd_dev_kafka(args: argparse.Namespace) -> int:
    from connectless_local.embedded_kafka import run_foreground

    return run_foreground()


def _cmd_dev_schema_registry(args: argparse.Namespace) -> int:
    from connectless_local.schema_registry import run_foreground

    return run_foreground()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="connectless", description="Kafka Connect, serverless.")
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="developer tools")
    dev_sub = dev.add_subparsers(dest="dev_command", required=True)
    kafka = dev_sub.add_parser("kafka", help="run a single-node Apache Kafka on 127.0.0.1 in the foreground")
    kafka.set_defaults(func=_cmd_dev_kafka)
    registry = dev_sub.add_parser(
        "schema-registry", help="run a Confluent-compatible schema registry on 127.0.0.1 in the foreground"
    )
    registry.set_defaults(func=_cmd_dev_schema_registry)

    transform_cmd.add_parser(sub)
    standalone_cmd.add_parser(sub)
    client.add_parsers(sub)
    local_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

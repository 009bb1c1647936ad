"""kcctl-style client commands against any Kafka Connect-compatible REST API (Connectless's or Kafka Connect's)."""

from connectless_cli.client.commands import add_parsers
from connectless_cli.client.http import ConnectClient, ConnectRestError

__all__ = ["ConnectClient", "ConnectRestError", "add_parsers"]

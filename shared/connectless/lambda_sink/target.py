"""Which connector an invocation serves: the alias it was invoked through, or CONNECTLESS_CONNECTOR."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

CONNECTOR_ENV: Final = "CONNECTLESS_CONNECTOR"


class ConnectorUnknownError(LookupError):
    """Neither the invoked ARN's alias nor the environment names a connector."""


def alias_from_arn(invoked_function_arn: str | None) -> str | None:
    """`ALIAS` of `arn:aws:lambda:<region>:<account>:function:<name>:ALIAS`; None for a bare name, a version
    number or $LATEST (they name no connector)."""
    if not invoked_function_arn:
        return None
    parts = invoked_function_arn.split(":")
    if len(parts) != 8 or parts[5] != "function":
        return None
    qualifier = parts[7]
    if not qualifier or qualifier == "$LATEST" or qualifier.isdigit():
        return None
    return qualifier


def connector_name(invoked_function_arn: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The alias wins (one function serves many connectors); the environment is the fallback."""
    alias = alias_from_arn(invoked_function_arn)
    if alias:
        return alias
    env = os.environ if environ is None else environ
    name = env.get(CONNECTOR_ENV, "").strip()
    if not name:
        raise ConnectorUnknownError(
            "no connector for this invocation: invoke it through an alias named after the connector, "
            f"or set {CONNECTOR_ENV}"
        )
    return name

"""Imports of optional drivers, failing with the name of the extra that brings them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from connectless.errors.exceptions import ConnectError

if TYPE_CHECKING:
    from types import ModuleType


class MissingDependencyError(ConnectError):
    """A connector needs a package that is not installed."""


def require(module: str, extra: str, package: str | None = None) -> ModuleType:
    """`import module`, or raise MissingDependencyError saying `pip install 'connectless[extra]'`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{package or module} is needed by this connector: pip install 'connectless[{extra}]'"
        ) from exc

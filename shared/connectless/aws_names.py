"""The names a connector's resources take on AWS, derived in one place from the connector's exact name.

Kafka Connect takes any connector name (spaces, `%`, `/`, unicode); AWS's names are narrower:
- a Kafka event-source mapping's ConsumerGroupId: 1 to 200 of `[a-zA-Z0-9-/*:_+=.@]`;
- a Lambda alias: 1 to 128 of `[a-zA-Z0-9-_]`, not all digits;
- an EventBridge Scheduler schedule: 1 to 64 of `[0-9a-zA-Z-_.]`.

A name that AWS takes is kept exactly (`connect-<name>` stays Kafka Connect's group). Any other is derived
deterministically: the name with each refused character replaced by `_`, cut to fit, then `-` and 12 hex digits
of the SHA-256 of the exact identity it stands for (connector, or connector and topic). So two connectors (or
two topics of one) never share a derived name, and the same connector always gets the same one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Final

from connectless.connector_config import consumer_group

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["alias_name", "connector_for_alias", "consumer_group_id", "schedule_name"]

_HASH_CHARS: Final = 12
_GROUP_REFUSED: Final = re.compile(r"[^a-zA-Z0-9\-/*:_+=.@]")
_GROUP_MAX: Final = 200
_ALIAS_REFUSED: Final = re.compile(r"[^a-zA-Z0-9\-_]")
_ALIAS_MAX: Final = 128
_SCHEDULE_REFUSED: Final = re.compile(r"[^0-9a-zA-Z\-_.]")
_SCHEDULE_MAX: Final = 64


def _fit(name: str, refused: re.Pattern[str], limit: int, identity: str, *, keep: bool = True) -> str:
    """`name` when `keep` and AWS takes it as is; otherwise its cleaned prefix plus a hash of `identity`."""
    if keep and name and len(name) <= limit and not refused.search(name):
        return name
    digest = hashlib.sha256(identity.encode()).hexdigest()[:_HASH_CHARS]
    return f"{refused.sub('_', name)[: limit - _HASH_CHARS - 1]}-{digest}"


def consumer_group_id(connector: str, topic: str | None = None) -> str:
    """The ConsumerGroupId of a sink's mapping: Kafka Connect's `connect-<name>` (topic None: the mapping of a
    sink with one topic), or `connect-<name>-<topic>` (one of several topics), when AWS takes it; else derived."""
    group = consumer_group(connector) if topic is None else f"{consumer_group(connector)}-{topic}"
    identity = connector if topic is None else json.dumps([connector, topic])
    return _fit(group, _GROUP_REFUSED, _GROUP_MAX, identity)


def alias_name(connector: str) -> str:
    """The sink function's alias for `connector`; the sink handler maps it back with connector_for_alias."""
    return _fit(connector, _ALIAS_REFUSED, _ALIAS_MAX, connector, keep=not connector.isdigit())


def schedule_name(connector: str, task: int) -> str:
    """The EventBridge Scheduler schedule of a source task."""
    name = f"connectless-{connector}-{task}"
    return _fit(name, _SCHEDULE_REFUSED, _SCHEDULE_MAX, name)


def connector_for_alias(alias: str, connectors: Iterable[str]) -> str | None:
    """The connector that `alias` was made for: the one named exactly so, else the one whose alias it is."""
    names = list(connectors)
    if alias in names:
        return alias
    return next((name for name in names if alias_name(name) == alias), None)

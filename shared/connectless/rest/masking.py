"""Password-type values never leave the API in clear: they read `[hidden]`. A value that is wholly a config
provider reference (`${secretsmanager:prod/db:password}`) is shown as it is: it names the secret, never holds it,
and the API never resolves it.

A PUT that sends `[hidden]` back (a client that did GET-modify-PUT) keeps the stored secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectless.config import ConfigType, Password
from connectless.config.providers import REFERENCE
from connectless.plugins import REGISTRY, PluginKind, PluginNotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping

HIDDEN = Password.HIDDEN
_PART_KINDS = {
    "transforms": (PluginKind.TRANSFORMATION,),
    "predicates": (PluginKind.PREDICATE,),
}
_CONVERTERS = {
    "key.converter": PluginKind.CONVERTER,
    "value.converter": PluginKind.CONVERTER,
    "header.converter": PluginKind.HEADER_CONVERTER,
}


def _password_names(cls: type) -> set[str]:
    definition = getattr(cls, "CONFIG_DEF", None)
    if definition is None:
        return set()
    return {name for name, key in definition.keys.items() if key.type is ConfigType.PASSWORD}


def password_keys(config: Mapping[str, str]) -> set[str]:
    """Every key of `config` that some ConfigDef (connector, transform, predicate, converter) calls a PASSWORD."""
    keys: set[str] = set()
    try:
        connector = REGISTRY.find((PluginKind.SOURCE, PluginKind.SINK), config.get("connector.class", ""))
        keys |= {k for k in _password_names(connector.cls) if k in config}
    except PluginNotFoundError:
        pass
    for prefix, kind in _CONVERTERS.items():
        keys |= _prefixed(config, f"{prefix}.", config.get(prefix), (kind,))
    for part, kinds in _PART_KINDS.items():
        for alias in [a.strip() for a in config.get(part, "").split(",") if a.strip()]:
            keys |= _prefixed(config, f"{part}.{alias}.", config.get(f"{part}.{alias}.type"), kinds)
    return keys


def _prefixed(config: Mapping[str, str], prefix: str, class_name: str | None,
              kinds: tuple[PluginKind, ...]) -> set[str]:  # fmt: skip
    if not class_name:
        return set()
    try:
        plugin = REGISTRY.find(kinds, class_name)
    except PluginNotFoundError:
        return set()
    return {prefix + k for k in _password_names(plugin.cls) if prefix + k in config}


def mask(config: Mapping[str, str], secret: set[str] | None = None) -> dict[str, str]:
    secret = password_keys(config) if secret is None else secret
    return {k: HIDDEN if k in secret and not REFERENCE.fullmatch(v) else v for k, v in config.items()}


def restore_hidden(new: Mapping[str, str], stored: Mapping[str, str] | None) -> dict[str, str]:
    """Put stored secrets back where a client sent `[hidden]`."""
    if not stored:
        return dict(new)
    secret = password_keys(stored)
    return {k: stored[k] if v == HIDDEN and k in secret and k in stored else v for k, v in new.items()}

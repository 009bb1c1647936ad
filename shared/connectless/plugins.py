"""Find plugins by Kafka Connect class name, by short alias, or by Python import path.

Built-in plugins register themselves with `@register(kind, class_name, *aliases)` when their module is
imported; the registry imports the built-in modules on first lookup. Users' plugins are addressed by
"package.module.ClassName" (or "package.module:ClassName"), the counterpart of a jar on plugin.path.
"""

from __future__ import annotations

import enum
import importlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable


class PluginKind(enum.Enum):
    SOURCE = "source"
    SINK = "sink"
    CONVERTER = "converter"
    HEADER_CONVERTER = "header_converter"
    TRANSFORMATION = "transformation"
    PREDICATE = "predicate"


@dataclass(frozen=True)
class PluginDesc:
    kind: PluginKind
    class_name: str
    cls: type
    aliases: tuple[str, ...]
    version: str


class PluginNotFoundError(LookupError):
    """No plugin of the wanted kind has that class name or alias."""


# Modules holding built-in plugins; imported lazily so a Lambda cold start loads only what it uses.
BUILTIN_MODULES: list[str] = [
    "connectless.connectors.datagen",
    "connectless.connectors.file",
    "connectless.connectors.sql",
    "connectless.connectors.s3_source",
    "connectless.connectors.http_source",
    "connectless.connectors.jdbc_sink",
    "connectless.connectors.s3_sink",
    "connectless.connectors.dynamodb_sink",
    "connectless.connectors.http_sink",
    "connectless.connectors.null_sink",
    "connectless.connectors.opensearch",
    "connectless.connectors.mysql_cdc",
    "connectless.transforms.extract_new_record_state",
    "connectless.converters",
    "connectless.converters.registry",
    "connectless.transforms",
]

_T = TypeVar("_T", bound=type)


class PluginRegistry:
    def __init__(self) -> None:
        self._by_name: dict[tuple[PluginKind, str], PluginDesc] = {}
        self._descs: list[PluginDesc] = []
        self._loaded = False
        self._lock = threading.RLock()

    def add(self, kind: PluginKind, class_name: str, cls: type, aliases: tuple[str, ...]) -> None:
        desc = PluginDesc(kind, class_name, cls, aliases, getattr(cls, "VERSION", "0.1.0"))
        with self._lock:
            self._descs.append(desc)
            for name in (class_name, *aliases):
                self._by_name[(kind, name)] = desc

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for module in BUILTIN_MODULES:
                try:
                    importlib.import_module(module)
                except ModuleNotFoundError as exc:
                    if exc.name != module:  # a real import error inside a plugin module
                        raise
            self._loaded = True

    def find(self, kinds: PluginKind | tuple[PluginKind, ...], name: str) -> PluginDesc:
        """The plugin of one of `kinds` called `name` (class name, alias or import path)."""
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        self._ensure_loaded()
        key = name.strip()
        for kind in kinds:
            desc = self._by_name.get((kind, key))
            if desc is not None:
                return desc
        cls = _import_path(key)
        if cls is not None:
            for kind in kinds:
                desc = self._by_name.get((kind, f"{cls.__module__}.{cls.__qualname__}"))
                if desc is not None:
                    return desc
            return PluginDesc(kinds[0], key, cls, (), getattr(cls, "VERSION", "0.1.0"))
        wanted = " or ".join(k.value for k in kinds)
        known = sorted({d.class_name for d in self._descs if d.kind in kinds})
        raise PluginNotFoundError(
            f"Failed to find any class that implements {wanted} and which name matches {key}, "
            f"available {wanted} plugins are: {', '.join(known)}"
        )

    def all(self, kind: PluginKind | None = None) -> list[PluginDesc]:
        self._ensure_loaded()
        return [d for d in self._descs if kind is None or d.kind is kind]


def _import_path(path: str) -> type | None:
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr or not module_name.replace(".", "").replace("_", "").isalnum():
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    found: Any = module
    for part in attr.split("$"):
        found = getattr(found, part, None)
        if found is None:
            return None
    return found if isinstance(found, type) else None


REGISTRY = PluginRegistry()


def register(kind: PluginKind, class_name: str, *aliases: str) -> Callable[[_T], _T]:
    """Class decorator that registers a built-in plugin under its Kafka Connect class name and aliases."""

    def decorate(cls: _T) -> _T:
        REGISTRY.add(kind, class_name, cls, aliases)
        return cls

    return decorate


def default_aliases(class_name: str, suffix: str = "") -> tuple[str, ...]:
    """Kafka Connect's aliases: the simple class name, and that name without its plugin-type suffix."""
    simple = class_name.rsplit(".", 1)[-1]
    aliases = [simple]
    if suffix and simple.endswith(suffix) and len(simple) > len(suffix):
        aliases.append(simple[: -len(suffix)])
    return tuple(aliases)

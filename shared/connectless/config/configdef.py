"""ConfigDef: the declared keys of a connector, task, transform, predicate or converter.

Parsing follows Kafka's rules: strings are trimmed and converted to the declared type, lists split on
commas, booleans accept true/false in any case, and a PASSWORD value is wrapped so it never prints.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from connectless.config.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from connectless.config.validators import Validator


class _NoDefault:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final[Any] = _NoDefault()


class ConfigType(enum.Enum):
    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class Importance(enum.Enum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Width(enum.Enum):
    NONE = "NONE"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    LONG = "LONG"


class Password:
    """A secret config value. Printing, repr and logging show `[hidden]`; `.value` gives the secret."""

    __slots__ = ("value",)
    HIDDEN = "[hidden]"

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return self.HIDDEN

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Password) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


_INT_RANGES = {
    ConfigType.INT: (-(2**31), 2**31 - 1),
    ConfigType.SHORT: (-(2**15), 2**15 - 1),
    ConfigType.LONG: (-(2**63), 2**63 - 1),
}


def parse_type(name: str, value: Any, config_type: ConfigType) -> Any:
    """Convert a raw value (usually a string) to `config_type`, raising ConfigError naming `name`."""
    if value is None:
        return None
    if isinstance(value, str) and config_type is not ConfigType.PASSWORD:
        value = value.strip()
    if config_type is ConfigType.BOOLEAN:
        return _parse_bool(name, value)
    if config_type is ConfigType.PASSWORD:
        if isinstance(value, Password):
            return value
        if isinstance(value, str):
            return Password(value)
        raise ConfigError(name, value, "Expected value to be a string, but it was a " + type(value).__name__)
    if config_type in (ConfigType.STRING, ConfigType.CLASS):
        if isinstance(value, str):
            return value
        if isinstance(value, type):
            return value.__module__ + "." + value.__qualname__
        raise ConfigError(name, value, "Expected value to be a string, but it was a " + type(value).__name__)
    if config_type in _INT_RANGES:
        return _parse_int(name, value, config_type)
    if config_type is ConfigType.DOUBLE:
        return _parse_double(name, value)
    return _parse_list(name, value)


def _parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(name, value, "Expected value to be either true or false")


def _parse_double(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(name, value, "Expected value to be a 64-bit floating point, but it was a bool")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(name, value, "Not a number of type DOUBLE") from None


def _parse_list(name: str, value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [v.strip() if isinstance(v, str) else v for v in value]
    if isinstance(value, str):
        return [] if value == "" else [part.strip() for part in value.split(",")]
    raise ConfigError(name, value, "Expected a comma separated list.")


def _parse_int(name: str, value: Any, config_type: ConfigType) -> int:
    if isinstance(value, bool):
        raise ConfigError(name, value, f"Not a number of type {config_type.value}")
    if isinstance(value, int):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = int(value)
        except ValueError:
            raise ConfigError(name, value, f"Not a number of type {config_type.value}") from None
    else:
        raise ConfigError(name, value, f"Not a number of type {config_type.value}")
    low, high = _INT_RANGES[config_type]
    if not low <= parsed <= high:
        raise ConfigError(name, value, f"Not a number of type {config_type.value}")
    return parsed


def render_value(value: Any, config_type: ConfigType) -> str | None:
    """The string form Kafka Connect shows in docs and validate responses (passwords hidden)."""
    if value is None or value is NO_DEFAULT:
        return None
    if config_type is ConfigType.PASSWORD:
        return Password.HIDDEN
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class ConfigKey:
    name: str
    type: ConfigType
    default: Any
    validator: Validator | None
    importance: Importance
    documentation: str
    group: str | None = None
    order_in_group: int = -1
    width: Width = Width.NONE
    display_name: str | None = None
    dependents: tuple[str, ...] = ()
    recommender: Callable[[Mapping[str, Any]], list[Any]] | None = None
    internal: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def definition(self) -> dict[str, Any]:
        """This key in the `definition` shape of Kafka Connect's validate response."""
        return {
            "name": self.name,
            "type": self.type.value,
            "required": not self.has_default,
            "default_value": render_value(self.default, self.type),
            "importance": self.importance.value,
            "documentation": self.documentation,
            "group": self.group,
            "width": self.width.value,
            "display_name": self.display_name or self.name,
            "dependents": list(self.dependents),
            "order": self.order_in_group,
        }


@dataclass
class ConfigValue:
    """The outcome of validating one key: its value, recommended values and error messages."""

    name: str
    value: Any = None
    recommended_values: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    visible: bool = True

    def to_json(self, config_type: ConfigType | None = None) -> dict[str, Any]:
        shown = render_value(self.value, config_type) if config_type else self.value
        return {
            "name": self.name,
            "value": shown,
            "recommended_values": [str(v) for v in self.recommended_values],
            "errors": list(self.errors),
            "visible": self.visible,
        }


class ConfigDef:
    """An ordered set of ConfigKeys. `define` returns self so definitions chain."""

    def __init__(self, keys: Iterable[ConfigKey] = ()) -> None:
        self._keys: dict[str, ConfigKey] = {}
        for key in keys:
            self._add(key)

    def _add(self, key: ConfigKey) -> None:
        if key.name in self._keys:
            raise ValueError(f"Configuration {key.name} is defined twice.")
        if key.has_default and key.default is not None:
            parsed = parse_type(key.name, key.default, key.type)
            if key.validator is not None:
                key.validator(key.name, parsed)
            object.__setattr__(key, "default", parsed)
        self._keys[key.name] = key

    def define(
        self,
        name: str,
        config_type: ConfigType,
        default: Any = NO_DEFAULT,
        validator: Validator | None = None,
        importance: Importance = Importance.MEDIUM,
        documentation: str = "",
        *,
        group: str | None = None,
        order_in_group: int = -1,
        width: Width = Width.NONE,
        display_name: str | None = None,
        dependents: Iterable[str] = (),
        recommender: Callable[[Mapping[str, Any]], list[Any]] | None = None,
        internal: bool = False,
    ) -> ConfigDef:
        self._add(
            ConfigKey(
                name=name,
                type=config_type,
                default=default,
                validator=validator,
                importance=importance,
                documentation=documentation,
                group=group,
                order_in_group=order_in_group,
                width=width,
                display_name=display_name,
                dependents=tuple(dependents),
                recommender=recommender,
                internal=internal,
            )
        )
        return self

    def merge(self, other: ConfigDef) -> ConfigDef:
        """A new ConfigDef holding this one's keys then `other`'s (other wins on a clash)."""
        merged = ConfigDef()
        merged._keys = dict(self._keys) | dict(other._keys)
        return merged

    def with_prefix(self, prefix: str, group: str | None = None) -> ConfigDef:
        """This ConfigDef's keys renamed with `prefix` (e.g. `transforms.x.`)."""
        renamed = ConfigDef()
        for key in self._keys.values():
            renamed._keys[prefix + key.name] = ConfigKey(
                **{**key.__dict__, "name": prefix + key.name, "group": group or key.group}
            )
        return renamed

    @property
    def keys(self) -> Mapping[str, ConfigKey]:
        return self._keys

    def names(self) -> list[str]:
        return list(self._keys)

    def __contains__(self, name: object) -> bool:
        return name in self._keys

    def parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Parse and validate `props`: typed values for every defined key; raises the first ConfigError."""
        values: dict[str, Any] = {}
        for key in self._keys.values():
            if key.name in props:
                value = parse_type(key.name, props[key.name], key.type)
            elif key.has_default:
                value = key.default
            else:
                raise ConfigError.missing(key.name)
            if key.validator is not None and not (value is None and key.default is None and key.has_default):
                key.validator(key.name, value)
            values[key.name] = value
        return values

    def validate(self, props: Mapping[str, Any]) -> list[ConfigValue]:
        """Validate every key and collect all errors (never raises), in definition order."""
        results: list[ConfigValue] = []
        for key in self._keys.values():
            result = ConfigValue(key.name)
            raw = props.get(key.name, key.default if key.has_default else None)
            result.value = raw
            try:
                if key.name not in props and not key.has_default:
                    raise ConfigError.missing(key.name)
                value = parse_type(key.name, raw, key.type)
                result.value = value
                if key.validator is not None and not (value is None and key.has_default and key.default is None):
                    key.validator(key.name, value)
            except ConfigError as exc:
                result.errors.append(str(exc))
            if key.recommender is not None:
                try:
                    result.recommended_values = list(key.recommender(props))
                except Exception as exc:  # a recommender must never break validation
                    result.errors.append(f"Failed to compute recommended values: {exc}")
            results.append(result)
        return results


class ParsedConfig:
    """Typed access to a parsed configuration, plus the original properties (Kafka's AbstractConfig)."""

    def __init__(self, definition: ConfigDef, originals: Mapping[str, Any]) -> None:
        self.definition = definition
        self.originals: dict[str, Any] = dict(originals)
        self.values = definition.parse(originals)

    def get(self, name: str) -> Any:
        if name not in self.values:
            raise ConfigError(name, None, f"Unknown configuration '{name}'")
        return self.values[name]

    def get_str(self, name: str) -> str:
        return self.get(name)

    def get_int(self, name: str) -> int:
        return self.get(name)

    def get_bool(self, name: str) -> bool:
        return self.get(name)

    def get_float(self, name: str) -> float:
        return self.get(name)

    def get_list(self, name: str) -> list[str]:
        return self.get(name)

    def get_password(self, name: str) -> Password | None:
        return self.get(name)

    def originals_with_prefix(self, prefix: str, *, strip: bool = True) -> dict[str, Any]:
        return {(k[len(prefix) :] if strip else k): v for k, v in self.originals.items() if k.startswith(prefix)}

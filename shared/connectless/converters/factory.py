"""Build a connector's key, value and header converters from its configuration, as a Kafka Connect worker does.

`key.converter`, `value.converter` and `header.converter` name the classes (Kafka class name, alias or Python
import path); each converter gets the properties under its own prefix with the prefix removed
(`value.converter.schemas.enable=false` -> `{"schemas.enable": "false"}`). As in Kafka, a role the connector
does not name takes the worker's class *and* the worker's prefixed properties: a connector's
`value.converter.schemas.enable` without `value.converter` is ignored. The worker defaults are JsonConverter
(schemas.enable=true) for keys and values and SimpleHeaderConverter for headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigError
from connectless.converters.base import TYPE_CONFIG, Converter, HeaderConverter, with_type
from connectless.plugins import REGISTRY, PluginKind, PluginNotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping

KEY_CONVERTER = "key.converter"
VALUE_CONVERTER = "value.converter"
HEADER_CONVERTER = "header.converter"

WORKER_DEFAULTS: Mapping[str, str] = {
    KEY_CONVERTER: "org.apache.kafka.connect.json.JsonConverter",
    VALUE_CONVERTER: "org.apache.kafka.connect.json.JsonConverter",
    HEADER_CONVERTER: "org.apache.kafka.connect.storage.SimpleHeaderConverter",
}

_ROLES = ((KEY_CONVERTER, True), (VALUE_CONVERTER, False), (HEADER_CONVERTER, None))


def _source(role: str, config: Mapping[str, Any], defaults: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The configuration that decides `role`: the connector's when it names a class, else the worker's."""
    if config.get(role):
        return config
    if defaults is not None and defaults.get(role):
        return defaults
    return WORKER_DEFAULTS


def _props(source: Mapping[str, Any], role: str) -> dict[str, Any]:
    prefix = role + "."
    return {key[len(prefix) :]: value for key, value in source.items() if key.startswith(prefix)}


def _converter_class(role: str, class_name: str, is_key: bool | None) -> type[Converter] | type[HeaderConverter]:
    kind = PluginKind.HEADER_CONVERTER if is_key is None else PluginKind.CONVERTER
    expected = HeaderConverter if is_key is None else Converter
    try:
        cls = REGISTRY.find(kind, class_name).cls
    except PluginNotFoundError:
        raise ConfigError(role, class_name, f"Class {class_name} could not be found.") from None
    if not (isinstance(cls, type) and issubclass(cls, expected)):
        raise ConfigError(role, class_name, f"Class {class_name} is not a {expected.__name__}.")
    return cls


def create_converter(role: str, config: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Any:
    """The configured converter for `role` (`key.converter`, `value.converter` or `header.converter`).

    Raises ConfigError naming the offending key: the role for an unknown class, `<role>.<key>` for a bad setting.
    """
    is_key = dict(_ROLES)[role]
    source = _source(role, config, defaults)
    class_name = str(source[role]).strip()
    cls = _converter_class(role, class_name, is_key)
    props = _props(source, role)
    converter: Any = cls()
    try:
        if is_key is None:
            converter.configure(with_type(props, None))
        else:
            converter.configure(props, is_key)
    except ConfigError as exc:
        raise ConfigError(f"{role}.{exc.name}", exc.value, exc.reason or str(exc)) from exc
    except Exception as exc:
        raise ConfigError(role, class_name, f"Failed to configure {class_name}: {exc}") from exc
    return converter


def converters_from_config(
    config: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> tuple[Converter, Converter, HeaderConverter]:
    """(key converter, value converter, header converter) for a connector configuration.

    `defaults` is the worker-level configuration (same keys); roles it leaves out use WORKER_DEFAULTS.

    Example:
        key, value, headers = converters_from_config({
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        })
    """
    return (
        create_converter(KEY_CONVERTER, config, defaults),
        create_converter(VALUE_CONVERTER, config, defaults),
        create_converter(HEADER_CONVERTER, config, defaults),
    )


def validate_converter_configs(
    config: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """Errors per configuration key (`value.converter`, `value.converter.decimal.format`, ...); empty when valid."""
    errors: dict[str, list[str]] = {}
    for role, is_key in _ROLES:
        source = _source(role, config, defaults)
        class_name = str(source[role]).strip()
        try:
            cls = _converter_class(role, class_name, is_key)
        except ConfigError as exc:
            errors.setdefault(role, []).append(str(exc))
            continue
        prefix = role + "."
        props = {prefix + key: value for key, value in _props(source, role).items()}
        props.setdefault(prefix + TYPE_CONFIG, "header" if is_key is None else ("key" if is_key else "value"))
        found = False
        for value in cls.CONFIG_DEF.with_prefix(prefix).validate(props):
            for message in value.errors:
                errors.setdefault(value.name, []).append(message)
                found = True
        if not found:
            try:
                create_converter(role, config, defaults)
            except ConfigError as exc:
                errors.setdefault(exc.name, []).append(str(exc))
    return errors

"""`/connector-plugins`: every plugin, one plugin's ConfigDef, and validation in Kafka Connect's format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless import deployment_keys
from connectless.config import ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance
from connectless.config.configdef import NO_DEFAULT
from connectless.connector_config import CONNECTOR_CLASS, find_connector, validate_connector_config
from connectless.manager.errors import BadRequestError
from connectless.plugins import REGISTRY, PluginDesc, PluginKind, PluginNotFoundError
from connectless.rest.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping

CONNECTOR_KINDS = (PluginKind.SOURCE, PluginKind.SINK)
_ORDER = (PluginKind.SINK, PluginKind.SOURCE, PluginKind.CONVERTER, PluginKind.HEADER_CONVERTER,
          PluginKind.TRANSFORMATION, PluginKind.PREDICATE)  # fmt: skip


def list_plugins(connectors_only: bool = True) -> list[dict[str, str]]:
    kinds = CONNECTOR_KINDS if connectors_only else _ORDER
    found: dict[tuple[str, str], dict[str, str]] = {}
    for kind in kinds:
        for desc in REGISTRY.all(kind):
            found.setdefault((kind.value, desc.class_name), _plugin_json(desc))
    return list(found.values())


def _plugin_json(desc: PluginDesc) -> dict[str, str]:
    return {"class": desc.class_name, "type": desc.kind.value, "version": desc.version}


def find_plugin(name: str) -> PluginDesc:
    """A registered plugin by class name or alias (never an import of whatever a URL names)."""
    for kind in _ORDER:
        for desc in REGISTRY.all(kind):
            if name == desc.class_name or name in desc.aliases:
                return desc
    raise NotFoundError(f"Unknown plugin {name}.")


def plugin_config(name: str) -> list[dict[str, Any]]:
    desc = find_plugin(name)
    definition: ConfigDef = getattr(desc.cls, "CONFIG_DEF", None) or ConfigDef()
    return [key.definition() for key in definition.keys.values() if not key.internal]


def validate(plugin: str, body: Any) -> dict[str, Any]:
    """PUT /connector-plugins/{plugin}/config/validate."""
    config = string_map(body)
    try:
        wanted = find_connector(plugin)
    except PluginNotFoundError:
        wanted = None
    given = config.get(CONNECTOR_CLASS)
    if given is None:
        config[CONNECTOR_CLASS] = plugin
    elif wanted is not None:
        try:
            same = find_connector(given).cls is wanted.cls
        except PluginNotFoundError:
            same = False
        if not same:
            raise BadRequestError(f"Included connector type {given} does not match request type {plugin}")
    result = validate_connector_config(config)
    definition = result.definition.merge(deployment_keys.CONFIG_DEF)
    errors = {k: list(v) for k, v in result.errors.items()}
    for value in deployment_keys.CONFIG_DEF.validate(config):
        errors.setdefault(value.name, []).extend(value.errors)
    return validation_json(result.plugin.class_name if result.plugin else plugin, definition, config,
                           result.values, errors)  # fmt: skip


def validation_json(name: str, definition: ConfigDef, config: Mapping[str, str], values: Mapping[str, Any],
                    errors: Mapping[str, list[str]]) -> dict[str, Any]:  # fmt: skip
    keys: dict[str, ConfigKey] = dict(definition.keys)
    for extra in errors:  # transform, predicate and converter keys report under their own names
        if extra not in keys:
            keys[extra] = ConfigKey(extra, ConfigType.STRING, NO_DEFAULT, None, Importance.HIGH, "", None)
    configs = []
    for key_name, key in keys.items():
        raw = values.get(key_name, config.get(key_name))
        value = ConfigValue(key_name, raw, [], list(errors.get(key_name, [])))
        configs.append({"definition": key.definition(), "value": value.to_json(key.type)})
    groups = list(dict.fromkeys(k.group for k in keys.values() if k.group))
    return {
        "name": name,
        "error_count": sum(len(v) for v in errors.values()),
        "groups": groups,
        "configs": configs,
    }


def string_map(body: Any) -> dict[str, str]:
    """A JSON object of scalars as Kafka Connect's Map<String, String>; nulls are dropped, nesting is a 400."""
    if not isinstance(body, dict):
        raise BadRequestError("The request body must be a JSON object of configuration properties")
    config: dict[str, str] = {}
    for key, value in body.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            raise BadRequestError(f"Configuration property {key} must be a string")
        config[str(key)] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return config

"""Validation of a whole connector config, as Kafka Connect's AbstractHerder.validateConnectorConfig does it:
the common keys, the connector's own ConfigDef, converters, transforms and predicates, and errors.*.

Every error names its config key, so a bad connector file or REST request says exactly what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigError, ConfigType, Importance, NonEmptyString, Range, ValidString
from connectless.connector import Connector, SinkConnector, SourceConnector
from connectless.plugins import REGISTRY, PluginDesc, PluginKind, PluginNotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

NAME = "name"
CONNECTOR_CLASS = "connector.class"
TASKS_MAX = "tasks.max"
TOPICS = "topics"
TOPICS_REGEX = "topics.regex"
TASK_CLASS = "task.class"


def parse_topics_list(config: Mapping[str, str]) -> list[str]:
    """A sink's `topics`, as Kafka's SinkConnectorConfig.parseTopicsList reads them: trimmed, no empties, no repeats."""
    return list(dict.fromkeys(t for t in (part.strip() for part in config.get(TOPICS, "").split(",")) if t))


def with_task_class(plugin: PluginDesc, configs: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The task configs as Kafka Connect's Worker.connectorTaskConfigs writes them: each with `task.class`.

    A Kafka Connect worker reading the config topic starts each task from that key (without it the task fails
    with a ConfigException). The name is the task class's in the connector's package: Kafka's own for the file
    connectors (org.apache.kafka.connect.file.FileStreamSourceTask).
    """
    connector: Connector = plugin.cls()
    package = plugin.class_name.rpartition(".")[0]
    simple = connector.task_class().__name__
    name = f"{package}.{simple}" if package else simple
    return [{**config, TASK_CLASS: name} for config in configs]


def consumer_group(connector: str) -> str:
    """Kafka Connect's sink group name, so an existing connector's committed offsets carry over."""
    return f"connect-{connector}"


COMMON_GROUP = "Common"
COMMON_CONFIG_DEF = (
    ConfigDef()
    .define(NAME, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="Globally unique name to use for this connector.", group=COMMON_GROUP, order_in_group=1)
    .define(CONNECTOR_CLASS, ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="Name or alias of the class for this connector.", group=COMMON_GROUP, order_in_group=2)
    .define(TASKS_MAX, ConfigType.INT, 1, Range.at_least(1), Importance.HIGH,
            "Maximum number of tasks to use for this connector.", group=COMMON_GROUP, order_in_group=3)
    .define("key.converter", ConfigType.CLASS, None, None, Importance.LOW,
            "Converter class used to convert between Kafka Connect format and the serialized form that is written "
            "to Kafka.", group=COMMON_GROUP, order_in_group=4)
    .define("value.converter", ConfigType.CLASS, None, None, Importance.LOW,
            "Converter class for record values.", group=COMMON_GROUP, order_in_group=5)
    .define("header.converter", ConfigType.CLASS, None, None, Importance.LOW,
            "HeaderConverter class for record headers.", group=COMMON_GROUP, order_in_group=6)
    .define("transforms", ConfigType.LIST, "", None, Importance.LOW,
            "Aliases for the transformations to be applied to records.", group="Transforms")
    .define("predicates", ConfigType.LIST, "", None, Importance.LOW,
            "Aliases for the predicates used by transformations.", group="Predicates")
)  # fmt: skip

SINK_CONFIG_DEF = (
    ConfigDef()
    .define(TOPICS, ConfigType.LIST, "", None, Importance.HIGH,
            "List of topics to consume, separated by commas", group=COMMON_GROUP, order_in_group=4)
    .define(TOPICS_REGEX, ConfigType.STRING, "", None, Importance.HIGH,
            "Regular expression giving topics to consume.", group=COMMON_GROUP, order_in_group=4)
)  # fmt: skip

SOURCE_CONFIG_DEF = (
    ConfigDef()
    .define("exactly.once.support", ConfigType.STRING, "requested",
            ValidString(("requested", "required"), case_sensitive=False), Importance.MEDIUM,
            "Whether exactly-once delivery is required for this connector.", group="Exactly Once Support")
    .define("transaction.boundary", ConfigType.STRING, "poll",
            ValidString(("poll", "interval", "connector"), case_sensitive=False), Importance.MEDIUM,
            "Where transactions begin and end for this connector.", group="Exactly Once Support")
    .define("transaction.boundary.interval.ms", ConfigType.LONG, None, None, Importance.LOW,
            "Transaction length when transaction.boundary=interval.", group="Exactly Once Support")
    .define("offsets.storage.topic", ConfigType.STRING, None, None, Importance.LOW,
            "The name of a separate offsets topic to use for this connector.", group="Offsets")
)  # fmt: skip


class ConnectorConfigError(ConfigError):
    """A connector config is invalid. `errors` maps each bad key to its messages; the text lists them all."""

    def __init__(self, connector: str | None, errors: Mapping[str, list[str]]) -> None:
        self.errors = {k: list(v) for k, v in errors.items() if v}
        first = next(iter(self.errors), "config")
        who = f"Connector configuration for {connector!r}" if connector else "Connector configuration"
        lines = [f"{key}: {msg}" for key, msgs in self.errors.items() for msg in msgs]
        super().__init__(first, None, None)
        self.args = (f"{who} is invalid and contains {len(lines)} error(s): " + "; ".join(lines),)


@dataclass
class ValidationResult:
    """Everything the REST validate endpoint and the CLI need: definitions, values and errors per key."""

    plugin: PluginDesc | None
    definition: ConfigDef
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values())

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


def find_connector(class_name: str) -> PluginDesc:
    return REGISTRY.find((PluginKind.SOURCE, PluginKind.SINK), class_name)


def is_sink(plugin: PluginDesc) -> bool:
    return plugin.kind is PluginKind.SINK or (isinstance(plugin.cls, type) and issubclass(plugin.cls, SinkConnector))


def validate_connector_config(config: Mapping[str, str]) -> ValidationResult:
    """Validate every part of a connector config; never raises for a bad value, collects errors instead."""
    from connectless.errors.config import CONFIG_DEF as ERRORS_CONFIG_DEF

    definition = COMMON_CONFIG_DEF.merge(ERRORS_CONFIG_DEF)
    plugin: PluginDesc | None = None
    result = ValidationResult(None, definition)
    class_name = config.get(CONNECTOR_CLASS)
    if class_name:
        try:
            plugin = find_connector(class_name)
        except PluginNotFoundError as exc:
            result.add(CONNECTOR_CLASS, str(exc))
    if plugin is not None and not issubclass(plugin.cls, Connector):
        result.add(CONNECTOR_CLASS, f"Class {class_name} is not a Connector")
        plugin = None
    if plugin is not None:
        extra = SINK_CONFIG_DEF if is_sink(plugin) else SOURCE_CONFIG_DEF
        definition = definition.merge(extra)
    result.plugin, result.definition = plugin, definition
    for value in definition.validate(config):
        result.values[value.name] = value.value
        for message in value.errors:
            result.add(value.name, message)
    if plugin is not None:
        _validate_plugin_parts(plugin, config, result)
    return result


def _validate_plugin_parts(plugin: PluginDesc, config: Mapping[str, str], result: ValidationResult) -> None:
    if is_sink(plugin):
        _validate_sink_topics(config, result)
    connector: Connector = plugin.cls()
    for value in connector.validate(config):
        for message in value.errors:
            result.add(value.name, message)
        result.values.setdefault(value.name, value.value)
    result.definition = result.definition.merge(connector.config_def())
    for key, messages in _validate_parts(config).items():
        for message in messages:
            result.add(key, message)


def _validate_sink_topics(config: Mapping[str, str], result: ValidationResult) -> None:
    topics = parse_topics_list(config)
    regex = config.get(TOPICS_REGEX, "").strip()
    if topics and regex:
        result.add(TOPICS, "topics and topics.regex are mutually exclusive options, but both are set.")
    elif not topics and not regex:
        result.add(TOPICS, "Must configure one of topics or topics.regex")
    dlq = config.get("errors.deadletterqueue.topic.name", "").strip()
    if dlq and dlq in topics:
        result.add(
            "errors.deadletterqueue.topic.name",
            f"The DLQ topic '{dlq}' may not be included in the list of topics ('{TOPICS}={config.get(TOPICS)}') "
            "consumed by the connector",
        )


def _validate_parts(config: Mapping[str, str]) -> dict[str, list[str]]:
    """Converters and transforms/predicates: each part reports errors by config key."""
    errors: dict[str, list[str]] = {}

    def collect(part: Any) -> None:
        for key, messages in part.items():
            errors.setdefault(key, []).extend(messages)

    from connectless.converters.factory import validate_converter_configs
    from connectless.transforms.chain import TransformationChain

    collect(validate_converter_configs(config))
    collect(TransformationChain.validate_config(config))
    return errors


def check_connector_config(config: Mapping[str, str], connector: str | None = None) -> ValidationResult:
    """Validate and raise ConnectorConfigError (naming every bad key) unless the config is valid."""
    result = validate_connector_config(config)
    if result.errors:
        raise ConnectorConfigError(connector or config.get(NAME), result.errors)
    return result


def connector_type(plugin: PluginDesc) -> str:
    return "sink" if is_sink(plugin) else "source" if issubclass(plugin.cls, SourceConnector) else "unknown"

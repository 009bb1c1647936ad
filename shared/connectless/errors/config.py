"""The `errors.*` connector settings, with Kafka Connect's names, defaults and documentation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, Range, ValidString
from connectless.config.validators import LambdaValidator
from connectless.errors.stage import ToleranceType

if TYPE_CHECKING:
    from collections.abc import Mapping

GROUP = "Error Handling"

ERRORS_TOLERANCE = "errors.tolerance"
ERRORS_RETRY_TIMEOUT = "errors.retry.timeout"
ERRORS_RETRY_DELAY_MAX_MS = "errors.retry.delay.max.ms"
ERRORS_LOG_ENABLE = "errors.log.enable"
ERRORS_LOG_INCLUDE_MESSAGES = "errors.log.include.messages"
DLQ_TOPIC_NAME = "errors.deadletterqueue.topic.name"
DLQ_TOPIC_REPLICATION_FACTOR = "errors.deadletterqueue.topic.replication.factor"
DLQ_CONTEXT_HEADERS_ENABLE = "errors.deadletterqueue.context.headers.enable"

CONFIG_DEF = (
    ConfigDef()
    .define(
        ERRORS_RETRY_TIMEOUT,
        ConfigType.LONG,
        0,
        Range.at_least(-1),
        Importance.MEDIUM,
        "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, "
        "which means no retries will be attempted. Use -1 for infinite retries.",
        group=GROUP,
        order_in_group=1,
        display_name="Retry Timeout for Errors",
    )
    .define(
        ERRORS_RETRY_DELAY_MAX_MS,
        ConfigType.LONG,
        60000,
        Range.at_least(0),
        Importance.MEDIUM,
        "The maximum duration in milliseconds between consecutive retry attempts. Delays start at 300 ms and "
        "double on each retry until they reach this limit.",
        group=GROUP,
        order_in_group=2,
        display_name="Maximum Delay Between Retries for Errors",
    )
    .define(
        ERRORS_TOLERANCE,
        ConfigType.STRING,
        ToleranceType.NONE.value,
        ValidString.in_ignore_case(*(t.value for t in ToleranceType)),
        Importance.MEDIUM,
        "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that "
        "any error will result in an immediate connector task failure; 'all' changes the behavior to skip over "
        "problematic records.",
        group=GROUP,
        order_in_group=3,
        display_name="Error Tolerance",
    )
    .define(
        ERRORS_LOG_ENABLE,
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "If true, write each error and the details of the failed operation and problematic record to the "
        "Connect application log. This is 'false' by default, so that only errors that are not tolerated are "
        "reported.",
        group=GROUP,
        order_in_group=4,
        display_name="Log Errors",
    )
    .define(
        ERRORS_LOG_INCLUDE_MESSAGES,
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Whether to include in the log the Connect record that resulted in a failure. For sink records, the "
        "timestamp is added to the topic, partition and offset; for source records, the key and value (and "
        "their schemas), all headers, the timestamp, Kafka topic, Kafka partition, source partition and source "
        "offset are logged. This is 'false' by default, which prevents record keys, values and headers from "
        "being written to log files.",
        group=GROUP,
        order_in_group=5,
        display_name="Log Error Details",
    )
    .define(
        DLQ_TOPIC_NAME,
        ConfigType.STRING,
        "",
        None,
        Importance.MEDIUM,
        "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error "
        "when processed by this sink connector, or its transformations or converters. The topic name is blank "
        "by default, which means that no messages are to be recorded in the DLQ. Connectless also sends "
        "source-side conversion and transformation failures here when it is set.",
        group=GROUP,
        order_in_group=6,
        display_name="Dead Letter Queue Topic Name",
    )
    .define(
        DLQ_TOPIC_REPLICATION_FACTOR,
        ConfigType.SHORT,
        3,
        LambdaValidator(lambda v: v == -1 or v >= 1, "-1 or at least 1"),
        Importance.MEDIUM,
        "Replication factor used to create the dead letter queue topic when it doesn't already exist. "
        "Connectless caps it at the number of brokers in the cluster.",
        group=GROUP,
        order_in_group=7,
        display_name="Dead Letter Queue Topic Replication Factor",
    )
    .define(
        DLQ_CONTEXT_HEADERS_ENABLE,
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "If true, add headers containing error context to the messages written to the dead letter queue. To "
        "avoid clashing with headers from the original record, all error context header keys will start with "
        "__connect.errors.",
        group=GROUP,
        order_in_group=8,
        display_name="Enable Error Context Headers",
    )
)


@dataclass(frozen=True, slots=True)
class ErrorsConfig:
    """The parsed `errors.*` settings of one connector."""

    tolerance: ToleranceType = ToleranceType.NONE
    retry_timeout_ms: int = 0
    retry_delay_max_ms: int = 60000
    log_enable: bool = False
    log_include_messages: bool = False
    dlq_topic: str = ""
    dlq_replication_factor: int = 3
    dlq_context_headers: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ErrorsConfig:
        """Parse the `errors.*` keys of a connector config (other keys are ignored). Raises ConfigError."""
        values = CONFIG_DEF.parse(config)
        return cls(
            tolerance=ToleranceType(values[ERRORS_TOLERANCE].lower()),
            retry_timeout_ms=values[ERRORS_RETRY_TIMEOUT],
            retry_delay_max_ms=values[ERRORS_RETRY_DELAY_MAX_MS],
            log_enable=values[ERRORS_LOG_ENABLE],
            log_include_messages=values[ERRORS_LOG_INCLUDE_MESSAGES],
            dlq_topic=values[DLQ_TOPIC_NAME].strip(),
            dlq_replication_factor=values[DLQ_TOPIC_REPLICATION_FACTOR],
            dlq_context_headers=values[DLQ_CONTEXT_HEADERS_ENABLE],
        )

    @property
    def tolerates_all(self) -> bool:
        return self.tolerance is ToleranceType.ALL

    @property
    def dlq_enabled(self) -> bool:
        return bool(self.dlq_topic)

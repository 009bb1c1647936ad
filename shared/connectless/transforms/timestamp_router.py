"""TimestampRouter: rewrite the topic from the original topic and the record timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance
from connectless.data import DataError
from connectless.transforms.base import Transformation, register_transformation
from connectless.transforms.java_date_format import JavaDateFormat
from connectless.transforms.util import config_error, with_topic

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.records import ConnectRecord

TOPIC_FORMAT = "topic.format"
TIMESTAMP_FORMAT = "timestamp.format"

CONFIG_DEF = (
    ConfigDef()
    .define(
        TOPIC_FORMAT,
        ConfigType.STRING,
        "${topic}-${timestamp}",
        importance=Importance.HIGH,
        documentation="Format string which can contain `${topic}` and `${timestamp}` as placeholders for the topic "
        "and timestamp, respectively.",
    )
    .define(
        TIMESTAMP_FORMAT,
        ConfigType.STRING,
        "yyyyMMdd",
        importance=Importance.HIGH,
        documentation="Format string for the timestamp that is compatible with `java.text.SimpleDateFormat`.",
    )
)


@register_transformation("TimestampRouter")
class TimestampRouter(Transformation):
    OVERVIEW_DOC = (
        "Update the record's topic field as a function of the original topic value and the record timestamp. This is "
        "mainly useful for sink connectors, since the topic field is often used to determine the equivalent entity "
        "name in the destination system(e.g. database table or search index name)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.topic_format: str = config[TOPIC_FORMAT]
        try:
            self.timestamp_format = JavaDateFormat(config[TIMESTAMP_FORMAT])
        except ValueError as exc:
            raise config_error(TIMESTAMP_FORMAT, str(exc), config[TIMESTAMP_FORMAT]) from None

    def apply(self, record: ConnectRecord) -> Any:
        if record.timestamp is None:
            raise DataError(f"Timestamp missing on record: {record}")
        formatted = self.timestamp_format.format(record.timestamp)
        # Topic first, then timestamp, each replaced literally (a topic containing "${timestamp}" is expanded too).
        topic = self.topic_format.replace("${topic}", record.topic).replace("${timestamp}", formatted)
        return with_topic(record, topic)

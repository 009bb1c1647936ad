"""SimpleHeaderConverter (org.apache.kafka.connect.storage.SimpleHeaderConverter): headers as plain text.

Writes a header value as `Values.convertToString` renders it (UTF-8) and reads text back with
`Values.parseString`, inferring the schema: `42` is an int8, `true` a boolean, `[1,2]` an array, `2024-01-31` a
Date. Text that fails to parse falls back to the raw bytes with a bytes schema, as in Kafka.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from connectless.converters.base import HeaderConverter, converter_config_def
from connectless.data.schema import BYTES_SCHEMA
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue
from connectless.data.values_convert import convert_to_string
from connectless.data.values_parse import parse_string
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.data.schema import Schema

log = logging.getLogger(__name__)

CLASS_NAME = "org.apache.kafka.connect.storage.SimpleHeaderConverter"


@register(PluginKind.HEADER_CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "HeaderConverter"))
class SimpleHeaderConverter(HeaderConverter):
    """Kafka Connect's default header converter.

    Example:
        converter = SimpleHeaderConverter()
        converter.to_connect_header("orders", "retries", b"3")  # SchemaAndValue(INT8_SCHEMA, 3)
    """

    CONFIG_DEF = converter_config_def()

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Nothing to configure."""

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        text = convert_to_string(schema, value)
        assert text is not None
        return text.encode("utf-8", "surrogatepass")

    def to_connect_header(self, topic: str, header_key: str, data: bytes | None) -> SchemaAndValue:
        if data is None:
            return NULL_SCHEMA_AND_VALUE
        try:
            return parse_string(bytes(data).decode("utf-8", "replace"))
        except Exception as exc:  # Kafka catches any Throwable here (a stack overflow included)
            log.warning(
                "Failed to deserialize value for header '%s' on topic '%s', so using byte array", header_key, topic
            )
            log.debug("Header parse failure", exc_info=exc)
            return SchemaAndValue(BYTES_SCHEMA, bytes(data))

"""ByteArrayConverter (org.apache.kafka.connect.converters.ByteArrayConverter): bytes pass through untouched."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.converters.base import DataAndHeaderConverter
from connectless.data.errors import DataError
from connectless.data.schema import OPTIONAL_BYTES_SCHEMA, Type
from connectless.data.schema_and_value import SchemaAndValue
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from connectless.data.schema import Schema
    from connectless.records import Headers

CLASS_NAME = "org.apache.kafka.connect.converters.ByteArrayConverter"


@register(PluginKind.HEADER_CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "HeaderConverter"))
@register(PluginKind.CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "Converter"))
class ByteArrayConverter(DataAndHeaderConverter):
    """Kafka Connect's ByteArrayConverter: writes bytes as they are; reads them back with an optional bytes schema."""

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is not None and schema.type is not Type.BYTES:
            raise DataError(f"Invalid schema type for ByteArrayConverter: {schema.type.name}")
        if value is None or type(value) is bytes:
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        raise DataError(f"ByteArrayConverter is not compatible with objects of type {type(value).__name__}")

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        return SchemaAndValue(OPTIONAL_BYTES_SCHEMA, data if data is None or type(data) is bytes else bytes(data))

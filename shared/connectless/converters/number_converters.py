"""The fixed-width converters of org.apache.kafka.connect.converters: Short, Integer, Long, Float, Double, Boolean.

Values are big-endian, as Kafka's ShortSerializer, IntegerSerializer, ... write them; reading always yields the
converter's optional schema. A value whose schema is another number type fails, as the Java value of that
type fails Kafka's serializer (a Cast to int8 before a LongConverter). Deviation: without a schema the float
converters also accept a Python int and FloatConverter a plain float (Java would reject an Integer or a Double
for a Float), since Python code rarely distinguishes 1 from 1.0 or a float's width.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING, Any, ClassVar

from connectless.converters.base import DataAndHeaderConverter
from connectless.data.errors import DataError
from connectless.data.schema import (
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_FLOAT32_SCHEMA,
    OPTIONAL_FLOAT64_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    Type,
)
from connectless.data.schema_and_value import SchemaAndValue
from connectless.data.values_convert import Float32
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from connectless.data.schema import Schema
    from connectless.records import Headers

PACKAGE = "org.apache.kafka.connect.converters."


class NumberConverter(DataAndHeaderConverter):
    """Kafka's NumberConverter: one fixed-width type, written with `struct` format FORMAT."""

    FORMAT: ClassVar[struct.Struct]
    TYPE_NAME: ClassVar[str]  # as Kafka names it in messages: "short", "integer", ...
    DESERIALIZER: ClassVar[str]
    SCHEMA: ClassVar[Schema]

    def _check(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise DataError(f"Failed to serialize to {self.TYPE_NAME} (was {type(value).__name__})")

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        kind = schema.type if schema is not None else _SCHEMALESS.get(type(value))
        if kind in _JAVA_NUMBER_CLASSES and kind is not self.SCHEMA.type:  # Kafka's serializer casts: it fails
            raise DataError(f"Failed to serialize to {self.TYPE_NAME.upper()} (was {_JAVA_NUMBER_CLASSES[kind]})")
        try:
            return self.FORMAT.pack(self._check(value))
        except struct.error as exc:
            raise DataError(f"Failed to serialize to {self.TYPE_NAME}: {exc}") from exc

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if data is None:
            return SchemaAndValue(self.SCHEMA, None)
        if len(data) != self.FORMAT.size:
            raise DataError(
                f"Failed to deserialize {self.TYPE_NAME}: Size of data received by {self.DESERIALIZER} "
                f"is not {self.FORMAT.size}"
            )
        return SchemaAndValue(self.SCHEMA, self.FORMAT.unpack(data)[0])


class _FloatingConverter(NumberConverter):
    def _check(self, value: Any) -> Any:
        if isinstance(value, float):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                return math.copysign(math.inf, value)
        raise DataError(f"Failed to serialize to {self.TYPE_NAME} (was {type(value).__name__})")


_JAVA_NUMBER_CLASSES = {
    Type.INT8: "class java.lang.Byte",
    Type.INT16: "class java.lang.Short",
    Type.INT32: "class java.lang.Integer",
    Type.INT64: "class java.lang.Long",
    Type.FLOAT32: "class java.lang.Float",
    Type.FLOAT64: "class java.lang.Double",
}
_SCHEMALESS = {Float32: Type.FLOAT32}  # the one schemaless value whose Java class is known (a Cast to float32)


def _class(name: str) -> str:
    return PACKAGE + name


def _registered(class_name: str) -> Any:
    """Register as a converter and as a header converter, under Kafka's class name and aliases."""

    def decorate(cls: type) -> type:
        register(PluginKind.CONVERTER, class_name, *default_aliases(class_name, "Converter"))(cls)
        register(PluginKind.HEADER_CONVERTER, class_name, *default_aliases(class_name, "HeaderConverter"))(cls)
        return cls

    return decorate


@_registered(_class("ShortConverter"))
class ShortConverter(NumberConverter):
    """Kafka Connect's ShortConverter: int16 values as 2 big-endian bytes."""

    FORMAT = struct.Struct(">h")
    TYPE_NAME, DESERIALIZER, SCHEMA = "short", "ShortDeserializer", OPTIONAL_INT16_SCHEMA


@_registered(_class("IntegerConverter"))
class IntegerConverter(NumberConverter):
    """Kafka Connect's IntegerConverter: int32 values as 4 big-endian bytes."""

    FORMAT = struct.Struct(">i")
    TYPE_NAME, DESERIALIZER, SCHEMA = "integer", "IntegerDeserializer", OPTIONAL_INT32_SCHEMA


@_registered(_class("LongConverter"))
class LongConverter(NumberConverter):
    """Kafka Connect's LongConverter: int64 values as 8 big-endian bytes."""

    FORMAT = struct.Struct(">q")
    TYPE_NAME, DESERIALIZER, SCHEMA = "long", "LongDeserializer", OPTIONAL_INT64_SCHEMA


@_registered(_class("FloatConverter"))
class FloatConverter(_FloatingConverter):
    """Kafka Connect's FloatConverter: float32 values as 4 big-endian bytes (IEEE 754)."""

    FORMAT = struct.Struct(">f")
    TYPE_NAME, DESERIALIZER, SCHEMA = "float", "FloatDeserializer", OPTIONAL_FLOAT32_SCHEMA


@_registered(_class("DoubleConverter"))
class DoubleConverter(_FloatingConverter):
    """Kafka Connect's DoubleConverter: float64 values as 8 big-endian bytes (IEEE 754)."""

    FORMAT = struct.Struct(">d")
    TYPE_NAME, DESERIALIZER, SCHEMA = "double", "DoubleDeserializer", OPTIONAL_FLOAT64_SCHEMA


BOOLEAN_CLASS_NAME = _class("BooleanConverter")


@_registered(BOOLEAN_CLASS_NAME)
class BooleanConverter(DataAndHeaderConverter):
    """Kafka Connect's BooleanConverter: one byte, 0x01 for true and 0x00 for false."""

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is not None and schema.type is not Type.BOOLEAN:
            raise DataError(f"Invalid schema type for BooleanConverter: {schema.type.name}")
        if value is None:
            return None
        if not isinstance(value, bool):
            raise DataError(f"BooleanConverter is not compatible with objects of type {type(value).__name__}")
        return b"\x01" if value else b"\x00"

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if data is None:
            return SchemaAndValue(OPTIONAL_BOOLEAN_SCHEMA, None)
        if len(data) != 1:
            raise DataError("Failed to deserialize boolean: Size of data received by BooleanDeserializer is not 1")
        if data[0] not in (0, 1):
            raise DataError(
                f"Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: {data[0]}"
            )
        return SchemaAndValue(OPTIONAL_BOOLEAN_SCHEMA, data[0] == 1)

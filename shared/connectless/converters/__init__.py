"""Kafka Connect's converters: Connect data <-> the bytes of Kafka record keys, values and headers.

Importing this package registers every built-in converter with the plugin registry under its Kafka Connect
class name and aliases (e.g. `org.apache.kafka.connect.json.JsonConverter`, `JsonConverter`, `Json`).
"""

from connectless.converters.base import Converter, DataAndHeaderConverter, HeaderConverter
from connectless.converters.bytearray_converter import ByteArrayConverter
from connectless.converters.factory import converters_from_config, create_converter, validate_converter_configs
from connectless.converters.json_converter import JsonConverter
from connectless.converters.number_converters import (
    BooleanConverter,
    DoubleConverter,
    FloatConverter,
    IntegerConverter,
    LongConverter,
    NumberConverter,
    ShortConverter,
)
from connectless.converters.simple_header_converter import SimpleHeaderConverter
from connectless.converters.string_converter import StringConverter

__all__ = [
    "BooleanConverter",
    "ByteArrayConverter",
    "Converter",
    "DataAndHeaderConverter",
    "DoubleConverter",
    "FloatConverter",
    "HeaderConverter",
    "IntegerConverter",
    "JsonConverter",
    "LongConverter",
    "NumberConverter",
    "ShortConverter",
    "SimpleHeaderConverter",
    "StringConverter",
    "converters_from_config",
    "create_converter",
    "validate_converter_configs",
]

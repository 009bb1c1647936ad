"""StringConverter (org.apache.kafka.connect.storage.StringConverter): any value as text, text as a string.

Writing ignores the schema and renders the value as Java's `toString()` would (numbers as Java prints them,
`true`, lists `[a, b]`, maps `{k=v}`, structs `Struct{a=1}`); reading always yields an optional string.
`converter.encoding` (a Java charset name, default UTF-8) sets both directions; `key|value.serializer.encoding`
and `key|value.deserializer.encoding` override one direction, as Kafka's StringSerializer/Deserializer allow.
Malformed input decodes with U+FFFD and unmappable characters encode as `?`, as Java's String does.
Deviation: bytes render as base64 (Java prints an identity hash such as `[B@1b6d3586`).
"""

from __future__ import annotations

import base64
import codecs
import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any, ClassVar

from connectless.config import ConfigError, ConfigType, Importance, Width
from connectless.converters.base import KEY, TYPE_CONFIG, DataAndHeaderConverter, converter_config_def, with_type
from connectless.data.schema import OPTIONAL_STRING_SCHEMA, Type
from connectless.data.schema_and_value import SchemaAndValue
from connectless.data.struct import Struct
from connectless.data.values_convert import Float32, java_decimal_str, java_double_str, java_float_str, java_millis
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.data.schema import Schema
    from connectless.records import Headers

CLASS_NAME = "org.apache.kafka.connect.storage.StringConverter"
ENCODING = "converter.encoding"

CONFIG_DEF = converter_config_def().define(
    ENCODING,
    ConfigType.STRING,
    "UTF-8",
    None,
    Importance.HIGH,
    "The name of the Java character set to use for encoding strings as byte arrays.",
    width=Width.MEDIUM,
    display_name="Encoding",
)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def charset_codec(name: str) -> tuple[Callable[[str], bytes], Callable[[bytes], str]]:
    """(encode, decode) for a Java charset name; ConfigError-free: raises LookupError when unknown."""
    canonical = name.strip().upper().replace("_", "-")
    if canonical in ("UTF-16", "UTF16"):
        # Java writes a big-endian BOM and reads big-endian unless a BOM says otherwise.
        return (lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be", "replace")), _decode_utf16
    if canonical in ("UTF-32", "UTF32"):
        return (lambda text: text.encode("utf-32-be", "replace")), _decode_utf32
    python_name = codecs.lookup(name.strip()).name
    return (lambda text: text.encode(python_name, "replace")), (lambda data: data.decode(python_name, "replace"))


def _decode_utf16(data: bytes) -> str:
    if data[:2] == codecs.BOM_UTF16_LE:
        return data[2:].decode("utf-16-le", "replace")
    if data[:2] == codecs.BOM_UTF16_BE:
        data = data[2:]
    return data.decode("utf-16-be", "replace")


def _decode_utf32(data: bytes) -> str:
    if data[:4] == codecs.BOM_UTF32_LE:
        return data[4:].decode("utf-32-le", "replace")
    if data[:4] == codecs.BOM_UTF32_BE:
        data = data[4:]
    return data.decode("utf-32-be", "replace")


def java_to_string(value: Any, schema: Schema | None = None) -> str:
    """`value.toString()` as Java would print the equivalent Connect value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        single = type(value) is Float32 or (schema is not None and schema.type is Type.FLOAT32)
        return java_float_str(value) if single else java_double_str(value)
    if isinstance(value, decimal.Decimal):
        return java_decimal_str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list | tuple):
        element = schema.value_schema if schema is not None and schema.type is Type.ARRAY else None
        return "[" + ", ".join(_nested(item, element) for item in value) + "]"
    if isinstance(value, dict):
        is_map = schema is not None and schema.type is Type.MAP
        key_schema = schema.key_schema if is_map and schema is not None else None
        value_schema = schema.value_schema if is_map and schema is not None else None
        entries = (f"{_nested(k, key_schema)}={_nested(v, value_schema)}" for k, v in value.items())
        return "{" + ", ".join(entries) + "}"
    if isinstance(value, Struct):
        # Struct#toString lists only the fields that hold a value
        fields = zip(value.schema.fields, value.items(), strict=True)
        return (
            "Struct{"
            + ",".join(f"{f.name}={java_to_string(v, f.schema)}" for f, (_, v) in fields if v is not None)
            + "}"
        )
    millis = java_millis(value)
    if millis is not None and isinstance(value, dt.date | dt.time):
        return _java_date_string(millis)
    return str(value)


def _nested(value: Any, schema: Schema | None) -> str:
    return "null" if value is None else java_to_string(value, schema)


def _java_date_string(millis: int) -> str:
    """java.util.Date#toString in UTC: `Wed Jan 01 00:00:00 UTC 2020`."""
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=millis)
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC {moment.year}"
    )


@register(PluginKind.HEADER_CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "HeaderConverter"))
@register(PluginKind.CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "Converter"))
class StringConverter(DataAndHeaderConverter):
    """Kafka Connect's StringConverter.

    Example:
        converter = StringConverter()
        converter.configure({"converter.encoding": "UTF-16"}, is_key=True)
    """

    CONFIG_DEF: ClassVar = CONFIG_DEF

    def __init__(self) -> None:
        self._configure(self._parse(with_type({}, is_key=False)))

    def _configure(self, props: Mapping[str, Any]) -> None:
        role = "key" if props[TYPE_CONFIG] == KEY else "value"
        encoding = props[ENCODING]
        write_name = props.get(f"{role}.serializer.encoding") or encoding
        read_name = props.get(f"{role}.deserializer.encoding") or encoding
        try:
            self._encode = charset_codec(str(write_name))[0]
        except LookupError:
            raise ConfigError(ENCODING, encoding, f"Unsupported encoding {write_name}") from None
        try:
            self._decode = charset_codec(str(read_name))[1]
        except LookupError:
            raise ConfigError(ENCODING, encoding, f"Unsupported encoding {read_name}") from None

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None:
            return None
        return self._encode(java_to_string(value, schema))

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        return SchemaAndValue(OPTIONAL_STRING_SCHEMA, None if data is None else self._decode(bytes(data)))

"""JsonConverter (org.apache.kafka.connect.json.JsonConverter): JSON with or without the schema envelope.

With `schemas.enable=true` every record is `{"schema":{...},"payload":...}`; the schema text repeats in every
record, so decoded schemas (with their compiled decoders) are cached by the schema's exact bytes, and a record
whose schema bytes equal the previous record's skips straight to parsing the payload. Encoding caches the schema's
JSON bytes and compiled encoder by schema identity. Output matches Jackson's byte for byte, except where noted.

Deviations from Kafka 4.x, all at the edges:
- schemaless values are written by orjson directly: doubles outside [1e-3, 1e7) print as `1e+22`, not `1.0E22`,
  and NaN/infinities as `null`, not `"NaN"` (values with a schema print exactly as Jackson's);
- `"NaN"`, `"Infinity"` and `"-Infinity"` strings in a float field read back as those floats (Kafka reads 0.0);
- a schemaless integer beyond the long range is not wrapped into a long as in Kafka: up to 2**64-1 it stays
  exact, beyond that orjson reads it as the nearest double.
"""

from __future__ import annotations

import decimal
import json
import re
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, cast

import orjson

from connectless.config import ConfigError, ConfigType, Importance, Range, ValidString, Width
from connectless.converters.base import DataAndHeaderConverter, converter_config_def, with_type
from connectless.converters.json_codec import (
    CodecOptions,
    NeedExactNumbersError,
    compile_decoder,
    compile_encoder,
    decode_schemaless,
    encode_schemaless,
    orjson_default,
)
from connectless.converters.json_schema import json_to_schema, schema_to_json
from connectless.data.errors import DataError
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.converters.json_codec import Codec
    from connectless.data.schema import Schema
    from connectless.records import Headers

CLASS_NAME = "org.apache.kafka.connect.json.JsonConverter"
SCHEMAS_ENABLE = "schemas.enable"
SCHEMAS_CACHE_SIZE = "schemas.cache.size"
SCHEMA_CONTENT = "schema.content"
DECIMAL_FORMAT = "decimal.format"
REPLACE_NULL_WITH_DEFAULT = "replace.null.with.default"

CONFIG_DEF = (
    converter_config_def()
    .define(
        SCHEMAS_ENABLE,
        ConfigType.BOOLEAN,
        True,
        None,
        Importance.HIGH,
        "Include schemas within each of the serialized values and keys.",
        group="Schemas",
        order_in_group=0,
        width=Width.MEDIUM,
        display_name="Enable Schemas",
    )
    .define(
        SCHEMAS_CACHE_SIZE,
        ConfigType.INT,
        1000,
        Range.at_least(0),
        Importance.HIGH,
        "The maximum number of schemas that can be cached in this converter instance.",
        group="Schemas",
        order_in_group=1,
        width=Width.MEDIUM,
        display_name="Schema Cache Size",
    )
    .define(
        SCHEMA_CONTENT,
        ConfigType.STRING,
        None,
        None,
        Importance.HIGH,
        "When set, this is used as the schema for all messages, and the schemas within each of the message will "
        "be ignored. Otherwise, the schema will be included in the content of each message. This configuration "
        "applies only 'schemas.enable' is true, and it exclusively affects the sink connector.",
        group="Schemas",
        order_in_group=2,
        width=Width.MEDIUM,
        display_name="Schema Content",
    )
    .define(
        DECIMAL_FORMAT,
        ConfigType.STRING,
        "BASE64",
        ValidString.in_ignore_case("BASE64", "NUMERIC"),
        Importance.LOW,
        "Controls which format this converter will serialize decimals in. This value is case insensitive and "
        "can be either 'BASE64' (default) or 'NUMERIC'",
        group="Serialization",
        order_in_group=0,
        width=Width.MEDIUM,
        display_name="Decimal Format",
    )
    .define(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType.BOOLEAN,
        True,
        None,
        Importance.LOW,
        "Whether to replace fields that have a default value and that are null to the default value. When set "
        "to true, the default value is used, otherwise null is used.",
        group="Serialization",
        order_in_group=1,
        width=Width.MEDIUM,
        display_name="Replace null with default",
    )
)

ENVELOPE_REQUIRED = (
    'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional '
    "fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter "
    "configuration."
)
_READ_FAILED = "Converting byte[] to Kafka Connect data failed due to serialization error: "
_WRITE_FAILED = "Converting Kafka Connect data to byte[] failed due to serialization error: "
_SCHEMA_KEY, _PAYLOAD_KEY = b'{"schema":', b',"payload":'
_NULL_ENVELOPE = b'{"schema":null,"payload":'
# orjson writes control characters as \u001f; Jackson as \u001F. Match only real escapes (even backslash runs).
_LOWER_HEX_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u00([0-9a-f]{2})")
_MISSING: Any = object()  # Jackson's MissingNode: no JSON value at all in the input


# Bytes to digit-or-not, to find a run of 19 digits (an integer that may not fit a long) in one C pass.
_DIGIT_MASK = bytes(0x30 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))
_LONG_DIGITS = b"0" * 19


def read_schemaless(data: bytes) -> Any:
    """The schemaless value of JSON text, as Kafka's JsonConverter reads it.

    orjson.loads when the text cannot hold a number Kafka reads differently: -0.0 (Jackson's BigDecimal
    makes it 0.0) or an integer past 64 bits (a long keeps its low 64 bits); else the exact, slower parse.
    """
    if (b"-" not in data or b"-0" not in data) and _LONG_DIGITS not in data.translate(_DIGIT_MASK):
        return orjson.loads(data)
    tree = _loads_lenient(data, exact=True)
    return None if tree is _MISSING else decode_schemaless(tree)


def read_schemaless_run(datas: Sequence[bytes | None]) -> list[Any]:
    """`read_schemaless` of each of `datas` (None for a null), a run at a time: the check for the numbers only the
    exact parse reads right is made over a few records at once (see _plain_numbers), and orjson.loads is mapped
    over the run from C."""
    present = cast("list[bytes]", [data for data in datas if data is not None] if None in datas else datas)
    read = orjson.loads if _plain_numbers(present) else read_schemaless
    if present is datas:
        return list(map(read, present))
    return [None if data is None else read(data) for data in datas]


# Records joined per check: a run's whole join (~150 KB for 500 records) is a block glibc maps, or grows the heap
# for, and gives back when it is freed, so every run paid page faults; ~20 KB stays in heap memory that is reused.
_CHECK_GROUP = 64


def _plain_numbers(datas: Sequence[bytes]) -> bool:
    """Whether none of `datas` can hold a number Kafka reads differently from orjson (read_schemaless), checked
    `_CHECK_GROUP` records at a time joined by a newline (neither a digit nor "-": no match spans two records).
    "-" is looked for first: memchr, where "-0" is compared at every 0 of the text."""
    for start in range(0, len(datas), _CHECK_GROUP):
        joined = b"\n".join(datas[start : start + _CHECK_GROUP])
        if (b"-" in joined and b"-0" in joined) or _LONG_DIGITS in joined.translate(_DIGIT_MASK):
            return False
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


_EXACT = json.JSONDecoder(parse_float=decimal.Decimal, parse_constant=_reject_constant)


def _jackson_escapes(body: bytes) -> bytes:
    if b"\\u00" not in body:
        return body
    return _LOWER_HEX_ESCAPE.sub(lambda m: m.group(1) + b"\\u00" + m.group(2).upper(), body)


def _loads_lenient(data: bytes, exact: bool = False) -> Any:
    """Parse as Jackson's readTree would: exact decimals, trailing content ignored, empty input -> _MISSING."""
    if not exact:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    try:
        text = data.decode("utf-8").lstrip(" \t\r\n")
        if not text:
            return _MISSING
        scalar = _ROOT_SCALAR.match(text)
        if scalar is not None:
            return _root_scalar(scalar, text, exact)
        return _EXACT.raw_decode(text)[0]
    except ValueError as exc:  # also UnicodeDecodeError
        raise DataError(_READ_FAILED + str(exc)) from exc


# Jackson's root-level scalars: a number (leading zeros allowed, as Kafka's mapper reads `01` as 1; a point needs
# a digit after it) must end at whitespace or the end, a literal at a character that cannot continue a word.
# What follows a structure or a string is ignored, as readTree does.
_ROOT_SCALAR = re.compile(r"(-?\d+(\.\d+)?([eE][+-]?\d+)?)|(true|false|null)")
_LITERALS = {"true": True, "false": False, "null": None}


def _root_scalar(scalar: re.Match[str], text: str, exact: bool) -> Any:
    end = scalar.end()
    follower = text[end : end + 1]
    if scalar.group(4) is not None:
        if follower and (follower.isalnum() or follower in "_$"):
            raise ValueError(
                f"Unrecognized token '{text[: end + 1]}': was expecting (JSON String, Number, true, false, null)"
            )
        return _LITERALS[scalar.group(4)]
    if follower and follower not in " \t\r\n":
        raise ValueError(f"Unexpected character ('{follower}'): Expected space separating root-level values")
    token = scalar.group(1)
    if scalar.group(2) is None and scalar.group(3) is None:
        return int(token)
    return decimal.Decimal(token) if exact else float(token)


class _Encoding(NamedTuple):
    schema: Schema
    prefix: bytes  # b'{"schema":<schema json>,"payload":'
    encode: Codec


class _Decoding(NamedTuple):
    schema: Schema | None
    decode: Codec


_SCHEMALESS = _Decoding(None, decode_schemaless)


@register(PluginKind.HEADER_CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "HeaderConverter"))
@register(PluginKind.CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "Converter"))
class JsonConverter(DataAndHeaderConverter):
    """Kafka Connect's JsonConverter. Unconfigured it behaves as configured with no properties (a value converter).

    Example:
        converter = JsonConverter()
        converter.configure({"schemas.enable": "false"}, is_key=False)
        converter.to_connect_data("orders", b'{"id": 1}')  # SchemaAndValue(schema=None, value={'id': 1})
    """

    CONFIG_DEF: ClassVar = CONFIG_DEF

    def __init__(self) -> None:
        self._configure(self._parse(with_type({}, is_key=False)))

    def _configure(self, props: Mapping[str, Any]) -> None:
        self.schemas_enabled: bool = props[SCHEMAS_ENABLE]
        self.options = CodecOptions(
            decimal_numeric=props[DECIMAL_FORMAT].upper() == "NUMERIC",
            replace_null_with_default=props[REPLACE_NULL_WITH_DEFAULT],
        )
        self._cache_size: int = props[SCHEMAS_CACHE_SIZE]
        self._decodings: dict[bytes, _Decoding] = {}
        self._encodings: dict[Schema, _Encoding] = {}
        self._encodings_by_id: dict[int, _Encoding] = {}
        # The previous record's schema bytes followed by ',"payload":', and what they decode to.
        self._last_head = b"null" + _PAYLOAD_KEY
        self._last_decoding = _SCHEMALESS
        self._content: _Decoding | None = None
        content = props.get(SCHEMA_CONTENT)
        if content and self.schemas_enabled:
            try:
                schema = json_to_schema(_loads_lenient(str(content).encode("utf-8"), exact=True), self.options)
            except (DataError, NeedExactNumbersError) as exc:
                raise ConfigError(SCHEMA_CONTENT, content, f"Invalid schema: {exc}") from exc
            if schema is not None:
                self._content = _Decoding(schema, compile_decoder(schema, self.options))

    # -- Connect -> bytes -----------------------------------------------------------------------
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is None:
            if value is None:
                return None
            try:  # _dumps_schemaless's common case inline: one call per record on a sink's or source's hot path
                body = orjson.dumps(value, default=orjson_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
            except orjson.JSONEncodeError:
                body = self._dumps_schemaless(value)
            else:
                if b"\\u00" in body:
                    body = _jackson_escapes(body)
            return _NULL_ENVELOPE + body + b"}" if self.schemas_enabled else body
        encoding = self._encodings_by_id.get(id(schema))
        if encoding is None or encoding.schema is not schema:
            encoding = self._encoding(schema)
        try:
            body = orjson.dumps(encoding.encode(value))
        except orjson.JSONEncodeError as exc:
            raise DataError(_WRITE_FAILED + str(exc)) from exc
        if b"\\u00" in body:
            body = _jackson_escapes(body)
        return encoding.prefix + body + b"}" if self.schemas_enabled else body

    def _encoding(self, schema: Schema) -> _Encoding:
        encoding = self._encodings.get(schema)
        if encoding is None:
            try:
                schema_json = _jackson_escapes(orjson.dumps(schema_to_json(schema, self.options)))
            except orjson.JSONEncodeError as exc:
                raise DataError(_WRITE_FAILED + str(exc)) from exc
            encoding = _Encoding(
                schema, _SCHEMA_KEY + schema_json + _PAYLOAD_KEY, compile_encoder(schema, self.options)
            )
            if len(self._encodings) >= max(self._cache_size, 1):
                self._encodings.clear()
                self._encodings_by_id.clear()
            self._encodings[schema] = encoding
        if len(self._encodings_by_id) >= 4 * max(self._cache_size, 1):  # many equal copies of one schema
            self._encodings_by_id.clear()
        self._encodings_by_id[id(schema)] = encoding = encoding._replace(schema=schema)
        return encoding

    def _dumps_schemaless(self, value: Any) -> bytes:
        try:
            body = orjson.dumps(value, default=orjson_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
        except orjson.JSONEncodeError as exc:
            if isinstance(exc.__cause__, DataError):
                raise exc.__cause__ from None
            try:  # non-string map keys (written as pairs) or a number orjson refuses
                body = orjson.dumps(encode_schemaless(value))
            except orjson.JSONEncodeError as again:
                raise DataError(_WRITE_FAILED + str(again)) from again
        return _jackson_escapes(body)

    # -- bytes -> Connect -----------------------------------------------------------------------
    def schemaless_reader(self) -> Callable[[bytes], Any] | None:
        """read_schemaless when schemas are off: to_connect_data's fast case (the rest raise and go the long
        way: lenient numbers, empty bytes, non-JSON)."""
        return read_schemaless if not self.schemas_enabled and self._content is None else None

    def schemaless_batch_reader(self) -> Callable[[Sequence[bytes | None]], list[Any]] | None:
        """read_schemaless_run when schemas are off (see schemaless_reader)."""
        return read_schemaless_run if not self.schemas_enabled and self._content is None else None

    def schemaless_reader_pair(self) -> tuple[Callable[[bytes], Any], Callable[[bytes], Any] | None] | None:
        """(orjson.loads, read_schemaless) when schemas are off: read_schemaless's own guard, made by the caller."""
        return (orjson.loads, read_schemaless) if not self.schemas_enabled and self._content is None else None

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if data is None:
            return NULL_SCHEMA_AND_VALUE  # a tombstone
        if type(data) is not bytes:
            data = bytes(data)
        if self._content is not None:
            return self._decode_with(self._content, data)
        if not self.schemas_enabled:
            try:
                return SchemaAndValue(None, read_schemaless(data))
            except orjson.JSONDecodeError:
                tree = _loads_lenient(data, exact=True)
            return NULL_SCHEMA_AND_VALUE if tree is _MISSING else SchemaAndValue(None, decode_schemaless(tree))
        if data.startswith(_SCHEMA_KEY) and data.endswith(b"}"):
            decoding, start = self._cached_decoding(data)
            if decoding is not None:
                try:
                    payload = orjson.loads(memoryview(data)[start:-1])
                except orjson.JSONDecodeError:
                    pass  # the slow path explains the problem
                else:
                    try:
                        return SchemaAndValue(decoding.schema, decoding.decode(payload))
                    except NeedExactNumbersError:
                        exact = _loads_lenient(data[start:-1], exact=True)
                        return SchemaAndValue(decoding.schema, decoding.decode(exact))
        return self._decode_envelope(data)

    def _cached_decoding(self, data: bytes) -> tuple[_Decoding | None, int]:
        """The decoding of a record whose schema bytes were seen before, and where its payload starts."""
        head = self._last_head
        if data.startswith(head, 10):
            return self._last_decoding, 10 + len(head)
        end = data.find(_PAYLOAD_KEY, 10)
        decoding = self._decodings.get(data[10:end]) if end > 0 else None
        if decoding is None:
            return None, 0
        self._last_head, self._last_decoding = data[10:end] + _PAYLOAD_KEY, decoding
        return decoding, end + len(_PAYLOAD_KEY)

    def _decode_envelope(self, data: bytes, exact: bool = False) -> SchemaAndValue:
        tree = _loads_lenient(data, exact)
        if type(tree) is not dict or len(tree) != 2 or "schema" not in tree or "payload" not in tree:
            raise DataError(ENVELOPE_REQUIRED)
        try:
            decoding = self._decoding(tree["schema"], data, exact)
            return SchemaAndValue(decoding.schema, decoding.decode(tree["payload"]))
        except NeedExactNumbersError:
            if exact:
                raise DataError(_READ_FAILED + "a number could not be read exactly") from None
            return self._decode_envelope(data, exact=True)

    def _decoding(self, schema_tree: Any, data: bytes, exact: bool) -> _Decoding:
        key = _schema_key(schema_tree, data, exact)
        decoding = self._decodings.get(key) if key is not None else None
        if decoding is None:
            schema = json_to_schema(schema_tree, self.options)
            decoding = _SCHEMALESS if schema is None else _Decoding(schema, compile_decoder(schema, self.options))
            if key is not None and self._cache_size > 0:
                if len(self._decodings) >= self._cache_size:
                    del self._decodings[next(iter(self._decodings))]
                self._decodings[key] = decoding
        return decoding

    def _decode_with(self, decoding: _Decoding, data: bytes) -> SchemaAndValue:
        # schema.content: the whole record is the payload of that schema.
        tree = _loads_lenient(data)
        if tree is _MISSING:
            tree = None
        try:
            return SchemaAndValue(decoding.schema, decoding.decode(tree))
        except NeedExactNumbersError:
            return SchemaAndValue(decoding.schema, decoding.decode(_loads_lenient(data, exact=True)))


def _schema_key(schema_tree: Any, data: bytes, exact: bool) -> bytes | None:
    """Cache key of a schema: its bytes as they stand in the record when that slice is exactly the schema,
    else a canonical re-serialisation (None when that is impossible: exactly parsed decimals)."""
    if data.startswith(_SCHEMA_KEY):
        end = data.find(_PAYLOAD_KEY, 10)
        if end > 0:
            candidate = data[10:end]
            try:
                if _loads_lenient(candidate, exact) == schema_tree:
                    return candidate
            except DataError:
                pass
    try:
        return orjson.dumps(schema_tree)
    except orjson.JSONEncodeError:
        return None

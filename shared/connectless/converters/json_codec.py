"""Connect values to and from JSON trees (what orjson reads and writes), compiled once per schema.

Mirrors JsonConverter.convertToJson / convertToConnect of Kafka 4.x. A schema compiles to one closure per node,
so the per-record cost is a type check and a call per field. Encoders return objects orjson can serialise;
numbers Jackson prints differently from orjson (float32, doubles outside [1e-3, 1e7), NaN, decimals) become
`orjson.Fragment`s holding Java's text. Decoders narrow numbers as Jackson's JsonNode accessors do
(`(byte) intValue()` wraps, non-numbers read as 0, non-text as null).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from connectless.data import logical
from connectless.data.errors import DataError
from connectless.data.schema import Type
from connectless.data.struct import Struct
from connectless.data.values_convert import (
    Float32,
    date_from_days,
    java_decimal_str,
    java_double_str,
    java_float_str,
    time_from_millis,
    timestamp_from_millis,
    to_float32,
    wrap_int,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.data.schema import Field, Schema

    Codec = Callable[[Any], Any]

_Fragment = orjson.Fragment
_INT_BITS = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}
_SPECIAL_FLOATS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_MEMO_LIMIT = 4096


class NeedExactNumbersError(Exception):
    """A JSON number must be read with all its digits (a Decimal field, an integer field given a fraction).

    orjson reads every fraction as a double; the converter parses the record again keeping decimals exact.
    """


@dataclass(frozen=True, slots=True)
class CodecOptions:
    decimal_numeric: bool = False
    replace_null_with_default: bool = True


def node_type(node: Any) -> str:
    """Jackson's JsonNodeType name of a parsed JSON value, for error messages."""
    if node is None:
        return "NULL"
    if isinstance(node, bool):
        return "BOOLEAN"
    if isinstance(node, int | float | decimal.Decimal):
        return "NUMBER"
    if isinstance(node, str):
        return "STRING"
    return "ARRAY" if isinstance(node, list) else "OBJECT"


def _new_struct(schema: Schema, values: list[Any]) -> Struct:
    # Decoded values already fit their fields, so skip Struct's per-field lookup and validation.
    struct = Struct.__new__(Struct)
    struct.schema = schema
    struct._values = values
    return struct


# -- encoding: Connect value -> JSON tree --------------------------------------------------------
def _memo_fragment(memo: dict[float, Any], value: float, render: Callable[[float], str]) -> Any:
    if value == 0.0:  # 0.0 and -0.0 are one dict key but print differently
        return _Fragment(render(value))
    fragment = memo.get(value)
    if fragment is None:
        text = render(value)
        fragment = _Fragment(f'"{text}"' if text in _SPECIAL_FLOATS else text)  # Jackson quotes NaN
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[value] = fragment
    return fragment


_DOUBLE_MEMO: dict[float, Any] = {}
_FLOAT_MEMO: dict[float, Any] = {}


def json_double(value: float) -> Any:
    """A double as Jackson writes it: orjson agrees inside [1e-3, 1e7); elsewhere Java's text."""
    if 1e-3 <= value < 1e7 or -1e7 < value <= -1e-3 or value == 0.0:
        return value
    return _memo_fragment(_DOUBLE_MEMO, value, java_double_str)


def _invalid_type(label: str, value: Any) -> DataError:
    return DataError(f"Invalid type for {label}: {type(value).__name__}")


def _required_null() -> Any:
    raise DataError("Conversion error: null value for field that is required and has no default value")


def _none() -> None:
    return None


def compile_encoder(schema: Schema, options: CodecOptions) -> Codec:
    """value -> JSON tree for `schema`, null handled as Kafka: default (if replacing), null if optional, error."""
    if options.replace_null_with_default and schema.default is not None:
        default_json = _encoder(schema, options, _required_null)(schema.default)
        return _encoder(schema, options, lambda: default_json)
    return _encoder(schema, options, _none if schema.optional else _required_null)


def _encoder(schema: Schema, options: CodecOptions, on_null: Callable[[], Any]) -> Codec:
    name = schema.name
    if name in logical.LOGICAL_NAMES:
        logical_encoder = _logical_encoder(schema, options, on_null)
        if logical_encoder is not None:
            return logical_encoder
    kind = schema.type
    if kind in _INT_BITS:
        return _int_encoder(kind, on_null)
    if kind is Type.ARRAY:
        return _array_encoder(schema, options, on_null)
    if kind is Type.MAP:
        return _map_encoder(schema, options, on_null)
    if kind is Type.STRUCT:
        return _struct_encoder(schema, options, on_null)
    return _PRIMITIVE_ENCODERS[kind](on_null)


def _int_encoder(kind: Type, on_null: Callable[[], Any]) -> Codec:
    low, high = -(1 << (_INT_BITS[kind] - 1)), (1 << (_INT_BITS[kind] - 1)) - 1
    label = kind.name

    def encode(value: Any) -> Any:
        if type(value) is int and low <= value <= high:
            return value
        if value is None:
            return on_null()
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return int(value)
        raise _invalid_type(label, value)

    return encode


def _boolean_encoder(on_null: Callable[[], Any]) -> Codec:
    def encode(value: Any) -> Any:
        if value is True or value is False:
            return value
        if value is None:
            return on_null()
        raise _invalid_type("BOOLEAN", value)

    return encode


def _string_encoder(on_null: Callable[[], Any]) -> Codec:
    def encode(value: Any) -> Any:
        if type(value) is str:
            return value
        if value is None:
            return on_null()
        if isinstance(value, str):
            return str(value)
        raise _invalid_type("STRING", value)

    return encode


def _double_encoder(on_null: Callable[[], Any]) -> Codec:
    def encode(value: Any) -> Any:
        if type(value) is float:
            if 1e-3 <= value < 1e7 or -1e7 < value <= -1e-3 or value == 0.0:
                return value
            return _memo_fragment(_DOUBLE_MEMO, value, java_double_str)
        if value is None:
            return on_null()
        if isinstance(value, float):
            return json_double(float(value))
        raise _invalid_type("FLOAT64", value)

    return encode


def _float_encoder(on_null: Callable[[], Any]) -> Codec:
    def encode(value: Any) -> Any:
        if isinstance(value, float):
            return _memo_fragment(_FLOAT_MEMO, float(value), java_float_str)
        if value is None:
            return on_null()
        raise _invalid_type("FLOAT32", value)

    return encode


def _bytes_encoder(on_null: Callable[[], Any]) -> Codec:
    def encode(value: Any) -> Any:
        if isinstance(value, bytes | bytearray | memoryview):
            return base64.b64encode(value).decode("ascii")
        if value is None:
            return on_null()
        raise _invalid_type("BYTES", value)

    return encode


_PRIMITIVE_ENCODERS = {
    Type.BOOLEAN: _boolean_encoder,
    Type.STRING: _string_encoder,
    Type.FLOAT64: _double_encoder,
    Type.FLOAT32: _float_encoder,
    Type.BYTES: _bytes_encoder,
}


def _array_encoder(schema: Schema, options: CodecOptions, on_null: Callable[[], Any]) -> Codec:
    item = compile_encoder(schema.value_schema, options) if schema.value_schema is not None else encode_schemaless

    def encode(value: Any) -> Any:
        if type(value) is list or isinstance(value, list | tuple):
            return [item(element) for element in value]
        if value is None:
            return on_null()
        raise _invalid_type("ARRAY", value)

    return encode


def _map_encoder(schema: Schema, options: CodecOptions, on_null: Callable[[], Any]) -> Codec:
    key_schema, value_schema = schema.key_schema, schema.value_schema
    key = compile_encoder(key_schema, options) if key_schema is not None else encode_schemaless
    item = compile_encoder(value_schema, options) if value_schema is not None else encode_schemaless

    if key_schema is not None and key_schema.type is Type.STRING:

        def key_text(raw: Any) -> str:
            encoded = key(raw)  # JsonNode#asText: a null key (optional schema) is written "null"
            return "null" if encoded is None else encoded

        def encode(value: Any) -> Any:
            if isinstance(value, dict):
                return {(k if type(k) is str else key_text(k)): item(v) for k, v in value.items()}
            if value is None:
                return on_null()
            raise _invalid_type("MAP", value)

        return encode

    def encode_pairs(value: Any) -> Any:
        # Keys that are not strings cannot be JSON object keys: Kafka writes [[key, value], ...].
        if isinstance(value, dict):
            return [[key(k), item(v)] for k, v in value.items()]
        if value is None:
            return on_null()
        raise _invalid_type("MAP", value)

    return encode_pairs


def _struct_encoder(schema: Schema, options: CodecOptions, on_null: Callable[[], Any]) -> Codec:
    fields = tuple((f.name, compile_encoder(f.schema, options)) for f in schema.fields)
    # The last equal-but-distinct schema seen (a decoded copy, say): spares a deep comparison per record.
    seen = [schema]

    def encode(value: Any) -> Any:
        if isinstance(value, Struct) and (value.schema is schema or value.schema is seen[0] or _same(value.schema)):
            # Kafka 3.5+ reads struct fields without their defaults; the field encoder applies
            # replace.null.with.default itself.
            return {name: enc(raw) for (name, enc), raw in zip(fields, value._values, strict=True)}
        if value is None:
            return on_null()
        raise DataError("Mismatching schema.")

    def _same(other: Schema) -> bool:
        if other == schema:
            seen[0] = other
            return True
        return False

    return encode


def _logical_encoder(schema: Schema, options: CodecOptions, on_null: Callable[[], Any]) -> Codec | None:
    name = schema.name  # Kafka picks a logical converter by the schema's name alone, whatever its type
    if name == logical.DECIMAL_NAME:
        numeric = options.decimal_numeric

        def encode_decimal(value: Any) -> Any:
            if isinstance(value, decimal.Decimal):
                if numeric:
                    return _Fragment(java_decimal_str(value))
                return base64.b64encode(logical.decimal_to_bytes(schema, value)).decode("ascii")
            if value is None:
                return on_null()
            raise DataError(f"Invalid type for Decimal, expected Decimal but was {type(value).__name__}")

        return encode_decimal
    if name == logical.DATE_NAME:
        return _temporal_encoder("Date", dt.date, logical.date_to_days, on_null)
    if name == logical.TIME_NAME:
        return _temporal_encoder("Time", dt.time, logical.time_to_millis, on_null)
    if name == logical.TIMESTAMP_NAME:
        return _temporal_encoder("Timestamp", dt.datetime, logical.timestamp_to_millis, on_null)
    return None


def _temporal_encoder(label: str, kind: type, to_number: Callable[[Any], int], on_null: Callable[[], Any]) -> Codec:
    def encode(value: Any) -> Any:
        if isinstance(value, kind):
            return to_number(value)
        if value is None:
            return on_null()
        raise DataError(f"Invalid type for {label}, expected {kind.__name__} but was {type(value).__name__}")

    return encode


# -- schemaless encoding -----------------------------------------------------------------------
def _no_schema_type(value: Any) -> DataError:
    return DataError(f"Python type {type(value).__name__} does not have corresponding schema type.")


def orjson_default(value: Any) -> Any:
    """orjson's fallback for types it does not write itself, as Kafka treats them without a schema."""
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if type(value) is Float32:  # orjson writes only exact floats
        return _memo_fragment(_FLOAT_MEMO, float(value), java_float_str)
    if isinstance(value, Struct):
        raise DataError("Mismatching schema.")  # Kafka cannot write a Struct without its schema
    raise _no_schema_type(value)


def encode_schemaless(value: Any) -> Any:
    """A JSON tree for a value without a schema; maps with any non-string key become [[k, v], ...]."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return value
        raise _no_schema_type(value)
    if isinstance(value, float):
        if type(value) is Float32:  # Jackson writes a Float as Float.toString: 0.1, not 0.10000000149011612
            return _memo_fragment(_FLOAT_MEMO, float(value), java_float_str)
        return json_double(value)
    if isinstance(value, list | tuple):
        return [encode_schemaless(item) for item in value]
    if isinstance(value, dict):
        if all(type(k) is str for k in value):
            return {k: encode_schemaless(v) for k, v in value.items()}
        return [[encode_schemaless(k), encode_schemaless(v)] for k, v in value.items()]
    return orjson_default(value)


# -- decoding: JSON tree -> Connect value ---------------------------------------------------------
def _null_decoding(schema: Schema, options: CodecOptions) -> Callable[[], Any]:
    if options.replace_null_with_default and schema.default is not None:
        default = schema.default  # already a Connect value: no logical conversion again
        return lambda: default
    if schema.optional:
        return _none
    message = f"Invalid null value for required {schema.type.name} field"

    def required() -> Any:
        raise DataError(message)

    return required


def compile_decoder(schema: Schema, options: CodecOptions) -> Codec:
    """JSON tree -> Connect value for `schema` (JsonConverter.convertToConnect)."""
    on_null = _null_decoding(schema, options)
    if schema.name in logical.LOGICAL_NAMES:
        logical_decoder = _logical_decoder(schema, on_null)
        if logical_decoder is not None:
            return logical_decoder
    kind = schema.type
    if kind in _INT_BITS:
        return _int_decoder(_INT_BITS[kind], on_null)
    if kind is Type.ARRAY:
        return _array_decoder(schema, options, on_null)
    if kind is Type.MAP:
        return _map_decoder(schema, options, on_null)
    if kind is Type.STRUCT:
        return _struct_decoder(schema, options, on_null)
    return _PRIMITIVE_DECODERS[kind](on_null)


def _java_integer(node: Any) -> int:
    """The integer JsonNode#longValue starts from: numbers truncate toward zero, non-numbers are 0."""
    if isinstance(node, bool):
        return 0
    if isinstance(node, int):
        return node
    if isinstance(node, float):
        raise NeedExactNumbersError  # truncating the decimal text, not its nearest double, decides the bits
    if isinstance(node, decimal.Decimal) and node.is_finite():
        return int(node)
    return 0


def _int_decoder(bits: int, on_null: Callable[[], Any]) -> Codec:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def decode(node: Any) -> Any:
        if type(node) is int and low <= node <= high:
            return node
        if node is None:
            return on_null()
        return wrap_int(_java_integer(node), bits)

    return decode


_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1


def _java_double(node: Any) -> float:
    if isinstance(node, bool):
        return 0.0
    if isinstance(node, int | float | decimal.Decimal):
        return float(node) + 0.0  # BigDecimal has no -0.0
    # Jackson writes NaN and infinities as strings; read them back (Kafka itself reads 0.0).
    return _SPECIAL_FLOATS.get(node, 0.0) if isinstance(node, str) else 0.0


def _double_decoder(on_null: Callable[[], Any]) -> Codec:
    def decode(node: Any) -> Any:
        if type(node) is float:
            return node + 0.0  # Jackson reads JSON decimals as BigDecimal, which has no -0.0
        if node is None:
            return on_null()
        return _java_double(node)

    return decode


def _float_decoder(on_null: Callable[[], Any]) -> Codec:
    def decode(node: Any) -> Any:
        if node is None:
            return on_null()
        return to_float32(node + 0.0 if type(node) is float else _java_double(node))

    return decode


def _boolean_decoder(on_null: Callable[[], Any]) -> Codec:
    def decode(node: Any) -> Any:
        if node is True or node is False:
            return node
        if node is None:
            return on_null()
        return False  # JsonNode#booleanValue of anything else

    return decode


def _string_decoder(on_null: Callable[[], Any]) -> Codec:
    def decode(node: Any) -> Any:
        if type(node) is str:
            return node
        if node is None:
            return on_null()
        return None  # JsonNode#textValue of a non-text node

    return decode


def decode_base64(node: str) -> bytes:
    try:
        return base64.b64decode(node, validate=True)
    except (binascii.Error, ValueError):
        raise DataError("Invalid bytes field") from None


def _bytes_decoder(on_null: Callable[[], Any]) -> Codec:
    def decode(node: Any) -> Any:
        if type(node) is str:
            return decode_base64(node)
        if node is None:
            return on_null()
        return None  # JsonNode#binaryValue of a non-text node

    return decode


_PRIMITIVE_DECODERS = {
    Type.BOOLEAN: _boolean_decoder,
    Type.STRING: _string_decoder,
    Type.FLOAT64: _double_decoder,
    Type.FLOAT32: _float_decoder,
    Type.BYTES: _bytes_decoder,
}


def _array_decoder(schema: Schema, options: CodecOptions, on_null: Callable[[], Any]) -> Codec:
    item = compile_decoder(schema.value_schema, options) if schema.value_schema is not None else decode_schemaless

    def decode(node: Any) -> Any:
        if type(node) is list:
            return [item(element) for element in node]
        if node is None:
            return on_null()
        # Jackson iterates an object's values, and nothing for a scalar.
        return [item(element) for element in node.values()] if type(node) is dict else []

    return decode


def _map_decoder(schema: Schema, options: CodecOptions, on_null: Callable[[], Any]) -> Codec:
    key_schema, value_schema = schema.key_schema, schema.value_schema
    item = compile_decoder(value_schema, options) if value_schema is not None else decode_schemaless
    if key_schema is None or key_schema.type is Type.STRING:

        def decode(node: Any) -> Any:
            if type(node) is dict:
                return {k: item(v) for k, v in node.items()}
            if node is None:
                return on_null()
            raise DataError(f"Maps with string fields should be encoded as JSON objects, but found {node_type(node)}")

        return decode

    key = compile_decoder(key_schema, options)

    def decode_pairs(node: Any) -> Any:
        if node is None:
            return on_null()
        if type(node) is not list:
            raise DataError(
                f"Maps with non-string fields should be encoded as JSON array of tuples, but found {node_type(node)}"
            )
        result = {}
        for entry in node:
            if type(entry) is not list:
                raise DataError(f"Found invalid map entry instead of array tuple: {node_type(entry)}")
            if len(entry) != 2:
                raise DataError(f"Found invalid map entry, expected length 2 but found :{len(entry)}")
            result[_map_key(key(entry[0]))] = item(entry[1])
        return result

    return decode_pairs


def _map_key(key: Any) -> Any:
    if isinstance(key, list):
        return tuple(_map_key(k) for k in key)  # a Python dict key must be hashable
    if isinstance(key, dict):
        raise DataError("A map cannot be the key of a map in Python")
    return key


def _may_read_null(field: Field) -> bool:
    """A required field whose decoder can still return None: text/bytes given another JSON type."""
    schema = field.schema
    return not schema.optional and schema.type in (Type.STRING, Type.BYTES) and schema.name != logical.DECIMAL_NAME


def _struct_decoder(schema: Schema, options: CodecOptions, on_null: Callable[[], Any]) -> Codec:
    fields = tuple((f.name, compile_decoder(f.schema, options)) for f in schema.fields)
    checks = tuple((f.index, f.name, f.schema.type.name) for f in schema.fields if _may_read_null(f))

    def decode(node: Any) -> Any:
        if type(node) is dict:
            get = node.get
            values = [dec(get(name)) for name, dec in fields]
            for index, name, type_name in checks:
                if values[index] is None:  # Struct#put validates, as in Kafka
                    raise DataError(f'Invalid value: null used for required field: "{name}", schema type: {type_name}')
            return _new_struct(schema, values)
        if node is None:
            return on_null()
        raise DataError(f"Structs should be encoded as JSON objects, but found {node_type(node)}")

    return decode


def _logical_decoder(schema: Schema, on_null: Callable[[], Any]) -> Codec | None:
    name = schema.name  # by name alone, as Kafka's LOGICAL_CONVERTERS
    if name == logical.DECIMAL_NAME:
        return _decimal_decoder(schema, on_null)
    if name == logical.DATE_NAME:
        return _temporal_decoder("Date", "integer", 32, date_from_days, on_null)
    if name == logical.TIME_NAME:
        return _temporal_decoder("Time", "integer", 32, time_from_millis, on_null)
    if name == logical.TIMESTAMP_NAME:
        return _temporal_decoder("Timestamp", "integral", 64, timestamp_from_millis, on_null)
    return None


def _decimal_decoder(schema: Schema, on_null: Callable[[], Any]) -> Codec:
    def decode(node: Any) -> Any:
        if type(node) is str:
            try:
                return logical.decimal_from_bytes(schema, base64.b64decode(node, validate=True))
            except (binascii.Error, ValueError):
                raise DataError("Invalid bytes for Decimal field") from None
        if node is None:
            return on_null()
        if type(node) is int:
            return decimal.Decimal(node)
        if type(node) is float:
            raise NeedExactNumbersError  # keep every digit and the scale of the JSON text
        if isinstance(node, decimal.Decimal):
            return node
        raise DataError(
            f"Invalid type for Decimal, underlying representation should be numeric or bytes but was {node_type(node)}"
        )

    return decode


def _temporal_decoder(
    label: str, expected: str, bits: int, to_logical: Callable[[int], Any], on_null: Callable[[], Any]
) -> Codec:
    # Date and Time need a JSON int (Jackson's IntNode: 32 bits); Timestamp takes any integer, as a long.
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def decode(node: Any) -> Any:
        if type(node) is int:
            if low <= node <= high:
                return to_logical(node)
            if bits == 64:
                return to_logical(wrap_int(node, 64))
        if node is None:
            return on_null()
        raise DataError(
            f"Invalid type for {label}, underlying representation should be {expected} but was {node_type(node)}"
        )

    return decode


def decode_schemaless(node: Any) -> Any:
    """Without a schema the JSON tree is the value, numbers as Kafka's JsonConverter reads them: an integer
    is a long (BigInteger#longValue keeps the low 64 bits of a larger one) and a decimal goes through
    BigDecimal to a double (so -0.0 reads as 0.0)."""
    if isinstance(node, decimal.Decimal):
        return float(node) + 0.0
    if type(node) is int:
        return node if _LONG_MIN <= node <= _LONG_MAX else wrap_int(node, 64)
    if type(node) is list:
        return [decode_schemaless(item) for item in node]
    if type(node) is dict:
        return {k: decode_schemaless(v) for k, v in node.items()}
    return node


def has_exact_numbers(node: Any) -> bool:
    if isinstance(node, decimal.Decimal):
        return True
    if type(node) is list:
        return any(has_exact_numbers(item) for item in node)
    if type(node) is dict:
        return any(has_exact_numbers(item) for item in node.values())
    return False

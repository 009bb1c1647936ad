"""Cast: change the type of top-level fields, or of the whole key/value, with Java's conversion rules."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import re
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigError, ConfigType, Importance
from connectless.config.validators import Validator
from connectless.data import DataError, SchemaBuilder, SchemaBuilderError, Struct, Type, logical, validate_value
from connectless.data.values_convert import (
    CLASS_TYPES,
    Float32,
    decimal_to_float32,
    double_to_long,
    java_double_str,
    java_float_str,
    to_float32,
    wrap_int,
)
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
    config_error,
    copy_schema_basics,
    define_replace_null_with_default,
    require_map,
    require_struct,
    struct_of,
    struct_values_with_defaults,
    type_name,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.data import Schema
    from connectless.records import ConnectRecord

SPEC_CONFIG = "spec"
PURPOSE = "cast types"
WHOLE_VALUE = ""  # key of the whole-value cast in the parsed spec (not a valid field name)

_INPUT_TYPES = (
    Type.INT8,
    Type.INT16,
    Type.INT32,
    Type.INT64,
    Type.FLOAT32,
    Type.FLOAT64,
    Type.BOOLEAN,
    Type.STRING,
    Type.BYTES,
)
_OUTPUT_TYPES = _INPUT_TYPES[:-1]
_JAVA_NAMES = {t: t.name for t in Type}


def _java_set(types: tuple[Type, ...]) -> str:
    return "[" + ", ".join(_JAVA_NAMES[t] for t in types) + "]"


def _parse_type(name: str) -> Type:
    try:
        return Type[name.strip().upper()]
    except KeyError:
        raise config_error(SPEC_CONFIG, f"Invalid type found in casting spec: {name.strip()}", name) from None


def _output_type(schema_type: Type) -> Type:
    if schema_type not in _OUTPUT_TYPES:
        raise config_error(
            SPEC_CONFIG,
            f"Cast transformation does not support casting to {schema_type.name}; "
            f"supported types are {_java_set(_OUTPUT_TYPES)}",
        )
    return schema_type


def parse_spec(mappings: list[str]) -> dict[str, Type]:
    """`field:type` pairs, or a single `type` for the whole value (stored under WHOLE_VALUE)."""
    if not mappings:
        raise config_error(SPEC_CONFIG, "Must specify at least one field to cast.", mappings)
    casts: dict[str, Type] = {}
    for mapping in mappings:
        parts = mapping.split(":")
        if len(parts) > 2:
            raise ConfigError(SPEC_CONFIG, mappings, f"Invalid rename mapping: {mapping}")
        if len(parts) == 1:
            casts[WHOLE_VALUE] = _output_type(_parse_type(parts[0]))
        else:
            casts[parts[0].strip()] = _output_type(_parse_type(parts[1]))
    if WHOLE_VALUE in casts and len(mappings) > 1:
        raise config_error(
            SPEC_CONFIG,
            "Cast transformations that specify a type to cast the entire value to may ony specify a single cast in "
            "their spec",
        )
    return casts


class _SpecValidator(Validator):
    def ensure_valid(self, name: str, value: Any) -> None:
        parse_spec(value or [])

    def __str__(self) -> str:
        return "list of colon-delimited pairs, e.g. `foo:bar,abc:xyz`"


CONFIG_DEF = ConfigDef().define(
    SPEC_CONFIG,
    ConfigType.LIST,
    validator=_SpecValidator(),
    importance=Importance.HIGH,
    documentation="List of fields and the type to cast them to of the form field1:type,field2:type to cast fields "
    "of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, "
    "float64, boolean, and string. Note that binary fields can only be cast to string.",
)
define_replace_null_with_default(CONFIG_DEF)


# -- value conversions (Java's Number.xxxValue(), Boolean, String parsing) ------------------------------
def _schemaless_type(value: Any) -> Type | None:
    """The Connect type of a schemaless value, or None when Connect has no type for its class."""
    if isinstance(value, bool):
        return Type.BOOLEAN
    if isinstance(value, int):
        return Type.INT64
    found = CLASS_TYPES.get(type(value))
    if found is not None:
        return found
    if isinstance(value, list):
        return Type.ARRAY
    if isinstance(value, dict):
        return Type.MAP
    if isinstance(value, Struct):
        return Type.STRUCT
    return None


def _as_integer(value: Any, bits: int) -> int:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return wrap_int(value, bits)
    if isinstance(value, float):
        # Java: (int)/(long) saturate, narrower widths then wrap the int.
        whole = double_to_long(value)
        return wrap_int(max(-(2**31), min(2**31 - 1, whole)), bits) if bits < 64 else whole
    if isinstance(value, decimal.Decimal):
        return wrap_int(int(value), bits)
    if isinstance(value, str):
        return _parse_java_integer(value, bits)
    raise DataError(f"Unexpected type in Cast transformation: {type_name(value)}")


_JAVA_INTEGER = re.compile(r"[+-]?\d+")
_JAVA_FLOAT = re.compile(r"\s*[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?\s*")


def _parse_java_integer(text: str, bits: int) -> int:
    if not _JAVA_INTEGER.fullmatch(text):
        raise ValueError(text)
    number = int(text)
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise ValueError(text)
    return number


def _as_float(value: Any, single: bool) -> float:
    if isinstance(value, bool):
        result = 1.0 if value else 0.0
    elif isinstance(value, int | float | decimal.Decimal):
        result = float(value)
    elif isinstance(value, str):
        if not _JAVA_FLOAT.fullmatch(value):
            raise ValueError(value)
        text = value.strip().rstrip("fFdD")
        if single and "N" not in text and "I" not in text:  # Float.valueOf rounds the decimal to a float once
            return decimal_to_float32(decimal.Decimal(text))
        result = float(text)
    else:
        raise DataError(f"Unexpected type in Cast transformation: {type_name(value)}")
    return to_float32(result) if single else result


def _as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return (double_to_long(float(value)) if isinstance(value, float) else int(value)) != 0
    if isinstance(value, str):
        return value.lower() == "true"
    raise DataError(f"Unexpected type in Cast transformation: {type_name(value)}")


def _date_string(millis: int) -> str:
    # Values.dateFormatFor: a time before 1970-01-02 looks like a Time, a whole day like a Date.
    moment = logical.EPOCH + dt.timedelta(milliseconds=millis)
    time_part = f"{moment:%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    if millis < logical.MILLIS_PER_DAY:
        return time_part
    if millis % logical.MILLIS_PER_DAY == 0:
        return f"{moment.year:04d}-{moment:%m-%d}"
    return f"{moment.year:04d}-{moment:%m-%d}T{time_part}"


def _as_string(value: Any, schema_type: Type | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        single = schema_type is Type.FLOAT32 or type(value) is Float32
        return java_float_str(value) if single else java_double_str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime):
        return _date_string(logical.timestamp_to_millis(value))
    if isinstance(value, dt.date):
        return _date_string(logical.date_to_days(value) * logical.MILLIS_PER_DAY)
    if isinstance(value, dt.time):
        return _date_string(logical.time_to_millis(value))
    return str(value)


def cast_value(schema: Schema | None, value: Any, target: Type) -> Any:
    """`value` (of `schema`, or inferred when None) cast to `target`."""
    if value is None:
        return None
    source = schema.type if schema is not None else _schemaless_type(value)
    if source is None:
        raise DataError(
            f"Cast transformation was passed a value of type {type_name(value)} which is not supported by "
            "Connect's data API"
        )
    if source not in _INPUT_TYPES:
        raise DataError(
            f"Cast transformation does not support casting from {source.name}; supported types are "
            f"{_java_set(_INPUT_TYPES)}"
        )
    if schema is not None and schema.name is not None and target is not Type.STRING:
        value = _encode_logical(schema, value)
    try:
        result = _CASTS[target](value, schema.type if schema is not None else None)
    except DataError:
        raise
    except (ValueError, OverflowError):
        raise DataError(f"Value ({value}) was out of range for requested data type") from None
    # Without a schema only the value's class tells a Float from a Double (Kafka's JsonConverter writes 0.1)
    return Float32(result) if schema is None and target is Type.FLOAT32 else result


def _encode_logical(schema: Schema, value: Any) -> Any:
    """Date/Time/Timestamp become their int32/int64 encodings before a numeric cast (Decimal stays a number)."""
    if schema.name in (logical.DATE_NAME, logical.TIME_NAME, logical.TIMESTAMP_NAME):
        return logical.from_logical(schema, value)
    return value


_CASTS: dict[Type, Any] = {
    Type.INT8: lambda v, _s: _as_integer(v, 8),
    Type.INT16: lambda v, _s: _as_integer(v, 16),
    Type.INT32: lambda v, _s: _as_integer(v, 32),
    Type.INT64: lambda v, _s: _as_integer(v, 64),
    Type.FLOAT32: lambda v, _s: _as_float(v, True),
    Type.FLOAT64: lambda v, _s: _as_float(v, False),
    Type.BOOLEAN: lambda v, _s: _as_boolean(v),
    Type.STRING: _as_string,
}


class Cast(OperandRewrite):
    OVERVIEW_DOC = (
        "Cast fields or the entire key or value to a specific type, e.g. to force an integer field to a smaller "
        "width. Cast from integers, floats, boolean and string to any other type, and cast binary to string (base64 "
        "encoded). Use the concrete transformation type designed for the record key "
        "(`org.apache.kafka.connect.transforms.Cast$Key`) or value (`org.apache.kafka.connect.transforms.Cast$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.casts = parse_spec(config[SPEC_CONFIG])
        self.whole_value_type = self.casts.get(WHOLE_VALUE)
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]
        self._cache: SchemaUpdateCache[Schema] = SchemaUpdateCache()

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        if value is None:
            return schema, value
        if schema is None:
            if self.whole_value_type is not None:
                return None, cast_value(None, value, self.whole_value_type)
            updated = dict(require_map(value, PURPOSE))
            for name, target in self.casts.items():
                updated[name] = cast_value(None, updated.get(name), target)
            return None, updated
        updated_schema = self._cache.get(schema) or self._cache.put(schema, self._updated_schema(schema))
        if self.whole_value_type is not None:
            return updated_schema, cast_value(schema, value, self.whole_value_type)
        struct = require_struct(value, PURPOSE)
        values = struct_values_with_defaults(struct, self.replace_null_with_default)
        for f in struct.schema.fields:
            cast_to = self.casts.get(f.name)
            if cast_to is not None:
                values[f.index] = cast_value(f.schema, values[f.index], cast_to)
        return updated_schema, struct_of(updated_schema, values)

    def _updated_schema(self, schema: Schema) -> Schema:
        whole = self.whole_value_type
        if whole is not None:
            builder = copy_schema_basics(schema, SchemaBuilder.of(whole))
        else:
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            for f in schema.fields:
                target = self.casts.get(f.name)
                if target is None:
                    builder.field(f.name, f.schema)
                    continue
                field_builder = SchemaBuilder.of(target)
                if f.schema.optional:
                    field_builder.optional()
                if f.schema.default is not None:
                    _set_default(field_builder, cast_value(f.schema, f.schema.default, target))
                builder.field(f.name, field_builder.build())
        if schema.optional:
            builder.optional()
        if schema.default is not None:
            # As in Kafka, a struct default cannot be cast (STRUCT is no cast input) and fails here.
            _set_default(builder, cast_value(schema, schema.default, builder.type))
        return builder.build()

    def close(self) -> None:
        self._cache.clear()


def _set_default(builder: SchemaBuilder, value: Any) -> None:
    """SchemaBuilder#defaultValue: the default must fit the schema so far, its logical name included (a Date
    default cast to int8 under the Date name Cast keeps is no Date)."""
    try:
        validate_value(builder.build(), value)
    except DataError as exc:
        raise SchemaBuilderError("Invalid default value") from exc
    builder.default_value(value)


class CastKey(KeyOperand, Cast):
    pass


class CastValue(ValueOperand, Cast):
    pass


register_variants(Cast, CastKey, CastValue)

"""Validation of values against schemas, and schema inference for schemaless values."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from connectless.data import logical
from connectless.data.errors import DataError
from connectless.data.schema import Schema, SchemaBuilder, Type

if TYPE_CHECKING:
    from collections.abc import Callable

_INT_BOUNDS = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_PRIMITIVE_CHECKS: dict[Type, Callable[[Any], bool]] = {
    Type.INT8: _is_int,
    Type.INT16: _is_int,
    Type.INT32: _is_int,
    Type.INT64: _is_int,
    Type.FLOAT32: lambda v: isinstance(v, float),
    Type.FLOAT64: lambda v: isinstance(v, float),
    Type.BOOLEAN: lambda v: isinstance(v, bool),
    Type.STRING: lambda v: isinstance(v, str),
    Type.BYTES: lambda v: isinstance(v, bytes | bytearray | memoryview),
}


_LOGICAL_CLASSES: dict[str | None, type] = {
    logical.DECIMAL_NAME: decimal.Decimal,
    logical.DATE_NAME: dt.date,
    logical.TIME_NAME: dt.time,
    logical.TIMESTAMP_NAME: dt.datetime,
}


def validate_value(schema: Schema, value: Any, field_name: str | None = None) -> None:
    """Raise DataError when `value` does not fit `schema` (Kafka Connect's ConnectSchema.validateValue)."""
    if value is None:
        if not schema.optional and schema.default is None:
            where = f' for field: "{field_name}"' if field_name else ""
            raise DataError(f"Invalid value: null used for required field{where}, schema type: {schema.type.value}")
        return
    # As ConnectSchema#validateValue: the class a logical name expects, whatever the type (Cast keeps the name).
    logical_type = _LOGICAL_CLASSES.get(schema.name) if schema.name else None
    if logical_type is not None:
        if not isinstance(value, logical_type) or (logical_type is dt.date and isinstance(value, dt.datetime)):
            raise DataError(
                f'Invalid value for schema "{schema.name}" with type {schema.type.value}: '
                f"{type(value).__name__}" + (f' for field: "{field_name}"' if field_name else "")
            )
        return
    check = _PRIMITIVE_CHECKS.get(schema.type)
    if check is not None:
        if not check(value):
            raise DataError(
                f"Invalid value for schema with type {schema.type.value}: {type(value).__name__}"
                + (f' for field: "{field_name}"' if field_name else "")
            )
        bounds = _INT_BOUNDS.get(schema.type)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise DataError(f"Value {value} out of range for schema type {schema.type.value}")
        return
    _validate_container(schema, value, field_name)


def _validate_container(schema: Schema, value: Any, field_name: str | None) -> None:
    from connectless.data.struct import Struct

    if schema.type is Type.STRUCT:
        if not isinstance(value, Struct):
            raise DataError(f"Invalid value for schema with type struct: {type(value).__name__}")
        if value.schema is not schema and value.schema != schema:
            raise DataError("Struct schemas do not match.")
        value.validate()
    elif schema.type is Type.ARRAY:
        if not isinstance(value, list | tuple):
            raise DataError(f"Invalid value for schema with type array: {type(value).__name__}")
        assert schema.value_schema is not None
        for item in value:
            validate_value(schema.value_schema, item, field_name)
    elif schema.type is Type.MAP:
        if not isinstance(value, dict):
            raise DataError(f"Invalid value for schema with type map: {type(value).__name__}")
        assert schema.key_schema is not None and schema.value_schema is not None
        for key, item in value.items():
            validate_value(schema.key_schema, key, field_name)
            validate_value(schema.value_schema, item, field_name)


def infer_schema(value: Any) -> Schema | None:
    """Best-effort schema of a schemaless value (Kafka Connect's Values.inferSchema); None when unknown."""
    from connectless.data.struct import Struct

    if isinstance(value, bool):
        return SchemaBuilder.boolean().build()
    if isinstance(value, int):
        for schema_type in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
            low, high = _INT_BOUNDS[schema_type]
            if low <= value <= high:
                return Schema(type=schema_type)
        return None
    from connectless.data.values_convert import CLASS_TYPES

    simple = CLASS_TYPES.get(type(value))
    if simple is not None:
        return Schema(type=simple)
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return logical.decimal_schema(-exponent if isinstance(exponent, int) else 0)
    if isinstance(value, dt.datetime):
        return logical.TIMESTAMP_SCHEMA
    if isinstance(value, dt.date):
        return logical.DATE_SCHEMA
    if isinstance(value, dt.time):
        return logical.TIME_SCHEMA
    if isinstance(value, Struct):
        return value.schema
    return _infer_container(value)


def _infer_container(value: Any) -> Schema | None:
    if isinstance(value, list) and value:
        element = infer_schema(value[0])
        if element is None or any(infer_schema(v) != element for v in value[1:]):
            return None
        return SchemaBuilder.array(element).build()
    if isinstance(value, dict) and value:
        key_schema = infer_schema(next(iter(value)))
        value_schema = infer_schema(next(iter(value.values())))
        if key_schema is None or value_schema is None:
            return None
        if any(infer_schema(k) != key_schema or infer_schema(v) != value_schema for k, v in value.items()):
            return None
        return SchemaBuilder.map(key_schema, value_schema).build()
    return None

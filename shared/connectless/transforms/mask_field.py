"""MaskField: replace field values with their type's "zero" (0, false, "", empty list/map) or a replacement."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, NonEmptyString
from connectless.data import DataError, Type, logical
from connectless.data.values_convert import (
    Float32,
    convert_to_byte,
    convert_to_double,
    convert_to_float,
    convert_to_integer,
    convert_to_long,
    convert_to_short,
)
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.util import (
    NON_EMPTY_LIST,
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
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

FIELDS_CONFIG = "fields"
REPLACEMENT_CONFIG = "replacement"
PURPOSE = "mask fields"

CONFIG_DEF = (
    ConfigDef()
    .define(
        FIELDS_CONFIG,
        ConfigType.LIST,
        validator=NON_EMPTY_LIST,
        importance=Importance.HIGH,
        documentation="Names of fields to mask.",
    )
    .define(
        REPLACEMENT_CONFIG,
        ConfigType.STRING,
        None,
        NonEmptyString(),
        Importance.LOW,
        "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values "
        "only).",
    )
)
define_replace_null_with_default(CONFIG_DEF)

_EPOCH_VALUES: dict[type, Any] = {
    dt.datetime: logical.EPOCH,
    dt.date: logical.EPOCH_DATE,
    dt.time: dt.time(0),
}


def null_value(value: Any) -> Any:
    """The "null" of the value's type, as Kafka's MaskField chooses it by class."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return Float32(0.0) if type(value) is Float32 else 0.0
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(0)
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    epoch = _EPOCH_VALUES.get(type(value))
    if epoch is not None:
        return epoch
    raise DataError(f"Cannot mask value of type: {type_name(value)}")


# As Kafka's MaskField: a numeric replacement goes through Values.convertToX for the field's type.
_REPLACEMENT_CONVERSIONS = {
    Type.INT8: convert_to_byte,
    Type.INT16: convert_to_short,
    Type.INT32: convert_to_integer,
    Type.INT64: convert_to_long,
    Type.FLOAT32: convert_to_float,
    Type.FLOAT64: convert_to_double,
}


def _number_type(value: Any, schema: Schema | None) -> Type | None:
    """The numeric type a replacement must be converted to, or None when numbers do not apply."""
    if isinstance(value, bool):
        return None
    if (
        schema is not None
        and schema.name is None
        and schema.type
        in (
            Type.INT8,
            Type.INT16,
            Type.INT32,
            Type.INT64,
            Type.FLOAT32,
            Type.FLOAT64,
        )
    ):
        return schema.type
    if isinstance(value, int):
        return Type.INT64  # a schemaless integer is a Java Long
    if isinstance(value, float):
        return Type.FLOAT32 if type(value) is Float32 else Type.FLOAT64
    return None


class MaskField(OperandRewrite):
    OVERVIEW_DOC = (
        "Mask specified fields with a valid null value for the field type (i.e. 0, false, empty string, and so on). "
        "For numeric and string fields, an optional replacement value can be specified that is converted to the "
        "correct type. Use the concrete transformation type designed for the record key "
        "(`org.apache.kafka.connect.transforms.MaskField$Key`) or value "
        "(`org.apache.kafka.connect.transforms.MaskField$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.fields = frozenset(config[FIELDS_CONFIG])
        self.replacement: str | None = config[REPLACEMENT_CONFIG]
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]

    def masked(self, value: Any, schema: Schema | None = None) -> Any:
        if value is None:
            return None
        if self.replacement is None:
            return null_value(value)
        return self._replacement_for(value, schema)

    def _replacement_for(self, value: Any, schema: Schema | None) -> Any:
        replacement = self.replacement
        assert replacement is not None
        if isinstance(value, str):
            return replacement
        try:
            if isinstance(value, decimal.Decimal):
                return decimal.Decimal(replacement)
            number_type = _number_type(value, schema)
            if number_type is not None:
                converted = _REPLACEMENT_CONVERSIONS[number_type](None, replacement)
                if schema is None and number_type is Type.FLOAT32 and converted is not None:
                    return Float32(converted)
                return converted
        except DataError:  # Values.convertToX's own message, in Java's words
            raise DataError(f"Unable to convert {replacement} (class java.lang.String) to a number") from None
        except (ValueError, ArithmeticError):  # MaskField's for BigDecimal's NumberFormatException
            raise DataError(f"Unable to convert {replacement} (class java.lang.String) to number") from None
        raise DataError(f"Cannot mask value of type {type_name(value)} with custom replacement.")

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        # No pass for a null value: Kafka's MaskField fails a tombstone (requireMap/requireStruct of null).
        if schema is None:
            updated = dict(require_map(value, PURPOSE))
            for name in self.fields:
                updated[name] = self.masked(updated.get(name))
            return None, updated
        struct = require_struct(value, PURPOSE)
        values = struct_values_with_defaults(struct, self.replace_null_with_default)
        for f in struct.schema.fields:
            if f.name in self.fields:
                values[f.index] = self.masked(values[f.index], f.schema)
        # The schema is unchanged, so the original one is kept.
        return schema, struct_of(struct.schema, values)


class MaskFieldKey(KeyOperand, MaskField):
    pass


class MaskFieldValue(ValueOperand, MaskField):
    pass


register_variants(MaskField, MaskFieldKey, MaskFieldValue)

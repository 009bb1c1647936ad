"""TimestampConverter: convert a timestamp field (or the whole key/value) between representations.

Every conversion goes through epoch milliseconds: string (SimpleDateFormat pattern, UTC), unix (an
integer in `unix.precision` units), and Connect's Date, Time and Timestamp logical types.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from connectless import native
from connectless.config import ConfigDef, ConfigType, Importance, ValidString
from connectless.data import (
    INT64_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
    logical,
)
from connectless.data.errors import DataError
from connectless.errors.exceptions import ConnectError
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.java_date_format import JavaDateFormat
from connectless.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
    config_error,
    copy_schema_basics,
    default_positions,
    define_replace_null_with_default,
    require_map,
    require_struct_or_null,
    struct_of,
    struct_values_with_defaults,
    type_name,
    values_with_defaults,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.data import Schema
    from connectless.records import ConnectRecord
    from connectless.transforms.base import MapRunStep, MapStep, StructOp, StructStep

FIELD_CONFIG = "field"
TARGET_TYPE_CONFIG = "target.type"
FORMAT_CONFIG = "format"
UNIX_PRECISION_CONFIG = "unix.precision"
PURPOSE = "converting timestamp formats"

TYPE_STRING, TYPE_UNIX, TYPE_DATE, TYPE_TIME, TYPE_TIMESTAMP = "string", "unix", "Date", "Time", "Timestamp"
SECONDS, MILLISECONDS, MICROSECONDS, NANOSECONDS = "seconds", "milliseconds", "microseconds", "nanoseconds"
_MILLIS_PER_DAY = logical.MILLIS_PER_DAY
_FORMAT_REQUIRED = "TimestampConverter requires format option to be specified when using string timestamps"
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1

CONFIG_DEF = (
    ConfigDef()
    .define(
        FIELD_CONFIG,
        ConfigType.STRING,
        "",
        importance=Importance.HIGH,
        documentation="The field containing the timestamp, or empty if the entire value is a timestamp",
    )
    .define(
        TARGET_TYPE_CONFIG,
        ConfigType.STRING,
        validator=ValidString([TYPE_STRING, TYPE_UNIX, TYPE_DATE, TYPE_TIME, TYPE_TIMESTAMP]),
        importance=Importance.HIGH,
        documentation="The desired timestamp representation: string, unix, Date, Time, or Timestamp",
    )
    .define(
        FORMAT_CONFIG,
        ConfigType.STRING,
        "",
        importance=Importance.MEDIUM,
        documentation="A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when "
        "type=string or used to parse the input if the input is a string.",
    )
    .define(
        UNIX_PRECISION_CONFIG,
        ConfigType.STRING,
        MILLISECONDS,
        ValidString([NANOSECONDS, MICROSECONDS, MILLISECONDS, SECONDS]),
        Importance.LOW,
        "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. "
        "Used to generate the output when type=unix or used to parse the input if the input is a Long. "
        "Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond "
        "components.",
    )
)
define_replace_null_with_default(CONFIG_DEF)

# unix precision -> how many units make one millisecond (negative: how many milliseconds make one unit)
_UNITS_PER_MILLI = {SECONDS: -1000, MILLISECONDS: 1, MICROSECONDS: 1000, NANOSECONDS: 1_000_000}


def _trunc_div(value: int, divisor: int) -> int:
    """Java's long division (truncates toward zero)."""
    quotient = abs(value) // divisor
    return quotient if value >= 0 else -quotient


def _saturate(value: int) -> int:
    return max(_LONG_MIN, min(_LONG_MAX, value))


class _Translators:
    """Conversions to and from epoch millis for each representation, bound to one configuration."""

    def __init__(self, date_format: JavaDateFormat | None, precision: str) -> None:
        self.date_format = date_format
        self.units = _UNITS_PER_MILLI[precision]
        self.to_millis: dict[str, Callable[[Any], int]] = {
            TYPE_TIMESTAMP: self._timestamp_to_millis,
            TYPE_UNIX: self._unix_to_millis,
            TYPE_STRING: self._string_to_millis,
            TYPE_DATE: self._date_to_millis,
            TYPE_TIME: self._time_to_millis,
        }
        self.from_millis: dict[str, Callable[[int], Any]] = {
            TYPE_TIMESTAMP: logical.timestamp_from_millis,
            TYPE_UNIX: self._millis_to_unix,
            # the bound format itself when there is one: one call less per record
            TYPE_STRING: self._millis_to_string if date_format is None else date_format.fast_format(),
            TYPE_DATE: lambda millis: logical.date_from_days(millis // _MILLIS_PER_DAY),
            TYPE_TIME: lambda millis: logical.time_from_millis(millis % _MILLIS_PER_DAY),
        }

    @staticmethod
    def _timestamp_to_millis(value: Any) -> int:
        if not isinstance(value, dt.datetime):
            raise DataError(f"Expected Timestamp to be a java.util.Date, but found {type_name(value)}")
        return logical.timestamp_to_millis(value)

    def _unix_to_millis(self, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise DataError(f"Expected Unix timestamp to be a Long, but found {type_name(value)}")
        units = self.units
        if units == 1:
            return value
        return value * -units if units < 0 else _trunc_div(value, units)

    def _string_to_millis(self, value: Any) -> int:
        if not isinstance(value, str):
            raise DataError(f"Expected string timestamp to be a String, but found {type_name(value)}")
        if self.date_format is None:
            raise DataError(_FORMAT_REQUIRED)
        try:
            return self.date_format.parse(value)
        except (ValueError, OverflowError):
            raise DataError(
                f"Could not parse timestamp: value ({value}) does not match pattern ({self.date_format.pattern})"
            ) from None

    @staticmethod
    def _date_to_millis(value: Any) -> int:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise DataError(f"Expected Date to be a java.util.Date, but found {type_name(value)}")
        return logical.date_to_days(value) * _MILLIS_PER_DAY

    @staticmethod
    def _time_to_millis(value: Any) -> int:
        if not isinstance(value, dt.time):
            raise DataError(f"Expected Time to be a java.util.Date, but found {type_name(value)}")
        return logical.time_to_millis(value)

    def _millis_to_unix(self, millis: int) -> int:
        units = self.units
        return _trunc_div(millis, -units) if units < 0 else _saturate(millis * units)

    def _millis_to_string(self, millis: int) -> str:
        if self.date_format is None:  # pragma: no cover - configure() rejects this combination
            raise DataError(_FORMAT_REQUIRED)
        return self.date_format.format(millis)


_TARGET_SCHEMAS: dict[str, tuple[Schema, Schema]] = {
    TYPE_STRING: (STRING_SCHEMA, OPTIONAL_STRING_SCHEMA),
    TYPE_UNIX: (INT64_SCHEMA, OPTIONAL_INT64_SCHEMA),
    TYPE_DATE: (logical.DATE_SCHEMA, logical.OPTIONAL_DATE_SCHEMA),
    TYPE_TIME: (logical.TIME_SCHEMA, logical.OPTIONAL_TIME_SCHEMA),
    TYPE_TIMESTAMP: (logical.TIMESTAMP_SCHEMA, logical.OPTIONAL_TIMESTAMP_SCHEMA),
}
_LOGICAL_KINDS = {logical.TIMESTAMP_NAME: TYPE_TIMESTAMP, logical.DATE_NAME: TYPE_DATE, logical.TIME_NAME: TYPE_TIME}


# (updated schema, index of the converted field or -1, converter, default positions)
_Plan = tuple["Schema", int, "Callable[[Any], Any]", tuple[tuple[int, Any], ...]]


def kind_from_schema(schema: Schema) -> str:
    """The representation a schema implies: a logical type, else string or int64 (unix)."""
    kind = _LOGICAL_KINDS.get(schema.name) if schema.name else None
    if kind is not None:
        return kind
    if schema.type.value == "string":
        return TYPE_STRING
    if schema.type.value == "int64":
        return TYPE_UNIX
    # Kafka's own ConnectException here, and its Schema#toString: Schema{name:TYPE}.
    label = f"{schema.name}:{schema.type.name}" if schema.name else schema.type.name
    raise ConnectError(f"Schema Schema{{{label}}} does not correspond to a known timestamp type format")


def infer_kind(value: Any) -> str:
    """The representation of a schemaless value (Kafka can only tell Date objects, longs and strings apart)."""
    if type(value) is int:
        return TYPE_UNIX
    if isinstance(value, dt.datetime):
        return TYPE_TIMESTAMP
    if isinstance(value, int) and not isinstance(value, bool):
        return TYPE_UNIX
    if isinstance(value, str):
        return TYPE_STRING
    if isinstance(value, dt.date):
        return TYPE_DATE
    if isinstance(value, dt.time):
        return TYPE_TIME
    raise DataError(f"TimestampConverter does not support {type_name(value)} objects as timestamps")


class TimestampConverter(OperandRewrite):
    OVERVIEW_DOC = (
        "Convert timestamps between different formats such as Unix epoch, strings, and Connect Date/Timestamp "
        "types. Applies to individual fields or to the entire value. Use the concrete transformation type designed "
        "for the record key (`org.apache.kafka.connect.transforms.TimestampConverter$Key`) or value "
        "(`org.apache.kafka.connect.transforms.TimestampConverter$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.field: str = config[FIELD_CONFIG]
        self.target_type: str = config[TARGET_TYPE_CONFIG]
        pattern: str = config[FORMAT_CONFIG]
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]
        if self.target_type == TYPE_STRING and not pattern.strip():
            raise config_error(
                FORMAT_CONFIG,
                _FORMAT_REQUIRED,
                pattern,
            )
        date_format = None
        if pattern.strip():
            try:
                date_format = JavaDateFormat(pattern)
            except ValueError:
                raise config_error(
                    FORMAT_CONFIG,
                    f"TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: "
                    f"{pattern}",
                    pattern,
                ) from None
        translators = _Translators(date_format, config[UNIX_PRECISION_CONFIG])
        self._to_millis = translators.to_millis
        self._unix_to_millis = translators.to_millis[TYPE_UNIX]
        self._to_target = translators.from_millis[self.target_type]
        # An int already in millis goes straight to the target (the schemaless hot path): no scaling to undo.
        self._millis_to_target = self._to_target if translators.units == 1 else None
        self._cache: SchemaUpdateCache[_Plan] = SchemaUpdateCache()

    def convert(self, value: Any, kind: str | None = None) -> Any:
        """`value` (of representation `kind`, inferred when None) in the target representation."""
        if value is None:
            return None
        if kind is None and type(value) is int:  # the common schemaless case: epoch millis, no inference needed
            return self._to_target(self._unix_to_millis(value))
        return self._to_target(self._to_millis[kind or infer_kind(value)](value))

    def owned_map_step(self) -> MapStep | None:
        if type(self).transform_operand is not TimestampConverter.transform_operand or not self.field:
            return None  # a subclass that rewrites differently, or the whole value is the timestamp
        field, direct, convert = self.field, self._millis_to_target, self.convert

        def convert_field(_record: ConnectRecord, owned: dict[str, Any]) -> dict[str, Any]:
            current = owned.get(field)
            owned[field] = direct(current) if direct is not None and type(current) is int else convert(current)
            return owned

        if native.records is not None:  # convert_field in C
            return native.records.IntFieldStep(field, direct, convert)
        return convert_field

    def owned_map_run_step(self) -> MapRunStep | None:
        if type(self).owned_map_step is not TimestampConverter.owned_map_step:
            return super().owned_map_run_step()
        if self.owned_map_step() is None:
            return None
        field, direct, convert = self.field, self._millis_to_target, self.convert

        def convert_field(_records: Sequence[ConnectRecord], owned: list[dict[str, Any]]) -> list[dict[str, Any]]:
            for value in owned:
                current = value.get(field)
                value[field] = direct(current) if direct is not None and type(current) is int else convert(current)
            return owned

        return convert_field

    def owned_struct_step(self, schema: Schema) -> tuple[Schema, StructStep | None] | None:
        if type(self).transform_operand is not TimestampConverter.transform_operand or not self.field:
            return None  # a subclass that rewrites differently, or the whole value is the timestamp
        updated_schema, index, convert, defaults = self._cache.get(schema) or self._cache.put(
            schema, self._plan(schema)
        )

        def convert_field(_record: ConnectRecord, owned: list[Any]) -> list[Any]:
            for position, default in defaults:
                if owned[position] is None:
                    owned[position] = default
            if index >= 0:
                owned[index] = convert(owned[index])
            return owned

        return updated_schema, convert_field

    def owned_struct_ops(self, schema: Schema) -> tuple[StructOp, ...] | None:
        if type(self).transform_operand is not TimestampConverter.transform_operand or not self.field:
            return None
        _updated_schema, index, convert, defaults = self._cache.get(schema) or self._cache.put(
            schema, self._plan(schema)
        )
        if defaults:
            return None
        if index < 0:
            return ()
        try:  # as _plan: an int of a unix field goes straight to the target
            direct = self._millis_to_target if kind_from_schema(schema.fields[index].schema) == TYPE_UNIX else None
        except ConnectError:
            direct = None
        return ((1, index, direct, convert),)

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        if schema is None:
            if value is None or not self.field:
                return None, self.convert(value)
            updated = dict(require_map(value, PURPOSE))
            current = updated.get(self.field)
            direct = self._millis_to_target
            updated[self.field] = (
                direct(current) if direct is not None and type(current) is int else self.convert(current)
            )
            return None, updated
        if not self.field:
            target = _TARGET_SCHEMAS[self.target_type][1 if schema.optional else 0]
            return target, self.convert(value, kind_from_schema(schema))
        struct = require_struct_or_null(value, PURPOSE)
        plan = self._cache.get(schema) or self._cache.put(schema, self._plan(schema))
        updated_schema, index, convert, defaults = plan
        if struct is None:
            return updated_schema, None
        values = values_with_defaults(struct, defaults)
        if index >= 0:
            values[index] = convert(values[index])
        return updated_schema, struct_of(updated_schema, values)

    def _plan(self, schema: Schema) -> _Plan:
        """The converted struct schema, the converted field's index (-1: absent), its converter, and defaults."""
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        index, field_schema = -1, None
        for f in schema.fields:
            if f.name == self.field:
                index, field_schema = f.index, f.schema
                builder.field(f.name, _TARGET_SCHEMAS[self.target_type][1 if f.schema.optional else 0])
            else:
                builder.field(f.name, f.schema)
        if schema.optional:
            builder.optional()
        updated = builder.build()
        if schema.default is not None:
            values = struct_values_with_defaults(schema.default, True)
            if field_schema is not None:
                values[index] = self.convert(values[index], kind_from_schema(field_schema))
            object.__setattr__(updated, "default", struct_of(updated, values))

        kind: str | None = TYPE_UNIX
        if field_schema is not None:
            try:
                kind = kind_from_schema(field_schema)
            except ConnectError:
                kind = None  # raised for each struct converted, as Kafka does (a null struct passes)
        direct = self._millis_to_target if kind == TYPE_UNIX else None

        def convert(value: Any) -> Any:
            if direct is not None and type(value) is int:  # epoch millis to the target: no scaling to undo
                return direct(value)
            if kind is None:
                assert field_schema is not None
                return self.convert(value, kind_from_schema(field_schema))
            return self.convert(value, kind)

        return updated, index, convert, default_positions(schema) if self.replace_null_with_default else ()

    def close(self) -> None:
        self._cache.clear()


class TimestampConverterKey(KeyOperand, TimestampConverter):
    pass


class TimestampConverterValue(ValueOperand, TimestampConverter):
    pass


register_variants(TimestampConverter, TimestampConverterKey, TimestampConverterValue)

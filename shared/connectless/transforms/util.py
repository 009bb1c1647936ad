"""Helpers shared by the SMTs: requirement checks, fast record/struct copies and config errors.

The record and struct helpers exist for the hot path: `dataclasses.replace` and validated `Struct.put`
cost microseconds per call, and a chain of three SMTs pays them several times per record. Values that
came out of a struct with the same field schema are already valid, so copying them needs no re-check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

from connectless.config import ConfigError, ConfigType, Importance, Validator
from connectless.data import DataError, SchemaBuilder, Struct
from connectless.records import ConnectRecord, SinkRecord

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.config import ConfigDef
    from connectless.data import Schema
    from connectless.records import Headers

R = TypeVar("R", bound=ConnectRecord)

REPLACE_NULL_WITH_DEFAULT_CONFIG = "replace.null.with.default"
REPLACE_NULL_WITH_DEFAULT_DOC = (
    "Whether to replace fields that have a default value and that are null to the default value. "
    "When set to true, the default value is used, otherwise null is used."
)


def define_replace_null_with_default(config_def: ConfigDef) -> ConfigDef:
    return config_def.define(
        REPLACE_NULL_WITH_DEFAULT_CONFIG,
        ConfigType.BOOLEAN,
        True,
        importance=Importance.MEDIUM,
        documentation=REPLACE_NULL_WITH_DEFAULT_DOC,
    )


class _NonEmptyList(Validator):
    def ensure_valid(self, name: str, value: Any) -> None:
        if not value:
            raise ConfigError(name, value, "Empty list")

    def __str__(self) -> str:
        return "non-empty list"


NON_EMPTY_LIST = _NonEmptyList()


def config_error(name: str, message: str, value: Any = None) -> ConfigError:
    """A ConfigError for key `name` whose text is just `message`, like Kafka's one-argument ConfigException."""
    err = ConfigError(name, value, message)
    err.args = (message,)
    return err


# -- requirements (Kafka's transforms.util.Requirements) ----------------------------------------------
def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def require_map(value: Any, purpose: str) -> Mapping[str, Any]:
    if type(value) is dict or isinstance(value, Mapping):
        return value
    raise DataError(f"Only Map objects supported in absence of schema for [{purpose}], found: {type_name(value)}")


def require_map_or_null(value: Any, purpose: str) -> Mapping[str, Any] | None:
    return None if value is None else require_map(value, purpose)


def require_struct(value: Any, purpose: str) -> Struct:
    if type(value) is Struct or isinstance(value, Struct):
        return value
    raise DataError(f"Only Struct objects supported for [{purpose}], found: {type_name(value)}")


def require_struct_or_null(value: Any, purpose: str) -> Struct | None:
    return None if value is None else require_struct(value, purpose)


def require_schema(schema: Schema | None, purpose: str) -> Schema:
    if schema is None:
        raise DataError(f"Schema required for [{purpose}]")
    return schema


def require_sink_record(record: ConnectRecord, purpose: str) -> SinkRecord:
    if isinstance(record, SinkRecord):
        return record
    raise DataError(f"Only SinkRecord supported for [{purpose}], found: {type(record).__name__}")


# -- structs ------------------------------------------------------------------------------------------
_new_struct_object = object.__new__


def struct_of(schema: Schema, values: list[Any]) -> Struct:
    """A Struct over `values` (one per field, in schema order) without re-validating them."""
    struct = _new_struct_object(Struct)
    struct.schema = schema
    struct._values = values
    return struct


def struct_values(struct: Struct) -> list[Any]:
    """The struct's raw field values (no defaults applied), in schema order. Do not mutate."""
    return struct._values


def struct_values_with_defaults(struct: Struct, replace_null_with_default: bool) -> list[Any]:
    """A fresh list of field values; nulls become the field's default when `replace_null_with_default`."""
    values = list(struct._values)
    if replace_null_with_default:
        for f in struct.schema.fields:
            if values[f.index] is None and f.schema.default is not None:
                values[f.index] = f.schema.default
    return values


def default_positions(schema: Schema) -> tuple[tuple[int, Any], ...]:
    """(index, default) of each field that has a default; cache it with the schema's plan."""
    return tuple((f.index, f.schema.default) for f in schema.fields if f.schema.default is not None)


def values_with_defaults(struct: Struct, positions: tuple[tuple[int, Any], ...]) -> list[Any]:
    """A fresh list of the struct's values with nulls at `positions` replaced by the defaults."""
    values = list(struct._values)
    for index, default in positions:
        if values[index] is None:
            values[index] = default
    return values


def field_value(struct: Struct, name: str, replace_null_with_default: bool) -> Any:
    return struct.get(name) if replace_null_with_default else struct.get_without_default(name)


def copy_schema_basics(source: Schema, builder: SchemaBuilder | None = None) -> SchemaBuilder:
    """Name, version, doc and parameters of `source` on `builder` (Kafka's SchemaUtil.copySchemaBasics)."""
    if builder is None:
        builder = SchemaBuilder.from_schema(source, with_fields=False).default_value(None)
        return builder.required()
    builder.name(source.name).version(source.version).doc(source.doc)
    if source.parameters:
        builder.parameters(source.parameters)
    return builder


# -- records ------------------------------------------------------------------------------------------
# ConnectRecord's first fields, in order: topic, kafka_partition, key_schema, key, value_schema, value,
# timestamp, headers. Subclasses only append fields, so positional rebuilding is safe and fast.
_HEADERS = 7
_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _getter(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    getter = _GETTERS.get(cls)
    if getter is None:
        names = [f.name for f in dataclasses.fields(cls)]
        expected = ["topic", "kafka_partition", "key_schema", "key", "value_schema", "value", "timestamp", "headers"]
        if names[:8] != expected:  # pragma: no cover - guards against a reordered record class
            raise TypeError(f"Unexpected field order in {cls.__name__}: {names}")
        getter = attrgetter(*names)
        _GETTERS[cls] = getter
    return getter


def _operand_setter(cls: type, schema_field: str, value_field: str) -> Callable[[Any, Any, Any], Any]:
    """`(record, schema, value) -> a copy of record with those two fields replaced`, compiled for `cls` as
    dataclasses compiles __init__: one constructor call reading each other field straight off the record (a
    third of the time of unpacking a tuple of every field)."""
    fields = dataclasses.fields(cls)
    _getter(cls)  # checks the field order
    if any(not f.init or f.kw_only for f in fields):  # pragma: no cover - no record class has such fields
        raise TypeError(f"{cls.__name__} has fields its constructor does not take positionally")
    args = ", ".join(
        "schema" if f.name == schema_field else "value" if f.name == value_field else f"record.{f.name}" for f in fields
    )
    namespace: dict[str, Any] = {"cls": cls}
    exec(f"def replace(record, schema, value):\n    return cls({args})", namespace)  # noqa: S102 - generated here
    setter: Callable[[Any, Any, Any], Any] = namespace["replace"]
    return setter


_KEY_SETTERS: dict[type, Callable[[Any, Any, Any], Any]] = {}
_VALUE_SETTERS: dict[type, Callable[[Any, Any, Any], Any]] = {}


def with_key(record: R, schema: Schema | None, key: Any) -> R:
    cls = type(record)
    setter = _KEY_SETTERS.get(cls)
    if setter is None:
        setter = _KEY_SETTERS[cls] = _operand_setter(cls, "key_schema", "key")
    result: R = setter(record, schema, key)
    return result


def with_value(record: R, schema: Schema | None, value: Any) -> R:
    cls = type(record)
    setter = _VALUE_SETTERS.get(cls)
    if setter is None:
        setter = _VALUE_SETTERS[cls] = _operand_setter(cls, "value_schema", "value")
    result: R = setter(record, schema, value)
    return result


def with_headers(record: R, headers: Headers) -> R:
    cls: Any = type(record)
    values = _getter(cls)(record)
    return cls(*values[:_HEADERS], headers, *values[_HEADERS + 1 :])


def with_topic(record: R, topic: str) -> R:
    cls: Any = type(record)
    values = _getter(cls)(record)
    return cls(topic, *values[1:])

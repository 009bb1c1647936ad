"""Flatten: lift nested struct/map fields to the top level, joining names with a delimiter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance
from connectless.data import DataError, SchemaBuilder, Struct, Type
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.util import (
    copy_schema_basics,
    require_map,
    require_struct_or_null,
    struct_of,
    type_name,
)

if TYPE_CHECKING:
    from connectless.data import Schema
    from connectless.records import ConnectRecord

DELIMITER_CONFIG = "delimiter"
PURPOSE = "flattening"
_SCHEMALESS_LEAVES = (bool, int, float, str, bytes, bytearray, list)

CONFIG_DEF = ConfigDef().define(
    DELIMITER_CONFIG,
    ConfigType.STRING,
    ".",
    importance=Importance.MEDIUM,
    documentation="Delimiter to insert between field names from the input record when generating field names for the "
    "output record",
)


class Flatten(OperandRewrite):
    OVERVIEW_DOC = (
        "Flatten a nested data structure, generating names for each field by concatenating the field names at each "
        "level with a configurable delimiter character. Applies to Struct when schema present, or a Map in the case "
        "of schemaless data. Array fields and their contents are not modified. The default delimiter is '.'. Use the "
        "concrete transformation type designed for the record key (`org.apache.kafka.connect.transforms.Flatten$Key`) "
        "or value (`org.apache.kafka.connect.transforms.Flatten$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        self.delimiter: str = CONFIG_DEF.parse(props)[DELIMITER_CONFIG]
        self._cache: SchemaUpdateCache[Schema] = SchemaUpdateCache()

    def _name(self, prefix: str, name: str) -> str:
        return f"{prefix}{self.delimiter}{name}" if prefix else name

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        if value is None:
            return schema, value
        if schema is None:
            flat: dict[str, Any] = {}
            self._flatten_map(require_map(value, PURPOSE), "", flat)
            return None, flat
        struct = require_struct_or_null(value, PURPOSE)
        updated_schema = self._cache.get(schema) or self._cache.put(schema, self._flat_schema(schema))
        values: list[Any] = []
        if struct is not None:
            self._flatten_struct(struct, values)
        return updated_schema, struct_of(updated_schema, values)

    # -- schemaless -----------------------------------------------------------------------------------
    def _flatten_map(self, value: Mapping[str, Any], prefix: str, flat: dict[str, Any]) -> None:
        for key, item in value.items():
            name = self._name(prefix, key)
            if item is None or isinstance(item, _SCHEMALESS_LEAVES):
                flat[name] = item
            elif isinstance(item, Mapping):
                self._flatten_map(item, name, flat)
            elif not isinstance(item, Struct):
                raise DataError(
                    f"Flatten transformation was passed a value of type {type_name(item)} which is not supported by "
                    "Connect's data API"
                )
            else:
                raise DataError(
                    f"Flatten transformation does not support {type_name(item)} for record without schemas "
                    f"(for field {name})."
                )

    # -- with schema ----------------------------------------------------------------------------------
    def _flat_schema(self, schema: Schema) -> Schema:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        self._add_fields(schema, "", builder, schema.optional, schema.default)
        return builder.build()  # required even when the input's is optional: Kafka copies only name, version, doc

    def _add_fields(
        self, schema: Schema, prefix: str, builder: SchemaBuilder, optional: bool, parent_default: Struct | None
    ) -> None:
        """Add `schema`'s leaves; a field is optional when any ancestor is, and inherits an ancestor's default."""
        for f in schema.fields:
            name = self._name(prefix, f.name)
            field_optional = optional or f.schema.optional
            default = f.schema.default
            if default is None and parent_default is not None:
                default = parent_default.get(f.name)
            if f.schema.type is Type.STRUCT:
                self._add_fields(f.schema, name, builder, field_optional, default)
            elif f.schema.type is Type.MAP:
                raise DataError(
                    f"Flatten transformation does not support MAP for record with schemas (for field {name})."
                )
            else:
                leaf = copy_schema_basics(f.schema)
                if field_optional:
                    leaf.optional()
                if default is not None:
                    leaf.default_value(default)
                builder.field(name, leaf.build())

    def _flatten_struct(self, struct: Struct, values: list[Any]) -> None:
        """Append the struct's leaf values depth-first (nulls for every leaf under a null struct)."""
        for f in struct.schema.fields:
            item = struct.get(f.name)
            if f.schema.type is not Type.STRUCT:
                values.append(item)
            elif item is None:
                values.extend([None] * _leaf_count(f.schema))
            else:
                self._flatten_struct(item, values)

    def close(self) -> None:
        self._cache.clear()


def _leaf_count(schema: Schema) -> int:
    return sum(_leaf_count(f.schema) if f.schema.type is Type.STRUCT else 1 for f in schema.fields)


class FlattenKey(KeyOperand, Flatten):
    pass


class FlattenValue(ValueOperand, Flatten):
    pass


register_variants(Flatten, FlattenKey, FlattenValue)

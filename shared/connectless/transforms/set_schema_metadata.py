"""SetSchemaMetadata: set the name and/or version of the key or value schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance
from connectless.data import Schema, Struct
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
    config_error,
    define_replace_null_with_default,
    require_schema,
    struct_of,
    struct_values_with_defaults,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.records import ConnectRecord

SCHEMA_NAME = "schema.name"
SCHEMA_VERSION = "schema.version"

CONFIG_DEF = (
    ConfigDef()
    .define(SCHEMA_NAME, ConfigType.STRING, None, importance=Importance.HIGH, documentation="Schema name to set.")
    .define(SCHEMA_VERSION, ConfigType.INT, None, importance=Importance.HIGH, documentation="Schema version to set.")
)
define_replace_null_with_default(CONFIG_DEF)


class SetSchemaMetadata(OperandRewrite):
    OVERVIEW_DOC = (
        "Set the schema name, version or both on the record's key "
        "(`org.apache.kafka.connect.transforms.SetSchemaMetadata$Key`) or value "
        "(`org.apache.kafka.connect.transforms.SetSchemaMetadata$Value`) schema."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.schema_name: str | None = config[SCHEMA_NAME]
        self.schema_version: int | None = config[SCHEMA_VERSION]
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]
        if self.schema_name is None and self.schema_version is None:
            raise config_error(SCHEMA_NAME, "Neither schema name nor version configured")
        self._cache: SchemaUpdateCache[Schema] = SchemaUpdateCache()

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        if value is None and schema is None:
            return schema, value
        schema = require_schema(schema, "updating schema metadata")
        updated_schema = self._cache.get(schema) or self._cache.put(schema, self._renamed(schema))
        if isinstance(value, Struct):
            # Structs reference their schema, so they are rebuilt against the renamed one.
            value = struct_of(updated_schema, struct_values_with_defaults(value, self.replace_null_with_default))
        return updated_schema, value

    def _renamed(self, schema: Schema) -> Schema:
        return Schema(
            type=schema.type,
            optional=schema.optional,
            default=schema.default,
            name=self.schema_name if self.schema_name is not None else schema.name,
            version=self.schema_version if self.schema_version is not None else schema.version,
            doc=schema.doc,
            parameters=schema.parameters,
            fields=schema.fields,
            key_schema=schema.key_schema,
            value_schema=schema.value_schema,
        )

    def close(self) -> None:
        self._cache.clear()


class SetSchemaMetadataKey(KeyOperand, SetSchemaMetadata):
    pass


class SetSchemaMetadataValue(ValueOperand, SetSchemaMetadata):
    pass


register_variants(SetSchemaMetadata, SetSchemaMetadataKey, SetSchemaMetadataValue)

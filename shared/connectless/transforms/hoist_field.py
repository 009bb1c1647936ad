"""HoistField: wrap the key/value in a Struct (or map) under one field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance
from connectless.data import SchemaBuilder, Struct
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.cache import SchemaUpdateCache

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.data import Schema
    from connectless.records import ConnectRecord

FIELD_CONFIG = "field"

CONFIG_DEF = ConfigDef().define(
    FIELD_CONFIG,
    ConfigType.STRING,
    importance=Importance.MEDIUM,
    documentation="Field name for the single field that will be created in the resulting Struct or Map.",
)


class HoistField(OperandRewrite):
    OVERVIEW_DOC = (
        "Wrap data using the specified field name in a Struct when schema present, or a Map in the case of "
        "schemaless data. Use the concrete transformation type designed for the record key "
        "(`org.apache.kafka.connect.transforms.HoistField$Key`) or value "
        "(`org.apache.kafka.connect.transforms.HoistField$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        self.field_name: str = CONFIG_DEF.parse(props)[FIELD_CONFIG]
        self._cache: SchemaUpdateCache[Schema] = SchemaUpdateCache()

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        if schema is None:
            return None, {self.field_name: value}
        updated_schema = self._cache.get(schema) or self._cache.put(
            schema, SchemaBuilder.struct().field(self.field_name, schema).build()
        )
        # Struct.put validates, so a null in a required schema fails here as it does in Kafka.
        return updated_schema, Struct(updated_schema).put(self.field_name, value)

    def close(self) -> None:
        self._cache.clear()


class HoistFieldKey(KeyOperand, HoistField):
    pass


class HoistFieldValue(ValueOperand, HoistField):
    pass


register_variants(HoistField, HoistFieldKey, HoistFieldValue)

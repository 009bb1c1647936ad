"""ValueToKey: replace the key with a struct/map of fields copied from the value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance
from connectless.data import DataError, SchemaBuilder
from connectless.transforms.base import Transformation, register_transformation
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.util import (
    NON_EMPTY_LIST,
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
    define_replace_null_with_default,
    require_map,
    require_struct,
    struct_of,
    struct_values,
    with_key,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.data import Schema
    from connectless.records import ConnectRecord

FIELDS_CONFIG = "fields"
PURPOSE = "copying fields from value to key"

CONFIG_DEF = ConfigDef().define(
    FIELDS_CONFIG,
    ConfigType.LIST,
    validator=NON_EMPTY_LIST,
    importance=Importance.HIGH,
    documentation="Field names on the record value to extract as the record key.",
)
define_replace_null_with_default(CONFIG_DEF)


@register_transformation("ValueToKey")
class ValueToKey(Transformation):
    OVERVIEW_DOC = "Replace the record key with a new key formed from a subset of fields in the record value."
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.fields: list[str] = config[FIELDS_CONFIG]
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]
        # value schema -> (key schema, value-field index feeding each key field, their defaults)
        self._cache: SchemaUpdateCache[tuple[Schema, tuple[int, ...], tuple[Any, ...]]] = SchemaUpdateCache()

    def apply(self, record: ConnectRecord) -> Any:
        if record.value_schema is None:
            # Kafka fails a tombstone here too (requireMap of null).
            value = require_map(record.value, PURPOSE)
            key = {name: value.get(name) for name in self.fields}
            return with_key(record, None, key)
        struct = require_struct(record.value, PURPOSE)
        schema = struct.schema
        key_schema, indices, defaults = self._cache.get(schema) or self._cache.put(schema, self._plan(schema))
        source = struct_values(struct)
        values = [source[i] for i in indices]
        if self.replace_null_with_default:
            values = [d if v is None else v for v, d in zip(values, defaults, strict=True)]
        updated = with_key(record, key_schema, struct_of(key_schema, values))
        # Kafka pairs the value with the struct's own schema.
        return updated if record.value_schema is schema else updated.new_record(value_schema=schema)

    def _plan(self, schema: Schema) -> tuple[Schema, tuple[int, ...], tuple[Any, ...]]:
        builder = SchemaBuilder.struct()
        indices, defaults = [], []
        for name in self.fields:
            found = schema.field(name)
            if found is None:
                raise DataError(f"Field does not exist: {name}")
            builder.field(name, found.schema)
            indices.append(found.index)
            defaults.append(found.schema.default)
        return builder.build(), tuple(indices), tuple(defaults)

    def close(self) -> None:
        self._cache.clear()

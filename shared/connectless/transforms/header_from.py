"""HeaderFrom: copy or move top-level fields of the key/value into headers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, ValidString
from connectless.data import DataError, SchemaBuilder
from connectless.transforms.base import KeyOperand, OperandTransformation, ValueOperand, register_variants
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.util import (
    NON_EMPTY_LIST,
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
    config_error,
    copy_schema_basics,
    define_replace_null_with_default,
    field_value,
    require_map,
    require_struct,
    struct_of,
    with_headers,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.data import Schema
    from connectless.records import ConnectRecord, Headers

FIELDS_FIELD = "fields"
HEADERS_FIELD = "headers"
OPERATION_FIELD = "operation"
MOVE, COPY = "move", "copy"

CONFIG_DEF = (
    ConfigDef()
    .define(
        FIELDS_FIELD,
        ConfigType.LIST,
        validator=NON_EMPTY_LIST,
        importance=Importance.HIGH,
        documentation="Field names in the record whose values are to be copied or moved to headers.",
    )
    .define(
        HEADERS_FIELD,
        ConfigType.LIST,
        validator=NON_EMPTY_LIST,
        importance=Importance.HIGH,
        documentation="Header names, in the same order as the field names listed in the fields configuration property.",
    )
    .define(
        OPERATION_FIELD,
        ConfigType.STRING,
        validator=ValidString([MOVE, COPY]),
        importance=Importance.HIGH,
        documentation="Either `move` if the fields are to be moved to the headers (removed from the key/value), or "
        "`copy` if the fields are to be copied to the headers (retained in the key/value).",
    )
)
define_replace_null_with_default(CONFIG_DEF)


class HeaderFrom(OperandTransformation):
    OVERVIEW_DOC = (
        "Moves or copies fields in the key/value of a record into that record's headers. Corresponding elements of "
        "`fields` and `headers` together identify a field and the header it should be moved or copied to. Use the "
        "concrete transformation type designed for the record key "
        "(`org.apache.kafka.connect.transforms.HeaderFrom$Key`) or value "
        "(`org.apache.kafka.connect.transforms.HeaderFrom$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.fields: list[str] = config[FIELDS_FIELD]
        self.headers: list[str] = config[HEADERS_FIELD]
        if len(self.fields) != len(self.headers):
            raise config_error(
                HEADERS_FIELD, "'fields' config must have the same number of elements as 'headers' config."
            )
        self.move = config[OPERATION_FIELD] == MOVE
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]
        self._purpose = f"header {config[OPERATION_FIELD]}"
        self._cache: SchemaUpdateCache[tuple[Schema, tuple[int, ...]]] = SchemaUpdateCache()

    def apply(self, record: ConnectRecord) -> Any:
        value = self.operating_value(record)
        schema = self.operating_schema(record)
        headers: Headers = record.headers
        if schema is None:
            mapping = require_map(value, self._purpose)
            updated = dict(mapping)
            for name, header in zip(self.fields, self.headers, strict=True):
                if self.move:
                    updated.pop(name, None)
                headers = headers.add(header, mapping.get(name), None)
            return with_headers(self.new_record(record, None, updated), headers)
        struct = require_struct(value, self._purpose)
        for name, header in zip(self.fields, self.headers, strict=True):
            found = schema.field(name)
            if found is None:
                raise DataError(f"Field {name} does not exist in the {self._side()} schema")
            field_value_ = (
                field_value(struct, name, self.replace_null_with_default) if struct.schema.field(name) else None
            )
            headers = headers.add(header, field_value_, found.schema)
        if self.move:
            moved_schema, kept = self._cache.get(schema) or self._cache.put(schema, self._moved_schema(schema))
            values = [field_value(struct, struct.schema.fields[i].name, self.replace_null_with_default) for i in kept]
            return with_headers(self.new_record(record, moved_schema, struct_of(moved_schema, values)), headers)
        return with_headers(record, headers)

    def _side(self) -> str:
        return "key" if isinstance(self, KeyOperand) else "value"

    def _moved_schema(self, schema: Schema) -> tuple[Schema, tuple[int, ...]]:
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        kept = []
        for f in schema.fields:
            if f.name not in self.fields:
                builder.field(f.name, f.schema)
                kept.append(f.index)
        return builder.build(), tuple(kept)

    def close(self) -> None:
        self._cache.clear()


class HeaderFromKey(KeyOperand, HeaderFrom):
    pass


class HeaderFromValue(ValueOperand, HeaderFrom):
    pass


register_variants(HeaderFrom, HeaderFromKey, HeaderFromValue)

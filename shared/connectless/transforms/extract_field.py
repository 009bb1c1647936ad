"""ExtractField: replace the key/value with one of its fields (nested paths with field.syntax.version=V2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.field_path import (
    FIELD_SYNTAX_VERSION_CONFIG,
    FieldSyntaxVersion,
    SingleFieldPath,
    append_field_syntax_config,
)
from connectless.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
    define_replace_null_with_default,
    require_map_or_null,
    require_struct_or_null,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.data import Schema
    from connectless.records import ConnectRecord

FIELD_CONFIG = "field"
PURPOSE = "field extraction"

CONFIG_DEF = ConfigDef().define(
    FIELD_CONFIG, ConfigType.STRING, importance=Importance.MEDIUM, documentation="Field name to extract."
)
append_field_syntax_config(CONFIG_DEF)
define_replace_null_with_default(CONFIG_DEF)


class ExtractField(OperandRewrite):
    OVERVIEW_DOC = (
        "Extract the specified field from a Struct when schema present, or a Map in the case of schemaless data. "
        "Any null values are passed through unmodified. Use the concrete transformation type designed for the record "
        "key (`org.apache.kafka.connect.transforms.ExtractField$Key`) or value "
        "(`org.apache.kafka.connect.transforms.ExtractField$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.original_path: str = config[FIELD_CONFIG]
        version = FieldSyntaxVersion.from_config(config[FIELD_SYNTAX_VERSION_CONFIG])
        self.path = SingleFieldPath(self.original_path, version)
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        if schema is None:
            mapping = require_map_or_null(value, PURPOSE)
            return None, None if mapping is None else self.path.value_from_map(mapping)
        struct = require_struct_or_null(value, PURPOSE)
        field = self.path.field_from(schema)
        if field is None:
            raise ValueError(f"Unknown field: {self.original_path}")  # Java: IllegalArgumentException
        extracted = None if struct is None else self.path.value_from_struct(struct, self.replace_null_with_default)
        return field.schema, extracted


class ExtractFieldKey(KeyOperand, ExtractField):
    pass


class ExtractFieldValue(ValueOperand, ExtractField):
    pass


register_variants(ExtractField, ExtractFieldKey, ExtractFieldValue)

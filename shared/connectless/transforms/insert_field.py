"""InsertField: add the topic, partition, offset, timestamp or a static value as fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectless import native
from connectless.config import ConfigDef, ConfigType, Importance
from connectless.data import (
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    SchemaBuilder,
)
from connectless.data.logical import OPTIONAL_TIMESTAMP_SCHEMA, TIMESTAMP_SCHEMA, timestamp_from_millis
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
    config_error,
    copy_schema_basics,
    default_positions,
    define_replace_null_with_default,
    require_map,
    require_sink_record,
    require_struct,
    struct_of,
    struct_values,
    values_with_defaults,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.data import Schema
    from connectless.records import ConnectRecord
    from connectless.transforms.base import MapRunStep, MapStep, StructOp, StructStep

TOPIC_FIELD = "topic.field"
PARTITION_FIELD = "partition.field"
OFFSET_FIELD = "offset.field"
TIMESTAMP_FIELD = "timestamp.field"
STATIC_FIELD = "static.field"
STATIC_VALUE = "static.value"
PURPOSE = "field insertion"
_TOPIC, _PARTITION, _OFFSET, _TIMESTAMP, _STATIC = "topic", "partition", "offset", "timestamp", "static"
_OPTIONALITY_DOC = "Suffix with `!` to make this a required field, or `?` to keep it optional (the default)."


def _field_config(name: str, doc: str) -> tuple[str, str]:
    return name, f"{doc} {_OPTIONALITY_DOC}"


CONFIG_DEF = ConfigDef()
for _name, _doc in (
    _field_config(TOPIC_FIELD, "Field name for Kafka topic."),
    _field_config(PARTITION_FIELD, "Field name for Kafka partition."),
    _field_config(OFFSET_FIELD, "Field name for Kafka offset - only applicable to sink connectors."),
    _field_config(TIMESTAMP_FIELD, "Field name for record timestamp."),
    _field_config(STATIC_FIELD, "Field name for static data field."),
    (STATIC_VALUE, "Static field value, if field name configured."),
):
    CONFIG_DEF.define(_name, ConfigType.STRING, None, importance=Importance.MEDIUM, documentation=_doc)
define_replace_null_with_default(CONFIG_DEF)


@dataclass(frozen=True, slots=True)
class InsertionSpec:
    """A field name with its optionality: `name?` (or bare) is optional, `name!` required."""

    name: str
    optional: bool

    @classmethod
    def parse(cls, spec: str | None) -> InsertionSpec | None:
        if spec is None:
            return None
        if spec.endswith("?"):
            return cls(spec[:-1], True)
        if spec.endswith("!"):
            return cls(spec[:-1], False)
        return cls(spec, True)


class InsertField(OperandRewrite):
    OVERVIEW_DOC = (
        "Insert field(s) using attributes from the record metadata or a configured static value. "
        "Use the concrete transformation type designed for the record key "
        "(`org.apache.kafka.connect.transforms.InsertField$Key`) or value "
        "(`org.apache.kafka.connect.transforms.InsertField$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.topic_field = InsertionSpec.parse(config[TOPIC_FIELD])
        self.partition_field = InsertionSpec.parse(config[PARTITION_FIELD])
        self.offset_field = InsertionSpec.parse(config[OFFSET_FIELD])
        self.timestamp_field = InsertionSpec.parse(config[TIMESTAMP_FIELD])
        self.static_field = InsertionSpec.parse(config[STATIC_FIELD])
        self.static_value: str | None = config[STATIC_VALUE]
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]
        specs = (self.topic_field, self.partition_field, self.offset_field, self.timestamp_field, self.static_field)
        if all(spec is None for spec in specs):
            raise config_error(TOPIC_FIELD, "No field insertion configured")
        if self.static_field is not None and self.static_value is None:
            raise config_error(
                STATIC_VALUE, f"No value specified for static field: {self.static_field.name}", self.static_value
            )
        # Inserted fields are appended in this fixed order; `_slots` keeps the configured ones.
        kinds = (_TOPIC, _PARTITION, _OFFSET, _TIMESTAMP, _STATIC)
        self._slots = tuple((kind, spec.name) for kind, spec in zip(kinds, specs, strict=True) if spec is not None)
        self._padding = [None] * len(self._slots)
        only_static = self._slots == ((_STATIC, self.static_field.name),) if self.static_field else False
        self._static_only = (self._slots[0][1], self.static_value) if only_static else None
        self._cache: SchemaUpdateCache[tuple[Schema, tuple[tuple[int, Any], ...]]] = SchemaUpdateCache()

    def owned_map_step(self) -> MapStep | None:
        if type(self).transform_operand is not InsertField.transform_operand:
            return None  # a subclass that rewrites differently
        if self._static_only is not None:
            name, static = self._static_only
            if native.records is not None:
                return native.records.StaticField(name, static)  # the same, in C: no Python frame per record

            def insert_static(_record: ConnectRecord, owned: dict[str, Any]) -> dict[str, Any]:
                owned[name] = static
                return owned

            return insert_static

        def insert(record: ConnectRecord, owned: dict[str, Any]) -> dict[str, Any]:
            for _position, field_name, field_value in self._insertions(record, False):
                owned[field_name] = field_value
            return owned

        return insert

    def owned_map_run_step(self) -> MapRunStep | None:
        if self._static_only is None or type(self).owned_map_step is not InsertField.owned_map_step:
            return super().owned_map_run_step()
        if self.owned_map_step() is None:
            return None
        name, static = self._static_only

        def insert_static(_records: Sequence[ConnectRecord], owned: list[dict[str, Any]]) -> list[dict[str, Any]]:
            for value in owned:
                value[name] = static
            return owned

        return insert_static

    def owned_struct_step(self, schema: Schema) -> tuple[Schema, StructStep | None] | None:
        if type(self).transform_operand is not InsertField.transform_operand:
            return None  # a subclass that rewrites differently
        updated_schema, defaults = self._cache.get(schema) or self._cache.put(schema, self._plan(schema))
        static, padding, insertions = self._static_only, self._padding, self._insertions

        def insert(record: ConnectRecord, owned: list[Any]) -> list[Any]:
            for index, default in defaults:
                if owned[index] is None:
                    owned[index] = default
            if static is not None:
                owned.append(static[1])
                return owned
            base = len(owned)
            owned.extend(padding)
            for position, _name, field_value in insertions(record, True):
                owned[base + position] = field_value
            return owned

        return updated_schema, insert

    def owned_struct_ops(self, schema: Schema) -> tuple[StructOp, ...] | None:
        if type(self).transform_operand is not InsertField.transform_operand or self._static_only is None:
            return None
        _updated_schema, defaults = self._cache.get(schema) or self._cache.put(schema, self._plan(schema))
        return None if defaults else ((0, self._static_only[1]),)

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        if value is None:
            return schema, value
        if schema is None:
            updated = dict(require_map(value, PURPOSE))
            if self._static_only is not None:
                updated[self._static_only[0]] = self._static_only[1]
            else:
                for _position, name, field_value in self._insertions(record, False):
                    updated[name] = field_value
            return None, updated
        struct = require_struct(value, PURPOSE)
        schema = struct.schema
        updated_schema, defaults = self._cache.get(schema) or self._cache.put(schema, self._plan(schema))
        values = values_with_defaults(struct, defaults) if defaults else list(struct_values(struct))
        if self._static_only is not None:
            values.append(self._static_only[1])
        else:
            base = len(values)
            values.extend(self._padding)
            for position, _name, field_value in self._insertions(record, True):
                values[base + position] = field_value
        return updated_schema, struct_of(updated_schema, values)

    def _insertions(self, record: ConnectRecord, with_schema: bool) -> list[tuple[int, str, Any]]:
        """(position among inserted fields, name, value); a missing partition or timestamp is skipped."""
        found: list[tuple[int, str, Any]] = []
        for position, (kind, name) in enumerate(self._slots):
            if kind is _STATIC:
                found.append((position, name, self.static_value))
            elif kind is _TOPIC:
                found.append((position, name, record.topic))
            elif kind is _PARTITION:
                if record.kafka_partition is not None:
                    found.append((position, name, record.kafka_partition))
            elif kind is _OFFSET:
                found.append((position, name, require_sink_record(record, PURPOSE).kafka_offset))
            elif record.timestamp is not None:
                timestamp = record.timestamp
                found.append((position, name, timestamp_from_millis(timestamp) if with_schema else timestamp))
        return found

    def _plan(self, schema: Schema) -> tuple[Schema, tuple[tuple[int, Any], ...]]:
        """The schema with the inserted fields appended, and the positions of defaults to fill in."""
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for f in schema.fields:
            builder.field(f.name, f.schema)
        additions = (
            (self.topic_field, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA),
            (self.partition_field, OPTIONAL_INT32_SCHEMA, INT32_SCHEMA),
            (self.offset_field, OPTIONAL_INT64_SCHEMA, INT64_SCHEMA),
            (self.timestamp_field, OPTIONAL_TIMESTAMP_SCHEMA, TIMESTAMP_SCHEMA),
            (self.static_field, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA),
        )
        for spec, optional_schema, required_schema in additions:
            if spec is not None:
                builder.field(spec.name, optional_schema if spec.optional else required_schema)
        defaults = default_positions(schema) if self.replace_null_with_default else ()
        return builder.build(), defaults

    def close(self) -> None:
        self._cache.clear()


class InsertFieldKey(KeyOperand, InsertField):
    pass


class InsertFieldValue(ValueOperand, InsertField):
    pass


register_variants(InsertField, InsertFieldKey, InsertFieldValue)

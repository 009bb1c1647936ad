"""ReplaceField: keep, drop or rename top-level fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless import native
from connectless.config import ConfigDef, ConfigError, ConfigType, Importance
from connectless.config.validators import LambdaValidator
from connectless.data import DataError, SchemaBuilder
from connectless.data.java_hash_order import java_hash_map_order
from connectless.transforms.base import KeyOperand, OperandRewrite, ValueOperand, register_variants
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.util import (
    REPLACE_NULL_WITH_DEFAULT_CONFIG,
    copy_schema_basics,
    define_replace_null_with_default,
    require_map,
    require_struct,
    struct_of,
    struct_values,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.data import Schema
    from connectless.records import ConnectRecord
    from connectless.transforms.base import MapRunStep, MapStep, StructOp, StructStep

EXCLUDE = "exclude"
INCLUDE = "include"
RENAMES = "renames"
# Deprecated since Kafka 2.7 (KIP-629) and dropped from Kafka 4's docs; still read so old configs keep working.
BLACKLIST = "blacklist"
WHITELIST = "whitelist"
PURPOSE = "field replacement"
# (updated schema, source index of each new field, (new position, default) pairs)
_Plan = tuple["Schema", tuple[int, ...], tuple[tuple[int, Any], ...]]


def parse_rename_mappings(mappings: list[str], name: str = RENAMES) -> dict[str, str]:
    renames: dict[str, str] = {}
    for mapping in mappings:
        parts = mapping.split(":")
        if len(parts) != 2:
            raise ConfigError(name, mappings, f"Invalid rename mapping: {mapping}")
        renames[parts[0]] = parts[1]
    return renames


def _check_renames(value: Any) -> bool:
    parse_rename_mappings(value or [])
    return True


CONFIG_DEF = (
    ConfigDef()
    .define(
        EXCLUDE,
        ConfigType.LIST,
        [],
        importance=Importance.MEDIUM,
        documentation="Fields to exclude. This takes precedence over the fields to include.",
    )
    .define(
        INCLUDE,
        ConfigType.LIST,
        [],
        importance=Importance.MEDIUM,
        documentation="Fields to include. If specified, only these fields will be used.",
    )
    .define(
        RENAMES,
        ConfigType.LIST,
        [],
        LambdaValidator(_check_renames, "list of colon-delimited pairs, e.g. `foo:bar,abc:xyz`"),
        Importance.MEDIUM,
        "Field rename mappings.",
    )
    .define(
        BLACKLIST,
        ConfigType.LIST,
        None,
        importance=Importance.LOW,
        documentation=f"Deprecated. Use {EXCLUDE} instead.",
    )
    .define(
        WHITELIST,
        ConfigType.LIST,
        None,
        importance=Importance.LOW,
        documentation=f"Deprecated. Use {INCLUDE} instead.",
    )
)
define_replace_null_with_default(CONFIG_DEF)


class ReplaceField(OperandRewrite):
    OVERVIEW_DOC = (
        "Filter or rename fields. Use the concrete transformation type designed for the record key "
        "(`org.apache.kafka.connect.transforms.ReplaceField$Key`) or value "
        "(`org.apache.kafka.connect.transforms.ReplaceField$Value`)."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        # The deprecated names are used only when the new ones are absent, as Kafka's ConfigUtils does.
        props = dict(props)
        for old, new in ((BLACKLIST, EXCLUDE), (WHITELIST, INCLUDE)):
            if old in props and new not in props:
                props[new] = props[old]
        config = CONFIG_DEF.parse(props)
        self.exclude = frozenset(config[EXCLUDE])
        self.include = frozenset(config[INCLUDE])
        self.renames = parse_rename_mappings(config[RENAMES])
        self.replace_null_with_default: bool = config[REPLACE_NULL_WITH_DEFAULT_CONFIG]
        self._cache: SchemaUpdateCache[_Plan] = SchemaUpdateCache()

    def keeps(self, name: str) -> bool:
        return name not in self.exclude and (not self.include or name in self.include)

    def renamed(self, name: str) -> str:
        return self.renames.get(name, name)

    def owned_map_step(self) -> MapStep | None:
        if type(self).transform_operand is not ReplaceField.transform_operand:
            return None  # a subclass that rewrites differently
        renames, exclude, include = self.renames, self.exclude, self.include
        get, collided = renames.get, self._collided

        def rename(record: ConnectRecord, owned: dict[str, Any]) -> dict[str, Any]:
            out = {get(k, k): v for k, v in owned.items()}
            return out if len(out) == len(owned) else collided(owned)

        if not exclude and not include and native.records is not None:
            return native.records.KeyRenamer(renames, lambda _record, owned: collided(owned))  # rename, in C

        def filter_and_rename(record: ConnectRecord, owned: dict[str, Any]) -> dict[str, Any]:
            kept = [(k, v) for k, v in owned.items() if k not in exclude and (not include or k in include)]
            out = {get(k, k): v for k, v in kept}
            return out if len(out) == len(kept) else collided(owned)

        return rename if not exclude and not include else filter_and_rename

    def owned_map_run_step(self) -> MapRunStep | None:
        if type(self).owned_map_step is not ReplaceField.owned_map_step:
            return super().owned_map_run_step()
        step = self.owned_map_step()
        if step is None:
            return None
        get, collided = self.renames.get, self._collided

        def rename(_records: Sequence[ConnectRecord], owned: list[dict[str, Any]]) -> list[dict[str, Any]]:
            out = [{get(k, k): v for k, v in value.items()} for value in owned]
            if list(map(len, out)) != list(map(len, owned)):  # two keys on one name somewhere in the run
                out = [o if len(o) == len(v) else collided(v) for o, v in zip(out, owned, strict=True)]
            return out

        def each(records: Sequence[ConnectRecord], owned: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [step(record, value) for record, value in zip(records, owned, strict=True)]

        return rename if not self.exclude and not self.include else each

    def _collided(self, owned: Mapping[str, Any]) -> dict[str, Any]:
        """Two kept fields renamed to one name: Kafka puts them into the new map in its value HashMap's order, the
        last one winning, so they go in Java's order here too (the table sized as a map filled by puts)."""
        get = self.renames.get
        return {get(k, k): owned[k] for k in java_hash_map_order(owned) if self.keeps(k)}

    def owned_struct_step(self, schema: Schema) -> tuple[Schema, StructStep | None] | None:
        if type(self).transform_operand is not ReplaceField.transform_operand:
            return None  # a subclass that rewrites differently
        updated_schema, indices, defaults = self._cache.get(schema) or self._cache.put(schema, self._plan(schema))
        if not defaults and indices == tuple(range(len(schema.fields))):
            return updated_schema, None  # renames only: the same values under the new schema

        def replace(_record: ConnectRecord, owned: list[Any]) -> list[Any]:
            values = [owned[i] for i in indices]
            for position, default in defaults:
                if values[position] is None:
                    values[position] = default
            return values

        return updated_schema, replace

    def owned_struct_ops(self, schema: Schema) -> tuple[StructOp, ...] | None:
        if type(self).transform_operand is not ReplaceField.transform_operand:
            return None
        _updated_schema, indices, defaults = self._cache.get(schema) or self._cache.put(schema, self._plan(schema))
        return () if not defaults and indices == tuple(range(len(schema.fields))) else None

    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        if value is None:
            return schema, value
        if schema is None:
            mapping = require_map(value, PURPOSE)
            get = self.renames.get
            kept = [(k, v) for k, v in mapping.items() if self.keeps(k)]
            updated = {get(k, k): v for k, v in kept}
            return None, updated if len(updated) == len(kept) else self._collided(mapping)
        struct = require_struct(value, PURPOSE)
        schema = struct.schema
        plan = self._cache.get(schema) or self._cache.put(schema, self._plan(schema))
        updated_schema, indices, defaults = plan
        old = struct_values(struct)
        values = [old[i] for i in indices]
        for position, default in defaults:
            if values[position] is None:
                values[position] = default
        return updated_schema, struct_of(updated_schema, values)

    def _plan(self, schema: Schema) -> _Plan:
        """The new schema, which old field feeds each new one, and (new position, default) pairs."""
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        names: list[str] = []
        for f in schema.fields:
            if self.keeps(f.name):
                builder.field(self.renamed(f.name), f.schema)
                names.append(self.renamed(f.name))
        # Kafka fills each new field from the old one its *reverse* rename names: the renames' HashMap inverted,
        # the last in Java's iteration order winning, so two renames to one name read the other field, or fail
        # when it is gone.
        reverse = {self.renames[source]: source for source in java_hash_map_order(self.renames)}
        indices: list[int] = []
        defaults: list[tuple[int, Any]] = []
        for name in names:
            source = schema.field(reverse.get(name, name))
            if source is None:
                raise DataError(f"{reverse.get(name, name)} is not a valid field name")
            if source.schema.default is not None and self.replace_null_with_default:
                defaults.append((len(indices), source.schema.default))
            indices.append(source.index)
        return builder.build(), tuple(indices), tuple(defaults)

    def close(self) -> None:
        self._cache.clear()


class ReplaceFieldKey(KeyOperand, ReplaceField):
    pass


class ReplaceFieldValue(ValueOperand, ReplaceField):
    pass


register_variants(ReplaceField, ReplaceFieldKey, ReplaceFieldValue)

"""ExtractNewRecordState: Debezium's "unwrap" SMT, turning a change event envelope into the row it leaves.

For op c, r and u the value becomes `after`. A delete (op d) is handled per `delete.tombstone.handling.mode`:
`drop` (Debezium's default) drops it, `tombstone` turns it into a tombstone of the same key (so a sink deletes
the row), `rewrite` keeps `before` with `__deleted=true`, `rewrite-with-tombstone` does that and keeps the
tombstones too. Tombstones already in the stream are dropped except under `rewrite-with-tombstone` and
`tombstone`. `add.fields=op,table,source.ts_ms` appends `__op`, `__table`, `__source_ts_ms` (names from the
envelope, or from its `source` block). Records that are not envelopes pass through unchanged.

Example:
    "transforms": "unwrap",
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    "transforms.unwrap.delete.tombstone.handling.mode": "tombstone"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, ValidString
from connectless.data import Schema, SchemaBuilder, Struct, Type
from connectless.plugins import PluginKind, register
from connectless.transforms.base import Transformation

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.records import ConnectRecord

DELETE_MODE = "delete.tombstone.handling.mode"
ADD_FIELDS = "add.fields"
ADD_FIELDS_PREFIX = "add.fields.prefix"
_MODES = ("drop", "tombstone", "rewrite", "rewrite-with-tombstone")

CONFIG_DEF = (
    ConfigDef()
    .define(DELETE_MODE, ConfigType.STRING, "drop", ValidString(_MODES), Importance.MEDIUM,
            "What a delete event becomes: drop, tombstone, rewrite (__deleted=true) or rewrite-with-tombstone.")
    .define(ADD_FIELDS, ConfigType.LIST, "", None, Importance.LOW,
            "Envelope or source fields to add to the row, e.g. op,table,source.ts_ms.")
    .define(ADD_FIELDS_PREFIX, ConfigType.STRING, "__", None, Importance.LOW, "Prefix of the added fields.")
)  # fmt: skip


@register(PluginKind.TRANSFORMATION, "io.debezium.transforms.ExtractNewRecordState", "ExtractNewRecordState",
          "UnwrapFromEnvelope")  # fmt: skip
class ExtractNewRecordState(Transformation):
    OVERVIEW_DOC = __doc__ or ""
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.mode: str = config[DELETE_MODE]
        self.add_fields: list[str] = [f.strip() for f in config[ADD_FIELDS] if f.strip()]
        self.prefix: str = config[ADD_FIELDS_PREFIX]
        self._schemas: dict[Schema, Schema] = {}

    def apply(self, record: Any) -> Any:
        value = record.value
        if value is None:
            return record if self.mode in ("tombstone", "rewrite-with-tombstone") else None
        envelope = _envelope(value)
        if envelope is None:
            return record
        op = envelope.get("op")
        if op == "d":
            if self.mode == "drop":
                return None
            if self.mode == "tombstone":
                return record.new_record(value=None, value_schema=None)
            return self._row(record, envelope, envelope.get("before"), deleted=True)
        return self._row(record, envelope, envelope.get("after"), deleted=False)

    def _row(self, record: ConnectRecord, envelope: Mapping[str, Any], row: Any, *, deleted: bool) -> ConnectRecord:
        rewrite = self.mode in ("rewrite", "rewrite-with-tombstone")
        extras = {self.prefix + name.replace(".", "_"): _lookup(envelope, name) for name in self.add_fields}
        if rewrite:
            extras[f"{self.prefix}deleted"] = "true" if deleted else "false"
        if isinstance(row, Struct):
            schema = self._schema(row.schema, extras)
            out = Struct(schema)
            for name, item in row.items():
                out.put_unchecked(name, item)
            for name, item in extras.items():
                out.put_unchecked(name, None if item is None else str(item))
            return record.new_record(value_schema=schema, value=out)
        plain = dict(row or {})
        plain.update({name: None if item is None else str(item) for name, item in extras.items()})
        return record.new_record(value_schema=None, value=plain)

    def _schema(self, row_schema: Schema, extras: Mapping[str, Any]) -> Schema:
        if not extras:
            return row_schema
        cached = self._schemas.get(row_schema)
        if cached is not None:
            return cached
        builder = SchemaBuilder.from_schema(row_schema, with_fields=True)
        for name in extras:
            if row_schema.field(name) is None:
                builder.field(name, SchemaBuilder.string().optional().build())
        schema = builder.build()
        self._schemas[row_schema] = schema
        return schema

    def close(self) -> None:
        self._schemas.clear()


def _envelope(value: Any) -> Mapping[str, Any] | None:
    """The envelope as a mapping (Struct or dict), or None when `value` is not a change event."""
    if isinstance(value, Struct):
        schema = value.schema
        if schema.type is Type.STRUCT and schema.field("op") is not None and schema.field("after") is not None:
            return dict(value.items())
        return None
    if isinstance(value, dict) and "op" in value and "after" in value:
        return value
    return None


def _lookup(envelope: Mapping[str, Any], name: str) -> Any:
    if name.startswith("source."):
        source = envelope.get("source")
        key = name.removeprefix("source.")
        if isinstance(source, Struct):
            return source.get(key) if source.schema.field(key) is not None else None
        return source.get(key) if isinstance(source, dict) else None
    if name in envelope:
        return envelope[name]
    source = envelope.get("source")
    if isinstance(source, Struct) and source.schema.field(name) is not None:
        return source.get(name)
    return source.get(name) if isinstance(source, dict) else None

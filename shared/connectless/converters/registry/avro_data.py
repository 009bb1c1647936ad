"""Connect schemas and values <-> Avro, mapped as Confluent's AvroData maps them (the facts, not its code).

Connect -> Avro: int8/int16 are Avro ints annotated `connect.type`; a struct is a record (unnamed ones are
`io.confluent.connect.avro.ConnectDefault`, `ConnectDefault2`, ...); an optional schema is a union with null
(null first, or last when the schema has a default); a map with non-string keys is an array of
`io.confluent.connect.avro.MapEntry` key/value records; Decimal is bytes with logicalType decimal (precision from
`connect.decimal.precision`, default 64), Date/Time/Timestamp are date/time-millis/timestamp-millis. With
`connect.meta.data` (default true) the Connect name, version, doc, parameters and default ride along as
`connect.name`, `connect.version`, `connect.doc`, `connect.parameters` and `connect.default`. With
`enhanced.avro.schema.support` a string carrying `io.confluent.connect.avro.Enum` parameters becomes an Avro enum.

Avro -> Connect is the inverse, plus: an enum becomes a string with the enum parameters, a union other than
[null, X] becomes a struct named `io.confluent.connect.avro.Union` with one optional field per branch, fixed is
bytes with `connect.fixed.size`, record and field docs become `io.confluent.connect.avro.record.doc` /
`...field.doc.<name>` parameters and a field default without `connect.default` is flagged with
`io.confluent.connect.avro.field.default`. Connect schemas cannot refer to themselves, so a recursive Avro
schema is refused with a clear error.

Values go through fastavro: it reads and writes Python Decimal/date/time/datetime for the logical types, which
are exactly Connect's Python values, so a flat record needs no per-field work beyond building the Struct.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectless.data.errors import DataError
from connectless.data.logical import (
    DATE_NAME,
    DECIMAL_NAME,
    SCALE_FIELD,
    TIME_NAME,
    TIMESTAMP_NAME,
    date_builder,
    decimal_builder,
    from_logical,
    time_builder,
    timestamp_builder,
    to_logical,
)
from connectless.data.schema import STRING_SCHEMA, SchemaBuilder, Type
from connectless.data.struct import Struct

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from connectless.data.schema import Schema

    Reader = Callable[[Any], Any] | None
    Writer = Callable[[Any], Any] | None

NAMESPACE = "io.confluent.connect.avro"
DEFAULT_SCHEMA_NAME = "ConnectDefault"
DEFAULT_SCHEMA_FULL_NAME = f"{NAMESPACE}.{DEFAULT_SCHEMA_NAME}"
MAP_ENTRY_TYPE_NAME = "MapEntry"
KEY_FIELD, VALUE_FIELD = "key", "value"
CONNECT_NAME = "connect.name"
CONNECT_DOC = "connect.doc"
CONNECT_VERSION = "connect.version"
CONNECT_DEFAULT = "connect.default"
CONNECT_PARAMETERS = "connect.parameters"
CONNECT_INTERNAL_TYPE = "connect.internal.type"
CONNECT_TYPE = "connect.type"
AVRO_RECORD_DOC = f"{NAMESPACE}.record.doc"
AVRO_ENUM_DOC_PREFIX = f"{NAMESPACE}.enum.doc."
AVRO_FIELD_DOC_PREFIX = f"{NAMESPACE}.field.doc."
AVRO_FIELD_DEFAULT_FLAG = f"{NAMESPACE}.field.default"
AVRO_ENUM_DEFAULT_PREFIX = f"{NAMESPACE}.enum.default."
AVRO_TYPE_UNION = f"{NAMESPACE}.Union"
AVRO_TYPE_ENUM = f"{NAMESPACE}.Enum"
DECIMAL_PRECISION = "connect.decimal.precision"
FIXED_SIZE = "connect.fixed.size"
DEFAULT_DECIMAL_PRECISION = 64
_AVRO_PROP_PREFIX = "avro"
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_CONNECT_TO_AVRO = {
    Type.INT8: "int",
    Type.INT16: "int",
    Type.INT32: "int",
    Type.INT64: "long",
    Type.FLOAT32: "float",
    Type.FLOAT64: "double",
    Type.BOOLEAN: "boolean",
    Type.STRING: "string",
    Type.BYTES: "bytes",
    Type.ARRAY: "array",
    Type.MAP: "map",
}
_MISSING = object()


def split_name(full: str) -> tuple[str | None, str]:
    namespace, dot, name = full.rpartition(".")
    return (namespace if dot else None), name


def avro_full_name(avro: Any) -> str | None:
    """The full name of a named Avro schema (record, enum, fixed); its type name for a primitive."""
    if isinstance(avro, str):
        return avro
    if isinstance(avro, dict):
        kind = avro.get("type")
        if kind in ("record", "enum", "fixed", "error"):
            name = str(avro["name"])
            namespace = avro.get("namespace")
            return f"{namespace}.{name}" if namespace and "." not in name else name
        if isinstance(kind, str) and kind in _PRIMITIVES:
            return kind
    return None


def qualify(avro: Any, namespace: str | None = None, defined: set[str] | None = None) -> Any:
    """`avro` with every named type's name and every reference made fully qualified (namespaces inherited as
    Avro inherits them), so that later steps can look names up without tracking the enclosing namespace."""
    defined = set() if defined is None else defined
    if isinstance(avro, str):
        if avro not in _PRIMITIVES and "." not in avro and namespace and f"{namespace}.{avro}" in defined:
            return f"{namespace}.{avro}"
        return avro
    if isinstance(avro, list):
        return [qualify(member, namespace, defined) for member in avro]
    if not isinstance(avro, dict):
        return avro
    out = dict(avro)
    kind = avro.get("type")
    if kind in ("record", "error", "enum", "fixed"):
        name = str(avro["name"])
        space = avro.get("namespace", namespace)
        full = name if "." in name or not space else f"{space}.{name}"
        out["name"] = full
        out.pop("namespace", None)
        defined.add(full)
        namespace = full.rpartition(".")[0] or None
    elif isinstance(kind, dict | list) or (isinstance(kind, str) and kind not in _PRIMITIVES and kind not in
                                          ("array", "map")):  # fmt: skip
        out["type"] = qualify(kind, namespace, defined)
    if "fields" in out:
        out["fields"] = [{**f, "type": qualify(f["type"], namespace, defined)} for f in out["fields"]]
    for key in ("items", "values"):
        if key in out:
            out[key] = qualify(out[key], namespace, defined)
    return out


@dataclass
class _FromConnect:
    name_index: int = 0
    defined: dict[Schema, str] = field(default_factory=dict)  # non-optional named Connect schema -> Avro full name
    names: set[str] = field(default_factory=set)

    def name_or_default(self, name: str | None) -> tuple[str | None, str]:
        if name is not None:
            return split_name(name)
        self.name_index += 1
        return NAMESPACE, DEFAULT_SCHEMA_NAME + (str(self.name_index) if self.name_index > 1 else "")


@dataclass
class _ToConnect:
    named: dict[str, Any] = field(default_factory=dict)  # Avro full name -> its definition
    in_progress: set[str] = field(default_factory=set)
    has_general_union: bool = False


def _bytes_builder(props: dict[str, Any]) -> SchemaBuilder:
    if props.get("logicalType") == "decimal":
        scale = props.get("scale", 0)
        builder = decimal_builder(scale if isinstance(scale, int) else 0)
        precision = props.get("precision")
        if precision is not None and not isinstance(precision, int):
            raise DataError("precision property must be a JSON Integer.")
        if precision is not None and precision != DEFAULT_DECIMAL_PRECISION:
            builder.parameter(DECIMAL_PRECISION, str(precision))
    else:
        builder = SchemaBuilder.bytes()
    if props.get("type") == "fixed":
        builder.parameter(FIXED_SIZE, str(props["size"]))
    return builder


def _int_builder(props: dict[str, Any]) -> SchemaBuilder:
    logical, connect_type = props.get("logicalType"), props.get(CONNECT_TYPE)
    if logical == "date":
        return date_builder()
    if logical == "time-millis":
        return time_builder()
    if logical is None and connect_type in ("int8", "int16"):
        return SchemaBuilder.of(Type.from_name(connect_type))
    if logical is None and connect_type is not None:
        raise DataError(f"Connect type annotation for Avro int field is invalid: {connect_type}")
    return SchemaBuilder.int32()


_SIMPLE_BUILDERS: dict[str, Callable[[dict[str, Any]], SchemaBuilder]] = {
    "boolean": lambda props: SchemaBuilder.boolean(),
    "bytes": _bytes_builder,
    "fixed": _bytes_builder,
    "double": lambda props: SchemaBuilder.float64(),
    "float": lambda props: SchemaBuilder.float32(),
    "int": _int_builder,
    "long": lambda props: (
        timestamp_builder() if props.get("logicalType") == "timestamp-millis" else SchemaBuilder.int64()
    ),
    "string": lambda props: SchemaBuilder.string(),
}


class AvroData:
    """The mapping, configured as AvroDataConfig is (`connect.meta.data`, `enhanced.avro.schema.support`)."""

    def __init__(self, *, connect_meta_data: bool = True, enhanced_schema_support: bool = False) -> None:
        self.connect_meta_data = connect_meta_data
        self.enhanced = enhanced_schema_support

    # ------------------------------------------------------------------ Connect schema -> Avro schema

    def from_connect_schema(self, schema: Schema | None) -> Any:
        """The Avro schema (as parsed JSON) of a Connect schema."""
        if schema is None:
            raise DataError("AvroConverter needs a Connect schema: a schemaless value has no Avro schema")
        return self._from_connect(schema, _FromConnect(), ignore_optional=False)

    def _from_connect(self, schema: Schema, ctx: _FromConnect, *, ignore_optional: bool) -> Any:
        if not schema.optional and schema in ctx.defined:
            return ctx.defined[schema]
        params = schema.parameters or {}
        base: dict[str, Any]
        connect_type = None
        kind = schema.type
        if kind in (Type.INT8, Type.INT16):
            connect_type = kind.value
            base = {"type": "int"}
        elif kind is Type.STRING and self.enhanced and AVRO_TYPE_ENUM in params:
            base = self._enum_from_connect(schema, params, ctx)
        elif kind is Type.BYTES:
            base = self._bytes_from_connect(schema, params, ctx)
        elif kind is Type.ARRAY:
            assert schema.value_schema is not None
            base = {"type": "array", "items": self._from_connect(schema.value_schema, ctx, ignore_optional=False)}
        elif kind is Type.MAP:
            base = self._map_from_connect(schema, ctx)
        elif kind is Type.STRUCT:
            if schema.name == AVRO_TYPE_UNION:
                members = ["null"] if schema.optional else []
                members += [self._from_connect(f.schema, ctx, ignore_optional=True) for f in schema.fields]
                return members
            if schema.optional and not ignore_optional:
                return ["null", self._from_connect(_required(schema), ctx, ignore_optional=False)]
            base = self._record_from_connect(schema, params, ctx)
        else:
            base = {"type": _CONNECT_TO_AVRO[kind]}
        self._add_metadata(base, schema, params, connect_type)
        avro: Any = base["type"] if len(base) == 1 and base["type"] in _PRIMITIVES else base
        if base.get("type") in ("record", "enum", "fixed") and not schema.optional:
            ctx.defined[schema] = avro_full_name(base) or ""
        if schema.optional and not ignore_optional:
            return [avro, "null"] if schema.default is not None else ["null", avro]
        return avro

    def _add_metadata(
        self, base: dict[str, Any], schema: Schema, params: dict[str, str] | Any, ctype: str | None
    ) -> None:
        if self.connect_meta_data:
            if schema.doc is not None:
                base[CONNECT_DOC] = schema.doc
            if schema.version is not None:
                base[CONNECT_VERSION] = schema.version
            shown = {k: v for k, v in params.items() if k != AVRO_FIELD_DEFAULT_FLAG}
            if shown:
                base[CONNECT_PARAMETERS] = shown
            if schema.default is not None and AVRO_FIELD_DEFAULT_FLAG not in params:
                base[CONNECT_DEFAULT] = self._default_from_connect(schema, schema.default)
            if schema.name is not None:
                base[CONNECT_NAME] = schema.name
            if ctype is not None:
                base[CONNECT_TYPE] = ctype
        logical = _logical_type(schema.name, params)
        if logical is not None:
            base["logicalType"] = logical
        for key, value in params.items():
            if key.startswith(_AVRO_PROP_PREFIX):
                base[key] = value

    def _enum_from_connect(self, schema: Schema, params: dict[str, str] | Any, ctx: _FromConnect) -> dict[str, Any]:
        prefix = AVRO_TYPE_ENUM + "."
        symbols = [key[len(prefix) :] for key in params if key.startswith(prefix)]
        _, name = ctx.name_or_default(schema.name)
        enum_namespace, enum_name = split_name(params[AVRO_TYPE_ENUM])
        base: dict[str, Any] = {"type": "enum", "name": enum_name}
        if enum_namespace:
            base["namespace"] = enum_namespace
        doc = params.get(AVRO_ENUM_DOC_PREFIX + name)
        if doc is not None:
            base["doc"] = doc
        base["symbols"] = symbols
        default = params.get(AVRO_ENUM_DEFAULT_PREFIX + name)
        if default is not None:
            base["default"] = default
        return base

    def _bytes_from_connect(self, schema: Schema, params: dict[str, str] | Any, ctx: _FromConnect) -> dict[str, Any]:
        base: dict[str, Any]
        if FIXED_SIZE in params:
            namespace, name = ctx.name_or_default(schema.name)
            base = {"type": "fixed", "name": name}
            if namespace:
                base["namespace"] = namespace
            base["size"] = int(params[FIXED_SIZE])
        else:
            base = {"type": "bytes"}
        if schema.name == DECIMAL_NAME:
            precision, scale = _decimal_precision_scale(params)
            base["scale"] = scale
            base["precision"] = precision
        return base

    def _map_from_connect(self, schema: Schema, ctx: _FromConnect) -> dict[str, Any]:
        key, value = schema.key_schema, schema.value_schema
        assert key is not None and value is not None
        if key.type is Type.STRING and not key.optional:
            return {"type": "map", "values": self._from_connect(value, ctx, ignore_optional=False)}
        if schema.name is None:
            namespace, name, internal = NAMESPACE, MAP_ENTRY_TYPE_NAME, False
        else:
            spaced, name = ctx.name_or_default(schema.name)
            namespace, internal = spaced or "", True
        full = f"{namespace}.{name}" if namespace else name
        if full in ctx.names:  # Avro names a type once; later uses refer to it
            return {"type": "array", "items": full}
        ctx.names.add(full)
        entry: dict[str, Any] = {"type": "record", "name": name, "namespace": namespace}
        entry["fields"] = [self._field(KEY_FIELD, key, None, ctx), self._field(VALUE_FIELD, value, None, ctx)]
        if internal:
            entry[CONNECT_INTERNAL_TYPE] = MAP_ENTRY_TYPE_NAME
        return {"type": "array", "items": entry}

    def _record_from_connect(self, schema: Schema, params: dict[str, str] | Any, ctx: _FromConnect) -> dict[str, Any]:
        namespace, name = ctx.name_or_default(schema.name)
        full = f"{namespace}.{name}" if namespace else name
        if full in ctx.names:
            raise DataError(f"Avro cannot define the type {full} twice with different schemas")
        ctx.names.add(full)
        record: dict[str, Any] = {"type": "record", "name": name}
        if namespace:
            record["namespace"] = namespace
        doc = params.get(AVRO_RECORD_DOC)
        if doc is not None:
            record["doc"] = doc
        record["fields"] = [
            self._field(f.name, f.schema, params.get(AVRO_FIELD_DOC_PREFIX + f.name), ctx) for f in schema.fields
        ]
        return record

    def _field(self, name: str, schema: Schema, doc: str | None, ctx: _FromConnect) -> dict[str, Any]:
        avro_field: dict[str, Any] = {"name": name, "type": self._from_connect(schema, ctx, ignore_optional=False)}
        if doc is not None:
            avro_field["doc"] = doc
        if schema.default is not None:
            avro_field["default"] = self._default_from_connect(schema, schema.default)
        elif schema.optional:
            avro_field["default"] = None
        return avro_field

    def _default_from_connect(self, schema: Schema, value: Any) -> Any:
        """A Connect default as Avro's JSON form of it."""
        if value is None:
            return None
        value = from_logical(schema, value)
        kind = schema.type
        if kind is Type.BYTES:
            return bytes(value).decode("latin-1")
        if kind is Type.ARRAY:
            assert schema.value_schema is not None
            return [self._default_from_connect(schema.value_schema, v) for v in value]
        if kind is Type.MAP:
            assert schema.key_schema is not None and schema.value_schema is not None
            if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
                return {k: self._default_from_connect(schema.value_schema, v) for k, v in value.items()}
            return [
                [self._default_from_connect(schema.key_schema, k), self._default_from_connect(schema.value_schema, v)]
                for k, v in value.items()
            ]
        if kind is Type.STRUCT:
            if schema.name == AVRO_TYPE_UNION:
                for f in schema.fields:
                    return self._default_from_connect(f.schema, value.get(f.name))
                return None
            return {f.name: self._default_from_connect(f.schema, value.get(f.name)) for f in schema.fields}
        return value

    # ------------------------------------------------------------------ Connect value -> Avro datum

    def writer(self, schema: Schema, avro: Any) -> Writer:
        """A function of a Connect value giving fastavro's datum for `avro` (None: the value as it is)."""
        return self._writer(schema, avro, {}, ignore_optional=False)

    def _writer(self, schema: Schema, avro: Any, named: dict[str, Any], *, ignore_optional: bool) -> Writer:
        avro = _resolve(avro, named)
        if isinstance(avro, list) and not ignore_optional and schema.name != AVRO_TYPE_UNION:
            branch = next(b for b in avro if b != "null")
            return self._writer(schema, branch, named, ignore_optional=True)
        kind = schema.type
        if kind is Type.STRUCT and schema.name == AVRO_TYPE_UNION:
            return self._union_writer(schema, avro, named)
        if kind is Type.STRUCT:
            _remember(avro, named)
            by_name = {f["name"]: f["type"] for f in avro["fields"]}
            plan = [
                (f.name, self._writer(f.schema, by_name[f.name], named, ignore_optional=False)) for f in schema.fields
            ]
            record_name = avro_full_name(avro)

            def write_struct(value: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, Struct):
                    raise DataError(f"Expected a Struct for Avro record {record_name}, got {type(value).__name__}")
                datum = {}
                for name, inner in plan:
                    v = value.get(name)
                    datum[name] = v if inner is None or v is None else inner(v)
                return datum

            return write_struct
        if kind is Type.ARRAY:
            assert schema.value_schema is not None
            item = self._writer(schema.value_schema, avro["items"], named, ignore_optional=False)
            if item is None:
                return None
            return lambda value: None if value is None else [None if v is None else item(v) for v in value]
        if kind is Type.MAP:
            assert schema.key_schema is not None and schema.value_schema is not None
            if avro.get("type") == "map":
                inner = self._writer(schema.value_schema, avro["values"], named, ignore_optional=False)
                if inner is None:
                    return None
                return lambda value: (
                    None if value is None else {k: None if v is None else inner(v) for k, v in value.items()}
                )
            entry = _resolve(avro["items"], named)
            _remember(entry, named)
            types = {f["name"]: f["type"] for f in entry["fields"]}
            key_w = self._writer(schema.key_schema, types[KEY_FIELD], named, ignore_optional=False) or _same
            value_w = self._writer(schema.value_schema, types[VALUE_FIELD], named, ignore_optional=False) or _same
            return lambda value: (
                None
                if value is None
                else [
                    {KEY_FIELD: None if k is None else key_w(k), VALUE_FIELD: None if v is None else value_w(v)}
                    for k, v in value.items()
                ]
            )
        if schema.name == DECIMAL_NAME and not (isinstance(avro, dict) and avro.get("logicalType") == "decimal"):
            return lambda value: None if value is None else from_logical(schema, value)  # legacy: raw bytes
        if kind is Type.BYTES and schema.name != DECIMAL_NAME:
            return _to_bytes
        return None

    def _union_writer(self, schema: Schema, avro: Any, named: dict[str, Any]) -> Writer:
        members = [m for m in avro if m != "null"] if isinstance(avro, list) else [avro]
        plan = []
        for f, member in zip(schema.fields, members, strict=False):
            resolved = _resolve(member, named)
            inner = self._writer(f.schema, resolved, named, ignore_optional=True)
            plan.append((f.name, inner, avro_full_name(resolved) if isinstance(resolved, dict) else None))

        def write_union(value: Any) -> Any:
            if value is None:
                return None
            for name, inner, full in plan:
                v = value.get(name)
                if v is not None:
                    datum = v if inner is None else inner(v)
                    return (full, datum) if full and isinstance(datum, dict) else datum
            return None

        return write_union

    # ------------------------------------------------------------------ Avro schema -> Connect schema

    def to_connect_schema(
        self, avro: Any, version: int | None = None, references: Sequence[Any] = ()
    ) -> tuple[Schema, Reader, bool]:
        """(Connect schema, reader of fastavro's datum or None for as-is, whether a general union occurs).

        `references` are the Avro schemas the registry lists as this one's references (dependencies first): the
        named types they define may be used by name."""
        ctx = _ToConnect()
        defined: set[str] = set()
        for referenced in references:
            _named_types(qualify(referenced, defined=defined), ctx.named)
        avro = qualify(avro, defined=defined)
        schema, reader = self._to_connect(avro, ctx, force_optional=False, field_default=_MISSING, version=version)
        return schema, reader, ctx.has_general_union

    def _to_connect(
        self, avro: Any, ctx: _ToConnect, *, force_optional: bool, field_default: Any, version: int | None = None
    ) -> tuple[Schema, Reader]:
        if isinstance(avro, str) and avro not in _PRIMITIVES:
            if avro in ctx.in_progress:
                raise DataError(f"Recursive Avro schemas cannot become Connect schemas: {avro} refers to itself")
            if avro not in ctx.named:
                raise DataError(f"Unknown Avro type {avro}")
            avro = ctx.named[avro]
        if isinstance(avro, list):
            return self._union_to_connect(avro, ctx, field_default=field_default)
        props: dict[str, Any] = avro if isinstance(avro, dict) else {"type": avro}
        kind = props.get("type")
        if isinstance(kind, dict | list):
            return self._to_connect(kind, ctx, force_optional=force_optional, field_default=field_default)
        full = avro_full_name(props) if kind in ("record", "enum", "fixed", "error") else None
        if full:
            if full in ctx.in_progress:
                raise DataError(f"Recursive Avro schemas cannot become Connect schemas: {full} refers to itself")
            ctx.named[full] = props
            ctx.in_progress.add(full)
        try:
            builder, reader = self._builder(props, str(kind), ctx)
        finally:
            if full:
                ctx.in_progress.discard(full)
        self._apply_props(builder, props, kind, field_default, version)
        if force_optional:
            builder.optional()
        schema = builder.build()
        if isinstance(reader, list):  # a record's field readers: bind them to the finished schema
            return schema, _record_reader(schema, reader)
        return schema, None if reader is None else _none_safe(reader)

    def _builder(self, props: dict[str, Any], kind: str, ctx: _ToConnect) -> tuple[SchemaBuilder, Any]:
        """The Connect builder of one Avro type, and its reader (a list of field readers for a record)."""
        simple = _SIMPLE_BUILDERS.get(kind)
        if simple is not None:
            return simple(props), None
        if kind == "array":
            return self._array_to_connect(props, ctx)
        if kind == "map":
            values, inner = self._to_connect(props["values"], ctx, force_optional=False, field_default=_MISSING)
            reader = None if inner is None else (lambda value: {k: inner(v) for k, v in value.items()})
            return SchemaBuilder.map(STRING_SCHEMA, values), reader
        if kind in ("record", "error"):
            return self._record_to_connect(props, ctx)
        if kind == "enum":
            return self._enum_to_connect(props), None
        if kind == "null":
            raise DataError("Standalone null schemas are not supported by this converter")
        raise DataError(f"Couldn't translate unsupported schema type {kind}.")

    def _enum_to_connect(self, props: dict[str, Any]) -> SchemaBuilder:
        builder = SchemaBuilder.string()
        name = str(props["name"]).rsplit(".", 1)[-1]
        if self.connect_meta_data and props.get("doc") is not None:
            builder.parameter(AVRO_ENUM_DOC_PREFIX + name, str(props["doc"]))
        if self.connect_meta_data and props.get("default") is not None:
            builder.parameter(AVRO_ENUM_DEFAULT_PREFIX + name, str(props["default"]))
        builder.parameter(AVRO_TYPE_ENUM, avro_full_name(props) or name)
        for symbol in props.get("symbols", []):
            builder.parameter(f"{AVRO_TYPE_ENUM}.{symbol}", symbol)
        return builder

    def _array_to_connect(self, props: dict[str, Any], ctx: _ToConnect) -> tuple[SchemaBuilder, Reader]:
        items = props["items"]
        element = ctx.named.get(items, items) if isinstance(items, str) else items
        if isinstance(element, dict) and _is_map_entry(element):
            types = {f["name"]: f["type"] for f in element.get("fields", [])}
            if set(types) != {KEY_FIELD, VALUE_FIELD}:
                raise DataError(
                    "Found map encoded as array of key-value pairs, but array elements do not match the expected "
                    "format."
                )
            full = avro_full_name(element)
            if full:
                ctx.named[full] = element
            key, key_r = self._to_connect(types[KEY_FIELD], ctx, force_optional=False, field_default=_MISSING)
            value, value_r = self._to_connect(types[VALUE_FIELD], ctx, force_optional=False, field_default=_MISSING)
            kr, vr = key_r or _same, value_r or _same
            return SchemaBuilder.map(key, value), lambda entries: {
                kr(e[KEY_FIELD]): vr(e[VALUE_FIELD]) for e in entries
            }
        values, inner = self._to_connect(items, ctx, force_optional=False, field_default=_MISSING)
        reader = None if inner is None else (lambda value: [inner(v) for v in value])
        return SchemaBuilder.array(values), reader

    def _record_to_connect(
        self, props: dict[str, Any], ctx: _ToConnect
    ) -> tuple[SchemaBuilder, list[tuple[str, Reader]]]:
        builder = SchemaBuilder.struct()
        if self.connect_meta_data and props.get("doc") is not None:
            builder.parameter(AVRO_RECORD_DOC, str(props["doc"]))
        readers: list[tuple[str, Reader]] = []
        for avro_field in props.get("fields", []):
            name = avro_field["name"]
            if self.connect_meta_data and avro_field.get("doc") is not None:
                builder.parameter(AVRO_FIELD_DOC_PREFIX + name, str(avro_field["doc"]))
            default = avro_field.get("default", _MISSING)
            field_schema, reader = self._to_connect(
                avro_field["type"], ctx, force_optional=False, field_default=default
            )
            builder.field(name, field_schema)
            readers.append((name, reader))
        return builder, readers

    def _union_to_connect(self, members: list[Any], ctx: _ToConnect, *, field_default: Any) -> tuple[Schema, Reader]:
        if len(members) == 1:
            return self._to_connect(members[0], ctx, force_optional=False, field_default=_MISSING)
        if len(members) == 2 and "null" in members:
            other = members[1] if members[0] == "null" else members[0]
            return self._to_connect(other, ctx, force_optional=True, field_default=_MISSING)
        ctx.has_general_union = True
        builder = SchemaBuilder.struct().name(AVRO_TYPE_UNION)
        by_named: dict[str, tuple[str, Reader]] = {}
        by_kind: dict[str, tuple[str, Reader]] = {}
        by_field: set[str] = set()
        for member in members:
            resolved = ctx.named.get(member, member) if isinstance(member, str) else member
            kind = resolved if isinstance(resolved, str) else resolved.get("type")
            if kind == "null":
                builder.optional()
                continue
            full = avro_full_name(resolved) if kind in ("record", "enum", "fixed", "error") else None
            field_name = (full if self.enhanced else str(full).rsplit(".", 1)[-1]) if full else str(kind)
            if field_name in by_field:
                raise DataError("Multiple union schemas map to the Connect union field name")
            schema, reader = self._to_connect(member, ctx, force_optional=True, field_default=_MISSING)
            builder.field(field_name, schema)
            by_field.add(field_name)
            if full:
                by_named[full] = (field_name, reader)
            by_kind.setdefault(str(kind), (field_name, reader))
        union_schema = builder.build()
        return union_schema, _union_reader(union_schema, by_named, by_kind)

    def _apply_props(
        self, builder: SchemaBuilder, props: dict[str, Any], kind: Any, field_default: Any, version: int | None
    ) -> None:
        """Doc, version, parameters, default and name, as Confluent reads them off an Avro schema."""
        if self.connect_meta_data and props.get(CONNECT_DOC) is not None:
            builder.doc(str(props[CONNECT_DOC]))
        built = builder.build()
        connect_version = props.get(CONNECT_VERSION)
        if connect_version is not None and not isinstance(connect_version, int):
            raise DataError(f"Invalid Connect version found: {connect_version}")
        chosen = connect_version if connect_version is not None else version
        if chosen is not None and chosen >= 0:
            if built.version is not None and built.version != chosen:
                raise DataError(
                    f"Mismatched versions: version already added to SchemaBuilder ({built.version}) differs from "
                    f"version in source schema ({chosen})"
                )
            builder.version(chosen)
        self._apply_parameters(builder, props)
        connect_default = props.get(CONNECT_DEFAULT, _MISSING)
        default = field_default
        if default is _MISSING:
            default = connect_default
        elif self.connect_meta_data and connect_default is _MISSING:
            builder.parameter(AVRO_FIELD_DEFAULT_FLAG, "true")
        self._apply_name(builder, built, props, kind)
        if default is not _MISSING and default is not None:
            probe = builder.build()
            try:
                builder.default_value(self._default_from_avro(probe, default))
            except (DataError, TypeError, ValueError, KeyError, AttributeError):
                pass  # as Confluent does: an invalid default is ignored

    def _apply_parameters(self, builder: SchemaBuilder, props: dict[str, Any]) -> None:
        parameters = props.get(CONNECT_PARAMETERS)
        if self.connect_meta_data and parameters is not None:
            if not isinstance(parameters, dict):
                raise DataError(f"Expected JSON object for schema parameters but found: {parameters}")
            for key, value in parameters.items():
                if not isinstance(value, str):
                    raise DataError(f"Expected schema parameter values to be strings but found: {value}")
                builder.parameter(key, value)
        for key, value in props.items():
            if key.startswith(_AVRO_PROP_PREFIX):
                builder.parameter(key, value if isinstance(value, str) else json.dumps(value))

    @staticmethod
    def _apply_name(builder: SchemaBuilder, built: Schema, props: dict[str, Any], kind: Any) -> None:
        name = props.get(CONNECT_NAME)
        if name is not None and not isinstance(name, str):
            raise DataError(f"Invalid schema name: {name}")
        if name is None and kind in ("record", "enum", "error"):
            name = avro_full_name(props)
        elif name is None and kind == "fixed" and built.name != DECIMAL_NAME:
            name = avro_full_name(props)
        if name is not None and not name.startswith(DEFAULT_SCHEMA_FULL_NAME):
            if built.name is not None and built.name != name:
                raise DataError(
                    f"Mismatched names: name already added to SchemaBuilder ({built.name}) differs from name in "
                    f"source schema ({name})"
                )
            builder.name(name)

    def _default_from_avro(self, schema: Schema, value: Any) -> Any:
        """Avro's JSON form of a default -> the Connect value (logical types included)."""
        if value is None:
            return None
        kind = schema.type
        if kind in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
            result: Any = int(value)
        elif kind in (Type.FLOAT32, Type.FLOAT64):
            result = float(value)
        elif kind is Type.BOOLEAN:
            result = bool(value)
        elif kind is Type.STRING:
            result = str(value)
        elif kind is Type.BYTES:
            result = value.encode("latin-1") if isinstance(value, str) else bytes(value)
        elif kind is Type.ARRAY:
            assert schema.value_schema is not None
            result = [self._default_from_avro(schema.value_schema, v) for v in value]
        elif kind is Type.MAP:
            assert schema.key_schema is not None and schema.value_schema is not None
            if isinstance(value, dict):
                result = {k: self._default_from_avro(schema.value_schema, v) for k, v in value.items()}
            else:
                result = {
                    self._default_from_avro(schema.key_schema, k): self._default_from_avro(schema.value_schema, v)
                    for k, v in value
                }
        elif kind is Type.STRUCT:
            struct = Struct(schema)
            if schema.name == AVRO_TYPE_UNION:
                first = schema.fields[0]
                struct.put(first.name, self._default_from_avro(first.schema, value))
            else:
                for f in schema.fields:
                    struct.put(f.name, self._default_from_avro(f.schema, value.get(f.name)))
            return struct
        else:
            result = value
        return to_logical(schema, result)

    # ------------------------------------------------------------------ helpers used by the readers


def _logical_type(name: str | None, params: Any) -> str | None:
    if name == DECIMAL_NAME:
        precision, scale = _decimal_precision_scale(params)
        # outside 0 <= scale <= precision Avro's decimal is invalid; Confluent then keeps it only when the
        # precision was given explicitly (its legacy form)
        return "decimal" if 0 <= scale <= precision or DECIMAL_PRECISION in params else None
    return {DATE_NAME: "date", TIME_NAME: "time-millis", TIMESTAMP_NAME: "timestamp-millis"}.get(name or "")


def _named_types(avro: Any, into: dict[str, Any]) -> None:
    """Every named type a (qualified) Avro schema defines, by full name."""
    if isinstance(avro, list):
        for member in avro:
            _named_types(member, into)
    elif isinstance(avro, dict):
        if avro.get("type") in ("record", "error", "enum", "fixed"):
            into[str(avro["name"])] = avro
        for f in avro.get("fields", []):
            _named_types(f.get("type"), into)
        for key in ("items", "values", "type"):
            if isinstance(avro.get(key), dict | list):
                _named_types(avro[key], into)


def _decimal_precision_scale(params: Any) -> tuple[int, int]:
    precision = int(params.get(DECIMAL_PRECISION, DEFAULT_DECIMAL_PRECISION))
    scale = int(params.get(SCALE_FIELD, 0))
    return precision, scale


def _required(schema: Schema) -> Schema:
    builder = SchemaBuilder.from_schema(schema)
    builder.required()
    return builder.build()


def _is_map_entry(avro: dict[str, Any]) -> bool:
    if avro.get("type") != "record":
        return False
    return (
        avro_full_name(avro) == f"{NAMESPACE}.{MAP_ENTRY_TYPE_NAME}"
        or avro.get(CONNECT_INTERNAL_TYPE) == MAP_ENTRY_TYPE_NAME
    )


def _resolve(avro: Any, named: dict[str, Any]) -> Any:
    if isinstance(avro, str) and avro not in _PRIMITIVES:
        return named.get(avro, avro)
    if isinstance(avro, dict) and isinstance(avro.get("type"), dict | list):
        return _resolve(avro["type"], named)
    return avro


def _remember(avro: Any, named: dict[str, Any]) -> None:
    full = avro_full_name(avro)
    if full and isinstance(avro, dict):
        named[full] = avro


def _same(value: Any) -> Any:
    return value


def _to_bytes(value: Any) -> Any:
    return value if value is None or type(value) is bytes else bytes(value)


def _none_safe(reader: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else reader(value)


def _record_reader(schema: Schema, readers: list[tuple[str, Reader]]) -> Reader:
    """fastavro's dict -> a Struct of `schema`; fields needing no conversion are copied as they are."""
    names = [name for name, _ in readers]
    count = len(names)
    converting: list[tuple[int, Callable[[Any], Any]]] = [
        (index, r) for index, (_, r) in enumerate(readers) if r is not None
    ]

    def read(datum: Any) -> Struct | None:
        if datum is None:
            return None
        if isinstance(datum, tuple):  # (record name, record) inside a union
            datum = datum[1]
        # Read with the writer's schema, fastavro fills every field in schema order: the dict's values are the
        # Struct's values as they are.
        values = list(datum.values())
        if len(values) != count:
            values = [datum.get(n) for n in names]
        for index, reader in converting:
            v = values[index]
            if v is not None:
                values[index] = reader(v)
        return Struct.of_values(schema, values)

    if converting:
        return read
    of_values = Struct.of_values

    def read_plain(datum: Any) -> Struct | None:
        """`read` for a record whose fields all read as they are (a hot path: one check, one list)."""
        if type(datum) is dict and len(datum) == count:
            return of_values(schema, list(datum.values()))
        return read(datum)

    return read_plain


def _union_reader(
    schema: Schema, by_named: dict[str, tuple[str, Reader]], by_kind: dict[str, tuple[str, Reader]]
) -> Reader:
    python_kinds = (
        (bool, ("boolean",)),
        (int, ("int", "long")),
        (float, ("double", "float")),
        (str, ("string", "enum")),
        (bytes, ("bytes", "fixed")),
        (list, ("array",)),
        (dict, ("record", "map")),
    )

    def read(datum: Any) -> Struct:
        struct = Struct(schema)
        if isinstance(datum, tuple) and len(datum) == 2 and isinstance(datum[0], str) and datum[0] in by_named:
            name, reader = by_named[datum[0]]
            value = datum[1]
        else:
            for python_type, kinds in python_kinds:
                if type(datum) is python_type or (python_type is not bool and isinstance(datum, python_type)):
                    found = next((by_kind[k] for k in kinds if k in by_kind), None)
                    if found is not None:
                        name, reader = found
                        value = datum
                        break
            else:
                raise DataError(f"Did not find matching union field for data: {datum!r}")
        struct.put_unchecked(name, value if reader is None else reader(value))
        return struct

    return read

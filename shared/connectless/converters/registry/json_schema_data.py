"""Connect schemas and values <-> JSON Schema and JSON, as Confluent's JsonSchemaData maps them (facts, not code).

Connect -> JSON Schema: integers are `{"type": "integer", "connect.type": "int8|int16|int32|int64"}`, floats
`{"type": "number", "connect.type": "float32|float64"}`, bytes a base64 `string` with `connect.type` bytes, a struct
an `object` whose properties carry `connect.index`, a string-keyed map an `object` with `additionalProperties` and
`connect.type` map (other keys: an `array` of `{key, value}` objects), an optional schema `oneOf` [null, X]. The
Connect name is the `title`, the doc the `description`, version and parameters `connect.version` and
`connect.parameters`, the default `default`. Logical types ride on the name (Decimal as base64 bytes).

JSON Schema -> Connect is the inverse; an `integer` without `connect.type` is int64, a `number` float64, an `enum`
a string with `io.confluent.connect.json.Enum` parameters, another `oneOf`/`anyOf` a struct named
`io.confluent.connect.json.OneOf` with fields `io.confluent.connect.json.OneOf.field.<n>`. Properties follow
`connect.index`, else their order. Local `$ref`s resolve; recursive ones are refused (Connect schemas cannot be).
"""

from __future__ import annotations

import base64
import decimal
from typing import TYPE_CHECKING, Any

from connectless.data import logical
from connectless.data.errors import DataError
from connectless.data.schema import STRING_SCHEMA, SchemaBuilder, Type
from connectless.data.struct import Struct

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.data.schema import Schema

NAMESPACE = "io.confluent.connect.json"
CONNECT_TYPE = "connect.type"
CONNECT_VERSION = "connect.version"
CONNECT_PARAMETERS = "connect.parameters"
CONNECT_INDEX = "connect.index"
JSON_TYPE_ENUM = f"{NAMESPACE}.Enum"
JSON_TYPE_ONE_OF = f"{NAMESPACE}.OneOf"
NULL_MARKER = "<NULL>"
_NUMBER_TYPES = {
    Type.INT8: ("integer", "int8"),
    Type.INT16: ("integer", "int16"),
    Type.INT32: ("integer", "int32"),
    Type.INT64: ("integer", "int64"),
    Type.FLOAT32: ("number", "float32"),
    Type.FLOAT64: ("number", "float64"),
}
_CONNECT_TYPES = {
    "int8": Type.INT8,
    "int16": Type.INT16,
    "int32": Type.INT32,
    "int64": Type.INT64,
    "float32": Type.FLOAT32,
    "float64": Type.FLOAT64,
}


# ---------------------------------------------------------------------------- Connect schema -> JSON Schema


def from_connect_schema(
    schema: Schema, index: int | None = None, *, ignore_optional: bool = False, closed: bool = False
) -> dict[str, Any]:
    """The JSON Schema (as a dict) of a Connect schema. `closed` (`object.additional.properties=false`): each
    struct's object takes no other properties (`"additionalProperties": false`), a closed content model."""
    if schema.type is Type.STRUCT and schema.name == JSON_TYPE_ONE_OF:
        members = [{"type": "null"}] if schema.optional else []
        members += [from_connect_schema(_required(f.schema), f.index, ignore_optional=True, closed=closed)
                    for f in schema.fields]  # fmt: skip
        return _indexed({"oneOf": members}, index)
    if schema.optional and not ignore_optional:
        inner = from_connect_schema(schema, None, ignore_optional=True, closed=closed)
        return _indexed({"oneOf": [{"type": "null"}, inner]}, index)
    out = _base(schema, closed)
    if schema.name is not None:
        out["title"] = schema.name
    if schema.version is not None:
        out[CONNECT_VERSION] = schema.version
    if schema.doc is not None:
        out["description"] = schema.doc
    params = {k: v for k, v in (schema.parameters or {}).items() if not k.startswith(NAMESPACE)}
    if params:
        out[CONNECT_PARAMETERS] = params
    if schema.default is not None:
        out["default"] = encoder(schema)(schema.default)
    return _indexed(out, index)


def _indexed(out: dict[str, Any], index: int | None) -> dict[str, Any]:
    if index is not None:
        out[CONNECT_INDEX] = index
    return out


def _base(schema: Schema, closed: bool) -> dict[str, Any]:
    kind = schema.type
    if kind in _NUMBER_TYPES:
        json_type, connect_type = _NUMBER_TYPES[kind]
        return {"type": json_type, CONNECT_TYPE: connect_type}
    if kind is Type.BOOLEAN:
        return {"type": "boolean"}
    if kind is Type.STRING:
        params = schema.parameters or {}
        if JSON_TYPE_ENUM in params:
            prefix = JSON_TYPE_ENUM + "."
            symbols = [k[len(prefix) :] for k in params if k.startswith(prefix)]
            return {"type": "string", "enum": [None if s == NULL_MARKER else s for s in symbols]}
        return {"type": "string"}
    if kind is Type.BYTES:
        return {"type": "string", CONNECT_TYPE: "bytes"}
    if kind is Type.ARRAY:
        assert schema.value_schema is not None
        return {"type": "array", "items": from_connect_schema(schema.value_schema, closed=closed)}
    if kind is Type.MAP:
        key, value = schema.key_schema, schema.value_schema
        assert key is not None and value is not None
        if key.type is Type.STRING and not key.optional:
            values = from_connect_schema(value, closed=closed)
            return {"type": "object", "additionalProperties": values, CONNECT_TYPE: "map"}
        entry_properties = {"key": from_connect_schema(key, 0, closed=closed),
                            "value": from_connect_schema(value, 1, closed=closed)}  # fmt: skip
        entry = {"type": "object", "properties": entry_properties}
        return {"type": "array", "items": entry, CONNECT_TYPE: "map"}
    properties = {f.name: from_connect_schema(f.schema, f.index, closed=closed) for f in schema.fields}
    if closed:
        return {"type": "object", "properties": properties, "additionalProperties": False}
    return {"type": "object", "properties": properties}


def _required(schema: Schema) -> Schema:
    return SchemaBuilder.from_schema(schema).required().build() if schema.optional else schema


# ---------------------------------------------------------------------------- Connect value -> JSON value


def encoder(schema: Schema) -> Callable[[Any], Any]:
    """Connect value of `schema` -> the JSON value Confluent's JsonSchemaConverter writes."""
    if schema.name in logical.LOGICAL_NAMES:
        if schema.name == logical.DECIMAL_NAME:
            return lambda v: None if v is None else base64.b64encode(logical.decimal_to_bytes(schema, v)).decode()
        return lambda v: logical.from_logical(schema, v)
    kind = schema.type
    if kind is Type.BYTES:
        return lambda v: None if v is None else base64.b64encode(bytes(v)).decode()
    if kind is Type.ARRAY:
        assert schema.value_schema is not None
        item = encoder(schema.value_schema)
        return lambda v: None if v is None else [item(x) for x in v]
    if kind is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        key, value = encoder(schema.key_schema), encoder(schema.value_schema)
        if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
            return lambda v: None if v is None else {k: value(x) for k, x in v.items()}
        return lambda v: None if v is None else [{"key": key(k), "value": value(x)} for k, x in v.items()]
    if kind is Type.STRUCT:
        return _struct_encoder(schema)
    return _same


def _struct_encoder(schema: Schema) -> Callable[[Any], Any]:
    fields = [(f.name, encoder(f.schema)) for f in schema.fields]
    one_of = schema.name == JSON_TYPE_ONE_OF

    def encode(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, Struct):
            raise DataError(f"Expected a Struct for schema {schema.name or 'struct'}, got {type(value).__name__}")
        if one_of:
            return next((enc(v) for name, enc in fields if (v := value.get(name)) is not None), None)
        return {name: enc(value.get(name)) for name, enc in fields}

    return encode


def _same(value: Any) -> Any:
    return value


# ---------------------------------------------------------------------------- JSON Schema -> Connect schema


class ToConnect:
    """One JSON Schema document -> (Connect schema, decoder of its JSON values)."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self._resolving: set[str] = set()

    def convert(self, node: Any, version: int | None = None) -> tuple[Schema, Callable[[Any], Any]]:
        return self._convert(node, force_optional=False, version=version)

    def _ref(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise DataError(f"Only local $ref are supported, got {ref}")
        target = self.document
        for part in [p for p in ref[1:].split("/") if p]:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return target

    def _convert(self, node: Any, *, force_optional: bool, version: int | None = None) -> tuple[Schema, Any]:
        if node is True or node == {}:
            raise DataError("A JSON Schema that accepts anything has no Connect schema")
        if not isinstance(node, dict):
            raise DataError(f"Unsupported JSON Schema: {node!r}")
        if "$ref" in node:
            ref = node["$ref"]
            if ref in self._resolving:
                raise DataError(f"Recursive JSON Schemas cannot become Connect schemas: {ref} refers to itself")
            self._resolving.add(ref)
            try:
                return self._convert(self._ref(ref), force_optional=force_optional, version=version)
            finally:
                self._resolving.discard(ref)
        builder, decode = self._builder(node)
        if builder is None:  # a oneOf of null and one schema: that schema, optional
            return decode
        if node.get("title") is not None and builder.build().name is None:
            builder.name(str(node["title"]))
        connect_version = node.get(CONNECT_VERSION, version)
        if connect_version is not None:
            builder.version(int(connect_version))
        if node.get("description") is not None:
            builder.doc(str(node["description"]))
        for key, value in (node.get(CONNECT_PARAMETERS) or {}).items():
            builder.parameter(key, str(value))
        if force_optional:
            builder.optional()
        if "default" in node and node["default"] is not None:
            probe = builder.build()
            builder.default_value(_decoder(probe, decode)(node["default"]))
        schema = builder.build()
        return schema, _decoder(schema, decode)

    def _builder(self, node: dict[str, Any]) -> tuple[Any, Any]:  # noqa: C901, PLR0911, PLR0912 - one case per JSON type
        combined = node.get("oneOf") or node.get("anyOf")
        if combined is not None:
            return self._one_of(combined)
        if "allOf" in node:
            raise DataError("JSON Schema allOf is not supported by this converter")
        if "enum" in node or "const" in node:
            values = node["enum"] if "enum" in node else [node["const"]]
            builder = SchemaBuilder.string().parameter(JSON_TYPE_ENUM, "")
            for value in values:
                symbol = NULL_MARKER if value is None else str(value)
                builder.parameter(f"{JSON_TYPE_ENUM}.{symbol}", symbol)
            return builder, None
        kind = node.get("type")
        if isinstance(kind, list):
            others = [k for k in kind if k != "null"]
            if len(others) == 1:
                schema, decode = self._convert({**node, "type": others[0]}, force_optional="null" in kind)
                return None, (schema, decode)
            return self._one_of([{**node, "type": k} for k in kind])
        connect_type = node.get(CONNECT_TYPE)
        if kind in ("integer", "number"):
            if connect_type == "bytes":
                return SchemaBuilder.bytes(), None
            if connect_type is None:
                return (SchemaBuilder.int64() if kind == "integer" else SchemaBuilder.float64()), None
            if connect_type not in _CONNECT_TYPES:
                raise DataError(f"Unsupported type {connect_type}")
            return SchemaBuilder.of(_CONNECT_TYPES[connect_type]), None
        if kind == "string":
            return (SchemaBuilder.bytes() if connect_type == "bytes" else SchemaBuilder.string()), None
        if kind == "boolean":
            return SchemaBuilder.boolean(), None
        if kind == "array":
            return self._array(node, connect_type)
        if kind == "object" or "properties" in node:
            return self._object(node, connect_type)
        if kind == "null":
            raise DataError("Standalone null schemas are not supported by this converter")
        raise DataError(f"Unsupported JSON Schema type {kind!r}")

    def _one_of(self, members: list[Any]) -> tuple[Any, Any]:
        resolved = [self._ref(m["$ref"]) if isinstance(m, dict) and "$ref" in m else m for m in members]
        nulls = [m for m in resolved if isinstance(m, dict) and m.get("type") == "null"]
        others = [m for m in members if not (isinstance(m, dict) and self._is_null(m))]
        if len(members) == 2 and nulls:
            return None, self._convert(others[0], force_optional=True)
        builder = SchemaBuilder.struct().name(JSON_TYPE_ONE_OF)
        if nulls:
            builder.optional()
        for index, member in enumerate(others):
            schema, _ = self._convert(member, force_optional=True)
            builder.field(f"{JSON_TYPE_ONE_OF}.field.{index}", schema)
        return builder, None

    def _is_null(self, member: dict[str, Any]) -> bool:
        target = self._ref(member["$ref"]) if "$ref" in member else member
        return isinstance(target, dict) and target.get("type") == "null"

    def _array(self, node: dict[str, Any], connect_type: Any) -> tuple[SchemaBuilder, Any]:
        items = node.get("items")
        if items is None:
            raise DataError("Array schema did not specify the items type")
        if connect_type == "map" and isinstance(items, dict) and "properties" in items:
            props = items["properties"]
            key, _ = self._convert(props["key"], force_optional=False)
            value, _ = self._convert(props["value"], force_optional=False)
            return SchemaBuilder.map(key, value), None
        element, _ = self._convert(items, force_optional=False)
        return SchemaBuilder.array(element), None

    def _object(self, node: dict[str, Any], connect_type: Any) -> tuple[SchemaBuilder, Any]:
        if connect_type == "map" or ("properties" not in node and isinstance(node.get("additionalProperties"), dict)):
            value, _ = self._convert(node["additionalProperties"], force_optional=False)
            return SchemaBuilder.map(STRING_SCHEMA, value), None
        properties = node.get("properties") or {}
        ordered = sorted(
            enumerate(properties.items()),
            key=lambda item: item[1][1].get(CONNECT_INDEX, item[0]) if isinstance(item[1][1], dict) else item[0],
        )
        builder = SchemaBuilder.struct()
        for _, (name, sub) in ordered:
            schema, _ = self._convert(sub, force_optional=False)
            builder.field(name, schema)
        return builder, None


# ---------------------------------------------------------------------------- JSON value -> Connect value


def _decoder(schema: Schema, _builder_decoder: Any = None) -> Callable[[Any], Any]:
    """JSON value -> Connect value of `schema` (nulls become the default, or stay null when optional)."""
    inner = _value_decoder(schema)
    default = schema.default

    def decode(value: Any) -> Any:
        if value is None:
            if default is not None:
                return default
            if not schema.optional:
                raise DataError(f"Invalid null value for required {schema.type.name} field")
            return None
        return inner(value)

    return decode


def _value_decoder(schema: Schema) -> Callable[[Any], Any]:  # noqa: C901 - one case per Connect type
    name, kind = schema.name, schema.type
    if name == logical.DECIMAL_NAME:  # base64 of the unscaled bytes, or a JSON number (decimal.format NUMERIC)
        return lambda v: (
            logical.decimal_from_bytes(schema, base64.b64decode(v)) if isinstance(v, str) else decimal.Decimal(str(v))
        )
    if name in logical.LOGICAL_NAMES:
        return lambda v: logical.to_logical(schema, int(v))
    if kind in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        return _int
    if kind in (Type.FLOAT32, Type.FLOAT64):
        return float
    if kind is Type.BOOLEAN:
        return _bool
    if kind is Type.STRING:
        return _str
    if kind is Type.BYTES:
        return base64.b64decode
    if kind is Type.ARRAY:
        assert schema.value_schema is not None
        item = _decoder(schema.value_schema)
        return lambda v: [item(x) for x in v]
    if kind is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        key, value = _decoder(schema.key_schema), _decoder(schema.value_schema)
        return lambda v: (
            {k: value(x) for k, x in v.items()}
            if isinstance(v, dict)
            else {key(e["key"]): value(e["value"]) for e in v}
        )
    if name == JSON_TYPE_ONE_OF:
        return _one_of_decoder(schema)
    fields = [(f.name, _decoder(f.schema)) for f in schema.fields]

    def struct(v: Any) -> Struct:
        if not isinstance(v, dict):
            raise DataError(f"Expected a JSON object for struct {schema.name or ''}, got {type(v).__name__}")
        return Struct.of_values(schema, [decode(v.get(n)) for n, decode in fields])

    return struct


def _one_of_decoder(schema: Schema) -> Callable[[Any], Any]:
    fields = [(f.name, f.schema, _decoder(f.schema)) for f in schema.fields]

    def decode(v: Any) -> Struct:
        for name, field_schema, field_decode in fields:
            if _fits(field_schema, v):
                return Struct(schema).put(name, field_decode(v))
        raise DataError(f"Did not find matching oneof field for data: {v!r}")

    return decode


def _fits(schema: Schema, value: Any) -> bool:
    kind = schema.type
    if kind in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in (Type.FLOAT32, Type.FLOAT64):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is Type.BOOLEAN:
        return isinstance(value, bool)
    if kind in (Type.STRING, Type.BYTES):
        return isinstance(value, str)
    if kind is Type.ARRAY:
        return isinstance(value, list)
    return isinstance(value, dict)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"Expected an integer, got {value!r}")
    return int(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise DataError(f"Expected a boolean, got {value!r}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise DataError(f"Expected a string, got {value!r}")
    return value

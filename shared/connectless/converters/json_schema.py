"""Connect schemas to and from the `schema` part of JsonConverter's envelope (asJsonSchema / asConnectSchema).

Key order matches Kafka's output byte for byte: `type`, then `items` | `keys`, `values` | `fields`, then
`optional`, `name`, `version`, `doc`, `parameters`, `default`; a struct field's own keys come first and
`field` last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.converters.json_codec import compile_decoder, compile_encoder
from connectless.data.errors import DataError
from connectless.data.schema import SchemaBuilder, Type
from connectless.data.values_convert import wrap_int

if TYPE_CHECKING:
    from connectless.converters.json_codec import CodecOptions
    from connectless.data.schema import Schema

_TYPES = {t.value: t for t in Type}


def schema_to_json(schema: Schema | None, options: CodecOptions) -> dict[str, Any] | None:
    """The JSON tree Kafka writes for `schema` (None for no schema)."""
    if schema is None:
        return None
    node: dict[str, Any] = {"type": schema.type.value}
    if schema.type is Type.ARRAY:
        node["items"] = schema_to_json(schema.value_schema, options)
    elif schema.type is Type.MAP:
        node["keys"] = schema_to_json(schema.key_schema, options)
        node["values"] = schema_to_json(schema.value_schema, options)
    elif schema.type is Type.STRUCT:
        node["fields"] = [{**(schema_to_json(f.schema, options) or {}), "field": f.name} for f in schema.fields]
    node["optional"] = schema.optional
    if schema.name is not None:
        node["name"] = schema.name
    if schema.version is not None:
        node["version"] = schema.version
    if schema.doc is not None:
        node["doc"] = schema.doc
    if schema.parameters is not None:
        node["parameters"] = dict(schema.parameters)
    if schema.default is not None:
        node["default"] = compile_encoder(schema, options)(schema.default)
    return node


def json_to_schema(node: Any, options: CodecOptions) -> Schema | None:
    """The Connect schema of a parsed `schema` JSON tree (None for JSON null), validated as Kafka does."""
    if node is None:
        return None
    type_name = node.get("type") if type(node) is dict else None
    if not isinstance(type_name, str):
        raise DataError("Schema must contain 'type' field")
    schema_type = _TYPES.get(type_name)
    if schema_type is None:
        raise DataError(f"Unknown schema type: {type_name}")
    builder = _builder(schema_type, node, options)
    if node.get("optional") is True:
        builder.optional()
    if isinstance(name := node.get("name"), str):
        builder.name(name)
    version = node.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        builder.version(wrap_int(version, 32))  # JsonNode#intValue
    if isinstance(doc := node.get("doc"), str):
        builder.doc(doc)
    parameters = node.get("parameters")
    if type(parameters) is dict:
        for key, value in parameters.items():
            if not isinstance(value, str):
                raise DataError("Schema parameters must have string values.")
            builder.parameter(key, value)
    if "default" in node:
        # Read the default with the schema built so far (optional, name and parameters set, no default yet).
        builder.default_value(compile_decoder(builder.build(), options)(node["default"]))
    return builder.build()


def _builder(schema_type: Type, node: dict[str, Any], options: CodecOptions) -> SchemaBuilder:
    if schema_type is Type.ARRAY:
        items = json_to_schema(node.get("items"), options)
        if items is None:
            raise DataError("Array schema did not specify the element type")
        return SchemaBuilder.array(items)
    if schema_type is Type.MAP:
        if "keys" not in node:
            raise DataError("Map schema did not specify the key type")
        if "values" not in node:
            raise DataError("Map schema did not specify the value type")
        keys, values = json_to_schema(node["keys"], options), json_to_schema(node["values"], options)
        if keys is None or values is None:
            raise DataError("Map schema keys and values cannot be null")
        return SchemaBuilder.map(keys, values)
    if schema_type is Type.STRUCT:
        fields = node.get("fields")
        if type(fields) is not list:
            raise DataError('Struct schema\'s "fields" argument is not an array.')
        builder = SchemaBuilder.struct()
        for field in fields:
            field_name = field.get("field") if type(field) is dict else None
            if not isinstance(field_name, str):
                raise DataError("Struct schema's field name not specified properly")
            field_schema = json_to_schema(field, options)
            assert field_schema is not None
            builder.field(field_name, field_schema)
        return builder
    return SchemaBuilder.of(schema_type)

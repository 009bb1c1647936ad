"""JsonSchemaConverter (io.confluent.connect.json.JsonSchemaConverter): Connect data <-> Confluent-framed JSON
with a JSON Schema in the registry. The payload is the value's JSON text; with `json.fail.invalid.schema` the value
is validated against its schema (jsonschema) when written and read, as Confluent's serializer does; with
`object.additional.properties=false` each struct is written as a closed object (`"additionalProperties": false`).

Example:
    converter = JsonSchemaConverter()
    converter.configure({"schema.registry.url": "http://127.0.0.1:8081"}, is_key=False)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from connectless.config import ConfigType, Importance
from connectless.converters.registry import json_schema_data
from connectless.converters.registry.base import FormatSchema, Reading, RegistryConverter
from connectless.converters.registry.config import registry_config_def
from connectless.data.errors import DataError
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from confluent_kafka.schema_registry import Schema as RegistrySchema

    from connectless.config import ConfigDef
    from connectless.data.schema import Schema

CLASS_NAME = "io.confluent.connect.json.JsonSchemaConverter"
FAIL_INVALID_SCHEMA = "json.fail.invalid.schema"

ADDITIONAL_PROPERTIES = "object.additional.properties"

CONFIG_DEF = (
    registry_config_def()
    .define(
        FAIL_INVALID_SCHEMA,
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Whether to fail deserialization if the payload does not match the schema",
    )
    .define(
        ADDITIONAL_PROPERTIES,
        ConfigType.BOOLEAN,
        True,
        None,
        Importance.LOW,
        "Whether to allow additional properties for object schemas.",
    )
)


def _validator(document: Any) -> Callable[[Any], None]:
    import jsonschema

    try:
        cls = jsonschema.validators.validator_for(document)
        cls.check_schema(document)
    except jsonschema.SchemaError as exc:
        raise DataError(f"Invalid JSON Schema: {exc.message}") from exc
    checker = cls(document)

    def validate(value: Any) -> None:
        error = jsonschema.exceptions.best_match(checker.iter_errors(value))
        if error is not None:
            raise DataError(f"Validation error: {error.message} at {'/'.join(map(str, error.absolute_path))}")

    return validate


@register(PluginKind.CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "Converter"))
class JsonSchemaConverter(RegistryConverter):
    """Confluent's JsonSchemaConverter: JSON with a JSON Schema in a schema registry."""

    CONFIG_DEF: ClassVar[ConfigDef] = CONFIG_DEF
    VERSION: ClassVar[str] = "7.9.0"
    SCHEMA_TYPE: ClassVar[str] = "JSON"
    FORMAT: ClassVar[str] = "JSON"

    def _configure_format(self, props: Mapping[str, Any]) -> None:
        self.validate = bool(props.get(FAIL_INVALID_SCHEMA, False))
        # false: each struct's JSON Schema is a closed content model, under which a registry's BACKWARD rule lets a
        # later version add a property (an open model's does not: the old data may hold it with another type)
        self.closed = not props.get(ADDITIONAL_PROPERTIES, True)

    def _format_schema(self, schema: Schema) -> FormatSchema:
        from confluent_kafka.schema_registry import Schema as RegistrySchema

        document = json_schema_data.from_connect_schema(schema, closed=self.closed)
        encode_value = json_schema_data.encoder(schema)
        validate = _validator(document) if self.validate else None

        def encoder_for(target: RegistrySchema | None) -> Callable[[Any], bytes]:
            check = validate
            if target is not None and self.validate:
                check = _validator(json.loads(target.schema_str or "null"))

            def encode(value: Any) -> bytes:
                tree = encode_value(value)
                if check is not None:
                    check(tree)
                return orjson.dumps(tree)

            return encode

        return FormatSchema(RegistrySchema(json.dumps(document), self.SCHEMA_TYPE), schema.name, encoder_for)

    def _registry_record_name(self, registry_schema: RegistrySchema) -> str | None:
        title = _document(registry_schema).get("title")
        return str(title) if title is not None else None

    def _reading(self, registry_schema: RegistrySchema, version: int | None) -> Reading:
        document = _document(registry_schema)
        schema, decode_value = json_schema_data.ToConnect(document).convert(document, version)
        validate = _validator(document) if self.validate else None

        def decode(payload: memoryview) -> Any:
            tree = orjson.loads(payload)
            if validate is not None:
                validate(tree)
            return decode_value(tree)

        return Reading(schema, decode)


def _document(registry_schema: RegistrySchema) -> Any:
    if registry_schema.schema_type != "JSON":
        raise DataError(f"Schema is of type {registry_schema.schema_type}, not JSON")
    if registry_schema.references:
        raise DataError("JSON Schemas with references are not supported yet")
    try:
        document = json.loads(registry_schema.schema_str or "null")
    except ValueError as exc:
        raise DataError(f"Invalid JSON Schema from the registry: {exc}") from exc
    if not isinstance(document, dict):
        raise DataError("A JSON Schema of a record must be a JSON object")
    return document

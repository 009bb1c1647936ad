"""ProtobufConverter (io.confluent.connect.protobuf.ProtobufConverter): Connect data <-> Confluent-framed Protobuf.

The frame is magic byte 0, the 4-byte schema id, then the message-index array (which message of the schema's file:
[0] the first, written as the single byte 0), then the message. Schemas are exchanged with the registry in its
serialized form (a base64 FileDescriptorProto: `format=serialized`), which protobuf's descriptor pool reads with
no .proto parser; references (imports) resolve through the registry; google/protobuf/*, google/type/* and
confluent/* are built in (protobuf_builtins), as Confluent's serializers treat them.
Reading names a message's struct by the message's simple name, an enum's string by the enum's, a oneof's union
struct `io.confluent.connect.protobuf.Union.<oneof>` and a map by its field; with `enhanced.protobuf.schema.support`
each of them by its full name instead (package and enclosing messages: `shop.Order`, `shop.Order.Color`,
`...Union.shop.Order.pay`, `shop.Order.counts`), as Confluent's ProtobufData does. A oneof's field is named
`<oneof>_<index>` (`generate.index.for.unions`, default true) or `<oneof>`.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any, ClassVar

from connectless.config import ConfigType, Importance
from connectless.converters.registry import protobuf_builtins, protobuf_data, wire
from connectless.converters.registry.base import FormatSchema, Reading, RegistryConverter
from connectless.converters.registry.config import registry_config_def
from connectless.data.errors import DataError
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from confluent_kafka.schema_registry import Schema as RegistrySchema

    from connectless.config import ConfigDef
    from connectless.data.schema import Schema

CLASS_NAME = "io.confluent.connect.protobuf.ProtobufConverter"
ENHANCED = "enhanced.protobuf.schema.support"
SERIALIZED = "serialized"

INDEX_UNIONS = "generate.index.for.unions"

CONFIG_DEF = (
    registry_config_def()
    .define(
        ENHANCED,
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Toggle for enabling/disabling enhanced protobuf schema support: package name preservation",
    )
    .define(
        INDEX_UNIONS,
        ConfigType.BOOLEAN,
        True,
        None,
        Importance.LOW,
        "Whether to suffix union names with an underscore and the index of the oneof in the message",
    )
)


def _file_proto(text: str | None) -> Any:
    from google.protobuf import descriptor_pb2

    proto = descriptor_pb2.FileDescriptorProto()
    try:
        proto.ParseFromString(base64.b64decode(text or "", validate=True))
    except (binascii.Error, ValueError) as exc:
        raise DataError(
            "The registry gave a Protobuf schema as .proto text; ProtobufConverter reads schemas in the registry's "
            "serialized form (a base64 FileDescriptorProto)"
        ) from exc
    except Exception as exc:  # protobuf's DecodeError
        raise DataError(f"Invalid serialized Protobuf schema: {exc}") from exc
    return proto


def _message_at(file: Any, indexes: list[int]) -> Any:
    try:
        messages = list(file.message_types_by_name.values())
        descriptor = messages[indexes[0]]
        for index in indexes[1:]:
            descriptor = descriptor.nested_types[index]
    except IndexError:
        raise DataError(f"No Protobuf message at message indexes {indexes} of {file.name}") from None
    return descriptor


@register(PluginKind.CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "Converter"))
class ProtobufConverter(RegistryConverter):
    """Confluent's ProtobufConverter: Protobuf with a schema registry."""

    CONFIG_DEF: ClassVar[ConfigDef] = CONFIG_DEF
    VERSION: ClassVar[str] = "7.9.0"
    SCHEMA_TYPE: ClassVar[str] = "PROTOBUF"
    SCHEMA_FORMAT: ClassVar[str | None] = SERIALIZED
    FORMAT: ClassVar[str] = "Protobuf"

    def _configure_format(self, props: Mapping[str, Any]) -> None:
        self.enhanced = bool(props.get(ENHANCED, False))
        self.index_unions = bool(props.get(INDEX_UNIONS, True))

    # -- writing ----------------------------------------------------------------------------------------------

    def _format_schema(self, schema: Schema) -> FormatSchema:
        from confluent_kafka.schema_registry import Schema as RegistrySchema
        from google.protobuf import descriptor_pool, message_factory

        proto = protobuf_data.file_descriptor(schema)
        pool = descriptor_pool.DescriptorPool()
        added: set[str] = set()
        for dependency in proto.dependency:
            protobuf_builtins.add_to(pool, dependency, added)
        file = pool.Add(proto)
        message = next(iter(file.message_types_by_name.values()))
        write = protobuf_data.writer(schema, message_factory.GetMessageClass(message))
        text = base64.b64encode(proto.SerializeToString()).decode()

        def encoder_for(target: RegistrySchema | None) -> Callable[[Any], bytes]:
            # with use.latest.version the latest's id frames a message of our own shape: Protobuf reads by tag
            return lambda value: write(value).SerializeToString()

        return FormatSchema(RegistrySchema(text, self.SCHEMA_TYPE), message.full_name, encoder_for)

    def _prefix(self, schema_id: int, registry_schema: RegistrySchema) -> bytes:
        return wire.header(schema_id) + wire.message_indexes([0])

    # -- reading ----------------------------------------------------------------------------------------------

    def _registry_record_name(self, registry_schema: RegistrySchema) -> str | None:
        proto = _file_proto(registry_schema.schema_str)
        if not proto.message_type:
            return None
        return f"{proto.package}.{proto.message_type[0].name}" if proto.package else proto.message_type[0].name

    def _pool_with(self, registry_schema: RegistrySchema) -> Any:
        from google.protobuf import descriptor_pool

        pool = descriptor_pool.DescriptorPool()
        added: set[str] = set()

        def add(schema: RegistrySchema) -> Any:
            proto = _file_proto(schema.schema_str)
            references = {ref.name: ref for ref in (schema.references or [])}
            for dependency in proto.dependency:
                if dependency in added:
                    continue
                if dependency in references:
                    ref = references[dependency]
                    add(self.registry.version(str(ref.subject), int(ref.version or 0), SERIALIZED).schema)
                elif protobuf_builtins.is_builtin(dependency):
                    protobuf_builtins.add_to(pool, dependency, added)
                else:
                    raise DataError(f"Protobuf import {dependency} is neither a schema reference nor built in")
            added.add(proto.name)
            return pool.Add(proto)

        return add(registry_schema)

    def _reading(self, registry_schema: RegistrySchema, version: int | None) -> Reading:
        from google.protobuf import message_factory
        from google.protobuf.message import DecodeError

        file = self._pool_with(registry_schema)
        by_indexes: dict[tuple[int, ...], tuple[Schema, Any, Callable[[Any], Any]]] = {}

        def plan(indexes: list[int]) -> tuple[Schema, Any, Callable[[Any], Any]]:
            key = tuple(indexes)
            found = by_indexes.get(key)
            if found is None:
                descriptor = _message_at(file, indexes)
                schema, read = protobuf_data.ToConnect(enhanced=self.enhanced, index_unions=self.index_unions).message(
                    descriptor, version
                )
                found = by_indexes[key] = (schema, message_factory.GetMessageClass(descriptor), read)
            return found

        def decode_with_schema(payload: memoryview) -> tuple[Schema, Any]:
            indexes, body = wire.read_message_indexes(payload)
            schema, message_class, read = plan(indexes)
            message = message_class()
            try:
                message.ParseFromString(bytes(body))
            except DecodeError as exc:
                raise DataError(f"Invalid Protobuf message: {exc}") from exc
            return schema, read(message)

        first_schema = plan([0])[0] if file.message_types_by_name else None
        return Reading(first_schema, lambda payload: decode_with_schema(payload)[1], decode_with_schema)

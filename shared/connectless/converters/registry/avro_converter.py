"""AvroConverter (io.confluent.connect.avro.AvroConverter): Connect data <-> Confluent-framed Avro, with fastavro.

Settings: the registry ones (see config.py) plus AvroDataConfig's `connect.meta.data` (default true) and
`enhanced.avro.schema.support` (default false). Reading uses the writer's schema, as Confluent's converter does.

Example:
    converter = AvroConverter()
    converter.configure({"schema.registry.url": "http://127.0.0.1:8081"}, is_key=False)
    data = converter.from_connect_data("orders", schema, struct)
"""

from __future__ import annotations

import io
import json
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from connectless.config import ConfigType, Importance
from connectless.converters.registry import avro_native
from connectless.converters.registry.avro_compat import incompatibilities
from connectless.converters.registry.avro_data import AvroData, avro_full_name
from connectless.converters.registry.base import FormatSchema, Reading, RegistryConverter
from connectless.converters.registry.config import registry_config_def
from connectless.data.errors import DataError
from connectless.data.schema_and_value import SchemaAndValue
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from confluent_kafka.schema_registry import Schema as RegistrySchema

    from connectless.config import ConfigDef
    from connectless.data.schema import Schema

CLASS_NAME = "io.confluent.connect.avro.AvroConverter"
CONNECT_META_DATA = "connect.meta.data"
ENHANCED_AVRO_SCHEMA_SUPPORT = "enhanced.avro.schema.support"

CONFIG_DEF = (
    registry_config_def()
    .define(
        CONNECT_META_DATA,
        ConfigType.BOOLEAN,
        True,
        None,
        Importance.LOW,
        "Toggle for enabling/disabling connect converter to add its meta data to the output schema or not",
    )
    .define(
        ENHANCED_AVRO_SCHEMA_SUPPORT,
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Toggle for enabling/disabling enhanced avro schema support: Enum symbol preservation and Package Name "
        "awareness",
    )
)


def _parse(avro: Any, named: dict[str, Any] | None = None) -> Any:
    """fastavro's parsed schema; `named` collects (and supplies) the named types of referenced schemas."""
    import fastavro

    try:
        return fastavro.parse_schema(avro, named, _force=True)
    except Exception as exc:  # fastavro raises several types for a bad schema
        raise DataError(f"Invalid Avro schema: {exc}") from exc


@register(PluginKind.CONVERTER, CLASS_NAME, *default_aliases(CLASS_NAME, "Converter"))
class AvroConverter(RegistryConverter):
    """Confluent's AvroConverter: Avro with a schema registry, schemas mapped as Confluent's AvroData maps them."""

    CONFIG_DEF: ClassVar[ConfigDef] = CONFIG_DEF
    VERSION: ClassVar[str] = "7.9.0"
    SCHEMA_TYPE: ClassVar[str] = "AVRO"
    FORMAT: ClassVar[str] = "Avro"

    def _configure_format(self, props: Mapping[str, Any]) -> None:
        self.avro_data = AvroData(
            connect_meta_data=bool(props.get(CONNECT_META_DATA, True)),
            enhanced_schema_support=bool(props.get(ENHANCED_AVRO_SCHEMA_SUPPORT, False)),
        )

    def _format_schema(self, schema: Schema) -> FormatSchema:
        from confluent_kafka.schema_registry import Schema as RegistrySchema

        avro = self.avro_data.from_connect_schema(schema)
        parsed = _parse(avro)
        writer = self.avro_data.writer(schema, avro)
        text = json.dumps(avro, separators=(",", ":"))

        def encoder_for(target: RegistrySchema | None) -> Callable[[Any], bytes]:
            return _encoder(parsed if target is None else _parse(json.loads(target.schema_str or "null")), writer)

        record = avro_full_name(avro) if not isinstance(avro, list) else None
        return FormatSchema(RegistrySchema(text, self.SCHEMA_TYPE), record, encoder_for)

    def _registry_record_name(self, registry_schema: RegistrySchema) -> str | None:
        return avro_full_name(_registry_avro(registry_schema))

    def _reading(self, registry_schema: RegistrySchema, version: int | None) -> Reading:
        import fastavro

        avro = _registry_avro(registry_schema)
        references = self._referenced(registry_schema, set())
        schema, reader, named_unions = self.avro_data.to_connect_schema(avro, version, references)
        named: dict[str, Any] = {}
        for referenced in references:
            _parse(referenced, named)
        parsed = _parse(avro, named)
        read = fastavro.schemaless_reader
        buffer = io.BytesIO
        if named_unions:  # say which branch of a union a record, enum or fixed came from
            read = partial(read, return_named_type=True, return_named_type_override=True)

        decode_run: Callable[[Sequence[bytes]], list[Any]]
        decode_run_pairs = None
        if reader is None:

            def decode(payload: memoryview) -> Any:
                return read(buffer(payload), parsed, None)

            def read_run(datas: Sequence[bytes]) -> list[Any]:
                values = []
                for data in datas:
                    stream = buffer(data)  # the message's own bytes, not a copy (a memoryview would be copied)
                    stream.seek(5)
                    values.append(read(stream, parsed, None))
                return values

            decode_run = read_run

        else:
            to_connect = reader

            def decode(payload: memoryview) -> Any:
                return to_connect(read(buffer(payload), parsed, None))

            def read_run(datas: Sequence[bytes]) -> list[Any]:
                values = []
                for data in datas:
                    stream = buffer(data)
                    stream.seek(5)
                    values.append(to_connect(read(stream, parsed, None)))
                return values

            def decode_one(data: bytes) -> Any:
                stream = buffer(data)
                stream.seek(5)
                return to_connect(read(stream, parsed, None))

            # a flat record: read in C, fastavro (decode_one) for any message the C reader does not read exactly
            decode_run = avro_native.run_decoder(avro, schema, decode_one) or read_run
            decode_run_pairs = avro_native.run_decoder(avro, schema, decode_one, SchemaAndValue)
            native_one = avro_native.one_decoder(avro, schema)
            if native_one is not None:
                read_payload = decode

                def decode(payload: memoryview) -> Any:
                    struct = native_one(payload)
                    return read_payload(payload) if struct is None else struct

        return Reading(schema, decode, decode_run=decode_run, decode_run_pairs=decode_run_pairs)

    def _referenced(self, registry_schema: RegistrySchema, seen: set[tuple[str, int]]) -> list[Any]:
        """The Avro schemas `registry_schema` references, transitively, dependencies first."""
        found: list[Any] = []
        for ref in registry_schema.references or []:
            key = (str(ref.subject), int(ref.version or 0))
            if key in seen:
                continue
            seen.add(key)
            target = self.registry.version(*key).schema
            found += self._referenced(target, seen)
            found.append(_registry_avro(target))
        return found

    def _check_latest(self, ours: RegistrySchema, latest: RegistrySchema) -> str | None:
        problems = incompatibilities(
            reader=json.loads(latest.schema_str or "null"), writer=json.loads(ours.schema_str or "null")
        )
        return "; ".join(problems) if problems else None


def _registry_avro(registry_schema: RegistrySchema) -> Any:
    if registry_schema.schema_type not in (None, "AVRO"):
        raise DataError(f"Schema is of type {registry_schema.schema_type}, not AVRO")
    try:
        return json.loads(registry_schema.schema_str or "null")
    except ValueError as exc:
        raise DataError(f"Invalid Avro schema from the registry: {exc}") from exc


def _encoder(parsed: Any, writer: Callable[[Any], Any] | None) -> Callable[[Any], bytes]:
    import fastavro

    write = fastavro.schemaless_writer

    def encode(value: Any) -> bytes:
        out = io.BytesIO()
        write(out, parsed, value if writer is None else writer(value))
        return out.getvalue()

    return encode

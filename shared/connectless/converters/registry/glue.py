"""AWS Glue Schema Registry converters: AWSKafkaAvroConverter and its JSON Schema and Protobuf siblings, by class.

Glue's wire format: a header version byte 3, a compression byte (0 none, 5 zlib), the schema version's UUID in 16
bytes, then the payload (zlib-compressed when the compression byte says so). The schema of a record is looked up
by that UUID (GetSchemaVersion, once per UUID per warm container); writing finds the version by its definition
under `registry.name` / `schemaName` (default: the topic, for keys and values alike, as Glue's default naming
strategy does), registering it with `schemaAutoRegistrationEnabled` (CreateSchema with `dataFormat` and
`compatibility`, or RegisterSchemaVersion). Settings keep Glue's names: `region`, `endpoint`, `registry.name`
(default `default-registry`), `schemaName`, `schemaAutoRegistrationEnabled` (default false), `dataFormat`,
`compatibility` (default BACKWARD), `compression` (NONE or ZLIB), `cacheSize`. The Avro and JSON Schema Connect
mapping is the one of the Confluent converters (Glue's converters carry a fork of the same AvroData); Protobuf has
Glue's own (glue_protobuf_data), with .proto text schemas and a message index before the message. Throttling, 5xx
and unreachable endpoints are retriable; an unknown version or a refused registration is a data error with
Glue's message.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zlib
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from cachetools import LRUCache

from connectless.config import ConfigDef, ConfigType, Importance, ValidString
from connectless.converters.base import KEY, TYPE_CONFIG, Converter, converter_config_def, with_type
from connectless.converters.registry.avro_data import AvroData
from connectless.converters.registry.client import RegistryUnavailableError, SchemaNotFoundError
from connectless.data.errors import DataError
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue
from connectless.errors.exceptions import RetriableError
from connectless.plugins import PluginKind, default_aliases, register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.data.schema import Schema
    from connectless.records import Headers

HEADER_VERSION_BYTE = 3
COMPRESSION_NONE, COMPRESSION_ZLIB = 0, 5
HEADER_SIZE = 18
REGION = "region"
ENDPOINT = "endpoint"
REGISTRY_NAME = "registry.name"
SCHEMA_NAME = "schemaName"
AUTO_REGISTRATION = "schemaAutoRegistrationEnabled"
DATA_FORMAT = "dataFormat"
COMPATIBILITY = "compatibility"
COMPRESSION = "compression"
CACHE_SIZE = "cacheSize"
DEFAULT_REGISTRY = "default-registry"
_COMPATIBILITIES = ("NONE", "DISABLED", "BACKWARD", "BACKWARD_ALL", "FORWARD", "FORWARD_ALL", "FULL", "FULL_ALL")
_RETRIABLE_CODES = frozenset({"ThrottlingException", "InternalServiceException", "ServiceUnavailableException"})


def glue_config_def() -> ConfigDef:
    return (
        converter_config_def()
        .define(REGION, ConfigType.STRING, None, None, Importance.HIGH, "AWS region of the registry.")
        .define(ENDPOINT, ConfigType.STRING, None, None, Importance.LOW, "Glue endpoint URL (default: the region's).")
        .define(REGISTRY_NAME, ConfigType.STRING, DEFAULT_REGISTRY, None, Importance.HIGH, "Glue registry name.")
        .define(SCHEMA_NAME, ConfigType.STRING, None, None, Importance.MEDIUM, "Schema name (default: the topic).")
        .define(AUTO_REGISTRATION, ConfigType.BOOLEAN, False, None, Importance.MEDIUM,
                "Register schemas (and new versions) that the registry does not know.")
        .define(DATA_FORMAT, ConfigType.STRING, None, ValidString(["AVRO", "JSON", "PROTOBUF"], allow_null=True),
                Importance.LOW, "Data format of new schemas (default: the converter's).")
        .define(COMPATIBILITY, ConfigType.STRING, "BACKWARD", ValidString(list(_COMPATIBILITIES)), Importance.LOW,
                "Compatibility of schemas this converter creates.")
        .define(COMPRESSION, ConfigType.STRING, "NONE", ValidString(["NONE", "ZLIB"]), Importance.LOW,
                "Compression of written payloads.")
        .define(CACHE_SIZE, ConfigType.INT, 200, None, Importance.LOW, "Bound of the schema caches.")
    )  # fmt: skip


class GlueRegistry:
    """The Glue Schema Registry calls the converters make, behind bounded caches."""

    def __init__(self, *, region: str | None, endpoint: str | None, registry: str, capacity: int) -> None:
        self.region, self.endpoint, self.registry = region, endpoint, registry
        self._client: Any = None
        self._definitions: LRUCache[uuid.UUID, tuple[str, str]] = LRUCache(capacity)
        self._versions: LRUCache[tuple[str, str], uuid.UUID] = LRUCache(capacity)
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # one attempt per call: retrying belongs to errors.retry.timeout
            config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=10)
            with self._lock:
                if self._client is None:
                    self._client = boto3.client(
                        "glue", region_name=self.region, endpoint_url=self.endpoint, config=config
                    )
        return self._client

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "")), str(error.get("Message", exc))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in _RETRIABLE_CODES or status >= 500:
                raise RegistryUnavailableError(f"{what}: Glue Schema Registry unavailable: {code}: {message}") from exc
            if code == "EntityNotFoundException":
                raise SchemaNotFoundError(f"{what}: {message}") from exc
            raise DataError(f"{what}: {code}: {message}") from exc
        except BotoCoreError as exc:  # endpoint unreachable, timeouts, no credentials
            raise RegistryUnavailableError(f"{what}: Glue Schema Registry unavailable: {exc}") from exc

    def definition(self, version_id: uuid.UUID) -> tuple[str, str]:
        """(schema definition, data format) of a schema version."""
        found = self._definitions.get(version_id)
        if found is None:
            answer = self._call(
                f"Error retrieving schema version {version_id}",
                lambda: self.client.get_schema_version(SchemaVersionId=str(version_id)),
            )
            found = self._definitions[version_id] = (answer["SchemaDefinition"], answer["DataFormat"])
        return found

    def version_for(
        self, schema_name: str, definition: str, data_format: str, *, register: bool, compatibility: str
    ) -> uuid.UUID:
        """The version id of `definition` under `schema_name`, registered first when `register` allows."""
        key = (schema_name, definition)
        found = self._versions.get(key)
        if found is not None:
            return found
        schema_id = {"RegistryName": self.registry, "SchemaName": schema_name}
        what = f"Error finding schema {schema_name} in registry {self.registry}"
        try:
            answer = self._call(
                what, lambda: self.client.get_schema_by_definition(SchemaId=schema_id, SchemaDefinition=definition)
            )
        except SchemaNotFoundError:
            if not register:
                raise
            answer = self._register(schema_name, schema_id, definition, data_format, compatibility)
        version = uuid.UUID(answer["SchemaVersionId"])
        self._versions[key] = version
        self._definitions.setdefault(version, (definition, data_format))
        return version

    def _register(
        self, name: str, schema_id: dict[str, str], definition: str, data_format: str, compatibility: str
    ) -> dict[str, Any]:
        what = f"Error registering schema {name} in registry {self.registry}"
        try:
            answer = self._call(what, lambda: self.client.register_schema_version(
                SchemaId=schema_id, SchemaDefinition=definition))  # fmt: skip
        except SchemaNotFoundError:  # no such schema yet: create it with this definition as its first version
            answer = self._call(what, lambda: self.client.create_schema(
                RegistryId={"RegistryName": self.registry}, SchemaName=name, DataFormat=data_format,
                Compatibility=compatibility, SchemaDefinition=definition))  # fmt: skip
        status = answer.get("SchemaVersionStatus") or answer.get("Status")
        deadline = time.monotonic() + 10
        while status == "PENDING" and time.monotonic() < deadline:  # compatibility is being checked
            time.sleep(0.2)
            status = self._call(what, lambda: self.client.get_schema_version(
                SchemaVersionId=answer["SchemaVersionId"]))["Status"]  # fmt: skip
        if status not in (None, "AVAILABLE"):
            raise DataError(f"{what}: the new schema version is {status} (not compatible under {compatibility}?)")
        return answer


def frame(version: uuid.UUID, payload: bytes, compression: int) -> bytes:
    body = zlib.compress(payload) if compression == COMPRESSION_ZLIB else payload
    return bytes((HEADER_VERSION_BYTE, compression)) + version.bytes + body


def unframe(data: bytes) -> tuple[uuid.UUID, bytes]:
    """(schema version id, payload) of a Glue-framed record. Raises DataError on a malformed header."""
    if len(data) < HEADER_SIZE:
        raise DataError(f"Data is too short for a Glue Schema Registry header: {len(data)} bytes")
    if data[0] != HEADER_VERSION_BYTE:
        raise DataError(f"Invalid schema registry header version byte in data: {data[0]}")
    version = uuid.UUID(bytes=bytes(data[2:HEADER_SIZE]))
    if data[1] == COMPRESSION_ZLIB:
        try:
            return version, zlib.decompress(data[HEADER_SIZE:])
        except zlib.error as exc:
            raise DataError(f"Invalid zlib-compressed payload: {exc}") from exc
    if data[1] != COMPRESSION_NONE:
        raise DataError(f"Invalid schema registry compression byte in data: {data[1]}")
    return version, bytes(data[HEADER_SIZE:])


class GlueConverter(Converter):
    """The shared flow of the Glue converters; a format supplies its definition, encoder and decoder."""

    CONFIG_DEF: ClassVar[ConfigDef] = glue_config_def()
    DATA_FORMAT: ClassVar[str]
    FORMAT: ClassVar[str]

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        props = with_type(configs, is_key)
        parsed = {**props, **self.CONFIG_DEF.parse(props)}
        self.is_key = parsed.get(TYPE_CONFIG) == KEY
        capacity = int(parsed.get(CACHE_SIZE) or 200)
        self.registry = GlueRegistry(
            region=parsed.get(REGION),
            endpoint=parsed.get(ENDPOINT),
            registry=parsed.get(REGISTRY_NAME) or DEFAULT_REGISTRY,
            capacity=capacity,
        )
        self.schema_name: str | None = parsed.get(SCHEMA_NAME)
        self.auto_register = bool(parsed.get(AUTO_REGISTRATION))
        self.data_format = str(parsed.get(DATA_FORMAT) or self.DATA_FORMAT)
        if self.data_format != self.DATA_FORMAT:
            raise DataError(f"{type(self).__name__} writes {self.DATA_FORMAT}, not dataFormat={self.data_format}")
        self.compatibility = str(parsed.get(COMPATIBILITY) or "BACKWARD")
        self.compression = COMPRESSION_ZLIB if parsed.get(COMPRESSION) == "ZLIB" else COMPRESSION_NONE
        self._writers: LRUCache[tuple[str, Schema], tuple[uuid.UUID, Callable[[Any], bytes]]] = LRUCache(capacity)
        self._readers: LRUCache[uuid.UUID, Callable[[bytes], SchemaAndValue]] = LRUCache(capacity)

    @abstractmethod
    def _definition(self, schema: Schema) -> tuple[str, Callable[[Any], bytes]]:
        """The schema definition of a Connect schema, and the encoder of its values."""

    def _reader(self, definition: str) -> tuple[Schema, Callable[[bytes], Any]]:
        """The Connect schema of a definition, and the decoder of its payloads (or override `_decoder`)."""
        raise NotImplementedError(f"{type(self).__name__} defines neither _reader nor _decoder")

    def _decoder(self, definition: str) -> Callable[[bytes], SchemaAndValue]:
        """Payload -> schema and value; a format whose payload picks its schema (Protobuf's message) overrides it."""
        schema, decode = self._reader(definition)
        return lambda payload: SchemaAndValue(schema, decode(payload))

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None and (schema is None or schema.optional):
            return None
        try:
            if schema is None:
                raise DataError(f"{type(self).__name__} needs a Connect schema: a schemaless value cannot be written")
            found = self._writers.get((topic, schema))
            if found is None:
                definition, encode = self._definition(schema)
                version = self.registry.version_for(
                    self.schema_name or topic, definition, self.data_format,
                    register=self.auto_register, compatibility=self.compatibility,
                )  # fmt: skip
                found = self._writers[(topic, schema)] = (version, encode)
            return frame(found[0], found[1](value), self.compression)
        except RetriableError as exc:
            raise type(exc)(f"Failed to serialize {self.FORMAT} data from topic {topic}: {exc}") from exc
        except (DataError, TypeError, ValueError, AttributeError, KeyError) as exc:
            raise DataError(f"Failed to serialize {self.FORMAT} data from topic {topic}: {exc}") from exc

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if data is None:
            return NULL_SCHEMA_AND_VALUE
        try:
            version, payload = unframe(data)
            found = self._readers.get(version)
            if found is None:
                definition, data_format = self.registry.definition(version)
                if data_format != self.DATA_FORMAT:
                    raise DataError(f"Schema version {version} is {data_format}, not {self.DATA_FORMAT}")
                found = self._readers[version] = self._decoder(definition)
            try:
                return found(payload)
            except (EOFError, StopIteration, IndexError, ValueError, TypeError, KeyError) as exc:
                raise DataError(
                    f"Error deserializing {self.FORMAT} message for schema version {version}: {exc!r}"
                ) from exc
        except RetriableError as exc:
            raise type(exc)(f"Failed to deserialize data for topic {topic} to {self.FORMAT}: {exc}") from exc
        except DataError as exc:
            raise DataError(f"Failed to deserialize data for topic {topic} to {self.FORMAT}: {exc}") from exc


AVRO_CLASS = "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter"
JSON_CLASS = "com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.JsonSchemaConverter"
PROTOBUF_CLASS = "com.amazonaws.services.schemaregistry.kafkaconnect.protobuf.ProtobufSchemaConverter"


@register(PluginKind.CONVERTER, AVRO_CLASS, *default_aliases(AVRO_CLASS, "Converter"))
class AWSKafkaAvroConverter(GlueConverter):
    """Glue's AWSKafkaAvroConverter: Avro with the AWS Glue Schema Registry."""

    DATA_FORMAT: ClassVar[str] = "AVRO"
    FORMAT: ClassVar[str] = "Avro"
    VERSION: ClassVar[str] = "1.1.20"

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        super().configure(configs, is_key)
        self.avro_data = AvroData()

    def _definition(self, schema: Schema) -> tuple[str, Callable[[Any], bytes]]:
        import fastavro

        avro = self.avro_data.from_connect_schema(schema)
        parsed = fastavro.parse_schema(avro, _force=True)
        writer = self.avro_data.writer(schema, avro)

        def encode(value: Any) -> bytes:
            out = io.BytesIO()
            fastavro.schemaless_writer(out, parsed, value if writer is None else writer(value))
            return out.getvalue()

        return json.dumps(avro, separators=(",", ":")), encode

    def _reader(self, definition: str) -> tuple[Schema, Callable[[bytes], Any]]:
        import fastavro

        avro = json.loads(definition)
        schema, reader, named_unions = self.avro_data.to_connect_schema(avro)
        parsed = fastavro.parse_schema(avro, _force=True)
        options: dict[str, Any] = (
            {"return_named_type": True, "return_named_type_override": True} if named_unions else {}
        )

        def decode(payload: bytes) -> Any:
            datum = fastavro.schemaless_reader(io.BytesIO(payload), parsed, None, **options)
            return datum if reader is None else reader(datum)

        return schema, decode


@register(PluginKind.CONVERTER, JSON_CLASS)
class AWSKafkaJsonSchemaConverter(GlueConverter):
    """Glue's JSON Schema converter (com.amazonaws...kafkaconnect.jsonschema.JsonSchemaConverter)."""

    DATA_FORMAT: ClassVar[str] = "JSON"
    FORMAT: ClassVar[str] = "JSON"
    VERSION: ClassVar[str] = "1.1.20"

    def _definition(self, schema: Schema) -> tuple[str, Callable[[Any], bytes]]:
        import orjson

        from connectless.converters.registry import json_schema_data

        encode_value = json_schema_data.encoder(schema)
        return json.dumps(json_schema_data.from_connect_schema(schema)), lambda v: orjson.dumps(encode_value(v))

    def _reader(self, definition: str) -> tuple[Schema, Callable[[bytes], Any]]:
        import orjson

        from connectless.converters.registry import json_schema_data

        document = json.loads(definition)
        schema, decode_value = json_schema_data.ToConnect(document).convert(document)
        return schema, lambda payload: decode_value(orjson.loads(payload))


@register(PluginKind.CONVERTER, PROTOBUF_CLASS)
class AWSKafkaProtobufConverter(GlueConverter):
    """Glue's Protobuf converter (com.amazonaws...kafkaconnect.protobuf.ProtobufSchemaConverter).

    The payload after Glue's header is the message's index (an unsigned varint: which message of the schema's
    file, counting nested ones, in the order of their full names) and then the message; the schema is .proto text.
    """

    DATA_FORMAT: ClassVar[str] = "PROTOBUF"
    FORMAT: ClassVar[str] = "Protobuf"
    VERSION: ClassVar[str] = "1.1.20"

    def _definition(self, schema: Schema) -> tuple[str, Callable[[Any], bytes]]:
        from google.protobuf import message_factory

        from connectless.converters.registry import glue_protobuf_data as data
        from connectless.converters.registry import protobuf_text, wire

        text = data.proto_text(schema)
        file = protobuf_text.parse(text, data.glue_files()).file
        message = next(iter(file.message_types_by_name.values()))
        prefix = wire.varint(data.message_indexes(file)[message.full_name])
        write = data.writer(schema, message_factory.GetMessageClass(message))
        return text, lambda value: prefix + write(value).SerializeToString()

    def _decoder(self, definition: str) -> Callable[[bytes], SchemaAndValue]:
        from google.protobuf import message_factory
        from google.protobuf.message import DecodeError

        from connectless.converters.registry import glue_protobuf_data as data
        from connectless.converters.registry import protobuf_text, wire

        parsed = protobuf_text.parse(definition, data.glue_files())
        by_index = {index: name for name, index in data.message_indexes(parsed.file).items()}
        to_connect = data.ToConnect(parsed)
        plans: dict[int, tuple[Schema, Any, Callable[[Any], Any]]] = {}

        def decode(payload: bytes) -> SchemaAndValue:
            index, body = wire.read_varint(payload)
            plan = plans.get(index)
            if plan is None:
                if index not in by_index:
                    raise DataError(f"No corresponding descriptor found for the index: {index}")
                descriptor = parsed.file.pool.FindMessageTypeByName(by_index[index])
                schema, read = to_connect.message(descriptor)
                plan = plans[index] = (schema, message_factory.GetMessageClass(descriptor), read)
            message = plan[1]()
            try:
                message.ParseFromString(bytes(body))
            except DecodeError as exc:
                raise DataError(f"Invalid Protobuf message: {exc}") from exc
            return SchemaAndValue(plan[0], plan[2](message))

        return decode

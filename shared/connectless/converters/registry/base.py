"""The flow every schema-registry converter shares; a format (Avro, Protobuf, JSON Schema) fills a few hooks.

Writing: Connect schema -> the format's schema (cached per Connect schema) -> subject (the strategy) -> schema id
(registered with `auto.register.schemas`, looked up otherwise, or the subject's latest with `use.latest.version`)
-> header + encoded value. Reading: header -> schema id -> the registry's schema (once per id) -> Connect schema
with the subject version as Connect's version -> decoded value. Both directions keep LRU caches bounded by
`max.schemas.per.subject`. Messages follow Confluent's ("Failed to deserialize data for topic T to Avro: ...").
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from cachetools import LRUCache

from connectless import native
from connectless.converters.base import Converter, with_type
from connectless.converters.registry import wire
from connectless.converters.registry.client import RegistryClient
from connectless.converters.registry.config import RegistrySettings, registry_config_def
from connectless.data.errors import DataError
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue
from connectless.errors.exceptions import RetriableError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from confluent_kafka.schema_registry import Schema as RegistrySchema

    from connectless.config import ConfigDef
    from connectless.data.schema import Schema
    from connectless.records import Headers


@dataclass(frozen=True)
class FormatSchema:
    """A Connect schema in the format's terms: the registry schema, its record name, and how to encode."""

    registry_schema: RegistrySchema
    record_name: str | None
    encoder_for: Callable[[RegistrySchema | None], Callable[[Any], bytes]]  # None: this schema itself


@dataclass(frozen=True)
class Writing:
    prefix: bytes  # the wire header (and Protobuf's message indexes)
    encode: Callable[[Any], bytes]


@dataclass(frozen=True)
class Reading:
    schema: Schema | None
    decode: Callable[[memoryview], Any]  # the payload after the header -> the value
    # a format whose payload says which of several schemas it holds (Protobuf's message indexes): both at once
    decode_with_schema: Callable[[memoryview], tuple[Schema, Any]] | None = None
    # the values of a run of whole messages (header included) that share this reading's header, in one call
    decode_run: Callable[[Sequence[bytes]], list[Any]] | None = None
    # decode_run's result as SchemaAndValues of `schema` already (AvroConverter's C reader makes them)
    decode_run_pairs: Callable[[Sequence[bytes]], list[SchemaAndValue]] | None = None


_NO_READING = Reading(None, lambda payload: None)
_new_tuple = tuple.__new__  # SchemaAndValue(schema, value) without NamedTuple's Python-level __new__ (a hot path)


class RegistryConverter(Converter):
    """Base of AvroConverter, ProtobufConverter and JsonSchemaConverter."""

    CONFIG_DEF: ClassVar[ConfigDef] = registry_config_def()
    SCHEMA_TYPE: ClassVar[str]  # the registry's schemaType: AVRO, PROTOBUF, JSON
    SCHEMA_FORMAT: ClassVar[str | None] = None  # asked of the registry when reading a schema by id
    FORMAT: ClassVar[str]  # in messages: Avro, Protobuf, JSON

    settings: RegistrySettings
    registry: RegistryClient

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        props = with_type(configs, is_key)
        merged = {**props, **self.CONFIG_DEF.parse(props)}
        self.settings = RegistrySettings.parse(merged)
        self.registry = RegistryClient(self.settings)
        capacity = self.settings.cache_capacity
        self._writings: LRUCache[tuple[str, Schema], Writing] = LRUCache(capacity)
        self._readings: LRUCache[tuple[str, int], Reading] = LRUCache(capacity)
        # (the last record's 5 header bytes, its topic, its reading): a stream's records mostly share one schema,
        # so the header's bytes alone find the reading (no parse of the id, no LRU bookkeeping per record)
        self._last_reading: tuple[bytes, str, Reading] = (b"", "", _NO_READING)
        self._configure_format(merged)

    # -- the format's hooks -------------------------------------------------------------------------

    def _configure_format(self, props: Mapping[str, Any]) -> None:
        """Take the format's own settings."""

    @abstractmethod
    def _format_schema(self, schema: Schema) -> FormatSchema:
        """The registry schema of a Connect schema, and its encoder."""

    @abstractmethod
    def _reading(self, registry_schema: RegistrySchema, version: int | None) -> Reading:
        """The Connect schema and the decoder of a registry schema."""

    @abstractmethod
    def _registry_record_name(self, registry_schema: RegistrySchema) -> str | None:
        """The record (message) name of a registry schema, for the record-name strategies."""

    def _check_latest(self, ours: RegistrySchema, latest: RegistrySchema) -> str | None:
        """Why the subject's latest schema cannot stand for ours (latest.compatibility.strict), or None."""
        return None

    def _prefix(self, schema_id: int, registry_schema: RegistrySchema) -> bytes:
        return wire.header(schema_id)

    # -- Converter ------------------------------------------------------------------------------------

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if value is None and (schema is None or schema.optional):
            return None
        try:
            if schema is None:
                raise DataError(f"{type(self).__name__} needs a Connect schema: a schemaless value cannot be written")
            writing = self._writings.get((topic, schema))
            if writing is None:
                writing = self._writings[(topic, schema)] = self._writing(topic, schema)
            return writing.prefix + writing.encode(value)
        except RetriableError as exc:
            raise type(exc)(f"Failed to serialize {self.FORMAT} data from topic {topic}: {exc}") from exc
        except DataError as exc:
            raise DataError(f"Failed to serialize {self.FORMAT} data from topic {topic}: {exc}") from exc
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
            raise DataError(f"Failed to serialize {self.FORMAT} data from topic {topic}: {exc}") from exc

    def _writing(self, topic: str, schema: Schema) -> Writing:
        ours = self._format_schema(schema)
        settings = self.settings
        subject = settings.subject_strategy(topic, settings.is_key, ours.record_name)
        if settings.use_latest_version:
            latest = self.registry.latest(subject)
            if settings.latest_compatibility_strict:
                problem = self._check_latest(ours.registry_schema, latest.schema)
                if problem:
                    raise DataError(f"Schema not compatible with latest schema of subject {subject}: {problem}")
            schema_id = int(latest.schema_id or 0)
            return Writing(self._prefix(schema_id, latest.schema), ours.encoder_for(latest.schema))
        schema_id = self.registry.id_for(subject, ours.registry_schema, register=settings.auto_register)
        return Writing(self._prefix(schema_id, ours.registry_schema), ours.encoder_for(None))

    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        if data is None:
            return NULL_SCHEMA_AND_VALUE
        try:
            last = self._last_reading
            if data[:5] == last[0] and topic == last[1]:  # the header of a record read before: valid
                reading, payload = last[2], memoryview(data)[5:]
            else:
                reading, payload = self._reading_of(topic, data)
            try:
                if reading.decode_with_schema is not None:
                    return _new_tuple(SchemaAndValue, reading.decode_with_schema(payload))
                value = reading.decode(payload)
            except (EOFError, StopIteration, IndexError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
                schema_id = int.from_bytes(data[1:5], "big")
                raise DataError(f"Error deserializing {self.FORMAT} message for id {schema_id}: {exc!r}") from exc
            return _new_tuple(SchemaAndValue, (reading.schema, value))
        except RetriableError as exc:
            raise type(exc)(f"Failed to deserialize data for topic {topic} to {self.FORMAT}: {exc}") from exc
        except DataError as exc:
            raise DataError(f"Failed to deserialize data for topic {topic} to {self.FORMAT}: {exc}") from exc

    def _reading_of(self, topic: str, data: bytes) -> tuple[Reading, memoryview]:
        """The reading of a framed message's schema id (registry lookups cached) and its payload; remembered as
        the last one read."""
        schema_id, payload = wire.split(data)
        reading = self._readings.get((topic, schema_id))
        if reading is None:
            reading = self._readings[(topic, schema_id)] = self._load_reading(topic, schema_id)
        self._last_reading = (bytes(data[:5]), topic, reading)
        return reading, payload

    def batch_reader(self) -> Callable[[str, Sequence[bytes | None]], list[SchemaAndValue]] | None:
        return self._to_connect_run

    def _to_connect_run(self, topic: str, datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """to_connect_data over a run of records of `topic`, without its per-record wrapping: consecutive records
        with the same 5 header bytes share a reading (looked up once for them), decoded by its `decode_run` in one
        call where the format has one. Raises where to_connect_data would fail for one of them (the caller then
        reads them one by one)."""
        results: list[SchemaAndValue] = []
        append = results.append
        at, count = 0, len(datas)
        fast = native.avro
        while at < count:
            data = datas[at]
            if data is None:
                append(NULL_SCHEMA_AND_VALUE)
                at += 1
                continue
            reading, _ = self._reading_of(topic, data)
            header = bytes(data[:5])
            end = at + 1
            if fast is not None and type(datas) is list:  # the same scan in C (the bytes messages of a sink's run)
                end = fast.header_run(datas, end, header)
            while end < count and (following := datas[end]) is not None and following.startswith(header):
                end += 1
            run = cast("Sequence[bytes]", datas[at:end])  # no None in it: the loop above stopped at one
            schema, decode_run = reading.schema, reading.decode_run
            if reading.decode_run_pairs is not None:
                results += reading.decode_run_pairs(run)
            elif decode_run is not None:
                results += [_new_tuple(SchemaAndValue, (schema, value)) for value in decode_run(run)]
            elif reading.decode_with_schema is not None:
                decode_with_schema = reading.decode_with_schema
                results += [_new_tuple(SchemaAndValue, decode_with_schema(memoryview(d)[5:])) for d in run]
            else:
                decode = reading.decode
                results += [_new_tuple(SchemaAndValue, (schema, decode(memoryview(d)[5:]))) for d in run]
            at = end
        return results

    def _load_reading(self, topic: str, schema_id: int) -> Reading:
        registry_schema = self.registry.schema(schema_id, self.SCHEMA_FORMAT)
        record_name = self._registry_record_name(registry_schema)
        subject = self.settings.subject_strategy(topic, self.settings.is_key, record_name)
        version = self.registry.version_of(subject, schema_id, registry_schema)
        return self._reading(registry_schema, version)

    def close(self) -> None:
        registry = getattr(self, "registry", None)
        if registry is not None:
            registry.close()

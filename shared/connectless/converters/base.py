"""The converter SPI, as small as Kafka Connect's: `Converter` for keys and values, `HeaderConverter` for headers.

A converter turns Connect data (schema + value) into the bytes of a Kafka record and back. Failures raise
`connectless.data.DataError` with Kafka Connect's messages. Kafka's stock converters serve both roles;
`DataAndHeaderConverter` is their base: a header is converted exactly like a value.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from connectless.config import ConfigDef, ConfigError, ConfigType, Importance, ValidString
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.data.schema import Schema
    from connectless.records import Headers

TYPE_CONFIG = "converter.type"
KEY, VALUE, HEADER = "key", "value", "header"


def converter_config_def() -> ConfigDef:
    """ConverterConfig.newConfigDef(): every converter's `converter.type`, set by the runtime."""
    return ConfigDef().define(
        TYPE_CONFIG,
        ConfigType.STRING,
        None,
        ValidString([KEY, VALUE, HEADER], allow_null=True),
        Importance.LOW,
        "How this converter will be used.",
    )


def with_type(configs: Mapping[str, Any], is_key: bool | None) -> dict[str, Any]:
    """`configs` with `converter.type` set for `is_key` (None: header use, unless the configs say otherwise)."""
    props = dict(configs)
    if is_key is not None:
        props[TYPE_CONFIG] = KEY if is_key else VALUE
    elif props.get(TYPE_CONFIG) is None:
        props[TYPE_CONFIG] = HEADER
    return props


class Converter(ABC):
    """Connect data <-> bytes for record keys and values (org.apache.kafka.connect.storage.Converter)."""

    CONFIG_DEF: ClassVar[ConfigDef] = converter_config_def()
    VERSION: ClassVar[str] = "4.1.0"

    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        """Apply this converter's configuration (the worker strips the `key.converter.` prefix first)."""

    @abstractmethod
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        """The bytes of `value`, or None for a null key/value (a tombstone)."""

    @abstractmethod
    def to_connect_data(self, topic: str, data: bytes | None, headers: Headers | None = None) -> SchemaAndValue:
        """The schema and value read from `data` (NULL_SCHEMA_AND_VALUE for a tombstone where Kafka returns it)."""

    def schemaless_reader(self) -> Callable[[bytes], Any] | None:
        """A shortcut for the pipelines' hot path, or None: a function of non-null bytes alone that returns
        `to_connect_data(...).value` when that schema is always None and a null gives a null. It may raise where
        to_connect_data would not: the record is then converted again through to_connect_data."""
        return None

    def schemaless_batch_reader(self) -> Callable[[Sequence[bytes | None]], list[Any]] | None:
        """`schemaless_reader` over a run of records at once, or None when there is none: a function of a list
        of byte strings (None for a null) that returns the reader's value of each (None for a null). It may raise
        where the reader would for one of them: the run is then converted record by record."""
        read = self.schemaless_reader()
        if read is None:
            return None

        def read_each(datas: Sequence[bytes | None]) -> list[Any]:
            return [None if data is None else read(data) for data in datas]

        return read_each

    def schemaless_reader_pair(self) -> tuple[Callable[[bytes], Any], Callable[[bytes], Any] | None] | None:
        """`schemaless_reader` as connectless.native calls it, or None when there is none: (fast, exact), where
        the reader's value of `data` is exact(data) when exact is not None and `data` (JSON text) holds "-0" or
        19 digits in a row, else fast(data). The native code makes that check itself, so a JSON reader hands it
        orjson.loads and keeps its own guard for the rest; with exact set it also reads a JSON integer of up to 18
        digits (no sign, no leading zero) itself, as orjson does. It may raise where the reader would."""
        read = self.schemaless_reader()
        return None if read is None else (read, None)

    def batch_reader(self) -> Callable[[str, Sequence[bytes | None]], list[SchemaAndValue]] | None:
        """`to_connect_data` over a run of records of one topic at once, or None when there is none: a function of
        the topic and a list of byte strings (None for a null) that returns each one's SchemaAndValue. It may raise
        where to_connect_data would for one of them: the run is then converted record by record."""
        return None

    def close(self) -> None:
        """Release resources; called once, when the task stops."""


class HeaderConverter(ABC):
    """Connect header values <-> bytes (org.apache.kafka.connect.storage.HeaderConverter)."""

    CONFIG_DEF: ClassVar[ConfigDef] = converter_config_def()
    VERSION: ClassVar[str] = "4.1.0"

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Apply this converter's configuration (the worker strips the `header.converter.` prefix first)."""

    @abstractmethod
    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        """The bytes of one header's value (None for a null value)."""

    @abstractmethod
    def to_connect_header(self, topic: str, header_key: str, data: bytes | None) -> SchemaAndValue:
        """The schema and value of one header's bytes."""

    def close(self) -> None:
        """Release resources; called once, when the task stops."""


class DataAndHeaderConverter(Converter, HeaderConverter):
    """A converter that also serves as a header converter, converting a header as it converts a value.

    Subclasses implement `_configure(props)`; `props["converter.type"]` says key, value or header.
    """

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        """As a key/value converter pass `is_key`; as a header converter leave it out."""
        self._configure(self._parse(with_type(configs, is_key)))

    def _parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        parsed = self.CONFIG_DEF.parse(props)
        return {**props, **parsed}

    def _configure(self, props: Mapping[str, Any]) -> None:
        """Take the parsed configuration (unknown keys are kept, as Kafka passes originals on)."""

    def from_connect_header(self, topic: str, header_key: str, schema: Schema | None, value: Any) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, data: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, data)

    def close(self) -> None:
        """Nothing to release."""


__all__ = [
    "HEADER",
    "KEY",
    "NULL_SCHEMA_AND_VALUE",
    "TYPE_CONFIG",
    "VALUE",
    "ConfigError",
    "Converter",
    "DataAndHeaderConverter",
    "HeaderConverter",
    "SchemaAndValue",
    "converter_config_def",
    "with_type",
]

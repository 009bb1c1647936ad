"""`connectless transform`: run records through a connector's converters and transforms, offline.

Sink side (default): each input record is what sits in Kafka; it goes through the header, key and value
converters then the transforms, and is printed re-serialised by the same converters, so the output shows
what put() would get. Source side: each input key/value is read with the converters as the connect data
the source task would emit; it goes through the transforms then the converters, and the output is what
would be produced to Kafka.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import sys
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

import orjson

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from connectless.errors.context import ProcessingContext
    from connectless.pipeline.sink import SinkPipeline
    from connectless.pipeline.source import SourcePipeline
    from connectless.raw_records import RawRecord
    from connectless.records import SinkRecord, SourceRecord

    Process = Callable[[RawRecord, int], dict[str, Any] | None]

EXIT_OK = 0
EXIT_RECORD_FAILED = 1
EXIT_USAGE = 2

DESCRIPTION = """\
Run records through a connector's converters and transforms (with its predicates and errors.* policy) as
its tasks would, and print one JSON line per surviving record.

Input: JSON lines {"topic", "partition", "offset", "timestamp", "key", "value", "headers"}; key and value
are strings (UTF-8) or {"base64": "..."}, headers [[name, value], ...]. Only "value" is needed; "topic"
defaults to the connector's first topic.

Output: the same fields, key/value/headers serialised by the connector's converters (strings when valid
UTF-8, else {"base64": ...}; {"unserializable": "<exception>"} where the converter cannot write what the
transforms made). A record that fails prints {"error": {"stage", "class", "exception", "message"},
"input_offset": N} (stage, executing class and exception as the __connect.errors.* DLQ headers carry
them); with errors.tolerance=none processing stops there and the exit status is 1.

Offline: nothing is read from or written to Kafka, so errors.deadletterqueue.* is ignored here.

Schema-registry converters (AvroConverter, JsonSchemaConverter, ...) read from and register into the
registry their config names, or the one --schema-registry names (a URL, or `mock` for an in-memory
registry of this run). On the source side their input is Kafka Connect's JSON envelope
{"schema": ..., "payload": ...}, the connect data a source task would emit, and the output is the bytes
the registry converter produces (base64), with the schema id it used.
"""

MOCK_REGISTRY = "mock://connectless-transform"


class InputError(ValueError):
    """A bad input line; the message names its line number."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "transform",
        help="run records through a connector's converters and transforms, offline (no DLQ produce)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "connector", metavar="CONNECTOR.json", help="connector file: JSON {name, config} or .properties"
    )
    parser.add_argument("--input", metavar="FILE", help="JSON lines to read (default: standard input)")
    parser.add_argument(
        "--side", choices=("sink", "source"), default="sink", help="which side of Kafka the records are on"
    )
    parser.add_argument(
        "--schema-registry",
        metavar="URL|mock",
        help="schema.registry.url for the connector's schema-registry converters; `mock`: an in-memory registry",
    )
    parser.set_defaults(func=run)
    return parser


def with_registry(config: Mapping[str, str], registry: str | None) -> dict[str, str]:
    """`config` with `<role>.schema.registry.url` set for each role whose converter uses a schema registry."""
    from connectless.converters.registry.base import RegistryConverter
    from connectless.plugins import REGISTRY, PluginKind

    out = dict(config)
    if not registry:
        return out
    url = MOCK_REGISTRY if registry.strip().lower() == "mock" else registry.strip()
    for role in ("key.converter", "value.converter"):
        class_name = config.get(role)
        if class_name and issubclass(REGISTRY.find(PluginKind.CONVERTER, class_name).cls, RegistryConverter):
            out[f"{role}.schema.registry.url"] = url
    return out


def run(args: argparse.Namespace) -> int:
    from connectless.config.connector_file import ConnectorFileError, load_connector_file

    try:
        connector = load_connector_file(args.connector)
    except ConnectorFileError as exc:
        print(f"connectless transform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    config = with_registry(connector.config, getattr(args, "schema_registry", None))
    try:
        if args.input:
            with open(args.input, encoding="utf-8") as stream:  # noqa: PTH123 - a text stream, like stdin
                return transform(args.side, connector.name, config, stream, sys.stdout)
        return transform(args.side, connector.name, config, sys.stdin, sys.stdout)
    except OSError as exc:
        print(f"connectless transform: {exc}", file=sys.stderr)
        return EXIT_USAGE


def transform(side: str, name: str, config: Mapping[str, str], stream: Iterable[str], out: TextIO) -> int:
    """`connectless transform` on a connector config: input JSON lines from `stream`, output lines to `out`.

    Returns the exit status; a usage problem (bad config, bad input line) is printed to stderr.
    """
    from connectless.config import ConfigError
    from connectless.plugins import PluginNotFoundError

    try:
        collector = _Collector()
        pipeline, process = _build(side, name, config, collector)
    except (ConfigError, PluginNotFoundError) as exc:
        print(f"connectless transform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    partition = -1 if side == "source" else 0  # a source record without one lets the producer choose
    try:
        return _run(process, config, stream, out, collector, partition)
    except InputError as exc:
        print(f"connectless transform: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        pipeline.close()


def _build(
    side: str, name: str, config: Mapping[str, str], collector: _Collector
) -> tuple[SinkPipeline | SourcePipeline, Process]:
    """The pipeline, and a function taking one input record to its output line (None: no output)."""
    if side == "source":
        from connectless.pipeline.source import SourcePipeline

        source = SourcePipeline(name, 0, config, None, reporters=[collector])
        readers = _source_readers(source)

        def process_source(raw: RawRecord, line_no: int) -> dict[str, Any] | None:
            produced = source.process(_source_record(readers, source, raw, line_no))
            return (
                None
                if produced is None
                else _with_schema_ids(_raw_json(produced, source=True), produced.key, produced.value, source)
            )

        return source, process_source

    from connectless.pipeline.sink import SinkPipeline

    sink = SinkPipeline(name, 0, config, None, reporters=[collector])

    def process_sink(raw: RawRecord, line_no: int) -> dict[str, Any] | None:
        consumed = sink.process(raw)
        return None if consumed is None else _sink_json(sink, consumed)

    return sink, process_sink


class _Collector:
    """An error reporter that keeps the last failure, to print it in place of the record."""

    def __init__(self) -> None:
        self.last: ProcessingContext | None = None

    def report(self, context: ProcessingContext) -> None:
        self.last = context

    def flush(self, timeout: float) -> None:
        return None

    def close(self) -> None:
        return None


def _run(
    process: Process,
    config: Mapping[str, str],
    stream: Iterable[str],
    out: TextIO,
    collector: _Collector,
    default_partition: int,
) -> int:
    from connectless.errors.exceptions import ToleranceExceededError

    default_topic = _default_topic(config)
    for index, (line_no, document) in enumerate(_documents(stream)):
        raw = _raw_record(document, line_no, index, default_topic, default_partition)
        collector.last = None
        try:
            result = process(raw, line_no)
        except ToleranceExceededError as exc:
            _write(out, _error_json(exc.stage.name, exc.class_name, exc.error, index))
            return EXIT_RECORD_FAILED
        if result is not None:
            _write(out, result)
        elif collector.last is not None and collector.last.error is not None:
            last = collector.last
            _write(out, _error_json(last.stage.name, last.executing_class_name, last.error, index))
    return EXIT_OK


def _write(out: TextIO, document: Mapping[str, Any]) -> None:
    out.write(orjson.dumps(document).decode() + "\n")
    out.flush()


def _error_json(stage: str, class_name: str, error: BaseException, index: int) -> dict[str, Any]:
    from connectless.errors.context import python_class_name

    return {
        "error": {
            "stage": stage,
            "class": class_name,
            "exception": python_class_name(type(error)),
            "message": str(error),
        },
        "input_offset": index,
    }


def _default_topic(config: Mapping[str, str]) -> str | None:
    from connectless.connector_config import parse_topics_list

    topics = parse_topics_list(config)
    return topics[0] if topics else (config.get("topic") or None)


def _documents(stream: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for line_no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"input line {line_no}: invalid JSON: {exc}") from None
        if not isinstance(document, dict):
            raise InputError(f"input line {line_no}: expected a JSON object, got {type(document).__name__}")
        yield line_no, document


@dataclass(frozen=True)
class _Field:
    name: str
    line_no: int

    def fail(self, why: str) -> InputError:
        return InputError(f"input line {self.line_no}: field '{self.name}' {why}")


def _raw_record(
    document: Mapping[str, Any], line_no: int, index: int, default_topic: str | None, default_partition: int
) -> RawRecord:
    from connectless.raw_records import RawRecord
    from connectless.records import TimestampType

    topic = document.get("topic", default_topic)
    if not isinstance(topic, str) or not topic:
        raise _Field("topic", line_no).fail("must be a non-empty string (the connector names no topic to default to)")
    partition = _int(document, "partition", default_partition, line_no)
    offset = _int(document, "offset", index, line_no)
    timestamp = _int(document, "timestamp", None, line_no)
    return RawRecord(
        topic,
        partition,
        offset,
        timestamp,
        TimestampType.NO_TIMESTAMP_TYPE if timestamp is None else TimestampType.CREATE_TIME,
        _bytes(document.get("key"), _Field("key", line_no)),
        _bytes(document.get("value"), _Field("value", line_no)),
        _headers(document.get("headers"), line_no),
    )


def _int(document: Mapping[str, Any], name: str, default: int | None, line_no: int) -> Any:
    value = document.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise _Field(name, line_no).fail("must be an integer")
    return value


def _bytes(value: Any, field: _Field) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and set(value) == {"base64"} and isinstance(value["base64"], str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except binascii.Error as exc:
            raise field.fail(f"has invalid base64: {exc}") from None
    raise field.fail('must be a string, {"base64": "..."} or null')


def _headers(value: Any, line_no: int) -> tuple[tuple[str, bytes | None], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Field("headers", line_no).fail("must be a list of [name, value] pairs")
    headers = []
    for i, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise _Field(f"headers[{i}]", line_no).fail("must be a [name, value] pair with a string name")
        headers.append((pair[0], _bytes(pair[1], _Field(f"headers[{i}]", line_no))))
    return tuple(headers)


def _source_readers(pipeline: SourcePipeline) -> tuple[Any, Any]:
    """The converters that read the input's key and value: the connector's own, except that a schema-registry
    converter's input is Kafka Connect's JSON envelope (a registry has nothing to say about JSON text)."""
    from connectless.converters.json_converter import JsonConverter
    from connectless.converters.registry.base import RegistryConverter

    readers: list[Any] = []
    for converter, is_key in ((pipeline.key_converter, True), (pipeline.value_converter, False)):
        reader: Any = converter
        if isinstance(converter, RegistryConverter):
            reader = JsonConverter()
            reader.configure({"schemas.enable": "true"}, is_key)
        readers.append(reader)
    return readers[0], readers[1]


def _with_schema_ids(
    document: dict[str, Any], key: bytes | None, value: bytes | None, pipeline: SourcePipeline | SinkPipeline
) -> dict[str, Any]:
    """A schema-registry converter's bytes always as base64 (framed binary, even when it happens to be UTF-8),
    with the schema id of their header beside them."""
    from connectless.converters.registry.base import RegistryConverter

    for role, converter, data in (("key", pipeline.key_converter, key), ("value", pipeline.value_converter, value)):
        if isinstance(converter, RegistryConverter) and data is not None:
            document[role] = {"base64": base64.b64encode(data).decode()}
            document[f"{role}_schema_id"] = int.from_bytes(data[1:5], "big") if len(data) >= 5 else None
    return document


def _source_record(readers: tuple[Any, Any], pipeline: SourcePipeline, raw: RawRecord, line_no: int) -> SourceRecord:
    """The connect data a source task would emit, read from the input bytes with the connector's converters."""
    from connectless.records import Header, Headers, SourceRecord

    try:
        key = readers[0].to_connect_data(raw.topic, raw.key)
        value = readers[1].to_connect_data(raw.topic, raw.value)
        headers = Headers(
            Header(name, sv.value, sv.schema)
            for name, data in raw.headers
            for sv in (pipeline.header_converter.to_connect_header(raw.topic, name, data),)
        )
    except Exception as exc:
        raise InputError(f"input line {line_no}: not data the connector's converters can read: {exc}") from exc
    partition = None if raw.partition < 0 else raw.partition  # none given: the producer's partitioner picks
    return SourceRecord(raw.topic, partition, key.schema, key.value, value.schema, value.value, raw.timestamp, headers)


def _sink_json(pipeline: SinkPipeline, record: SinkRecord) -> dict[str, Any]:
    """The record as put() gets it, serialised back by the connector's converters for display.

    A key, value or header the converter cannot serialise shows as {"unserializable": "<exception class>"}.
    """
    topic = record.topic  # after any topic-renaming transform
    key, key_shown = _serialized(pipeline.key_converter.from_connect_data, topic, record.key_schema, record.key)
    value, value_shown = _serialized(
        pipeline.value_converter.from_connect_data, topic, record.value_schema, record.value
    )
    to_header = pipeline.header_converter.from_connect_header
    document = {
        "topic": topic,
        "partition": record.kafka_partition,
        "offset": record.kafka_offset,
        "timestamp": record.timestamp,
        "key": key_shown,
        "value": value_shown,
        "headers": [
            [h.key, _serialized(partial(to_header, topic, h.key), h.schema, h.value)[1]] for h in record.headers
        ],
    }
    return _with_schema_ids(document, key, value, pipeline)


def _serialized(convert: Callable[..., bytes | None], *args: Any) -> tuple[bytes | None, Any]:
    """The converter's bytes (None if it failed) and how they show."""
    from connectless.errors.context import python_class_name

    try:
        data = convert(*args)
    except Exception as exc:
        return None, {"unserializable": python_class_name(type(exc))}
    return data, _show(data)


def _raw_json(raw: RawRecord, *, source: bool) -> dict[str, Any]:
    return {
        "topic": raw.topic,
        "partition": None if source and raw.partition < 0 else raw.partition,
        "offset": None if source else raw.offset,
        "timestamp": raw.timestamp,
        "key": _show(raw.key),
        "value": _show(raw.value),
        "headers": [[name, _show(data)] for name, data in raw.headers],
    }


def _show(data: bytes | None) -> Any:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}

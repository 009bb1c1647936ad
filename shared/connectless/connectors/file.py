"""File source and sink, accepting Kafka Connect's FileStreamSource/FileStreamSink configs.

The source reads lines and records the byte position after each one as its offset
(partition {"filename": path}, offset {"position": n}), as FileStreamSource does. The sink writes one
line per record: compact JSON for structured values, the plain string otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from connectless import native
from connectless.config import ConfigDef, ConfigType, Importance, Range
from connectless.connector import SinkConnector, SinkTask, SourceConnector, SourceTask
from connectless.data import STRING_SCHEMA
from connectless.data.json_values import FLAT_STRUCT_LINE, to_json_line
from connectless.plugins import PluginKind, register
from connectless.records import EMPTY_HEADERS, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.config import ConfigValue
    from connectless.connector import TopicPartition
    from connectless.records import SinkRecord

FILE = "file"
TOPIC = "topic"
TOPICS = "topics"
BATCH_SIZE = "batch.size"
LINES_BUFFER_BYTES = 1 << 16  # FileStreamSink's lines written by connectless.native: a write per 64 KiB
STRUCT_LINES_AT_ONCE = 64  # Struct lines made per call: a few KB alive at once, as one line in Python
SINGLE_TOPIC = "'topic' in FileStreamSourceConnector configuration requires definition of a single topic"

SOURCE_CONFIG_DEF = (
    ConfigDef()
    .define(FILE, ConfigType.STRING, None, None, Importance.HIGH, "Source filename. If not specified, stdin is used.")
    .define(TOPIC, ConfigType.LIST, validator=None, importance=Importance.HIGH,
            documentation="The topic to publish data to")
    .define(BATCH_SIZE, ConfigType.INT, 2000, Range.at_least(1), Importance.LOW,
            "The maximum number of records the source task can read from the file each time it is polled")
)  # fmt: skip

SINK_CONFIG_DEF = ConfigDef().define(
    FILE, ConfigType.STRING, None, None, Importance.HIGH, "Destination filename. If not specified, stdout is used."
)


@register(PluginKind.SOURCE, "org.apache.kafka.connect.file.FileStreamSourceConnector",
          "FileStreamSourceConnector", "FileStreamSource")  # fmt: skip
class FileStreamSourceConnector(SourceConnector):
    CONFIG_DEF = SOURCE_CONFIG_DEF

    def validate(self, props: Mapping[str, Any]) -> list[ConfigValue]:
        """The ConfigDef's checks, and the single topic start() insists on (Kafka checks it only in start())."""
        values = super().validate(props)
        topic = next(v for v in values if v.name == TOPIC)
        if not topic.errors and isinstance(topic.value, list) and len(topic.value) != 1:
            topic.errors.append(SINGLE_TOPIC)
        return values

    def start(self, props: Mapping[str, str]) -> None:
        parsed = SOURCE_CONFIG_DEF.parse(props)
        if len(parsed[TOPIC]) != 1:
            from connectless.config import ConfigError

            raise ConfigError(TOPIC, props.get(TOPIC), SINGLE_TOPIC)
        self.props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return FileStreamSourceTask

    def exactly_once_support(self, props: Mapping[str, str]) -> bool | None:
        return props.get(FILE) not in (None, "")  # stdin cannot be rewound


class FileStreamSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        parsed = SOURCE_CONFIG_DEF.parse(props)
        self.filename: str | None = parsed[FILE] or None
        self.topic: str = parsed[TOPIC][0]
        self.batch_size: int = parsed[BATCH_SIZE]
        self.partition = {"filename": self.filename or "stdin"}
        self._stream: Any = None
        self._position = 0
        self._pending = b""

    def _open(self) -> bool:
        if self._stream is not None:
            return True
        if self.filename is None:
            self._stream = sys.stdin.buffer
            return True
        try:
            self._stream = Path(self.filename).open("rb")  # noqa: SIM115 - kept open across polls
        except FileNotFoundError:
            return False
        stored = self.context.offset_storage_reader.offset(self.partition) if hasattr(self, "context") else None
        if stored and "position" in stored:
            self._position = int(stored["position"])
            self._stream.seek(self._position)
        return True

    def poll(self) -> list[SourceRecord] | None:
        if not self._open():
            return None
        records: list[SourceRecord] = []
        append, readline = records.append, self._stream.readline
        topic, partition = self.topic, self.partition
        position, pending = self._position, self._pending
        for _ in range(self.batch_size):
            line = readline()
            if not line:
                break
            if not line.endswith(b"\n"):
                pending += line  # a partial last line: kept until the writer finishes it
                break
            if pending:
                line, pending = pending + line, b""
            position += len(line)
            text = line.rstrip(b"\r\n").decode("utf-8", "replace")
            # topic, partition, key schema, key, value schema, value, timestamp, headers, source partition, offset
            append(SourceRecord(topic, None, None, None, STRING_SCHEMA, text, None, EMPTY_HEADERS, partition,
                                {"position": position}))  # fmt: skip
        # a read that fails leaves the position where the last poll's records end
        self._position, self._pending = position, pending
        return records or None

    def stop(self) -> None:
        if self._stream is not None and self._stream is not sys.stdin.buffer:
            self._stream.close()
        self._stream = None


@register(PluginKind.SINK, "org.apache.kafka.connect.file.FileStreamSinkConnector",
          "FileStreamSinkConnector", "FileStreamSink")  # fmt: skip
class FileStreamSinkConnector(SinkConnector):
    CONFIG_DEF = SINK_CONFIG_DEF

    def task_class(self) -> type[SinkTask]:
        return FileStreamSinkTask


class FileStreamSinkTask(SinkTask):
    _lines: bytearray | None = None  # connectless.native's lines of a put, before they are written

    def start(self, props: Mapping[str, str]) -> None:
        self.filename: str | None = SINK_CONFIG_DEF.parse(props)[FILE] or None
        self._out: BinaryIO = (
            Path(self.filename).open("ab")  # noqa: SIM115 - kept open while the task runs
            if self.filename
            else sys.stdout.buffer
        )

    def put(self, records: Sequence[SinkRecord]) -> None:
        """Each value on a line of its own, UTF-8: a string as it is, anything structured as compact JSON."""
        fast = native.records
        if fast is None:
            # Each line into the buffer as it is made (writelines takes them from the map in C), freed at once: a
            # put's lines joined first (~150 KB for 500) made glibc grow and trim the heap each put, ~1 page fault
            # per record (+0.8 s of CPU per million records).
            self._out.writelines(map(to_json_line, [record.value for record in records]))
            return
        # The same lines written by C into one buffer kept while the task runs (no allocation per line or per put),
        # a write per LINES_BUFFER_BYTES; a value it does not cover is to_json_line's, in its place. A run of
        # Structs (a converter with schemas: Avro, ...) it leaves is written by _avro.struct_lines, to_json_line's
        # line of each, up to STRUCT_LINES_AT_ONCE per call.
        if self._lines is None:
            self._lines = bytearray(LINES_BUFFER_BYTES)
        write, buffer = self._out.write, self._lines
        structs = native.avro
        listed = records if type(records) is list else list(records)
        start, end = 0, len(records)
        with memoryview(buffer) as view:
            while start < end:
                start, used, slow = fast.json_lines_into(records, start, buffer)
                if used:
                    write(view[:used])
                if slow:
                    lines = None if structs is None else structs.struct_lines(listed, start, STRUCT_LINES_AT_ONCE,
                                                                              *FLAT_STRUCT_LINE)  # fmt: skip
                    if lines:
                        self._out.writelines(lines)
                        start += len(lines)
                    else:
                        write(to_json_line(records[start].value))
                        start += 1

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        self._out.flush()

    def stop(self) -> None:
        self._out.flush()
        if self._out is not sys.stdout.buffer:
            self._out.close()

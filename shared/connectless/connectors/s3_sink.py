"""S3 sink: JSON lines per topic partition, with the Confluent S3 sink's key layout and config names.

Object keys: `<topics.dir>/<topic>/partition=<p>/<topic>+<p>+<startOffset>.json`, or with the
TimeBasedPartitioner `<topics.dir>/<topic>/<path.format of the record time>/<topic>+<p>+<startOffset>.json`.

Exactly-once files under redelivery: a file closes when it holds `flush.size` records *and* at every offset
that is a multiple of `flush.size`, so file boundaries depend on offsets, not on how batches happened to be
cut. A redelivered batch starts at the last committed offset, which began a file before; it rewrites the same
keys with the same records and never leaves a stale object overlapping a new one. (`rotate.size.bytes`
closes files early by size; that boundary depends on the batch, so keep it above a batch's size when
redeliveries must rewrite every key exactly.) A file is written at rotation during `put` and the rest at
`flush`; the runtime commits offsets only after `flush`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from connectless.config import ConfigDef, ConfigType, Importance, NonEmptyString, Range, ValidString
from connectless.connector import SinkConnector, SinkTask
from connectless.connectors.aws_errors import is_retriable
from connectless.connectors.sink_values import plain
from connectless.errors.exceptions import ConnectError, RetriableError
from connectless.plugins import PluginKind, register
from connectless.transforms.java_date_format import JavaDateFormat

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.connector import TopicPartition
    from connectless.records import SinkRecord

log = logging.getLogger(__name__)

DEFAULT_PARTITIONER = "io.confluent.connect.storage.partitioner.DefaultPartitioner"
TIME_PARTITIONER = "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"
GROUP = "S3"
CONFIG_DEF = (
    ConfigDef()
    .define("s3.bucket.name", ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH, group=GROUP,
            documentation="The S3 bucket.")
    .define("s3.region", ConfigType.STRING, None, None, Importance.MEDIUM,
            "The bucket's region (default: the environment's).", group=GROUP)
    .define("store.url", ConfigType.STRING, None, None, Importance.LOW,
            "An S3-compatible endpoint (moto, LocalStack, MinIO); AWS_ENDPOINT_URL works too.", group=GROUP)
    .define("topics.dir", ConfigType.STRING, "topics", None, Importance.MEDIUM,
            "Top-level directory of the objects.", group=GROUP)
    .define("flush.size", ConfigType.INT, 1000, Range.at_least(1), Importance.HIGH,
            "Records per file; files also start at every offset that is a multiple of it.", group=GROUP)
    .define("rotate.size.bytes", ConfigType.LONG, 64 * 1024 * 1024, Range.at_least(1), Importance.MEDIUM,
            "Close a file once it holds this many bytes.", group=GROUP)
    .define("partitioner.class", ConfigType.STRING, DEFAULT_PARTITIONER,
            ValidString.in_ignore_case(DEFAULT_PARTITIONER, TIME_PARTITIONER, "DefaultPartitioner",
                                       "TimeBasedPartitioner"),
            Importance.MEDIUM, "Default (by Kafka partition) or TimeBasedPartitioner.", group=GROUP)
    .define("path.format", ConfigType.STRING, "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH", None, Importance.MEDIUM,
            "Time-based directory pattern (Joda/SimpleDateFormat letters, UTC).", group=GROUP)
    .define("partition.duration.ms", ConfigType.LONG, 3600000, Range.at_least(1), Importance.MEDIUM,
            "Width of a time-based partition.", group=GROUP)
    .define("timestamp.extractor", ConfigType.STRING, "Record", ValidString.in_ignore_case("Record", "Wallclock"),
            Importance.MEDIUM, "Which time places a record in a time-based partition.", group=GROUP)
    .define("behavior.on.null.values", ConfigType.STRING, "ignore", ValidString.in_ignore_case("ignore", "fail"),
            Importance.LOW, "What to do with tombstones.", group=GROUP)
)  # fmt: skip


@register(PluginKind.SINK, "io.confluent.connect.s3.S3SinkConnector", "S3SinkConnector", "S3Sink")
class S3SinkConnector(SinkConnector):
    CONFIG_DEF = CONFIG_DEF

    def task_class(self) -> type[SinkTask]:
        return S3SinkTask


@dataclass
class _OpenFile:
    directory: str
    topic: str
    partition: int
    start: int
    lines: list[bytes] = field(default_factory=list)
    size: int = 0


def _joda_to_java(pattern: str) -> str:
    """Joda's `Y` (year of era) is `y` for SimpleDateFormat; quoted text stays as it is."""
    out, quoted = [], False
    for ch in pattern:
        if ch == "'":
            quoted = not quoted
        out.append("y" if ch == "Y" and not quoted else ch)
    return "".join(out)


class S3SinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        cfg = CONFIG_DEF.parse(props)
        self.bucket: str = cfg["s3.bucket.name"]
        self.topics_dir: str = cfg["topics.dir"].strip("/")
        self.flush_size: int = cfg["flush.size"]
        self.rotate_bytes: int = cfg["rotate.size.bytes"]
        self.time_based = "TimeBased" in cfg["partitioner.class"]
        self.path_format = JavaDateFormat(_joda_to_java(cfg["path.format"]))
        self.duration_ms: int = cfg["partition.duration.ms"]
        self.wallclock = cfg["timestamp.extractor"].lower() == "wallclock"
        self.fail_on_null = cfg["behavior.on.null.values"].lower() == "fail"
        import boto3
        from botocore.config import Config

        endpoint = cfg["store.url"] or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        retries = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60)
        self.client: Any = boto3.client("s3", region_name=cfg["s3.region"], endpoint_url=endpoint, config=retries)
        self._open: dict[tuple[str, int, str], _OpenFile] = {}

    def _directory(self, record: SinkRecord) -> str:
        base = f"{self.topics_dir}/{record.topic}" if self.topics_dir else record.topic
        if not self.time_based:
            return f"{base}/partition={record.kafka_partition}"
        import time

        millis = int(time.time() * 1000) if self.wallclock or record.timestamp is None else record.timestamp
        return f"{base}/{self.path_format.format(millis - millis % self.duration_ms)}"

    def put(self, records: Sequence[SinkRecord]) -> None:
        for record in records:
            if record.value is None:
                if self.fail_on_null:
                    raise ConnectError(f"null value at {record.topic}-{record.kafka_partition}@{record.kafka_offset}")
                continue
            partition = record.kafka_partition or 0
            directory = self._directory(record)
            slot = (record.topic, partition, directory)
            current = self._open.get(slot)
            if current is not None and record.kafka_offset % self.flush_size == 0:
                self._write(slot)  # an aligned boundary: files start at the same offsets on every delivery
                current = None
            if current is None:
                current = self._open[slot] = _OpenFile(directory, record.topic, partition, record.kafka_offset)
            line = orjson.dumps(plain(record.value)) + b"\n"
            current.lines.append(line)
            current.size += len(line)
            if len(current.lines) >= self.flush_size or current.size >= self.rotate_bytes:
                self._write(slot)

    def _write(self, slot: tuple[str, int, str]) -> None:
        current = self._open[slot]
        key = f"{current.directory}/{current.topic}+{current.partition}+{current.start}.json"
        body = b"".join(current.lines)
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/x-ndjson")
        except Exception as exc:
            if is_retriable(exc):
                raise RetriableError(f"S3 put of {key} failed: {exc}") from exc
            raise ConnectError(f"S3 put of {key} failed: {exc}") from exc
        del self._open[slot]

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        for slot in list(self._open):
            self._write(slot)

    def close(self, partitions: Sequence[TopicPartition]) -> None:
        """Open files of these partitions are dropped unwritten: their records come again after a rewind."""
        gone = {(tp.topic, tp.partition) for tp in partitions}
        for slot in [s for s in self._open if (s[0], s[1]) in gone]:
            del self._open[slot]

    def stop(self) -> None:
        self._open.clear()

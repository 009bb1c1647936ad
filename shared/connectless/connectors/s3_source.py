"""S3 source: the objects under a prefix, in key order, as JSON lines or CSV rows; new objects are picked up.

Offsets: source partition {"bucket", "prefix"}, offset {"key": <object key>, "line": <records read from it>}
(JSON: physical lines, blank ones included, so a restart skips exactly; CSV: rows after the header). A restart
reopens `key`, skips `line` records and goes on; then lists the keys after it (ListObjectsV2 StartAfter).
Objects are immutable, so this is exact; an object whose key sorts before one already read is not seen, so
write keys that grow (timestamps, sequence numbers), as S3 sinks do.
"""

from __future__ import annotations

import codecs
import csv
import time
from typing import TYPE_CHECKING, Any

import orjson

from connectless.config import ConfigDef, ConfigType, Importance, NonEmptyString, Range, ValidString
from connectless.connector import SourceConnector, SourceTask
from connectless.data import OPTIONAL_STRING_SCHEMA, struct_schema
from connectless.data.struct import Struct
from connectless.plugins import PluginKind, register
from connectless.records import SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from connectless.data import Schema

GROUP = "S3"
CONFIG_DEF = (
    ConfigDef()
    .define("s3.bucket.name", ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="The bucket to read.", group=GROUP)
    .define("s3.prefix", ConfigType.STRING, "", None, Importance.HIGH,
            "Only objects whose key starts with this prefix are read.", group=GROUP)
    .define("s3.region", ConfigType.STRING, None, None, Importance.MEDIUM,
            "The bucket's region; unset: the SDK's default.", group=GROUP)
    .define("store.url", ConfigType.STRING, None, None, Importance.LOW,
            "An S3-compatible endpoint (moto, MinIO, LocalStack); unset: AWS (or AWS_ENDPOINT_URL).", group=GROUP)
    .define("format", ConfigType.STRING, "json", ValidString(("json", "csv"), case_sensitive=False),
            Importance.HIGH, "json: one JSON value per line (JSON lines); csv: one row per record.", group=GROUP)
    .define("csv.header", ConfigType.BOOLEAN, True, None, Importance.MEDIUM,
            "The first CSV row names the fields; false: fields are column1, column2, ...", group=GROUP)
    .define("csv.delimiter", ConfigType.STRING, ",", NonEmptyString(), Importance.LOW, "CSV field delimiter.",
            group=GROUP)
    .define("topic", ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="The topic to write to.", group="Connector")
    .define("batch.size", ConfigType.INT, 1000, Range.at_least(1), Importance.LOW,
            "Records returned by one poll.", group="Connector")
    .define("s3.poll.interval.ms", ConfigType.LONG, 5000, Range.at_least(0), Importance.MEDIUM,
            "How long to wait before listing again once every object has been read.", group="Connector")
)  # fmt: skip

IDLE_SLEEP_S = 0.1


@register(PluginKind.SOURCE, "connectless.connectors.S3SourceConnector", "S3SourceConnector", "S3Source")
class S3SourceConnector(SourceConnector):
    CONFIG_DEF = CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)
        CONFIG_DEF.parse(props)

    def task_class(self) -> type[SourceTask]:
        return S3SourceTask

    def exactly_once_support(self, props: Mapping[str, str]) -> bool | None:
        return True  # (key, line) is an exact position in immutable objects


class S3SourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        import boto3

        config = CONFIG_DEF.parse(props)
        self.bucket: str = config["s3.bucket.name"]
        self.prefix: str = config["s3.prefix"]
        self.topic: str = config["topic"]
        self.csv = config["format"].lower() == "csv"
        self.header: bool = config["csv.header"]
        self.delimiter: str = config["csv.delimiter"]
        self.batch_size: int = config["batch.size"]
        self.interval_s = config["s3.poll.interval.ms"] / 1000
        self.client = boto3.client("s3", region_name=config["s3.region"], endpoint_url=config["store.url"])
        self.partition = {"bucket": self.bucket, "prefix": self.prefix}
        stored = self.context.offset_storage_reader.offset(self.partition)
        self.key: str | None = stored.get("key") if stored else None
        self.line: int = int(stored.get("line", 0)) if stored else 0
        self._resume = self.key is not None  # reopen the stored object first and skip what was read
        self._rows: Iterator[tuple[int, Any]] | None = None
        self._next_list_at = 0.0

    def poll(self) -> list[SourceRecord] | None:
        records: list[SourceRecord] = []
        while len(records) < self.batch_size:
            if self._rows is None and (records or not self._open_next()):
                break  # an object per poll at most, unless it ended without a record
            assert self._rows is not None and self.key is not None
            for line, value in self._rows:
                self.line = line
                if value is _SKIP:
                    continue
                records.append(SourceRecord(
                    topic=self.topic, kafka_partition=None, key_schema=None, key=None,
                    value_schema=self._schema if self.csv else None, value=value, source_partition=self.partition,
                    source_offset={"key": self.key, "line": line},
                ))  # fmt: skip
                if len(records) >= self.batch_size:
                    return records
            self._rows = None  # this object is done; the next one is listed after it
        return records or None

    def _open_next(self) -> bool:
        if self._resume:
            self._resume = False
            assert self.key is not None
            self._open(self.key, skip=self.line)
            return True
        now = time.monotonic()
        if now < self._next_list_at:
            time.sleep(min(IDLE_SLEEP_S, self._next_list_at - now))
            return False
        key = self._next_key()
        if key is None:
            self._next_list_at = now + self.interval_s
            return False
        self.key, self.line = key, 0
        self._open(key, skip=0)
        return True

    def _next_key(self) -> str | None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix, "MaxKeys": 100}
        if self.key is not None:
            kwargs["StartAfter"] = self.key
        while True:
            listed = self.client.list_objects_v2(**kwargs)
            for item in listed.get("Contents", []):
                if not item["Key"].endswith("/"):
                    return str(item["Key"])
            if not listed.get("IsTruncated"):
                return None
            kwargs["ContinuationToken"] = listed["NextContinuationToken"]

    def _open(self, key: str, skip: int) -> None:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        rows = self._csv_rows(body) if self.csv else self._json_lines(body)
        self._rows = ((n, v) for n, v in rows if n > skip)

    def _json_lines(self, body: Any) -> Iterator[tuple[int, Any]]:
        for number, line in enumerate(body.iter_lines(), start=1):
            yield number, (orjson.loads(line) if line.strip() else _SKIP)

    def _csv_rows(self, body: Any) -> Iterator[tuple[int, Any]]:
        reader = csv.reader(codecs.getreader("utf-8")(body), delimiter=self.delimiter)
        names: list[str] | None = next(reader, None) if self.header else None
        self._schema: Schema | None = None
        for number, row in enumerate(reader, start=1):
            if names is None:
                names = [f"column{i + 1}" for i in range(len(row))]
            if self._schema is None:
                self._schema = struct_schema([(n, OPTIONAL_STRING_SCHEMA) for n in names])
            struct = Struct(self._schema)
            for name, cell in zip(names, row, strict=False):
                struct.put_unchecked(name, cell)
            yield number, struct

    def stop(self) -> None:
        self._rows = None


_SKIP: Any = object()  # a blank JSON line: counted in the offset, not emitted

"""DynamoDB sink: each record becomes an item (its value's fields), keyed by its record key or value fields.

Writes go through BatchWriteItem, 25 requests at a time; unprocessed items are retried with backoff, and
when DynamoDB keeps refusing them the put fails with RetriableError. A tombstone deletes the item. A batch
keeps only the last write per key (BatchWriteItem refuses two for one key), which gives the same table as
writing them in order. Puts and deletes by key are idempotent, so a redelivered batch changes nothing.
"""

from __future__ import annotations

import decimal
import os
import time
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, Range, ValidString
from connectless.connector import SinkConnector, SinkTask
from connectless.connectors.aws_errors import is_retriable
from connectless.connectors.sink_values import fields_of, key_fields, plain
from connectless.data.struct import Struct
from connectless.errors.exceptions import ConnectError, RetriableError
from connectless.plugins import PluginKind, register

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.records import SinkRecord

GROUP = "DynamoDB"
MAX_BATCH = 25
CONFIG_DEF = (
    ConfigDef()
    .define("table.name.format", ConfigType.STRING, "${topic}", None, Importance.HIGH,
            "Destination table; ${topic} is replaced by the record's topic.", group=GROUP)
    .define("aws.dynamodb.region", ConfigType.STRING, None, None, Importance.MEDIUM,
            "The table's region (default: the environment's).", group=GROUP)
    .define("aws.dynamodb.endpoint", ConfigType.STRING, None, None, Importance.LOW,
            "A DynamoDB-compatible endpoint; AWS_ENDPOINT_URL works too.", group=GROUP)
    .define("pk.mode", ConfigType.STRING, "record_key", ValidString.in_ignore_case("record_key", "record_value"),
            Importance.HIGH, "Where the item key comes from.", group=GROUP)
    .define("pk.fields", ConfigType.LIST, "id", None, Importance.HIGH,
            "Key attribute names: the hash key, then the range key if the table has one. A primitive record "
            "key is stored under the first name.", group=GROUP)
    .define("delete.enabled", ConfigType.BOOLEAN, True, None, Importance.MEDIUM,
            "Delete the item of a tombstone (needs pk.mode=record_key).", group=GROUP)
    .define("max.retries", ConfigType.INT, 8, Range.at_least(0), Importance.LOW,
            "Retries of unprocessed items, with backoff from 50 ms.", group=GROUP)
)  # fmt: skip


@register(PluginKind.SINK, "io.connectless.dynamodb.DynamoDbSinkConnector", "DynamoDbSinkConnector", "DynamoDbSink")
class DynamoDbSinkConnector(SinkConnector):
    CONFIG_DEF = CONFIG_DEF

    def task_class(self) -> type[SinkTask]:
        return DynamoDbSinkTask


def _attribute(value: Any) -> Any:
    """Connect values as boto3's TypeSerializer takes them: numbers as Decimal, structs as maps."""
    if isinstance(value, bool) or value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, int | float):
        return decimal.Decimal(str(value))
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, Struct):
        return {k: _attribute(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): _attribute(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_attribute(v) for v in value]
    return _attribute(plain(value))


class DynamoDbSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        cfg = CONFIG_DEF.parse(props)
        self.table_format: str = cfg["table.name.format"]
        self.pk_mode: str = cfg["pk.mode"].lower()
        self.pk_fields: list[str] = cfg["pk.fields"]
        self.delete_enabled: bool = cfg["delete.enabled"]
        self.max_retries: int = cfg["max.retries"]
        import boto3
        from boto3.dynamodb.types import TypeSerializer

        endpoint = (
            cfg["aws.dynamodb.endpoint"]
            or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
            or os.environ.get("AWS_ENDPOINT_URL")
        )
        self.client: Any = boto3.client("dynamodb", region_name=cfg["aws.dynamodb.region"], endpoint_url=endpoint)
        self._serialize = TypeSerializer().serialize
        self.sleep = time.sleep

    def _request(self, record: SinkRecord) -> tuple[str, tuple[Any, ...], dict[str, Any] | None]:
        """(table, key, write request); None when the record is skipped."""
        table = self.table_format.replace("${topic}", record.topic)
        key = key_fields(record, self.pk_fields if self.pk_mode == "record_value" else self._key_names(record),
                         self.pk_mode)  # fmt: skip
        typed_key = {k: self._serialize(_attribute(v)) for k, v in key.items()}
        identity = tuple(sorted((k, repr(v)) for k, v in typed_key.items()))
        if record.value is None:
            if not self.delete_enabled:
                return table, identity, None
            return table, identity, {"DeleteRequest": {"Key": typed_key}}
        item = {k: self._serialize(_attribute(v)) for k, v in fields_of(record.value).items()}
        item.update(typed_key)
        return table, identity, {"PutRequest": {"Item": item}}

    def _key_names(self, record: SinkRecord) -> list[str]:
        # A struct/map key gives its own fields (restricted to pk.fields when they name some of them).
        if isinstance(record.key, Struct | dict):
            names = list(fields_of(record.key, "key"))
            chosen = [n for n in self.pk_fields if n in names]
            return chosen or names
        return self.pk_fields[:1]

    def put(self, records: Sequence[SinkRecord]) -> None:
        latest: dict[tuple[str, tuple[Any, ...]], dict[str, Any] | None] = {}
        for record in records:
            table, identity, request = self._request(record)
            latest.pop((table, identity), None)  # re-insert: the last write per key keeps its place in order
            latest[(table, identity)] = request
        pending = [(table, request) for (table, _), request in latest.items() if request is not None]
        for start in range(0, len(pending), MAX_BATCH):
            self._write(pending[start : start + MAX_BATCH])

    def _write(self, chunk: list[tuple[str, dict[str, Any]]]) -> None:
        items: dict[str, list[dict[str, Any]]] = {}
        for table, request in chunk:
            items.setdefault(table, []).append(request)
        delay = 0.05
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.batch_write_item(RequestItems=items)
            except Exception as exc:
                if is_retriable(exc):
                    raise RetriableError(f"DynamoDB BatchWriteItem failed: {exc}") from exc
                raise ConnectError(f"DynamoDB BatchWriteItem failed: {exc}") from exc
            items = response.get("UnprocessedItems") or {}
            if not items:
                return
            if attempt < self.max_retries:
                self.sleep(delay)
                delay = min(delay * 2, 5.0)
        left = sum(len(v) for v in items.values())
        raise RetriableError(f"DynamoDB left {left} item(s) unprocessed after {self.max_retries} retries")

    def stop(self) -> None:
        return None

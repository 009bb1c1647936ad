"""HTTP sink: POSTs batches of record values as a JSON array, retrying 429 and 5xx with backoff.

Each request carries an `Idempotency-Key` header made of the topic, partition and offsets it holds, so a
receiver can recognise a redelivered batch. 429 and 5xx answers and lost connections are retried (a
`Retry-After` in seconds is honoured) up to `max.retries`, then the put fails with RetriableError and the
batch comes back later; any other 4xx means the receiver refuses the records: a plain error, so the runtime
isolates the refused record and dead-letters it.
"""

from __future__ import annotations

import hashlib
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

import orjson

from connectless.config import ConfigDef, ConfigType, Importance, NonEmptyString, Range, ValidString
from connectless.connector import SinkConnector, SinkTask
from connectless.connectors.sink_values import plain
from connectless.errors.exceptions import ConnectError, RetriableError
from connectless.plugins import PluginKind, register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.records import SinkRecord

GROUP = "HTTP"
CONFIG_DEF = (
    ConfigDef()
    .define("http.api.url", ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH, group=GROUP,
            documentation="The URL records are sent to.")
    .define("request.method", ConfigType.STRING, "POST", ValidString.in_ignore_case("POST", "PUT"),
            Importance.MEDIUM, "HTTP method.", group=GROUP)
    .define("headers", ConfigType.STRING, "", None, Importance.MEDIUM,
            "Extra headers, 'Name:value' pairs separated by '|'.", group=GROUP)
    .define("batch.max.size", ConfigType.INT, 100, Range.between(1, 100000), Importance.MEDIUM,
            "Records per request.", group=GROUP)
    .define("max.retries", ConfigType.INT, 5, Range.at_least(0), Importance.MEDIUM,
            "Retries of a request answered 429/5xx or that lost its connection.", group=GROUP)
    .define("retry.backoff.ms", ConfigType.LONG, 300, Range.at_least(0), Importance.MEDIUM,
            "First wait between retries; it doubles each time (capped at 30 s).", group=GROUP)
    .define("request.timeout.ms", ConfigType.LONG, 30000, Range.at_least(1), Importance.LOW,
            "Timeout of one request.", group=GROUP)
    .define("behavior.on.null.values", ConfigType.STRING, "ignore", ValidString.in_ignore_case("ignore", "fail"),
            Importance.LOW, "What to do with tombstones.", group=GROUP)
)  # fmt: skip


@register(PluginKind.SINK, "io.connectless.http.HttpSinkConnector", "HttpSinkConnector", "HttpSink")
class HttpSinkConnector(SinkConnector):
    CONFIG_DEF = CONFIG_DEF

    def task_class(self) -> type[SinkTask]:
        return HttpSinkTask


class HttpRequestRefusedError(ConnectError):
    """The receiver answered 4xx (other than 429): it will not take these records."""


class HttpSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        cfg = CONFIG_DEF.parse(props)
        self.url: str = cfg["http.api.url"]
        self.method: str = cfg["request.method"].upper()
        self.batch_size: int = cfg["batch.max.size"]
        self.max_retries: int = cfg["max.retries"]
        self.backoff_s = cfg["retry.backoff.ms"] / 1000
        self.timeout_s = cfg["request.timeout.ms"] / 1000
        self.fail_on_null = cfg["behavior.on.null.values"].lower() == "fail"
        self.headers = {"Content-Type": "application/json"}
        for pair in filter(None, (p.strip() for p in cfg["headers"].split("|"))):
            name, _, value = pair.partition(":")
            self.headers[name.strip()] = value.strip()
        self.sleep: Callable[[float], None] = time.sleep

    def put(self, records: Sequence[SinkRecord]) -> None:
        values = []
        for record in records:
            if record.value is None:
                if self.fail_on_null:
                    raise ConnectError(f"null value at {record.topic}-{record.kafka_partition}@{record.kafka_offset}")
                continue
            values.append(record)
        for start in range(0, len(values), self.batch_size):
            self._send(values[start : start + self.batch_size])

    def _send(self, batch: Sequence[SinkRecord]) -> None:
        body = orjson.dumps([plain(r.value) for r in batch])
        ident = ",".join(f"{r.topic}-{r.kafka_partition}@{r.kafka_offset}" for r in (batch[0], batch[-1]))
        headers = {**self.headers, "Idempotency-Key": hashlib.sha256(f"{ident}/{len(batch)}".encode()).hexdigest()}
        delay = self.backoff_s
        for attempt in range(self.max_retries + 1):
            wait = self._attempt(body, headers)
            if wait is None:
                return
            if attempt == self.max_retries:
                break
            self.sleep(max(delay, wait))
            delay = min(delay * 2, 30.0)
        raise RetriableError(f"{self.method} {self.url} still failing after {self.max_retries} retries")

    def _attempt(self, body: bytes, headers: dict[str, str]) -> float | None:
        """None when the request succeeded; else how long the receiver asked us to wait (0: use the backoff)."""
        request = urllib.request.Request(self.url, data=body, headers=headers, method=self.method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                response.read()
                return None
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                return _retry_after(exc.headers.get("Retry-After"))
            detail = exc.read()[:500].decode("utf-8", "replace")
            raise HttpRequestRefusedError(f"{self.method} {self.url} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0.0

    def stop(self) -> None:
        return None


def _retry_after(value: Any) -> float:
    try:
        return min(float(value), 60.0)
    except (TypeError, ValueError):
        return 0.0

"""HTTP polling source with a cursor: GET the URL with `?<cursor param>=<cursor>`, take the records at one JSON
path and the next cursor at another, and follow the cursor while pages come back full of records.

The cursor must name the position after the records a response returned (an id, a timestamp, an opaque
token), so that asking again with it returns only newer records. Offsets: partition {"url": <url>}, offset
{"cursor": <the cursor after this record's page>}; a crash repeats at most the page in flight.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

import orjson

from connectless.config import ConfigDef, ConfigType, Importance, NonEmptyString, Range, ValidString
from connectless.connector import SourceConnector, SourceTask
from connectless.connectors.json_path import compile_path, find
from connectless.errors.exceptions import RetriableError
from connectless.plugins import PluginKind, register
from connectless.records import SourceRecord

if TYPE_CHECKING:
    from collections.abc import Mapping

GROUP = "HTTP"
CONFIG_DEF = (
    ConfigDef()
    .define("http.url", ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="The URL to poll.", group=GROUP)
    .define("http.method", ConfigType.STRING, "GET", ValidString(("GET", "POST"), case_sensitive=False),
            Importance.LOW, "GET, or POST with an empty body.", group=GROUP)
    .define("http.headers", ConfigType.LIST, "", None, Importance.LOW,
            "Request headers as Name:value, separated by commas.", group=GROUP)
    .define("http.cursor.param", ConfigType.STRING, "cursor", NonEmptyString(), Importance.MEDIUM,
            "The query parameter that carries the cursor.", group=GROUP)
    .define("http.initial.cursor", ConfigType.STRING, "", None, Importance.MEDIUM,
            "The cursor of the first request; empty: no cursor parameter.", group=GROUP)
    .define("http.records.path", ConfigType.STRING, "$", None, Importance.HIGH,
            "JSON path to the array of records in a response, e.g. $.data.items.", group=GROUP)
    .define("http.cursor.path", ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="JSON path to the next cursor in a response, e.g. $.next.", group=GROUP)
    .define("http.key.path", ConfigType.STRING, "", None, Importance.LOW,
            "JSON path, inside a record, to the record key; empty: no key.", group=GROUP)
    .define("http.timeout.ms", ConfigType.INT, 10_000, Range.at_least(1), Importance.LOW, "Request timeout.",
            group=GROUP)
    .define("http.poll.interval.ms", ConfigType.LONG, 5000, Range.at_least(0), Importance.MEDIUM,
            "How long to wait before asking again once a response brings no new page.", group="Connector")
    .define("topic", ConfigType.STRING, validator=NonEmptyString(), importance=Importance.HIGH,
            documentation="The topic to write to.", group="Connector")
)  # fmt: skip

IDLE_SLEEP_S = 0.1


class HttpSourceError(RetriableError):
    """The server answered with an error status or something that is not JSON."""


@register(PluginKind.SOURCE, "connectless.connectors.HttpSourceConnector", "HttpSourceConnector", "HttpSource")
class HttpSourceConnector(SourceConnector):
    CONFIG_DEF = CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)
        config = CONFIG_DEF.parse(props)
        for key in ("http.records.path", "http.cursor.path", "http.key.path"):
            compile_path(config[key])

    def task_class(self) -> type[SourceTask]:
        return HttpSourceTask

    def exactly_once_support(self, props: Mapping[str, str]) -> bool | None:
        return True  # a cursor is an exact position


class HttpSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        config = CONFIG_DEF.parse(props)
        self.url: str = config["http.url"]
        self.method: str = config["http.method"].upper()
        self.headers = dict(_header(h) for h in config["http.headers"] if h.strip())
        self.cursor_param: str = config["http.cursor.param"]
        self.records_path = compile_path(config["http.records.path"])
        self.cursor_path = compile_path(config["http.cursor.path"])
        self.key_path = compile_path(config["http.key.path"]) if config["http.key.path"] else None
        self.timeout_s = config["http.timeout.ms"] / 1000
        self.interval_s = config["http.poll.interval.ms"] / 1000
        self.topic: str = config["topic"]
        self.partition = {"url": self.url}
        stored = self.context.offset_storage_reader.offset(self.partition)
        self.cursor: str = str(stored["cursor"]) if stored and stored.get("cursor") is not None else ""
        self.cursor = self.cursor or config["http.initial.cursor"]
        self._next_at = 0.0

    def poll(self) -> list[SourceRecord] | None:
        now = time.monotonic()
        if now < self._next_at:
            time.sleep(min(IDLE_SLEEP_S, self._next_at - now))
            return None
        document = self._fetch()
        found = find(document, self.records_path)
        items = found if isinstance(found, list) else ([] if found is None else [found])
        next_cursor = find(document, self.cursor_path)
        next_cursor = self.cursor if next_cursor in (None, "") else str(next_cursor)
        more = bool(items) and next_cursor != self.cursor
        self._next_at = now if more else now + self.interval_s
        self.cursor = next_cursor
        if not items:
            return None
        return [
            SourceRecord(
                topic=self.topic,
                kafka_partition=None,
                key_schema=None,
                key=find(item, self.key_path) if self.key_path is not None else None,
                value_schema=None,
                value=item,
                source_partition=self.partition,
                source_offset={"cursor": next_cursor},
            )  # fmt: skip
            for item in items
        ]

    def _fetch(self) -> Any:
        url = self.url
        if self.cursor:
            separator = "&" if urllib.parse.urlsplit(url).query else "?"
            url = f"{url}{separator}{urllib.parse.urlencode({self.cursor_param: self.cursor})}"
        request = urllib.request.Request(url, method=self.method, headers=self.headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                body = response.read()
        except OSError as exc:
            raise HttpSourceError(f"{self.method} {url} failed: {exc}") from exc
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise HttpSourceError(f"{self.method} {url} did not return JSON: {body[:200]!r}") from exc

    def stop(self) -> None:
        return None


def _header(text: str) -> tuple[str, str]:
    name, _, value = text.partition(":")
    return name.strip(), value.strip()

"""OpenSearch / Elasticsearch sink, accepting the configs of Confluent's ElasticsearchSinkConnector.

Each `put` writes its records through the bulk API, `batch.size` actions per request:
- the index is the record's topic, lower-cased, so RegexRouter and TimestampRouter choose it;
- the document id is the record key (`key.ignore=false`; a struct key with one field gives that field,
  a larger one its compact JSON) or `topic+partition+offset` (`key.ignore=true`): a replayed record
  overwrites itself, so the at-least-once delivery of the runtime ends up exactly-once in the index;
- a tombstone (null value) deletes the document (`behavior.on.null.values=delete`, the default here);
- an item the server rejects with 429 or 5xx, or a request that fails on the network or with 429/5xx,
  is retried with exponential backoff and jitter (`max.retries`, `retry.backoff.ms`), then surfaces as
  a RetriableError for the runtime's own retry;
- any other rejected item (a mapping error, a bad id) is a malformed document:
  `behavior.on.malformed.documents=fail` hands it to the errant record reporter, which dead-letters it under
  `errors.tolerance=all` and fails the task otherwise; `warn` and `ignore` skip it.
`put` returns only once every record is written or reported, so `flush` has nothing left to do.
`auth.type=aws-sigv4` signs requests for Amazon OpenSearch Service (`aws.service=es`) or OpenSearch
Serverless (`aoss`) with the default boto3 credentials.

Example:
    {"connector.class": "OpenSearchSink", "topics": "orders", "connection.url": "http://127.0.0.1:9200"}
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import orjson

from connectless.config import ConfigDef, ConfigError, ConfigType, Importance, Range, Validator, ValidString
from connectless.connector import SinkConnector, SinkTask
from connectless.data.json_values import to_plain
from connectless.data.struct import Struct
from connectless.errors.exceptions import ConnectError, RetriableError
from connectless.plugins import PluginKind, register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.connector import ErrantRecordReporter, TopicPartition
    from connectless.records import SinkRecord

log = logging.getLogger(__name__)

CONNECTION_URL = "connection.url"
CONNECTION_USERNAME = "connection.username"
CONNECTION_PASSWORD = "connection.password"  # noqa: S105 - a config key, not a secret
AUTH_TYPE = "auth.type"
AWS_REGION = "aws.region"
AWS_SERVICE = "aws.service"
KEY_IGNORE = "key.ignore"
WRITE_METHOD = "write.method"
NULL_VALUES = "behavior.on.null.values"
MALFORMED = "behavior.on.malformed.documents"
BATCH_SIZE = "batch.size"
MAX_RETRIES = "max.retries"
RETRY_BACKOFF_MS = "retry.backoff.ms"
MAX_RETRY_BACKOFF_MS = "max.retry.backoff.ms"
READ_TIMEOUT_MS = "read.timeout.ms"
VERIFY_CERTS = "ssl.verify.certificates"


class NonEmptyUrls(Validator):
    """At least one URL, none of them blank."""

    def ensure_valid(self, name: str, value: Any) -> None:
        if not value or any(not str(url).strip() for url in value):
            raise ConfigError(name, value, "must name at least one URL, none of them empty")

    def __str__(self) -> str:
        return "non-empty list of URLs"


CONFIG_DEF = (
    ConfigDef()
    .define(CONNECTION_URL, ConfigType.LIST, validator=NonEmptyUrls(), importance=Importance.HIGH,
            documentation="OpenSearch/Elasticsearch HTTP URLs, e.g. https://search-x.eu-west-1.es.amazonaws.com.")
    .define(CONNECTION_USERNAME, ConfigType.STRING, None, None, Importance.MEDIUM, "Basic auth user.")
    .define(CONNECTION_PASSWORD, ConfigType.PASSWORD, None, None, Importance.MEDIUM, "Basic auth password.")
    .define(AUTH_TYPE, ConfigType.STRING, "none", ValidString(("none", "basic", "aws-sigv4"), case_sensitive=False),
            Importance.MEDIUM, "none, basic (connection.username/password) or aws-sigv4 (IAM).")
    .define(AWS_REGION, ConfigType.STRING, None, None, Importance.MEDIUM,
            "Region for aws-sigv4; default: the region of the default boto3 session.")
    .define(AWS_SERVICE, ConfigType.STRING, "es", ValidString(("es", "aoss")), Importance.LOW,
            "es: Amazon OpenSearch Service domain; aoss: OpenSearch Serverless collection.")
    .define(KEY_IGNORE, ConfigType.BOOLEAN, False, None, Importance.HIGH,
            "true: document id is topic+partition+offset; false: the record key.")
    .define(WRITE_METHOD, ConfigType.STRING, "insert", ValidString(("insert", "upsert"), case_sensitive=False),
            Importance.LOW, "insert: index (replace) the document; upsert: merge it into the existing one.")
    .define(NULL_VALUES, ConfigType.STRING, "delete", ValidString(("ignore", "delete", "fail"), case_sensitive=False),
            Importance.LOW, "What a tombstone (null value) does: delete the document, ignore it, or fail.")
    .define(MALFORMED, ConfigType.STRING, "fail", ValidString(("ignore", "warn", "fail"), case_sensitive=False),
            Importance.LOW, "A document the server rejects: fail (errant record reporter: DLQ under "
            "errors.tolerance=all), warn (log and skip) or ignore (skip).")
    .define(BATCH_SIZE, ConfigType.INT, 500, Range.between(1, 100_000), Importance.MEDIUM,
            "Actions per bulk request.")
    .define(MAX_RETRIES, ConfigType.INT, 5, Range.at_least(0), Importance.LOW,
            "Retries of a bulk request or of rejected items on 429/5xx/network errors.")
    .define(RETRY_BACKOFF_MS, ConfigType.LONG, 100, Range.at_least(0), Importance.LOW,
            "First backoff; doubled per retry, with jitter.")
    .define(MAX_RETRY_BACKOFF_MS, ConfigType.LONG, 10_000, Range.at_least(0), Importance.LOW, "Largest backoff.")
    .define(READ_TIMEOUT_MS, ConfigType.INT, 30_000, Range.at_least(1), Importance.LOW, "HTTP read timeout.")
    .define(VERIFY_CERTS, ConfigType.BOOLEAN, True, None, Importance.LOW, "Verify the server's TLS certificate.")
)  # fmt: skip


class MalformedDocumentError(ConnectError):
    """The server rejected one document for a reason that retrying cannot fix (mapping, id, size)."""


@dataclass(slots=True)
class _Action:
    record: SinkRecord
    index: str
    doc_id: str
    op: str  # index | update | delete
    source: dict[str, Any] | None

    def lines(self) -> list[bytes]:
        meta = orjson.dumps({self.op: {"_index": self.index, "_id": self.doc_id}})
        if self.op == "delete":
            return [meta]
        body = self.source if self.op == "index" else {"doc": self.source, "doc_as_upsert": True}
        return [meta, orjson.dumps(body, default=_json_default)]


def _json_default(value: Any) -> Any:
    plain = to_plain(value)
    if plain is value:
        raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
    return plain


def _retriable_status(status: Any) -> bool:
    return status == 429 or (isinstance(status, int) and status >= 500)


def document_id(record: SinkRecord, key_ignore: bool) -> str:
    """The id of the document a record writes: its key, or topic+partition+offset."""
    if key_ignore:
        return f"{record.topic}+{record.kafka_partition}+{record.kafka_offset}"
    key = record.key
    if key is None:
        raise MalformedDocumentError(
            f"Key is used as document id and can not be null (topic {record.topic}, partition "
            f"{record.kafka_partition}, offset {record.kafka_offset}); "
            "set key.ignore=true to use topic+partition+offset"
        )
    if isinstance(key, Struct | dict):
        plain = to_plain(key)
        if len(plain) == 1:
            key = next(iter(plain.values()))
        else:
            return orjson.dumps(plain, option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(key, bytes | bytearray):
        return bytes(key).decode("utf-8", "backslashreplace")
    if isinstance(key, str):
        return key
    return orjson.dumps(to_plain(key)).decode()


def document_source(value: Any) -> dict[str, Any]:
    """A record value as the JSON object to index."""
    plain = to_plain(value)
    if isinstance(plain, str):
        try:
            plain = orjson.loads(plain)
        except orjson.JSONDecodeError as exc:
            raise MalformedDocumentError(f"the value is a string that is not a JSON object: {exc}") from exc
    if not isinstance(plain, dict):
        raise MalformedDocumentError(f"a document must be a JSON object, not {type(plain).__name__}")
    return plain


def build_client(config: Mapping[str, Any]) -> Any:
    """An opensearch-py client for the connector's config (transport retries off: this sink retries)."""
    from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

    urls: list[str] = config[CONNECTION_URL]
    auth_type = str(config[AUTH_TYPE]).lower()
    kwargs: dict[str, Any] = {
        "hosts": urls,
        "timeout": config[READ_TIMEOUT_MS] / 1000,
        "max_retries": 0,
        "retry_on_timeout": False,
        "verify_certs": config[VERIFY_CERTS],
        "use_ssl": any(urlparse(u).scheme == "https" for u in urls),
        "http_compress": True,
    }
    if auth_type == "basic" or (auth_type == "none" and config[CONNECTION_USERNAME]):
        password = config[CONNECTION_PASSWORD]
        kwargs["http_auth"] = (config[CONNECTION_USERNAME] or "", password.value if password else "")
    elif auth_type == "aws-sigv4":
        import boto3

        session = boto3.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise ConnectError("auth.type=aws-sigv4 but no AWS credentials were found (boto3 default chain)")
        region = config[AWS_REGION] or session.region_name
        if not region:
            raise ConnectError("auth.type=aws-sigv4 needs aws.region (or a default AWS region)")
        kwargs["http_auth"] = AWSV4SignerAuth(credentials, region, config[AWS_SERVICE])
        kwargs["connection_class"] = RequestsHttpConnection
        kwargs["http_compress"] = False  # the signature covers the body as sent
    return OpenSearch(**kwargs)


@register(PluginKind.SINK, "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
          "ElasticsearchSinkConnector", "ElasticsearchSink", "OpenSearchSinkConnector", "OpenSearchSink",
          "connectless.connectors.OpenSearchSinkConnector")  # fmt: skip
class OpenSearchSinkConnector(SinkConnector):
    CONFIG_DEF = CONFIG_DEF

    def start(self, props: Mapping[str, str]) -> None:
        CONFIG_DEF.parse(props)
        self.props = dict(props)

    def task_class(self) -> type[SinkTask]:
        return OpenSearchSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props) for _ in range(max_tasks)]


class OpenSearchSinkTask(SinkTask):
    """Writes each `put` through the bulk API as the module docstring says."""

    def __init__(self, client: Any = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._sleep = sleep

    def start(self, props: Mapping[str, str]) -> None:
        config = CONFIG_DEF.parse(props)
        self.key_ignore: bool = config[KEY_IGNORE]
        self.upsert = str(config[WRITE_METHOD]).lower() == "upsert"
        self.on_null = str(config[NULL_VALUES]).lower()
        self.on_malformed = str(config[MALFORMED]).lower()
        self.batch_size: int = config[BATCH_SIZE]
        self.max_retries: int = config[MAX_RETRIES]
        self.backoff_s = config[RETRY_BACKOFF_MS] / 1000
        self.max_backoff_s = config[MAX_RETRY_BACKOFF_MS] / 1000
        if self._client is None:
            self._client = build_client(config)
        self.client = self._client
        self.documents_written = 0
        self.documents_failed = 0

    # -- put

    def put(self, records: Sequence[SinkRecord]) -> None:
        actions: list[_Action] = []
        for record in records:
            try:
                action = self._action(record)
            except MalformedDocumentError as exc:
                self._malformed(record, exc)
                continue
            if action is not None:
                actions.append(action)
        for start in range(0, len(actions), self.batch_size):
            self._bulk(actions[start : start + self.batch_size])

    def _action(self, record: SinkRecord) -> _Action | None:
        index = record.topic.lower()
        if record.value is None:
            if self.on_null == "ignore":
                return None
            if self.on_null == "fail":
                raise MalformedDocumentError(
                    f"tombstone at {record.topic}-{record.kafka_partition}@{record.kafka_offset} and {NULL_VALUES}=fail"
                )
            if self.key_ignore:
                return None  # no key, so no document to delete: Confluent's sink ignores it too
            return _Action(record, index, document_id(record, False), "delete", None)
        doc_id = document_id(record, self.key_ignore)
        return _Action(record, index, doc_id, "update" if self.upsert else "index", document_source(record.value))

    def _bulk(self, actions: list[_Action]) -> None:
        pending = actions
        delay = self.backoff_s
        for attempt in range(self.max_retries + 1):
            failed = self._send(pending)
            if not failed:
                return
            if attempt == self.max_retries:
                break
            pending = self._retry_set(pending, failed)
            wait = random.uniform(delay / 2, delay) if delay else 0.0  # noqa: S311 - jitter, not security
            log.warning("OpenSearch bulk: %d actions retriable (%s), retrying in %.2fs", len(failed),
                        _first_reason(failed), wait)  # fmt: skip
            self._sleep(wait)
            delay = min(delay * 2, self.max_backoff_s)
        raise RetriableError(
            f"OpenSearch bulk: {len(failed)} actions still failing after {self.max_retries} retries: "
            f"{_first_reason(failed)}"
        )

    @staticmethod
    def _retry_set(pending: list[_Action], failed: dict[int, str]) -> list[_Action]:
        """The failed actions and every later one on the same document, so a retry never reorders writes."""
        blocked: set[tuple[str, str]] = set()
        again: list[_Action] = []
        for i, action in enumerate(pending):
            doc = (action.index, action.doc_id)
            if i in failed or doc in blocked:
                blocked.add(doc)
                again.append(action)
        return again

    def _send(self, actions: list[_Action]) -> dict[int, str]:
        """One bulk request. Returns the retriable failures by position; reports the malformed ones."""
        from opensearchpy.exceptions import ConnectionError as TransportConnectionError
        from opensearchpy.exceptions import TransportError

        body = b"\n".join(line for action in actions for line in action.lines()) + b"\n"
        try:
            response = self.client.bulk(body=body)
        except TransportConnectionError as exc:
            return dict.fromkeys(range(len(actions)), f"connection error: {exc}")
        except TransportError as exc:
            if _retriable_status(exc.status_code):
                return dict.fromkeys(range(len(actions)), f"HTTP {exc.status_code}: {exc.error}")
            raise ConnectError(f"OpenSearch bulk request failed with HTTP {exc.status_code}: {exc.info}") from exc
        retriable: dict[int, str] = {}
        items = response.get("items", [])
        if len(items) != len(actions):
            raise ConnectError(f"OpenSearch bulk answered {len(items)} items for {len(actions)} actions")
        for i, (action, item) in enumerate(zip(actions, items, strict=True)):
            result = next(iter(item.values()))
            status = result.get("status", 500)
            if status < 300 or (action.op == "delete" and status == 404):
                self.documents_written += 1
                continue
            reason = _reason(result)
            if _retriable_status(status):
                retriable[i] = reason
            else:
                self._malformed(action.record, MalformedDocumentError(
                    f"OpenSearch rejected document {action.doc_id!r} in index {action.index!r} "
                    f"(HTTP {status}): {reason}"
                ))  # fmt: skip
        return retriable

    def _malformed(self, record: SinkRecord, error: MalformedDocumentError) -> None:
        self.documents_failed += 1
        if self.on_malformed == "ignore":
            return
        if self.on_malformed == "warn":
            log.warning("skipping a malformed document: %s", error)
            return
        reporter = self._reporter()
        if reporter is None:
            raise error
        reporter.report(record, error)

    def _reporter(self) -> ErrantRecordReporter | None:
        context = getattr(self, "context", None)
        return context.errant_record_reporter() if context is not None else None

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        return None  # put writes synchronously

    def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:
                log.debug("closing the OpenSearch client", exc_info=True)


def _reason(result: Mapping[str, Any]) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        text = f"{error.get('type')}: {error.get('reason')}"
        caused = error.get("caused_by")
        if isinstance(caused, dict):
            text += f" (caused by {caused.get('type')}: {caused.get('reason')})"
        return text
    return str(error or result.get("result") or "unknown error")


def _first_reason(failed: Mapping[int, str]) -> str:
    return next(iter(failed.values()), "")

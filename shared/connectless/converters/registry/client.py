"""The converters' view of a schema registry: confluent-kafka's SchemaRegistryClient behind bounded caches.

A warm container asks the registry once per schema id (and once per subject + schema when writing): our caches
are LRU-bounded by `max.schemas.per.subject`, and the client's own unbounded caches are cleared whenever they
could have grown past that bound. Failures become Kafka Connect's errors: a registry that cannot be reached (or
answers 5xx/429) raises `RegistryUnavailableError`, a `RetriableError`, so `errors.retry.timeout` applies; a
refusal (unknown id, incompatible schema, ...) raises `DataError` carrying the registry's own message.
`mock://<scope>` URLs give an in-memory registry shared by every converter of this process using that scope.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

from cachetools import LRUCache

from connectless.data.errors import DataError
from connectless.errors.exceptions import RetriableError

if TYPE_CHECKING:
    from collections.abc import Callable

    from confluent_kafka.schema_registry import RegisteredSchema, Schema

    from connectless.converters.registry.config import RegistrySettings

T = TypeVar("T")

_MOCKS: dict[str, Any] = {}
_MOCKS_LOCK = threading.Lock()


class RegistryUnavailableError(RetriableError):
    """The schema registry could not be reached or answered with a server error: worth retrying."""


class SchemaNotFoundError(DataError):
    """The registry does not know the schema id, subject or version asked for."""


def mock_client(url: str) -> Any:
    """The process-wide in-memory registry of a `mock://<scope>` URL (one per scope, as Confluent's are)."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    with _MOCKS_LOCK:
        if url not in _MOCKS:
            _MOCKS[url] = SchemaRegistryClient.new_client({"url": url})
        return _MOCKS[url]


def _is_unavailable(error: BaseException) -> bool:
    from confluent_kafka.schema_registry.common._httpx_compat import httpx
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    if isinstance(error, SchemaRegistryError):
        status = error.http_status_code
        return status >= 500 or status in (408, 429)
    return isinstance(error, httpx.TransportError | OSError)


class RegistryClient:
    """Schema lookups and registrations for one converter, with bounded caches."""

    def __init__(self, settings: RegistrySettings) -> None:
        self.settings = settings
        self.urls = ",".join(settings.urls)
        capacity = settings.cache_capacity
        self._client: Any = None  # made on first use: validating a config or a cold start that converts nothing
        self._capacity = capacity
        self._misses = 0
        self._by_id: LRUCache[int, Schema] = LRUCache(capacity)
        self._ids: LRUCache[tuple[str, str], int] = LRUCache(capacity)
        self._versions: LRUCache[tuple[str, int], int] = LRUCache(capacity)
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """confluent-kafka's client (or the scope's in-memory one for `mock://`)."""
        if self._client is None:
            from confluent_kafka.schema_registry import SchemaRegistryClient

            if self.urls.startswith("mock://"):
                self._client = mock_client(self.urls)
            else:
                conf: dict[str, Any] = {
                    "url": self.urls,
                    "cache.capacity": self._capacity,
                    # Retries belong to errors.retry.timeout; the client tries each URL once.
                    "max.retries": 0,
                    "timeout": 10,
                }
                if self.settings.user_info:
                    conf["basic.auth.user.info"] = self.settings.user_info
                try:
                    self._client = SchemaRegistryClient(conf)
                except (ValueError, TypeError) as exc:
                    raise DataError(f"Invalid schema registry configuration: {exc}") from exc
        return self._client

    def _call(self, what: str, call: Callable[[], T]) -> T:
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        with self._lock:
            self._misses += 1
            if self._misses > self._capacity:  # the client's own caches have no bound: keep them within ours
                self._misses = 0
                self.client.clear_caches()
        try:
            return call()
        except Exception as exc:
            if _is_unavailable(exc):
                raise RegistryUnavailableError(f"{what}: schema registry at {self.urls} unavailable: {exc}") from exc
            if isinstance(exc, SchemaRegistryError) and exc.http_status_code == 404:
                raise SchemaNotFoundError(f"{what}: {exc.error_message} (error code {exc.error_code})") from exc
            if isinstance(exc, SchemaRegistryError):
                raise DataError(f"{what}: {exc.error_message}; error code: {exc.http_status_code}") from exc
            raise

    def schema(self, schema_id: int, fmt: str | None = None) -> Schema:
        """The schema registered under `schema_id` (`fmt="serialized"`: a Protobuf schema as a descriptor)."""
        found = self._by_id.get(schema_id)
        if found is None:
            fetch = (lambda: self.client.get_schema(schema_id, fmt=fmt)) if fmt else (
                lambda: self.client.get_schema(schema_id))  # fmt: skip
            found = self._call(f"Error retrieving schema for id {schema_id}", fetch)
            if found is None:  # the mock answers None for an unknown id
                raise SchemaNotFoundError(f"Error retrieving schema for id {schema_id}: Schema {schema_id} not found")
            self._by_id[schema_id] = found
        return found

    def id_for(self, subject: str, schema: Schema, *, register: bool) -> int:
        """The id of `schema` under `subject`: registered when `register`, else looked up (must exist)."""
        key = (subject, schema.schema_str or "")
        found = self._ids.get(key)
        if found is None:
            normalize = self.settings.normalize
            if register:
                found = self._call(
                    f"Error registering schema for subject {subject}",
                    lambda: self.client.register_schema(subject, schema, normalize_schemas=normalize),
                )
            else:
                registered = self._call(
                    f"Error retrieving schema id for subject {subject}",
                    lambda: self.client.lookup_schema(subject, schema, normalize_schemas=normalize),
                )
                if registered is None:
                    raise SchemaNotFoundError(f"Error retrieving schema id for subject {subject}: Schema not found")
                found = registered.schema_id
            self._ids[key] = int(found)
            self._by_id.setdefault(int(found), schema)
        return int(found)

    def version_of(self, subject: str, schema_id: int, schema: Schema) -> int | None:
        """The version of schema `schema_id` under `subject`, as Confluent's converters set Connect's version."""
        key = (subject, schema_id)
        found = self._versions.get(key)
        if found is None:
            registered = self._call(
                f"Error retrieving schema version for id {schema_id}",
                lambda: self.client.lookup_schema(subject, schema, normalize_schemas=self.settings.normalize),
            )
            if registered is None or registered.version is None:
                return None
            found = self._versions[key] = int(registered.version)
        return found

    def version(self, subject: str, version: int, fmt: str | None = None) -> RegisteredSchema:
        """One version of a subject (a schema reference)."""
        found = self._call(
            f"Error retrieving version {version} of subject {subject}",
            lambda: (
                self.client.get_version(subject, version, fmt=fmt) if fmt else self.client.get_version(subject, version)
            ),  # fmt: skip
        )
        if found is None:
            raise SchemaNotFoundError(f"Error retrieving version {version} of subject {subject}: not found")
        return found

    def latest(self, subject: str) -> RegisteredSchema:
        """The latest version of `subject` (the client caches it)."""
        found = self._call(
            f"Error retrieving latest version of subject {subject}", lambda: self.client.get_latest_version(subject)
        )
        if found is None:
            raise SchemaNotFoundError(f"Error retrieving latest version of subject {subject}: Subject not found")
        return found

    def close(self) -> None:
        if self._client is not None and not self.urls.startswith("mock://"):
            self._client.close()

"""Kafka event-source mappings of the local stack: moto has none for Kafka, so the Lambda API calls the AWS
backend makes for them (Create/Update/Delete/ListEventSourceMappings) are kept here, in the shapes AWS
answers with, and the local runtime runs an EventSourceMappingEmulator for each enabled one.
"""

from __future__ import annotations

import copy
import threading
import uuid
from typing import TYPE_CHECKING, Any

from connectless.standalone.esm_emulator import MappingConfig

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class LocalEventSourceMappings:
    """`on_change` runs after each change, so the runtime applies it before the API call returns (a disabled
    mapping's consumer has left its group when the manager's step ends, as the REST caller expects)."""

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self._mappings: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.on_change = on_change

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def create_event_source_mapping(self, **request: Any) -> dict[str, Any]:
        mapping = {**copy.deepcopy(request), "UUID": str(uuid.uuid4()), "FunctionArn": request["FunctionName"]}
        mapping["State"] = "Enabled" if mapping.pop("Enabled", True) else "Disabled"
        mapping.pop("FunctionName")
        with self._lock:
            self._mappings[mapping["UUID"]] = mapping
        self._changed()
        return copy.deepcopy(mapping)

    def update_event_source_mapping(self, UUID: str, **changes: Any) -> dict[str, Any]:  # noqa: N803 - AWS's name
        with self._lock:
            mapping = self._mappings[UUID]
            if "FunctionName" in changes:
                mapping["FunctionArn"] = changes.pop("FunctionName")
            if "Enabled" in changes:
                mapping["State"] = "Enabled" if changes.pop("Enabled") else "Disabled"
            mapping.update(copy.deepcopy(changes))
            updated = copy.deepcopy(mapping)
        self._changed()
        return updated

    def delete_event_source_mapping(self, UUID: str) -> dict[str, Any]:  # noqa: N803
        with self._lock:
            deleted = self._mappings.pop(UUID)
        self._changed()
        return deleted

    def list(self, function_arn: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = [m for m in self._mappings.values() if function_arn in (None, m["FunctionArn"])]
            return copy.deepcopy(found)


class _ListPaginator:
    def __init__(self, mappings: LocalEventSourceMappings) -> None:
        self.mappings = mappings

    def paginate(self, FunctionName: str | None = None, **_: Any) -> Iterator[dict[str, Any]]:  # noqa: N803
        yield {"EventSourceMappings": self.mappings.list(FunctionName)}


class LambdaClientWithLocalMappings:
    """moto's Lambda client, except that event-source mappings live in `mappings`."""

    def __init__(self, client: Any, mappings: LocalEventSourceMappings) -> None:
        self._client = client
        self.mappings = mappings
        self.create_event_source_mapping = mappings.create_event_source_mapping
        self.update_event_source_mapping = mappings.update_event_source_mapping
        self.delete_event_source_mapping = mappings.delete_event_source_mapping

    def get_paginator(self, name: str) -> Any:
        if name == "list_event_source_mappings":
            return _ListPaginator(self.mappings)
        return self._client.get_paginator(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def mapping_config(mapping: dict[str, Any], function_name: str, timeout_s: float) -> MappingConfig:
    """The emulator's settings for one CreateEventSourceMapping request, with Lambda's defaults."""
    group = (mapping.get("SelfManagedKafkaEventSourceConfig") or mapping.get("AmazonManagedKafkaEventSourceConfig")
             or {}).get("ConsumerGroupId", "")  # fmt: skip
    destination = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    window = mapping.get("MaximumBatchingWindowInSeconds")
    return MappingConfig(
        connector=group.removeprefix("connect-") or function_name,
        topics=list(mapping.get("Topics") or []),
        function_name=function_name,
        batch_size=int(mapping.get("BatchSize", 100)),
        maximum_batching_window_s=0.5 if window is None else float(window),
        starting_position=mapping.get("StartingPosition", "TRIM_HORIZON"),
        maximum_retry_attempts=int(mapping.get("MaximumRetryAttempts", -1)),
        bisect_batch_on_function_error=bool(mapping.get("BisectBatchOnFunctionError", False)),
        report_batch_item_failures="ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or []),
        on_failure_destination=destination if destination and destination.startswith("kafka://") else None,
        consumer_group_id=group or None,
        function_timeout_s=timeout_s,
    )

"""The AWS backend: an EventBridge Scheduler schedule per source task, and per sink connector a Lambda
alias (named after the connector) with one Kafka event-source mapping per topic, in the consumer groups of
aws_sinks (connect-<name> for one topic; connect-<name>-<topic> each, seeded from connect-<name>, for several).

Mappings change state asynchronously (Creating, Updating, Enabling, Disabling, Deleting) and refuse changes
meanwhile: the backend waits for each mapping it touches to settle, so a connector is RUNNING only once its
mappings are Enabled, and PAUSED or STOPPED once they are Disabled (their consumers gone from the groups)."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from connectless import deployment_keys as lc
from connectless.aws_names import alias_name, schedule_name
from connectless.connector_config import consumer_group
from connectless.manager.aws_sinks import REGEX_REFUSED, provisioned, seed_group, sink_groups, sink_topics
from connectless.manager.backends.base import Backend, TaskUnit
from connectless.storage import State

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from connectless.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)

# Update accepts these; Topics, StartingPosition and the consumer group are fixed at creation.
_UPDATABLE = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "DestinationConfig",
    "FunctionResponseTypes",
    "SourceAccessConfigurations",
    "ProvisionedPollerConfig",
)
# What an update sends to take a setting away again (a setting the request no longer has).
_UNSET = {
    "MaximumRetryAttempts": -1,
    "MaximumRecordAgeInSeconds": -1,
    "BisectBatchOnFunctionError": False,
    "FunctionResponseTypes": [],
    "ProvisionedPollerConfig": {},
}
_SETTLED = ("Enabled", "Disabled")
WAIT_ENV = "CONNECTLESS_MAPPING_WAIT_SECONDS"


class MappingNotSettledError(RuntimeError):
    """An event-source mapping stayed in a transition (Creating, Updating, ...) past the wait."""


@dataclass(frozen=True)
class AwsTargets:
    """What the stack deployed: the functions to run, the role the scheduler uses, where Kafka is."""

    source_function_arn: str
    scheduler_role_arn: str
    sink_function_name: str
    schedule_group: str = "default"
    msk_cluster_arn: str | None = None
    bootstrap_servers: str | None = None
    source_access: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AwsTargets:
        env = os.environ if env is None else env
        return cls(
            source_function_arn=env["CONNECTLESS_SOURCE_FUNCTION_ARN"],
            scheduler_role_arn=env["CONNECTLESS_SCHEDULER_ROLE_ARN"],
            sink_function_name=env["CONNECTLESS_SINK_FUNCTION_NAME"],
            schedule_group=env.get("CONNECTLESS_SCHEDULE_GROUP") or "default",
            msk_cluster_arn=env.get("CONNECTLESS_MSK_CLUSTER_ARN") or None,
            bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            source_access=json.loads(env.get("CONNECTLESS_KAFKA_ACCESS_CONFIG") or "[]"),
        )


def esm_request(connector: str, topic: str, function_arn: str, targets: AwsTargets, config: Mapping[str, str], *,
                enabled: bool, group: str | None = None) -> dict[str, Any]:  # fmt: skip
    """CreateEventSourceMapping parameters for one topic of a sink connector. The error-handling controls (and the
    partial batch responses the sink handler gives) go in only in provisioned mode, the only mode AWS takes them in."""
    settings = lc.CONFIG_DEF.parse({k: v for k, v in config.items() if k in lc.CONFIG_DEF})
    group_config = {"ConsumerGroupId": group or consumer_group(connector)}
    request: dict[str, Any] = {
        "FunctionName": function_arn,
        "Topics": [topic],
        "Enabled": enabled,
        "BatchSize": settings[lc.BATCH_SIZE],
        "StartingPosition": settings[lc.STARTING_POSITION],
    }
    if targets.msk_cluster_arn:
        request["EventSourceArn"] = targets.msk_cluster_arn
        request["AmazonManagedKafkaEventSourceConfig"] = group_config
    else:
        servers = [s.strip() for s in (targets.bootstrap_servers or "").split(",") if s.strip()]
        request["SelfManagedEventSource"] = {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": servers}}
        request["SelfManagedKafkaEventSourceConfig"] = group_config
    if targets.source_access:
        request["SourceAccessConfigurations"] = targets.source_access
    if settings[lc.BATCHING_WINDOW] is not None:
        request["MaximumBatchingWindowInSeconds"] = settings[lc.BATCHING_WINDOW]
    destination = settings[lc.ON_FAILURE]
    if destination and not destination.startswith("kafka://"):
        request["DestinationConfig"] = {"OnFailure": {"Destination": destination}}
    if provisioned(config):
        pollers = {"MinimumPollers": settings[lc.MIN_POLLERS], "MaximumPollers": settings[lc.MAX_POLLERS]}
        request["ProvisionedPollerConfig"] = {k: v for k, v in pollers.items() if v}
        request["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        optional = {
            "MaximumRetryAttempts": settings[lc.MAX_RETRY_ATTEMPTS],
            "MaximumRecordAgeInSeconds": settings[lc.MAX_RECORD_AGE],
            "BisectBatchOnFunctionError": settings[lc.BISECT_ON_ERROR],
        }
        request.update({k: v for k, v in optional.items() if v is not None})
        if destination and destination.startswith("kafka://"):
            request["DestinationConfig"] = {"OnFailure": {"Destination": destination}}
    return request


def _changes(mapping: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateEventSourceMapping parameters that make `mapping` what `request` asks for."""
    changes = {k: request[k] for k in _UPDATABLE if k in request and mapping.get(k) != request[k]}
    for key, unset in _UNSET.items():
        if key not in request and mapping.get(key) not in (None, unset):
            changes[key] = unset
    enabled = mapping.get("State") != "Disabled"
    if request["Enabled"] != enabled:
        changes["Enabled"] = request["Enabled"]
    return changes


def _group_of(mapping: Mapping[str, Any]) -> str:
    config = mapping.get("AmazonManagedKafkaEventSourceConfig") or mapping.get("SelfManagedKafkaEventSourceConfig")
    return str((config or {}).get("ConsumerGroupId") or "")


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class AwsBackend(Backend):
    """boto3 clients are injected for tests; by default they come from the environment. `kafka` seeds the
    per-topic consumer groups (None: no seeding); `wait_s` bounds each wait for mappings to settle."""

    on_aws = True

    def __init__(self, targets: AwsTargets, scheduler: Any = None, lambda_client: Any = None, *,
                 kafka: KafkaSettings | None = None, wait_s: float | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        import boto3

        self.targets = targets
        self.scheduler = scheduler or boto3.client("scheduler")
        self.lambda_ = lambda_client or boto3.client("lambda")
        self.kafka = kafka
        self.wait_s = float(os.environ.get(WAIT_ENV) or 90) if wait_s is None else wait_s
        self._sleep = sleep

    # -- hooks -----------------------------------------------------------------------------------
    def _deploy(self, unit: TaskUnit, *, restart: bool) -> State | None:
        if unit.kind == "sink":
            self._put_sink(unit, enabled=True)
        else:
            self._put_schedule(unit, enabled=True)
        return State.RUNNING

    def _pause(self, unit: TaskUnit) -> State | None:
        if unit.kind == "sink":
            self._put_sink(unit, enabled=False)
        else:
            self._put_schedule(unit, enabled=False)
        return State.PAUSED

    def _remove(self, unit: TaskUnit) -> None:
        if unit.kind == "sink":
            if unit.task == 0:  # the mapping belongs to the connector; task 0 owns it
                self._remove_sink(unit.connector)
            return
        try:
            self.scheduler.delete_schedule(
                Name=schedule_name(unit.connector, unit.task), GroupName=self.targets.schedule_group
            )
        except ClientError as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise

    # -- source: one schedule per task -----------------------------------------------------------
    def _put_schedule(self, unit: TaskUnit, *, enabled: bool) -> None:
        expression = lc.CONFIG_DEF.parse({k: v for k, v in unit.config.items() if k == lc.SCHEDULE})[lc.SCHEDULE]
        params = {
            "Name": schedule_name(unit.connector, unit.task),
            "GroupName": self.targets.schedule_group,
            "ScheduleExpression": expression,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED" if enabled else "DISABLED",
            "Description": f"Connectless source task {unit.connector}-{unit.task}",
            "Target": {
                "Arn": self.targets.source_function_arn,
                "RoleArn": self.targets.scheduler_role_arn,
                "Input": json.dumps({"connector": unit.connector, "task": unit.task}),
                "RetryPolicy": {"MaximumRetryAttempts": 0},  # the next tick is the retry
            },
        }
        try:
            self.scheduler.create_schedule(**params)
        except ClientError as exc:
            if _error_code(exc) != "ConflictException":
                raise
            self.scheduler.update_schedule(**params)

    # -- sink: an alias and a mapping per topic --------------------------------------------------
    def _put_sink(self, unit: TaskUnit, *, enabled: bool) -> None:
        if unit.task != 0:
            log.warning("sink %s: tasks.max has no effect on AWS (task %d runs nothing): Lambda runs a batch per "
                        "partition at a time through the mappings of task 0", unit.connector, unit.task)  # fmt: skip
            return
        topics = sink_topics(unit.config)
        if not topics:
            raise ValueError(f"sink connector {unit.connector!r} names no topic in 'topics'. {REGEX_REFUSED}")
        alias_arn = self._ensure_alias(unit.connector)
        groups = sink_groups(unit.connector, topics)
        wanted = {t: esm_request(unit.connector, t, alias_arn, self.targets, unit.config, enabled=enabled,
                                 group=groups[t]) for t in topics}  # fmt: skip
        kept: dict[str, dict[str, Any]] = {}
        replaced: dict[str, str] = {}  # topic -> the group of the mapping it had
        gone: list[str] = []
        for mapping in self._settle(m["UUID"] for m in self._mappings(alias_arn)):
            topic = (mapping.get("Topics") or [""])[0]
            if topic in wanted and topic not in kept and _group_of(mapping) == groups[topic]:
                kept[topic] = mapping
                continue
            if topic in wanted:  # its group is fixed at creation: a new mapping takes over, from its offsets
                replaced[topic] = _group_of(mapping)
            self.lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
            gone.append(mapping["UUID"])
        self._settle(gone)  # their consumers left: their offsets are final
        touched: list[str] = []
        for topic, request in wanted.items():
            existing = kept.get(topic)
            if existing is None:
                if self.kafka is not None:
                    source = replaced.get(topic, consumer_group(unit.connector))
                    seed_group(self.kafka, groups[topic], topic, source, overwrite=topic in replaced)
                touched.append(self.lambda_.create_event_source_mapping(**request)["UUID"])
                continue
            changes = _changes(existing, request)
            if changes:
                self.lambda_.update_event_source_mapping(UUID=existing["UUID"], FunctionName=alias_arn, **changes)
                touched.append(existing["UUID"])
        want = "Enabled" if enabled else "Disabled"
        for mapping in self._settle(touched):
            if mapping.get("State") != want:
                raise MappingNotSettledError(f"event-source mapping {mapping['UUID']} of {unit.connector} is "
                                             f"{mapping.get('State')}, not {want}")  # fmt: skip

    def _settle(self, uuids: Iterable[str]) -> list[dict[str, Any]]:
        """Each mapping once out of its transition (a deleted one is left out); MappingNotSettledError past
        wait_s."""
        settled: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.wait_s
        for mapping_uuid in list(uuids):
            while True:
                try:
                    mapping: dict[str, Any] = self.lambda_.get_event_source_mapping(UUID=mapping_uuid)
                except ClientError as exc:
                    if _error_code(exc) != "ResourceNotFoundException":
                        raise
                    break
                if mapping.get("State") in _SETTLED:
                    settled.append(mapping)
                    break
                if time.monotonic() >= deadline:
                    raise MappingNotSettledError(f"event-source mapping {mapping_uuid} is still {mapping.get('State')} "
                                                 f"after {self.wait_s:g} s ({WAIT_ENV})")  # fmt: skip
                self._sleep(0.1)
        return settled

    def _ensure_alias(self, connector: str) -> str:
        name = alias_name(connector)
        try:
            return str(self.lambda_.get_alias(FunctionName=self.targets.sink_function_name, Name=name)["AliasArn"])
        except ClientError as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise
        created = self.lambda_.create_alias(
            FunctionName=self.targets.sink_function_name,
            Name=name,
            FunctionVersion="$LATEST",
            Description=f"Connectless sink connector {connector}",
        )
        return str(created["AliasArn"])

    def _mappings(self, function_arn: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.lambda_.get_paginator("list_event_source_mappings").paginate(FunctionName=function_arn):
            found.extend(page.get("EventSourceMappings", []))
        return found

    def _remove_sink(self, connector: str) -> None:
        name = alias_name(connector)
        try:
            alias_arn = self.lambda_.get_alias(FunctionName=self.targets.sink_function_name, Name=name)["AliasArn"]
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return
            raise
        mappings = self._settle(m["UUID"] for m in self._mappings(alias_arn))
        for mapping in mappings:
            self.lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
        self._settle(m["UUID"] for m in mappings)
        self.lambda_.delete_alias(FunctionName=self.targets.sink_function_name, Name=name)

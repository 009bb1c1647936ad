"""The AWS backend: an EventBridge Scheduler schedule per source task, and per sink connector a Lambda
alias (named after the connector) with one Kafka event-source mapping per topic, group connect-<name>."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from connectless.connector_config import consumer_group
from connectless.manager import lambda_config as lc
from connectless.manager.backends.base import Backend, TaskUnit
from connectless.storage import State

if TYPE_CHECKING:
    from collections.abc import Mapping

_SCHEDULE_NAME = re.compile(r"[^0-9A-Za-z_.-]")
_ALIAS_NAME = re.compile(r"[^0-9A-Za-z_-]")
# Update accepts these; Topics, StartingPosition and the consumer group are fixed at creation.
_UPDATABLE = (
    "Enabled",
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


def _safe(name: str, pattern: re.Pattern[str], limit: int) -> str:
    """`name` when allowed as is; otherwise a cleaned prefix plus a hash, so distinct names stay distinct."""
    cleaned = pattern.sub("_", name)
    if cleaned == name and len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{cleaned[: limit - 9]}-{digest}"


def schedule_name(connector: str, task: int) -> str:
    return _safe(f"connectless-{connector}-{task}", _SCHEDULE_NAME, 64)


def alias_name(connector: str) -> str:
    """The sink function's alias; the sink handler reads the connector's name from it."""
    alias = _safe(connector, _ALIAS_NAME, 128)
    return f"c-{alias}" if alias.isdigit() else alias


def sink_topics(config: Mapping[str, str]) -> list[str]:
    return [t.strip() for t in config.get("topics", "").split(",") if t.strip()]


def esm_request(connector: str, topic: str, function_arn: str, targets: AwsTargets, config: Mapping[str, str], *,
                enabled: bool) -> dict[str, Any]:  # fmt: skip
    """CreateEventSourceMapping parameters for one topic of a sink connector."""
    settings = lc.CONFIG_DEF.parse({k: v for k, v in config.items() if k in lc.CONFIG_DEF})
    group = {"ConsumerGroupId": consumer_group(connector)}
    request: dict[str, Any] = {
        "FunctionName": function_arn,
        "Topics": [topic],
        "Enabled": enabled,
        "BatchSize": settings[lc.BATCH_SIZE],
        "StartingPosition": settings[lc.STARTING_POSITION],
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    if targets.msk_cluster_arn:
        request["EventSourceArn"] = targets.msk_cluster_arn
        request["AmazonManagedKafkaEventSourceConfig"] = group
    else:
        servers = [s.strip() for s in (targets.bootstrap_servers or "").split(",") if s.strip()]
        request["SelfManagedEventSource"] = {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": servers}}
        request["SelfManagedKafkaEventSourceConfig"] = group
    if targets.source_access:
        request["SourceAccessConfigurations"] = targets.source_access
    optional = {
        "MaximumBatchingWindowInSeconds": settings[lc.BATCHING_WINDOW],
        "MaximumRetryAttempts": settings[lc.MAX_RETRY_ATTEMPTS],
        "MaximumRecordAgeInSeconds": settings[lc.MAX_RECORD_AGE],
        "BisectBatchOnFunctionError": settings[lc.BISECT_ON_ERROR],
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    if settings[lc.ON_FAILURE]:
        request["DestinationConfig"] = {"OnFailure": {"Destination": settings[lc.ON_FAILURE]}}
    if settings[lc.MIN_POLLERS] or settings[lc.MAX_POLLERS]:
        pollers = {"MinimumPollers": settings[lc.MIN_POLLERS], "MaximumPollers": settings[lc.MAX_POLLERS]}
        request["ProvisionedPollerConfig"] = {k: v for k, v in pollers.items() if v}
    return request


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class AwsBackend(Backend):
    """boto3 clients are injected for tests; by default they come from the environment."""

    def __init__(self, targets: AwsTargets, scheduler: Any = None, lambda_client: Any = None) -> None:
        import boto3

        self.targets = targets
        self.scheduler = scheduler or boto3.client("scheduler")
        self.lambda_ = lambda_client or boto3.client("lambda")

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
            return
        alias_arn = self._ensure_alias(unit.connector)
        wanted = {t: esm_request(unit.connector, t, alias_arn, self.targets, unit.config, enabled=enabled)
                  for t in sink_topics(unit.config)}  # fmt: skip
        for mapping in self._mappings(alias_arn):
            topic = (mapping.get("Topics") or [""])[0]
            request = wanted.pop(topic, None)
            if request is None:
                self.lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
            else:
                update = {k: v for k, v in request.items() if k in _UPDATABLE}
                self.lambda_.update_event_source_mapping(UUID=mapping["UUID"], FunctionName=alias_arn, **update)
        for request in wanted.values():
            self.lambda_.create_event_source_mapping(**request)

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
        for mapping in self._mappings(alias_arn):
            self.lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
        self.lambda_.delete_alias(FunctionName=self.targets.sink_function_name, Name=name)

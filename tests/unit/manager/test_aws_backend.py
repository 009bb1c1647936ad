"""The AWS backend against moto: schedules per source task, the sink alias, event-source mapping requests."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from connectless.manager.backends.aws import AwsBackend, AwsTargets, alias_name, esm_request, schedule_name
from connectless.manager.backends.base import Op, TaskUnit
from connectless.storage import State
from connectless_local.event_source_mappings import install_in_moto, store_for

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "us-east-1"
SOURCE = {"connector.class": "Datagen", "kafka.topic": "t", "connectless.source.schedule": "rate(5 minutes)"}
SINK = {"connector.class": "FileStreamSink", "topics": "a,b", "connectless.sink.batch.size": "500",
        "connectless.sink.batching.window.seconds": "2", "connectless.sink.maximum.retry.attempts": "3",
        "connectless.sink.on.failure.destination": "kafka://dlq", "connectless.sink.maximum.pollers": "2"}  # fmt: skip


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsBackend]:
    """moto with the Kafka mappings of connectless_local, and pollers that complete each transition at once."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    store = store_for("123456789012", REGION)
    store._mappings.clear()

    def pollers() -> None:
        for mapping in store.list():
            found = store.target(mapping["UUID"])
            if found is not None:
                store.complete(mapping["UUID"], found[1])

    store.listeners.append(pollers)
    uninstall = install_in_moto()
    with contextlib.ExitStack() as undo, mock_aws():
        undo.callback(uninstall)
        undo.callback(store.listeners.remove, pollers)
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        fn = lam.create_function(FunctionName="sink", Runtime="python3.13", Role=role, Handler="app.h",
                                 Code={"ZipFile": b"x"})["FunctionArn"]  # fmt: skip
        targets = AwsTargets(fn, role, "sink", bootstrap_servers="b1:9092,b2:9092")
        yield AwsBackend(targets, boto3.client("scheduler", region_name=REGION), lam, wait_s=5)


def _unit(op: Op, task: int = 0, config: dict[str, str] | None = None, kind: str = "source") -> TaskUnit:
    return TaskUnit("orders", task, op, kind, config or SOURCE, {})


def test_a_schedule_per_source_task_with_the_task_in_its_input(aws: AwsBackend) -> None:
    assert aws.apply(_unit(Op.RESTART, 0)) is State.RUNNING
    aws.apply(_unit(Op.RESTART, 1))
    found = aws.scheduler.get_schedule(Name=schedule_name("orders", 1))
    assert found["State"] == "ENABLED"
    assert found["ScheduleExpression"] == "rate(5 minutes)"
    assert json.loads(found["Target"]["Input"]) == {"connector": "orders", "task": 1}


def test_pause_disables_and_remove_deletes_the_schedule(aws: AwsBackend) -> None:
    aws.apply(_unit(Op.RESTART))
    assert aws.apply(_unit(Op.PAUSE)) is State.PAUSED
    assert aws.scheduler.get_schedule(Name=schedule_name("orders", 0))["State"] == "DISABLED"
    aws.apply(_unit(Op.REMOVE))
    aws.apply(_unit(Op.REMOVE))  # removing twice is fine
    assert aws.scheduler.list_schedules()["Schedules"] == []


def test_sink_alias_is_named_after_the_connector(aws: AwsBackend) -> None:
    arn = aws._ensure_alias("orders")
    assert arn.endswith(":function:sink:orders")
    assert aws._ensure_alias("orders") == arn  # idempotent


def test_removing_a_sink_removes_its_alias(aws: AwsBackend) -> None:
    aws._ensure_alias("orders")
    aws.apply(_unit(Op.REMOVE, kind="sink", config=SINK))
    assert aws.lambda_.list_aliases(FunctionName="sink")["Aliases"] == []


def test_self_managed_mapping_request() -> None:
    targets = AwsTargets("src", "role", "sink", bootstrap_servers="b1:9092, b2:9092")
    request = esm_request("orders", "a", "arn:alias", targets, SINK, enabled=True)
    assert request["SelfManagedEventSource"] == {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["b1:9092", "b2:9092"]}}
    assert request["SelfManagedKafkaEventSourceConfig"] == {"ConsumerGroupId": "connect-orders"}
    assert request["Topics"] == ["a"]
    assert request["BatchSize"] == 500
    assert request["MaximumBatchingWindowInSeconds"] == 2
    assert request["MaximumRetryAttempts"] == 3
    assert request["DestinationConfig"] == {"OnFailure": {"Destination": "kafka://dlq"}}
    assert request["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert request["ProvisionedPollerConfig"] == {"MaximumPollers": 2}
    assert request["StartingPosition"] == "TRIM_HORIZON"


def test_on_demand_mapping_request_leaves_out_what_only_provisioned_mode_takes() -> None:
    targets = AwsTargets("src", "role", "sink", bootstrap_servers="b1:9092")
    config = {k: v for k, v in SINK.items() if k != "connectless.sink.maximum.pollers"}
    request = esm_request("orders", "a", "arn:alias", targets, config, enabled=True)
    for key in ("ProvisionedPollerConfig", "FunctionResponseTypes", "MaximumRetryAttempts", "DestinationConfig"):
        assert key not in request


def _mappings(aws: AwsBackend) -> list[dict[str, object]]:
    return sorted(aws.lambda_.list_event_source_mappings()["EventSourceMappings"], key=lambda m: str(m["Topics"]))


def _groups(aws: AwsBackend) -> list[tuple[list[str], str, str]]:
    return [(m["Topics"], m["SelfManagedKafkaEventSourceConfig"]["ConsumerGroupId"], m["State"])  # type: ignore[index]
            for m in _mappings(aws)]  # fmt: skip


def test_a_sink_on_two_topics_gets_a_mapping_and_a_group_per_topic(aws: AwsBackend) -> None:
    assert aws.apply(_unit(Op.RESTART, kind="sink", config=SINK)) is State.RUNNING
    assert _groups(aws) == [(["a"], "connect-orders-a", "Enabled"), (["b"], "connect-orders-b", "Enabled")]
    assert aws.apply(_unit(Op.PAUSE, kind="sink", config=SINK)) is State.PAUSED
    assert [g[2] for g in _groups(aws)] == ["Disabled", "Disabled"]
    aws.apply(_unit(Op.RESTART, kind="sink", config=SINK))
    aws.apply(_unit(Op.REMOVE, kind="sink", config=SINK))
    assert _mappings(aws) == []


def test_a_sink_on_one_topic_keeps_kafka_connects_group_and_changes_groups_with_its_topics(aws: AwsBackend) -> None:
    one = {**SINK, "topics": "a"}
    aws.apply(_unit(Op.RESTART, kind="sink", config=one))
    assert _groups(aws) == [(["a"], "connect-orders", "Enabled")]
    aws.apply(_unit(Op.RESTART, kind="sink", config={**one, "connectless.sink.batch.size": "7"}))
    assert [m["BatchSize"] for m in _mappings(aws)] == [7]  # updated in place
    aws.apply(_unit(Op.RESTART, kind="sink", config=SINK))  # a group is fixed at creation: a's mapping is replaced
    assert _groups(aws) == [(["a"], "connect-orders-a", "Enabled"), (["b"], "connect-orders-b", "Enabled")]


def test_a_sink_without_topics_is_never_running(aws: AwsBackend) -> None:
    regex = {"connector.class": "FileStreamSink", "topics.regex": "a.*"}
    with pytest.raises(ValueError, match=r"topics\.regex is not supported on AWS"):
        aws.apply(_unit(Op.RESTART, kind="sink", config=regex))
    assert _mappings(aws) == []


def test_msk_mapping_request_uses_the_cluster_arn() -> None:
    targets = AwsTargets("src", "role", "sink", msk_cluster_arn="arn:aws:kafka:eu-west-1:1:cluster/c/x")
    request = esm_request("orders", "a", "arn:alias", targets, {"topics": "a"}, enabled=False)
    assert request["EventSourceArn"] == targets.msk_cluster_arn
    assert request["AmazonManagedKafkaEventSourceConfig"] == {"ConsumerGroupId": "connect-orders"}
    assert request["Enabled"] is False
    assert "MaximumRetryAttempts" not in request


def test_names_aws_accepts() -> None:
    assert schedule_name("orders", 3) == "connectless-orders-3"
    assert len(schedule_name("x" * 100, 1)) <= 64
    assert alias_name("my connector") != alias_name("my_connector")
    assert alias_name("123") != "123"  # AWS refuses an all-digit alias

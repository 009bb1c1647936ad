"""Kafka event-source mappings at moto's endpoint, with AWS's rules: each rule through a real boto3 client, so
botocore checks the request's shape and raises ClientError with AWS's error code."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from connectless_local.event_source_mappings import (
    KafkaEventSourceMappings,
    attach_to_client,
    install_in_moto,
    store_for,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "us-east-1"
SERVERS = {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["127.0.0.1:9092"]}}
MSK = "arn:aws:kafka:us-east-1:123456789012:cluster/local/abcd-1"


@contextlib.contextmanager
def moto_lambda(monkeypatch: pytest.MonkeyPatch, *, kafka_mappings: bool) -> Iterator[Any]:
    """moto in-process with a sink function and its alias `orders`; with `kafka_mappings`, extended with ours."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    uninstall = install_in_moto() if kafka_mappings else None
    try:
        with mock_aws():
            store_for("123456789012", REGION)._mappings.clear()
            iam = boto3.client("iam")
            role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
            client = boto3.client("lambda")
            client.create_function(FunctionName="sink", Runtime="python3.13", Role=role, Handler="app.h",
                                   Code={"ZipFile": b"x"})  # fmt: skip
            client.create_alias(FunctionName="sink", Name="orders", FunctionVersion="$LATEST")
            yield client
    finally:
        if uninstall is not None:
            uninstall()


@pytest.fixture
def lam(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with moto_lambda(monkeypatch, kafka_mappings=True) as client:
        yield client


def request(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"FunctionName": "sink:orders", "Topics": ["orders"], "StartingPosition": "TRIM_HORIZON",
                            "SelfManagedEventSource": SERVERS,
                            "SelfManagedKafkaEventSourceConfig": {"ConsumerGroupId": "connect-orders"}}  # fmt: skip
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def settle(mapping_uuid: str) -> None:
    store = store_for("123456789012", REGION)
    found = store.target(mapping_uuid)
    assert found is not None
    store.complete(mapping_uuid, found[1])


def test_create_answers_creating_then_the_pollers_enable_it(lam: Any) -> None:
    created = lam.create_event_source_mapping(**request())
    assert created["State"] == "Creating"
    assert created["FunctionArn"].endswith(":function:sink:orders")
    assert created["SelfManagedKafkaEventSourceConfig"]["ConsumerGroupId"] == "connect-orders"
    settle(created["UUID"])
    got = lam.get_event_source_mapping(UUID=created["UUID"])
    assert (got["State"], got["Topics"], got["BatchSize"]) == ("Enabled", ["orders"], 100)
    listed = lam.list_event_source_mappings(FunctionName=created["FunctionArn"])["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [created["UUID"]]
    assert (
        lam.list_event_source_mappings(FunctionName="sink")["EventSourceMappings"] == []
    )  # the alias's, not $LATEST's


def test_two_topics_in_one_mapping_are_refused(lam: Any) -> None:
    unchecked = boto3.client("lambda", config=Config(parameter_validation=False))  # past botocore, to the server
    code, message = error_of(unchecked.create_event_source_mapping, **request(Topics=["a", "b"]))
    assert code == "InvalidParameterValueException"
    assert "exactly one" in message


@pytest.mark.parametrize("size", [0, 10001])
def test_batch_size_outside_1_to_10000(lam: Any, size: int) -> None:
    unchecked = boto3.client("lambda", config=Config(parameter_validation=False))
    code, message = error_of(unchecked.create_event_source_mapping, **request(BatchSize=size))
    assert (code, "BatchSize" in message) == ("InvalidParameterValueException", True)


def test_batching_window_outside_0_to_300(lam: Any) -> None:
    created = lam.create_event_source_mapping(**request())
    settle(created["UUID"])
    code, message = error_of(lam.update_event_source_mapping, UUID=created["UUID"], MaximumBatchingWindowInSeconds=301)
    assert code == "InvalidParameterValueException"
    assert "MaximumBatchingWindowInSeconds" in message


def test_a_consumer_group_is_unique_among_kafka_mappings(lam: Any) -> None:
    lam.create_event_source_mapping(**request())
    code, message = error_of(lam.create_event_source_mapping, **request(Topics=["other"]))
    assert code == "ResourceConflictException"
    assert "connect-orders" in message
    # MSK or self-managed: the group is unique across both
    msk = request(
        Topics=["other"],
        SelfManagedEventSource=None,
        SelfManagedKafkaEventSourceConfig=None,
        EventSourceArn=MSK,
        AmazonManagedKafkaEventSourceConfig={"ConsumerGroupId": "connect-orders"},
    )
    assert error_of(lam.create_event_source_mapping, **msk)[0] == "ResourceConflictException"


def test_the_same_source_function_and_topic_twice_is_a_conflict(lam: Any) -> None:
    lam.create_event_source_mapping(**request())
    second = request(SelfManagedKafkaEventSourceConfig={"ConsumerGroupId": "another"})
    assert error_of(lam.create_event_source_mapping, **second)[0] == "ResourceConflictException"


def test_the_consumer_group_is_never_updated(lam: Any) -> None:
    created = lam.create_event_source_mapping(**request())
    settle(created["UUID"])
    code, message = error_of(lam.update_event_source_mapping, UUID=created["UUID"],
                             SelfManagedKafkaEventSourceConfig={"ConsumerGroupId": "connect-renamed"})  # fmt: skip
    assert code == "InvalidParameterValueException"
    assert "ConsumerGroupId cannot be updated" in message


def test_a_missing_function_or_alias(lam: Any) -> None:
    assert error_of(lam.create_event_source_mapping, **request(FunctionName="nope"))[0] == "ResourceNotFoundException"
    assert error_of(lam.create_event_source_mapping, **request(FunctionName="sink:nope"))[0] == (
        "ResourceNotFoundException"
    )


def test_starting_position_rules(lam: Any) -> None:
    code, message = error_of(lam.create_event_source_mapping, **request(StartingPosition=None))
    assert (code, "StartingPosition is required" in message) == ("InvalidParameterValueException", True)
    code, message = error_of(lam.create_event_source_mapping, **request(StartingPosition="AT_TIMESTAMP"))
    assert "StartingPositionTimestamp is required" in message
    future = request(StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=time.time() + 3600)
    assert "future" in error_of(lam.create_event_source_mapping, **future)[1]
    stray = request(StartingPositionTimestamp=time.time() - 60)
    assert "only when StartingPosition is AT_TIMESTAMP" in error_of(lam.create_event_source_mapping, **stray)[1]
    ok = lam.create_event_source_mapping(**request(StartingPosition="AT_TIMESTAMP",
                                                   StartingPositionTimestamp=time.time() - 60))  # fmt: skip
    assert ok["StartingPosition"] == "AT_TIMESTAMP"


@pytest.mark.parametrize(
    ("field", "value"),
    [("MaximumRetryAttempts", 3), ("MaximumRecordAgeInSeconds", 3600), ("BisectBatchOnFunctionError", True),
     ("FunctionResponseTypes", ["ReportBatchItemFailures"]),
     ("DestinationConfig", {"OnFailure": {"Destination": "kafka://dlq"}})],
)  # fmt: skip
def test_provisioned_only_fields_need_provisioned_pollers(lam: Any, field: str, value: Any) -> None:
    code, message = error_of(lam.create_event_source_mapping, **request(**{field: value}))
    assert code == "InvalidParameterValueException"
    assert field in message and "ProvisionedPollerConfig" in message
    provisioned = request(ProvisionedPollerConfig={"MinimumPollers": 1, "MaximumPollers": 2}, **{field: value})
    created = lam.create_event_source_mapping(**provisioned)
    settle(created["UUID"])
    # turning provisioned mode off ({}) while the field is set is refused too
    code, _ = error_of(lam.update_event_source_mapping, UUID=created["UUID"], ProvisionedPollerConfig={})
    assert code == "InvalidParameterValueException"


def test_defaults_of_the_provisioned_only_fields_are_accepted_on_demand(lam: Any) -> None:
    created = lam.create_event_source_mapping(**request(MaximumRetryAttempts=-1, BisectBatchOnFunctionError=False))
    assert created["State"] == "Creating"


def test_poller_ranges(lam: Any) -> None:
    bad = request(ProvisionedPollerConfig={"MinimumPollers": 5, "MaximumPollers": 2})
    assert error_of(lam.create_event_source_mapping, **bad)[0] == "InvalidParameterValueException"


def test_states_through_update_disable_and_delete(lam: Any) -> None:
    created = lam.create_event_source_mapping(**request())
    uuid_ = created["UUID"]
    # in transition: no update, no delete
    assert error_of(lam.update_event_source_mapping, UUID=uuid_, BatchSize=5)[0] == "ResourceInUseException"
    assert error_of(lam.delete_event_source_mapping, UUID=uuid_)[0] == "ResourceInUseException"
    settle(uuid_)
    assert lam.update_event_source_mapping(UUID=uuid_, BatchSize=5)["State"] == "Updating"
    settle(uuid_)
    assert lam.get_event_source_mapping(UUID=uuid_)["BatchSize"] == 5
    assert lam.update_event_source_mapping(UUID=uuid_, Enabled=False)["State"] == "Disabling"
    settle(uuid_)
    assert lam.get_event_source_mapping(UUID=uuid_)["State"] == "Disabled"
    assert lam.delete_event_source_mapping(UUID=uuid_)["State"] == "Deleting"
    assert lam.get_event_source_mapping(UUID=uuid_)["State"] == "Deleting"
    settle(uuid_)
    assert error_of(lam.get_event_source_mapping, UUID=uuid_)[0] == "ResourceNotFoundException"
    assert error_of(lam.update_event_source_mapping, UUID=uuid_, BatchSize=5)[0] == "ResourceNotFoundException"


def test_a_disabled_create_ends_disabled(lam: Any) -> None:
    created = lam.create_event_source_mapping(**request(Enabled=False))
    settle(created["UUID"])
    assert lam.get_event_source_mapping(UUID=created["UUID"])["State"] == "Disabled"


def test_an_endpoint_of_the_users_gets_the_same_rules_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The endpoint here is a moto without our extension: it would refuse a Kafka mapping; the store answers first."""
    with moto_lambda(monkeypatch, kafka_mappings=False):
        store = KafkaEventSourceMappings()
        client = boto3.client("lambda")
        attach_to_client(client, store)
        created = client.create_event_source_mapping(**request())
        assert [m["UUID"] for m in store.list()] == [created["UUID"]]
        assert created["FunctionArn"].endswith(":function:sink:orders")  # the endpoint's function, resolved there
        assert error_of(client.create_event_source_mapping, **request(Topics=["x"]))[0] == "ResourceConflictException"
        assert error_of(client.create_event_source_mapping, **request(FunctionName="nope"))[0] == (
            "ResourceNotFoundException"
        )
        assert client.list_event_source_mappings()["EventSourceMappings"][0]["UUID"] == created["UUID"]
        store.complete(created["UUID"], 0)
        assert client.update_event_source_mapping(UUID=created["UUID"], Enabled=False)["State"] == "Disabling"

"""`local up` at an endpoint: the stack is created when absent (and deleted when the run stops), updated when it
exists (and left in place); moto in-process plays the endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from connectless_local.local_up import STACK_NAME, LocalSamStack

if TYPE_CHECKING:
    from collections.abc import Iterator


def topic_template(name: str) -> dict[str, Any]:
    return {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": name}}}}


@pytest.fixture
def cfn(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.client("cloudformation")


def live_stacks(cfn: Any) -> list[str]:
    return [s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]


def test_created_then_deleted_when_the_run_stops(cfn: Any) -> None:
    stack = LocalSamStack(state_file=None, aws_endpoint_url="http://endpoint.invalid")
    assert stack.external
    assert stack._deploy_stack(cfn, topic_template("a"), {})["StackStatus"] == "CREATE_COMPLETE"
    assert live_stacks(cfn) == [STACK_NAME]
    stack.stop()
    assert live_stacks(cfn) == []


def test_an_existing_stack_is_updated_and_left(cfn: Any) -> None:
    cfn.create_stack(StackName=STACK_NAME, TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
    stack = LocalSamStack(state_file=None, aws_profile="someone")
    assert stack._deploy_stack(cfn, topic_template("b"), {})["StackStatus"] == "UPDATE_COMPLETE"
    assert [t["TopicArn"].rsplit(":", 1)[1] for t in boto3.client("sns").list_topics()["Topics"]] == ["b"]
    stack.stop()
    assert live_stacks(cfn) == [STACK_NAME]


def test_without_endpoint_or_profile_it_is_moto_mode() -> None:
    assert not LocalSamStack(state_file=None).external

"""template.yaml made local: conditions resolved, SAM translated, created by moto's CloudFormation; and the
emulator's settings read from a Kafka event-source mapping."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from connectless_local import stack_template
from connectless_local.event_source_mappings import KafkaEventSourceMappings, mapping_config

if TYPE_CHECKING:
    from collections.abc import Iterator

PARAMS = {"KafkaBootstrapServers": "127.0.0.1:9092", "KafkaAuth": "none", "Environment": "dev"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def test_conditions_resolved_and_novalue_dropped() -> None:
    resolved = stack_template.resolve_conditions(stack_template.load(), PARAMS)
    text = json.dumps(resolved)
    assert "Fn::If" not in text and "AWS::NoValue" not in text and "Conditions" not in resolved
    assert "MskStatePolicy" not in resolved["Resources"]  # Condition IsMskIam is false
    assert "VpcConfig" not in resolved["Globals"]["Function"]
    statements = resolved["Resources"]["ConnectorSecretsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert len(statements) == 2  # the KMS statement is gone, not left as null


def test_msk_iam_keeps_the_cluster_policies() -> None:
    params = {**PARAMS, "KafkaAuth": "msk-iam", "MskClusterArn": "arn:aws:kafka:us-east-1:1:cluster/c/u",
              "SubnetIds": "subnet-1", "SecurityGroupIds": "sg-1"}  # fmt: skip
    resolved = stack_template.resolve_conditions(stack_template.load(), params)
    assert {"MskStatePolicy", "MskTaskDataPolicy", "EventSourceNetworkPolicy"} <= set(resolved["Resources"])
    assert resolved["Globals"]["Function"]["VpcConfig"]["SubnetIds"] == {"Ref": "SubnetIds"}


def test_missing_required_parameter() -> None:
    with pytest.raises(stack_template.TemplateError, match="KafkaBootstrapServers"):
        stack_template.resolve_conditions(stack_template.load(), {})


def test_moto_creates_the_translated_stack(aws: None) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="artifacts")
    template = stack_template.translate(stack_template.load(), PARAMS, s3, "artifacts")
    assert not [n for n, r in template["Resources"].items() if r["Type"].startswith("AWS::ApiGateway::")]
    assert "ApiUrl" not in template["Outputs"]
    definition = template["Resources"]["ConnectorManagerStateMachine"]["Properties"]["DefinitionString"]["Fn::Sub"]
    assert definition[1] == {"ManagerFunctionArn": {"Fn::GetAtt": ["ManagerFunction", "Arn"]}}
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="local", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"],
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMS.items()])  # fmt: skip
    stack = cfn.describe_stacks(StackName="local")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    manager = boto3.client("lambda").get_function_configuration(FunctionName=outputs["ManagerFunctionArn"])
    variables = manager["Environment"]["Variables"]
    assert variables["CONNECTLESS_SOURCE_FUNCTION_ARN"] == outputs["SourceTaskFunctionArn"]
    assert (
        variables["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"
        and variables["CONNECTLESS_KAFKA_ACCESS_CONFIG"] == "[]"
    )
    assert manager["Runtime"] == "python3.13" and manager["Handler"] == "app.lambda_handler"


# -- event-source mappings -------------------------------------------------------------------------------------
def test_mapping_config_from_a_mapping_as_the_api_answers() -> None:
    mapping = KafkaEventSourceMappings().create(
        {"FunctionName": "sink:orders", "Topics": ["orders"], "BatchSize": 50, "StartingPosition": "TRIM_HORIZON",
         "SelfManagedEventSource": {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["127.0.0.1:9092"]}},
         "SelfManagedKafkaEventSourceConfig": {"ConsumerGroupId": "connect-orders-a"},
         "ProvisionedPollerConfig": {"MinimumPollers": 1}, "FunctionResponseTypes": ["ReportBatchItemFailures"],
         "MaximumRetryAttempts": 2, "BisectBatchOnFunctionError": True,
         "DestinationConfig": {"OnFailure": {"Destination": "kafka://orders-failed"}}},
        lambda name: f"arn:aws:lambda:us-east-1:1:function:{name}",
    )  # fmt: skip
    config = mapping_config(mapping, "sink-fn", 30.0)
    assert (config.connector, config.group_id, list(config.topics)) == ("orders", "connect-orders-a", ["orders"])
    assert (config.batch_size, config.maximum_batching_window_s, config.maximum_retry_attempts) == (50, 0.5, 2)
    assert config.report_batch_item_failures and config.bisect_batch_on_function_error
    assert config.destination_topic == "orders-failed" and config.function_timeout_s == 30.0

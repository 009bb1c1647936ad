"""template.yaml's parameters for the built-in connectors' data: which policies each value set gives the task
functions (resolved as CloudFormation would, with connectless_local.stack_template)."""

from __future__ import annotations

from typing import Any

import pytest

from connectless_local import stack_template

SOURCE = stack_template.load()
BASE = {"KafkaBootstrapServers": "b:9092", "KafkaAuth": "none"}


def resolved(**parameters: str) -> dict[str, Any]:
    return stack_template.resolve_conditions(SOURCE, {**BASE, **parameters})


def sids(template: dict[str, Any], policy: str) -> list[str]:
    return [s["Sid"] for s in template["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]]


def policies(template: dict[str, Any], function: str) -> list[Any]:
    return list(template["Resources"][function]["Properties"]["Policies"])


def test_no_data_parameter_no_data_policy() -> None:
    template = resolved()
    assert "SinkConnectorDataPolicy" not in template["Resources"]
    assert "SourceConnectorDataPolicy" not in template["Resources"]
    for function in ("SourceTaskFunction", "SinkTaskFunction"):
        assert policies(template, function) == [{"Ref": "ConnectorSecretsPolicy"}]


@pytest.mark.parametrize(
    ("parameters", "sink_sids", "source_policy"),
    [
        ({"ConnectorS3Buckets": "a,b"}, ["S3SinkWrite"], True),
        ({"ConnectorDynamoDbTables": "orders"}, ["DynamoDbSinkWrite"], False),
        ({"ConnectorOpenSearchDomainArn": "arn:aws:es:us-east-1:1:domain/d"}, ["OpenSearchSinkWrite"], False),
        ({"ConnectorS3Buckets": "a", "ConnectorDynamoDbTables": "t"}, ["S3SinkWrite", "DynamoDbSinkWrite"], True),
    ],
)
def test_each_parameter_grants_its_statement(parameters: dict[str, str], sink_sids: list[str],
                                             source_policy: bool) -> None:  # fmt: skip
    template = resolved(**parameters)
    assert sids(template, "SinkConnectorDataPolicy") == sink_sids
    assert {"Ref": "SinkConnectorDataPolicy"} in policies(template, "SinkTaskFunction")
    assert ({"Ref": "SourceConnectorDataPolicy"} in policies(template, "SourceTaskFunction")) is source_policy
    assert ("SourceConnectorDataPolicy" in template["Resources"]) is source_policy


@pytest.mark.parametrize("count", [1, 2, 3])
def test_managed_policies_of_the_user_are_attached_to_both_task_functions(count: int) -> None:
    arns = [f"arn:aws:iam::123456789012:policy/p{n}" for n in range(count)]
    parameters = {**BASE, "ConnectorManagedPolicyArns": ",".join(arns)}
    template = stack_template.resolve_conditions(SOURCE, parameters)
    for function in ("SourceTaskFunction", "SinkTaskFunction"):
        given = [p for p in policies(template, function) if "Fn::Select" in p]
        assert [stack_template.resolve_value(SOURCE, parameters, p) for p in given] == arns

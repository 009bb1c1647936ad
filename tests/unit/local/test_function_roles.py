"""The IAM evaluation `local up` applies to each function's AWS calls: actions and resources with wildcards,
Deny over Allow, the conditions it knows, and the resource ARN of each call (no AWS, no moto)."""

from __future__ import annotations

from typing import Any

import pytest

from connectless_local.function_roles import FunctionRoles


class _NoAws:
    def client(self, _service: str) -> Any:
        return None


ACCOUNT, REGION = "123456789012", "us-east-1"
SINK_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:stack-SinkTaskFunction-X"
CONTEXT = {"aws:resourceaccount": ACCOUNT, "aws:requestedregion": REGION}


@pytest.fixture
def roles() -> FunctionRoles:
    return FunctionRoles(REGION, ACCOUNT, _NoAws())


S3_WRITE = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": ["arn:*:s3:::bucket-a/*", "arn:*:s3:::b/*"]}
TABLES = {"Effect": "Allow", "Action": "dynamodb:BatchWriteItem", "Resource": "arn:*:dynamodb:*:*:table/orders",
          "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT, "aws:RequestedRegion": REGION}}}  # fmt: skip
MAPPINGS = {"Effect": "Allow", "Action": "lambda:CreateEventSourceMapping", "Resource": "*",
            "Condition": {"StringLike": {"lambda:FunctionArn": f"{SINK_ARN}:*"}}}  # fmt: skip


@pytest.mark.parametrize(
    ("action", "resource", "context", "allowed"),
    [
        ("s3:PutObject", "arn:aws:s3:::bucket-a/topics/x+0+0.json", CONTEXT, True),
        ("S3:putobject", "arn:aws:s3:::b/k", CONTEXT, True),  # actions are case-insensitive
        ("s3:PutObject", "arn:aws:s3:::bucket-b/k", CONTEXT, False),
        ("s3:GetObject", "arn:aws:s3:::bucket-a/k", CONTEXT, False),
        ("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders", CONTEXT, True),
        ("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other", CONTEXT, False),
        (
            "dynamodb:BatchWriteItem",
            f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders",
            {**CONTEXT, "aws:requestedregion": "eu-west-1"},
            False,
        ),  # fmt: skip
        ("lambda:CreateEventSourceMapping", "*", {**CONTEXT, "lambda:functionarn": f"{SINK_ARN}:orders"}, True),
        ("lambda:CreateEventSourceMapping", "*", {**CONTEXT, "lambda:functionarn": f"{SINK_ARN}2:orders"}, False),
    ],
)
def test_statements_decide(roles: FunctionRoles, action: str, resource: str, context: dict[str, str],
                           allowed: bool) -> None:  # fmt: skip
    assert roles._allowed([S3_WRITE, TABLES, MAPPINGS], action, resource, context) is allowed


def test_an_explicit_deny_wins(roles: FunctionRoles) -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket-a/secret/*"}
    assert roles._allowed([S3_WRITE, deny], "s3:PutObject", "arn:aws:s3:::bucket-a/public/k", CONTEXT)
    assert not roles._allowed([S3_WRITE, deny], "s3:PutObject", "arn:aws:s3:::bucket-a/secret/k", CONTEXT)


def test_a_condition_on_an_unknown_key_counts_as_met_and_is_reported(roles: FunctionRoles) -> None:
    via = {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    statement = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": via}}
    assert roles._allowed([statement], "kms:Decrypt", "*", CONTEXT)
    assert roles.unevaluated == {"StringEquals kms:ViaService"}


@pytest.mark.parametrize(
    ("service", "operation", "params", "resources"),
    [
        ("s3", "PutObject", {"Bucket": "b", "Key": "t/k.json"}, ["arn:aws:s3:::b/t/k.json"]),
        ("s3", "ListObjectsV2", {"Bucket": "b"}, ["arn:aws:s3:::b"]),
        ("dynamodb", "BatchWriteItem", {"RequestItems": {"t1": [], "t2": []}},
         [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t1", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t2"]),
        ("secretsmanager", "GetSecretValue", {"SecretId": "connectless/db"},
         [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:connectless/db-AbCdEf"]),
        ("ssm", "GetParameter", {"Name": "/connectless/pw"},
         [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/connectless/pw"]),
        ("scheduler", "CreateSchedule", {"Name": "connectless-a-0", "GroupName": "connectless-dev"},
         [f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/connectless-dev/connectless-a-0"]),
        ("lambda", "CreateAlias", {"FunctionName": "fn", "Name": "orders"},
         [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn:orders"]),
        ("lambda", "CreateEventSourceMapping", {"FunctionName": f"{SINK_ARN}:orders"}, ["*"]),
        ("states", "StartExecution", {"stateMachineArn": "arn:aws:states:x"}, ["arn:aws:states:x"]),
    ],
)  # fmt: skip
def test_the_resource_of_each_call(roles: FunctionRoles, service: str, operation: str, params: dict[str, Any],
                                   resources: list[str]) -> None:  # fmt: skip
    assert roles._resources(service, operation, params) == resources

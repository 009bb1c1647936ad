"""IAM under `connectless local up`, on the real broker: each handler runs with temporary credentials of its own
function role (sts:AssumeRole on the role the stack created), moto's access control checks S3 requests, and every
AWS call a function makes is checked against its role's policies. An S3 sink writes to the bucket the template's
ConnectorS3Buckets grants; with that permission removed from its role, a new S3 sink fails with the AccessDenied
naming s3:PutObject in its task's trace. The module prints the report of calls and unused grants at its end."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from connectless_cli.client import ConnectClient
from connectless_local.local_up import STACK_NAME, LocalSamStack

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.kafka

BUCKET = f"iam-granted-{uuid.uuid4().hex[:8]}"
OTHER_BUCKET = f"iam-not-granted-{uuid.uuid4().hex[:8]}"
MANAGED_BUCKET = f"iam-managed-{uuid.uuid4().hex[:8]}"  # granted only by ConnectorManagedPolicyArns


def create_users_policy() -> str:
    """A customer-managed policy of the user's own, there before the stack is deployed (as on AWS). moto's server
    starts with the stack, so the policy goes into moto's in-process IAM backend, which the server then serves."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"],
                "Resource": f"arn:aws:s3:::{MANAGED_BUCKET}/*"}]}  # fmt: skip
    policy = iam_backends[DEFAULT_ACCOUNT_ID]["global"].create_policy(
        description="a connector's own system", path="/", policy_document=json.dumps(document),
        policy_name=f"connectors-{uuid.uuid4().hex[:8]}", tags=[])  # fmt: skip
    return str(policy.arn)


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory,
          request: pytest.FixtureRequest) -> Iterator[LocalSamStack]:  # fmt: skip
    prefix = f"iam-{uuid.uuid4().hex[:8]}"
    parameters = {"ConfigTopic": f"{prefix}-configs", "OffsetsTopic": f"{prefix}-offsets",
                  "StatusTopic": f"{prefix}-status", "SourceTaskTimeout": "20",
                  "ConnectorS3Buckets": BUCKET, "ConnectorDynamoDbTables": "orders",
                  "ConnectorManagedPolicyArns": create_users_policy()}  # fmt: skip
    state_file = tmp_path_factory.mktemp("local") / "local-up.json"
    stack = LocalSamStack(rest_port=0, bootstrap_servers=kafka_bootstrap, state_file=state_file, parameters=parameters)
    stack.start()
    s3 = boto3.client("s3")  # the harness's own credentials (an administrator)
    for bucket in (BUCKET, OTHER_BUCKET, MANAGED_BUCKET):
        s3.create_bucket(Bucket=bucket)
    try:
        yield stack
    finally:
        assert stack.roles is not None
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():  # a report for the reader, not a verdict
            print("\n" + stack.roles.report())
        stack.stop()


def eventually(check: Callable[[], Any], timeout_s: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return result


def stack_resources() -> dict[str, str]:
    cfn = boto3.client("cloudformation")
    summaries = cfn.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}


def function_role(logical_id: str) -> str:
    name = stack_resources()[logical_id]
    return str(boto3.client("lambda").get_function_configuration(FunctionName=name)["Role"])


def test_each_function_holds_its_own_roles_credentials(stack: LocalSamStack) -> None:
    assert stack.roles is not None
    logical = {"api": "ApiFunction", "manager": "ManagerFunction", "source_task": "SourceTaskFunction",
               "sink_task": "SinkTaskFunction"}  # fmt: skip
    assert {f: r.arn for f, r in stack.roles.roles.items()} == {f: function_role(lid) for f, lid in logical.items()}
    sink = stack.roles.roles["sink_task"].credentials
    identity = boto3.client("sts", aws_access_key_id=sink.access_key, aws_secret_access_key=sink.secret_key,
                            aws_session_token=sink.token).get_caller_identity()  # fmt: skip
    assert identity["Arn"].endswith(f"assumed-role/{stack.roles.roles['sink_task'].name}/sink_task")

    # moto itself checks S3 requests against the role's policies: the granted bucket only
    as_sink = boto3.client("s3", aws_access_key_id=sink.access_key, aws_secret_access_key=sink.secret_key,
                           aws_session_token=sink.token)  # fmt: skip
    as_sink.put_object(Bucket=BUCKET, Key="probe/allowed", Body=b"1")
    with pytest.raises(ClientError, match="AccessDenied"):
        as_sink.put_object(Bucket=OTHER_BUCKET, Key="probe/denied", Body=b"1")
    source = stack.roles.roles["source_task"].credentials
    as_source = boto3.client("s3", aws_access_key_id=source.access_key, aws_secret_access_key=source.secret_key,
                             aws_session_token=source.token)  # fmt: skip
    with pytest.raises(ClientError, match="AccessDenied"):  # the source role may read the bucket, not write it
        as_source.put_object(Bucket=BUCKET, Key="probe/denied", Body=b"1")


def test_a_users_managed_policy_reaches_both_task_roles(stack: LocalSamStack) -> None:
    """ConnectorManagedPolicyArns: the user's policy is attached to the task roles, and moto's access control
    lets the sink role write where only that policy grants it."""
    arn = stack.parameters["ConnectorManagedPolicyArns"]
    iam = boto3.client("iam")
    for logical in ("SourceTaskFunction", "SinkTaskFunction"):
        role = function_role(logical).rsplit("/", 1)[-1]
        assert arn in {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    for logical in ("ApiFunction", "ManagerFunction"):  # the control plane does not get it
        role = function_role(logical).rsplit("/", 1)[-1]
        assert arn not in {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert stack.roles is not None
    sink = stack.roles.roles["sink_task"].credentials
    as_sink = boto3.client("s3", aws_access_key_id=sink.access_key, aws_secret_access_key=sink.secret_key,
                           aws_session_token=sink.token)  # fmt: skip
    as_sink.put_object(Bucket=MANAGED_BUCKET, Key="probe/allowed", Body=b"1")
    with pytest.raises(ClientError, match="AccessDenied"):  # the policy grants writes only
        as_sink.delete_object(Bucket=MANAGED_BUCKET, Key="probe/allowed")


def s3_sink(name: str, topic: str) -> dict[str, Any]:
    return {"name": name, "config": {
        "connector.class": "io.confluent.connect.s3.S3SinkConnector", "tasks.max": "1", "topics": topic,
        "s3.bucket.name": BUCKET, "s3.region": "us-east-1", "flush.size": "10", "topics.dir": name,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false"}}  # fmt: skip


def test_a_removed_permission_fails_the_task_with_access_denied(stack: LocalSamStack) -> None:
    assert stack.endpoints is not None and stack.roles is not None
    client = ConnectClient(stack.endpoints.rest_url)
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    client.request("POST", "/connectors", {"name": f"{topic}-gen", "config": {
        "connector.class": "Datagen", "tasks.max": "1", "kafka.topic": topic, "quickstart": "orders",
        "max.records": "20", "connectless.source.schedule": "rate(2 seconds)",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false"}})  # fmt: skip
    client.request("POST", "/connectors", s3_sink(f"{topic}-s3", topic))
    s3 = boto3.client("s3")

    def written(prefix: str) -> int:
        return int(s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("KeyCount", 0))

    eventually(lambda: written(f"{topic}-s3/") == 2, 90, "the S3 sink's two objects")

    # remove the sink role's S3 permission: the policy the template attached for ConnectorS3Buckets
    sink_role = function_role("SinkTaskFunction").rsplit("/", 1)[-1]
    boto3.client("iam").detach_role_policy(RoleName=sink_role, PolicyArn=stack_resources()["SinkConnectorDataPolicy"])
    denied_sink = f"{topic}-s3-denied"
    client.request("POST", "/connectors", s3_sink(denied_sink, topic))  # a new group: reads the topic from its start

    def failed_trace() -> str | None:
        tasks = client.get(f"/connectors/{denied_sink}/status").get("tasks") or []
        return tasks[0].get("trace") if tasks and tasks[0]["state"] == "FAILED" else None

    trace = eventually(failed_trace, 90, "the task FAILED")
    assert "AccessDenied" in trace and "s3:PutObject" in trace
    assert written(f"{denied_sink}/") == 0
    denied = {(c.function, c.action) for c in stack.roles.denied()}
    assert denied == {("sink_task", "s3:PutObject")}
    used = set(stack.roles.used("sink_task"))
    assert "s3:PutObject" in used
    for name in (f"{topic}-gen", f"{topic}-s3", denied_sink):
        client.request("DELETE", f"/connectors/{name}")
    assert set(stack.roles.used("manager")) >= {"scheduler:CreateSchedule", "lambda:CreateAlias", "iam:PassRole"}
    assert os.environ.get("CONNECTLESS_SINK_FUNCTION_NAME")

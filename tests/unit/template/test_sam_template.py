"""template.yaml's contracts that cfn-lint cannot see: IAM without wildcard actions, the ASL's substitutions,
the layer/function architecture, the environment the library reads, and the event-source access JSON."""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectless.kafka import auth

ROOT = Path(__file__).resolve().parents[3]


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt, ...) as their long forms."""


def _tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _tag)
TEMPLATE: dict[str, Any] = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), CfnLoader)
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def walk(node: Any) -> Any:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def statements() -> list[dict[str, Any]]:
    return [n for n in walk(TEMPLATE) if isinstance(n, dict) and ("Action" in n or "NotAction" in n)]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- IAM -----------------------------------------------------------------------------------------------------
def test_no_wildcard_action_anywhere() -> None:
    actions = [a for s in statements() for a in as_list(s.get("Action", [])) + as_list(s.get("NotAction", []))]
    assert actions
    assert [a for a in actions if not isinstance(a, str) or "*" in a] == []
    assert all("NotAction" not in s for s in statements())


# The only actions granted on every resource: AWS offers them no resource-level permission (or scopes them
# with a condition key instead).
UNSCOPED_ALLOWED = {
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
    "lambda:ListEventSourceMappings",
    "lambda:CreateEventSourceMapping",
    "cloudwatch:GetMetricData",  # the console's throughput chart on AWS
    "glue:GetSchemaVersion",  # by version id, no registry in the request (awslabs/aws-glue-schema-registry#68)
}


def test_star_resources_only_where_aws_has_no_resource_level_permission() -> None:
    unscoped = {a for s in statements() if "*" in as_list(s.get("Resource", [])) for a in as_list(s["Action"])}
    assert unscoped <= UNSCOPED_ALLOWED


def test_glue_schema_registry_policy_is_scoped_to_the_registry_and_given_to_the_task_functions() -> None:
    policy = TEMPLATE["Resources"]["GlueSchemaRegistryPolicy"]
    assert policy["Condition"] == "HasGlueRegistry"
    scoped = policy["Properties"]["PolicyDocument"]["Statement"][0]
    assert "glue:RegisterSchemaVersion" in scoped["Action"]
    assert all("${GlueSchemaRegistryName}" in json.dumps(r) for r in scoped["Resource"])
    for function in ("SourceTaskFunction", "SinkTaskFunction"):
        assert "GlueSchemaRegistryPolicy" in json.dumps(TEMPLATE["Resources"][function]["Properties"]["Policies"])


def test_event_source_mapping_creation_is_scoped_to_the_sink_function() -> None:
    create = next(s for s in statements() if s.get("Action") == "lambda:CreateEventSourceMapping")
    assert "SinkTaskFunction.Arn" in json.dumps(create["Condition"])


# -- functions, layer, state machine, API --------------------------------------------------------------------
def test_four_functions_on_the_layer_with_app_lambda_handler() -> None:
    functions = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
    code = {v["Properties"]["CodeUri"] for v in functions.values()}
    assert code == {"functions/source_task/", "functions/sink_task/", "functions/manager/", "functions/api/"}
    glob = TEMPLATE["Globals"]["Function"]
    assert glob["Handler"] == "app.lambda_handler" and glob["Runtime"] == "python3.13"
    assert glob["Layers"] == [{"Ref": "ConnectlessLayer"}]


def test_layer_is_built_for_the_functions_architecture() -> None:
    layer = RESOURCES["ConnectlessLayer"]
    archs = TEMPLATE["Globals"]["Function"]["Architectures"]
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert layer["Properties"]["CompatibleArchitectures"] == archs == [layer["Metadata"]["BuildArchitecture"]]
    # shared/Makefile builds it (SAM's python build method drops connectless.native's .so): for the functions' runtime
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    makefile = (ROOT / "shared" / "Makefile").read_text(encoding="utf-8")
    runtime = TEMPLATE["Globals"]["Function"]["Runtime"]  # python3.13
    assert "build-ConnectlessLayer:" in makefile and f"--python-version {runtime.removeprefix('python')}" in makefile
    # every C module's arm64 build for that runtime is checked for in the layer
    assert f".cpython-{runtime.removeprefix('python').replace('.', '')}-aarch64-linux-gnu.so" in makefile
    modules = sorted(p.stem for p in (ROOT / "shared" / "connectless" / "native").glob("_*.c"))
    looped = re.search(r"for module in ([\w ]+);", makefile)
    assert modules and looped is not None and sorted(looped.group(1).split()) == modules


def test_state_machine_substitutes_every_placeholder_of_the_asl() -> None:
    machine = RESOURCES["ConnectorManagerStateMachine"]["Properties"]
    asl = (ROOT / machine["DefinitionUri"]).read_text(encoding="utf-8")
    json.loads(asl)
    assert set(re.findall(r"\$\{(\w+)\}", asl)) == set(machine["DefinitionSubstitutions"])


def test_rest_api_signs_with_iam_by_default() -> None:
    api = RESOURCES["ConnectApi"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    events = RESOURCES["ApiFunction"]["Properties"]["Events"]
    assert {e["Properties"]["Path"] for e in events.values()} == {"/", "/{proxy+}"}


def test_library_environment_is_set_for_every_function() -> None:
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    expected = {auth.AUTH_ENV, auth.SECRET_ENV, auth.CA_SECRET_ENV, "KAFKA_BOOTSTRAP_SERVERS"}
    expected |= {f"CONNECTLESS_{t}_TOPIC" for t in ("CONFIG", "OFFSETS", "STATUS")}
    assert expected <= set(variables)
    assert set(TEMPLATE["Parameters"]["KafkaAuth"]["AllowedValues"]) == set(auth.MODES)


def test_alarms_on_dead_letters_and_task_failures() -> None:
    queries = " ".join(m.get("Expression", {}).get("Fn::Sub", "") for n in walk(RESOURCES) if isinstance(n, dict)
                       for m in n.get("Metrics", []) if isinstance(m, dict))  # fmt: skip
    assert "SUM(RecordsDeadLettered) FROM Connectless" in queries
    assert "SUM(TaskFailures) FROM Connectless" in queries


def test_outputs() -> None:
    assert {"ApiUrl", "StateMachineArn", "LayerArn"} <= set(TEMPLATE["Outputs"])
    assert {f"{f}FunctionArn" for f in ("SourceTask", "SinkTask", "Manager", "Api")} <= set(TEMPLATE["Outputs"])


def test_samconfig_has_the_three_environments() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    for env in ("dev", "staging", "prod"):
        params = config[env]["deploy"]["parameters"]
        assert f"Environment={env}" in params["parameter_overrides"]
    assert set(TEMPLATE["Parameters"]["Environment"]["AllowedValues"]) == {"dev", "staging", "prod"}


# -- the manager's SourceAccessConfigurations, evaluated as CloudFormation would -----------------------------
class Evaluator:
    def __init__(self, params: dict[str, Any]) -> None:
        self.params = {k: v.get("Default") for k, v in TEMPLATE["Parameters"].items()} | params
        for name, spec in TEMPLATE["Parameters"].items():
            if spec["Type"] == "CommaDelimitedList" and isinstance(self.params[name], str):
                self.params[name] = self.params[name].split(",")

    def condition(self, name: str) -> bool:
        return bool(self.eval(TEMPLATE["Conditions"][name]))

    def eval(self, node: Any) -> Any:  # noqa: C901, PLR0911 - one branch per intrinsic
        if isinstance(node, list):
            return [self.eval(n) for n in node]
        if not isinstance(node, dict) or len(node) != 1:
            return node
        (fn, arg), = node.items()  # fmt: skip
        if fn == "Ref":
            return self.params[arg]
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::If":
            return self.eval(arg[1] if self.condition(arg[0]) else arg[2])
        if fn == "Fn::Equals":
            return self.eval(arg[0]) == self.eval(arg[1])
        if fn == "Fn::Not":
            return not self.eval(arg[0])
        if fn == "Fn::And":
            return all(self.eval(a) for a in arg)
        if fn == "Fn::Or":
            return any(self.eval(a) for a in arg)
        if fn == "Fn::Join":
            return self.eval(arg[0]).join(self.eval(arg[1]))
        if fn == "Fn::FindInMap":
            return TEMPLATE["Mappings"][arg[0]][self.eval(arg[1])][arg[2]]
        if fn == "Fn::Sub":
            text, names = (arg, {}) if isinstance(arg, str) else (arg[0], {k: self.eval(v) for k, v in arg[1].items()})
            return re.sub(r"\$\{([\w:]+)\}", lambda m: str(names.get(m.group(1), self.params.get(m.group(1)))), text)
        raise AssertionError(f"unexpected {fn}")


ACCESS = RESOURCES["ManagerFunction"]["Properties"]["Environment"]["Variables"]["CONNECTLESS_KAFKA_ACCESS_CONFIG"]
SECRET = "arn:aws:secretsmanager:eu-west-1:1:secret:AmazonMSK_x-AbC"
CA = "arn:aws:secretsmanager:eu-west-1:1:secret:ca-AbC"
MSK = "arn:aws:kafka:eu-west-1:1:cluster/demo/uuid-1"


@pytest.mark.parametrize(
    ("mode", "secret", "ca", "msk", "subnets"),
    list(
        itertools.product(
            ["msk-iam", "scram-sha-512", "mtls", "tls", "none"],
            [SECRET, ""],
            [CA, ""],
            [MSK, ""],
            ["subnet-1,subnet-2", ""],
        )
    ),  # fmt: skip
)
def test_event_source_access_configurations(mode: str, secret: str, ca: str, msk: str, subnets: str) -> None:
    params = {"KafkaAuth": mode, "KafkaSecretArn": secret, "KafkaCaSecretArn": ca, "MskClusterArn": msk,
              "SubnetIds": subnets, "SecurityGroupIds": "sg-1" if subnets else ""}  # fmt: skip
    got = json.loads(Evaluator(params).eval(ACCESS))
    expected = []
    if secret and mode in ("scram-sha-512", "mtls"):
        kind = "SASL_SCRAM_512_AUTH" if mode == "scram-sha-512" else "CLIENT_CERTIFICATE_TLS_AUTH"
        expected.append({"Type": kind, "URI": secret})
    if ca and not msk:
        expected.append({"Type": "SERVER_ROOT_CA_CERTIFICATE", "URI": CA})
    if subnets and not msk:
        expected += [{"Type": "VPC_SUBNET", "URI": "subnet:subnet-1"}, {"Type": "VPC_SUBNET", "URI": "subnet:subnet-2"}]
        expected.append({"Type": "VPC_SECURITY_GROUP", "URI": "security_group:sg-1"})
    assert got == expected


def test_the_sink_function_starts_through_the_layers_wrapper_script() -> None:
    """SinkRuntimeClient=connectless (the default): AWS_LAMBDA_EXEC_WRAPPER names the layer's wrapper script, which
    exists in shared/ (the layer's /opt/python) and is executable; managed leaves the variable out."""
    variables = RESOURCES["SinkTaskFunction"]["Properties"]["Environment"]["Variables"]
    condition, wrapper, otherwise = variables["AWS_LAMBDA_EXEC_WRAPPER"]["Fn::If"]
    assert otherwise == {"Ref": "AWS::NoValue"}
    assert TEMPLATE["Conditions"][condition] == {"Fn::Equals": [{"Ref": "SinkRuntimeClient"}, "connectless"]}
    assert TEMPLATE["Parameters"]["SinkRuntimeClient"]["Default"] == "connectless"
    assert wrapper.startswith("/opt/python/")
    script = ROOT / "shared" / wrapper.removeprefix("/opt/python/")
    assert script.is_file() and script.stat().st_mode & 0o111, script
    assert "AWS_LAMBDA_EXEC_WRAPPER" not in json.dumps(RESOURCES["SourceTaskFunction"])

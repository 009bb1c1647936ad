"""template.yaml -> the CloudFormation template that moto can create: the same stack, made local.

1. The parameters are fixed and every Condition, Fn::If and AWS::NoValue resolved here (moto keeps a NoValue
   inside a list, which real CloudFormation drops), with the resources and outputs of false conditions gone.
2. aws-sam-translator turns the SAM resources into CloudFormation, as `sam deploy` does.
3. Code goes to moto's S3 (CodeUri, ContentUri), and the state machine gets the real ASL with its
   DefinitionSubstitutions as a Fn::Sub, which moto resolves (it ignores DefinitionSubstitutions itself).
4. API Gateway is left out (with what refers to it): the local REST adapter serves the API function instead.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = ROOT / "template.yaml"
_DROP = object()  # AWS::NoValue, removed from the dict or list that holds it
SERVED_LOCALLY = ("AWS::ApiGateway::",)


class TemplateError(ValueError):
    """The template uses something this local translation does not resolve."""


def load(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return dict(yaml_parse(path.read_text(encoding="utf-8")))


class _Resolver:
    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.template = template
        self.params: dict[str, Any] = {}
        for name, spec in (template.get("Parameters") or {}).items():
            value = parameters.get(name, spec.get("Default"))
            if value is None:
                raise TemplateError(f"parameter {name} has no value")
            value = str(value)
            self.params[name] = (
                [v for v in value.split(",") if v] if spec.get("Type") == "CommaDelimitedList" else value
            )
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self._conditions[name]

    def value(self, node: Any) -> Any:  # noqa: PLR0911 - one branch per function of a condition
        """The value of an expression of parameters: Ref, Sub, Join, Select, Split, FindInMap, conditions, logic."""
        if not isinstance(node, dict):
            return node
        (fn, arg), = node.items()  # fmt: skip
        if fn == "Ref":
            return self.params[arg]
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::Equals":
            return self.value(arg[0]) == self.value(arg[1])
        if fn == "Fn::Not":
            return not self.value(arg[0])
        if fn == "Fn::And":
            return all(self.value(a) for a in arg)
        if fn == "Fn::Or":
            return any(self.value(a) for a in arg)
        if fn == "Fn::Join":
            return self.value(arg[0]).join(str(self.value(v)) for v in self.value(arg[1]))
        if fn == "Fn::Select":
            return self.value(arg[1])[int(self.value(arg[0]))]
        if fn == "Fn::Split":
            return str(self.value(arg[1])).split(self.value(arg[0]))
        if fn == "Fn::Sub" and isinstance(arg, str):  # parameters only
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self.params[m.group(1)]), arg)
        if fn == "Fn::FindInMap":
            return self.template["Mappings"][self.value(arg[0])][self.value(arg[1])][self.value(arg[2])]
        raise TemplateError(f"{fn} in a condition")

    def walk(self, node: Any) -> Any:
        """`node` with every Fn::If decided and every AWS::NoValue dropped."""
        if isinstance(node, list):
            return [v for v in (self.walk(n) for n in node) if v is not _DROP]
        if not isinstance(node, dict):
            return node
        if node == {"Ref": "AWS::NoValue"}:
            return _DROP
        if set(node) == {"Fn::If"}:
            name, then, otherwise = node["Fn::If"]
            return self.walk(then if self.condition(name) else otherwise)
        return {k: v for k, v in ((k, self.walk(v)) for k, v in node.items()) if v is not _DROP}


def resolve_value(template: Mapping[str, Any], parameters: Mapping[str, str], node: Any) -> Any:
    """A value built from parameters only (Ref, Sub, Join, Select, Split, ...), as CloudFormation computes it."""
    return _Resolver(template, parameters).value(node)


def _inline_schedule_groups(template: dict[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    """moto's CloudFormation has no AWS::Scheduler::ScheduleGroup, so a Ref to one (or ${Group} in a Sub) would
    stay unresolved; its Ref is its name, which the parameters decide: put the name in."""
    names = {logical: str(resolve_value(template, parameters, body["Properties"]["Name"]))
             for logical, body in template["Resources"].items()
             if body["Type"] == "AWS::Scheduler::ScheduleGroup"}  # fmt: skip

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(n) for n in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"} and node["Ref"] in names:
            return names[node["Ref"]]
        if set(node) == {"Fn::Sub"}:
            arg = node["Fn::Sub"]
            text = arg if isinstance(arg, str) else arg[0]
            for logical, name in names.items():
                text = text.replace("${" + logical + "}", name)
            return {"Fn::Sub": text if isinstance(arg, str) else [text, inline(arg[1])]}
        return {k: inline(v) for k, v in node.items()}

    template["Resources"] = {k: v if k in names else inline(v) for k, v in template["Resources"].items()}
    template["Outputs"] = {k: inline(v) for k, v in (template.get("Outputs") or {}).items()}
    return template


def resolve_conditions(template: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    """The template for these parameter values: no Conditions, Fn::If or AWS::NoValue left."""
    resolver = _Resolver(template, parameters)
    out = {k: v for k, v in template.items() if k not in ("Conditions", "Rules")}
    for section in ("Resources", "Outputs"):
        kept = {name: body for name, body in (template.get(section) or {}).items()
                if "Condition" not in body or resolver.condition(body["Condition"])}  # fmt: skip
        out[section] = {name: {k: v for k, v in resolver.walk(body).items() if k != "Condition"}
                        for name, body in kept.items()}  # fmt: skip
    if "Globals" in template:
        out["Globals"] = resolver.walk(template["Globals"])
    return out


class StaticPolicyLoader:
    """The AWS managed policies SAM attaches by name (the translator asks IAM otherwise)."""

    def load(self) -> dict[str, str]:
        names = {"AWSLambdaBasicExecutionRole": "service-role/", "AWSXrayWriteOnlyAccess": "",
                 "AWSLambdaVPCAccessExecutionRole": "service-role/", "AWSLambdaRole": "service-role/"}  # fmt: skip
        return {name: f"arn:aws:iam::aws:policy/{prefix}{name}" for name, prefix in names.items()}


def zip_directory(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                archive.write(file, file.relative_to(path))
    return buffer.getvalue()


def translate(template: dict[str, Any], parameters: Mapping[str, str], s3: Any, bucket: str,
              root: Path = ROOT) -> dict[str, Any]:  # fmt: skip
    """The CloudFormation template moto creates; code is uploaded to `bucket` on the way."""
    from samtranslator.translator.transform import transform

    template = _inline_schedule_groups(resolve_conditions(template, parameters), parameters)
    definitions: dict[str, str] = {}
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                s3.put_object(Bucket=bucket, Key=name, Body=zip_directory(root / props[key]))
                props[key] = f"s3://{bucket}/{name}"
        if isinstance(props.get("DefinitionUri"), str):
            definitions[name] = (root / props["DefinitionUri"]).read_text(encoding="utf-8")
            props["DefinitionUri"] = f"s3://{bucket}/{name}.asl.json"
    translated = dict(transform(template, dict(parameters), StaticPolicyLoader()))
    for name, asl in definitions.items():
        props = translated["Resources"][name]["Properties"]
        props.pop("DefinitionS3Location", None)
        json.loads(asl)  # the real file, valid JSON
        props["DefinitionString"] = {"Fn::Sub": [asl, props.pop("DefinitionSubstitutions", {})]}
    return _without_api_gateway(translated)


def _refers_to(node: Any, names: set[str]) -> bool:
    text = json.dumps(node)
    return any(f'"{n}"' in text or f'"{n}.' in text or "${" + n in text for n in names)


def _without_api_gateway(template: dict[str, Any]) -> dict[str, Any]:
    resources = template["Resources"]
    gone = {n for n, r in resources.items() if r["Type"].startswith(SERVED_LOCALLY)}
    while True:  # and whatever refers to them (the API's invoke permissions)
        more = {n for n, r in resources.items() if n not in gone and _refers_to(r, gone)}
        if not more:
            break
        gone |= more
    template["Resources"] = {n: r for n, r in resources.items() if n not in gone}
    template["Outputs"] = {n: o for n, o in (template.get("Outputs") or {}).items() if not _refers_to(o, gone)}
    return template

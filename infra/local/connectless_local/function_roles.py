"""`local up`'s functions under their own roles, as on Lambda, with IAM enforced on every AWS call they make.

On Lambda each function runs with temporary credentials of the execution role the template gave it. `local up`
runs every handler in one process, so:

- `FunctionRoles.assume(function, role_arn)` calls sts:AssumeRole on the role the stack created (its ARN read
  from the function's configuration) and keeps the temporary credentials;
- `FunctionRoles.bind(function, handler)` wraps a handler: while it runs, every boto3 client of this process
  signs with that function's credentials (the default session's credentials resolve per request from a context
  variable), whoever created the client;
- `FunctionRoles.install()` puts those credentials and a botocore `before-parameter-build` hook on boto3's default
  session. The hook works out the IAM action and resource of each call a function makes, evaluates the
  function role's policies as IAM holds them (read back from the endpoint's IAM), and fails a call they do not
  allow with AccessDenied naming the action, as AWS answers. Every call is recorded: `report()` lists them and
  every granted action that no call used.

Why a hook and not moto alone: moto 5.2.5 evaluates non-S3 actions against the resource "*" only (so a statement
scoped to an ARN never allows anything) and fails the SigV4 check of REST-JSON paths (Lambda, Scheduler). It does
evaluate S3 requests against their bucket and key, and sts:AssumeRole against the trust policy, and `local up`
leaves that on (see local_up.LocalSamStack._enforce_iam): S3 is checked twice, by moto and here.

Evaluated: Allow and Deny, Action/NotAction and Resource with `*` and `?`, and the condition operators
String(Not)Equals/Like and Arn(Not)Equals/Like on the keys this module knows (aws:ResourceAccount,
aws:RequestedRegion, lambda:FunctionArn, iam:PassedToService); a condition on another key counts as met and is
noted in the report.
"""

from __future__ import annotations

import ast
import contextvars
import fnmatch
import functools
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.credentials import CredentialProvider, Credentials, ReadOnlyCredentials
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("connectless_local_function", default=None)

# Operations whose IAM action differs from the operation's name (service prefix: the signing name).
_ACTION_NAMES = {
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("lambda", "Invoke"): "InvokeFunction",
}
_KNOWN_CONDITION_KEYS = {"aws:resourceaccount", "aws:requestedregion", "lambda:functionarn", "iam:passedtoservice"}
POLICY_TTL_S = 1.0  # a policy changed at the endpoint (a test detaching one) applies within this


@dataclass(frozen=True)
class AwsCall:
    """One IAM authorisation a function's call needed."""

    function: str
    action: str
    resource: str
    allowed: bool


@dataclass
class _Role:
    arn: str
    name: str
    credentials: Credentials
    statements: list[dict[str, Any]] = field(default_factory=list)
    read_at: float = float("-inf")
    granted: set[str] = field(default_factory=set)


class _PerFunctionCredentials(Credentials):
    """The running function's role credentials; outside any function, the process's own."""

    def __init__(self, roles: FunctionRoles, own: Credentials) -> None:  # no super().__init__: values resolve late
        self._roles = roles
        self._own = own
        self.method = "connectless-local-function-role"

    def _current(self) -> Credentials:
        name = _function.get()
        role = self._roles.roles.get(name) if name else None
        return role.credentials if role else self._own

    @property
    def access_key(self) -> str:
        return str(self._current().access_key)

    @property
    def secret_key(self) -> str:
        return str(self._current().secret_key)

    @property
    def token(self) -> str | None:
        return self._current().token

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        return self._current().get_frozen_credentials()


class _Provider(CredentialProvider):
    METHOD = "connectless-local-function-role"
    CANONICAL_NAME = "ConnectlessLocalFunctionRole"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


class FunctionRoles:
    """The function roles of one `local up` run; see the module docstring.

    Example:
        roles = FunctionRoles(region="us-east-1", account="123456789012", admin=boto3.session.Session())
        roles.assume("sink_task", "arn:aws:iam::123456789012:role/connectless-local-SinkTaskFunctionRole-X")
        restore = roles.install()
        handler = roles.bind("sink_task", app.lambda_handler)
    """

    def __init__(self, region: str, account: str, admin: Any) -> None:
        self.region = region
        self.account = account
        self._admin = admin  # a boto3 Session with the process's own credentials and none of our hooks
        self._iam = admin.client("iam")
        self.roles: dict[str, _Role] = {}
        self.calls: dict[AwsCall, int] = defaultdict(int)
        self.unevaluated: set[str] = set()  # condition keys met by default, for the report
        self._lock = threading.Lock()

    # -- credentials ----------------------------------------------------------------------------------
    def assume(self, function: str, role_arn: str) -> None:
        """sts:AssumeRole on `role_arn` for `function`, as Lambda does for its execution role."""
        sts = self._admin.client("sts")
        issued = sts.assume_role(RoleArn=role_arn, RoleSessionName=function[:64])["Credentials"]
        credentials = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
        self.roles[function] = _Role(role_arn, role_arn.rsplit("/", 1)[-1], credentials)

    def install(self) -> Callable[[], None]:
        """Make boto3's default session resolve credentials per function and check each call; returns the undo."""
        import boto3
        import botocore.session

        saved = boto3.DEFAULT_SESSION
        session = botocore.session.get_session()
        own = self._admin.get_credentials()
        session.get_component("credential_provider").insert_before("env", _Provider(_PerFunctionCredentials(self, own)))
        session.register("before-parameter-build", self._before_call)
        boto3.setup_default_session(botocore_session=session, region_name=self.region)

        def undo() -> None:
            boto3.DEFAULT_SESSION = saved

        return undo

    def bind(self, function: str, handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        """`handler` running as `function`: its AWS calls sign with the function's role and are checked."""

        @functools.wraps(handler)
        def as_function(event: Any, context: Any) -> Any:
            token = _function.set(function)
            try:
                return handler(event, context)
            finally:
                _function.reset(token)

        return as_function

    # -- the check ------------------------------------------------------------------------------------
    def _before_call(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        function = _function.get()
        role = self.roles.get(function) if function else None
        if function is None or role is None:
            return  # the harness itself (stack, runtime): its own credentials, unchecked
        prefix = model.service_model.signing_name
        action = f"{prefix}:{_ACTION_NAMES.get((prefix, model.name), model.name)}"
        context = {"aws:resourceaccount": self.account, "aws:requestedregion": self.region}
        checks = [(action, resource) for resource in self._resources(prefix, model.name, params)]
        function_arn = self._function_arn(prefix, model.name, params)
        if function_arn:
            context["lambda:functionarn"] = function_arn
        passed_role = (params.get("Target") or {}).get("RoleArn") if prefix == "scheduler" else None
        if passed_role:  # CreateSchedule/UpdateSchedule pass the scheduler role: iam:PassRole, as AWS checks
            checks.append(("iam:PassRole", passed_role))
            context["iam:passedtoservice"] = "scheduler.amazonaws.com"
        statements = self._statements(role)
        for checked_action, resource in checks:
            allowed = self._allowed(statements, checked_action, resource, context)
            with self._lock:
                self.calls[AwsCall(function, checked_action, resource, allowed)] += 1
            if not allowed:
                raise ClientError(
                    {
                        "Error": {
                            "Code": "AccessDeniedException",
                            "Message": (
                                f"User: arn:aws:sts::{self.account}:assumed-role/{role.name}/{function} is not "
                                f"authorized to perform: {checked_action} on resource: {resource} because no "
                                "identity-based policy allows the action"
                            ),
                        },
                        "ResponseMetadata": {"HTTPStatusCode": 403},
                    },
                    model.name,
                )

    def _statements(self, role: _Role) -> list[dict[str, Any]]:
        with self._lock:
            if time.monotonic() - role.read_at < POLICY_TTL_S:
                return role.statements
        statements: list[dict[str, Any]] = []
        for name in self._iam.list_role_policies(RoleName=role.name)["PolicyNames"]:
            statements += _statements_of(
                self._iam.get_role_policy(RoleName=role.name, PolicyName=name)["PolicyDocument"]
            )
        for attached in self._iam.list_attached_role_policies(RoleName=role.name)["AttachedPolicies"]:
            version = self._iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            document = self._iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)
            statements += _statements_of(document["PolicyVersion"]["Document"])
        with self._lock:
            role.statements, role.read_at = statements, time.monotonic()
            for statement in statements:  # what the role was granted at any time of the run
                if statement.get("Effect") == "Allow":
                    role.granted.update(_as_list(statement.get("Action")))
        return statements

    def _allowed(
        self, statements: list[dict[str, Any]], action: str, resource: str, context: Mapping[str, str]
    ) -> bool:
        allowed = False
        for statement in statements:
            if not _matches_action(statement, action) or not _matches_resource(statement, resource):
                continue
            if not self._conditions_met(statement.get("Condition") or {}, context):
                continue
            if statement.get("Effect") == "Deny":
                return False
            allowed = True
        return allowed

    def _conditions_met(self, conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
        for operator, tests in conditions.items():
            for key, expected in tests.items():
                if not operator.removesuffix("IfExists").startswith(("String", "Arn")):
                    self.unevaluated.add(f"{operator} {key}")
                    continue
                if key.lower() not in _KNOWN_CONDITION_KEYS or key.lower() not in context:
                    self.unevaluated.add(f"{operator} {key}")
                    continue
                if not _condition(operator, context[key.lower()], _as_list(expected)):
                    return False
        return True

    # -- resources ------------------------------------------------------------------------------------
    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    def _function_arn(self, prefix: str, operation: str, params: Mapping[str, Any]) -> str | None:
        if prefix != "lambda":
            return None
        name = params.get("FunctionName")
        if not name and "UUID" in params:  # a mapping's function, as lambda:FunctionArn holds it
            try:
                found = self._admin.client("lambda").get_event_source_mapping(UUID=params["UUID"])
            except ClientError:
                return None
            name = found.get("FunctionArn")
        if not name:
            return None
        arn = name if str(name).startswith("arn:") else self._arn("lambda", f"function:{name}")
        qualifier = params.get("Qualifier")
        return f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn

    def _resources(self, prefix: str, operation: str, params: Mapping[str, Any]) -> list[str]:
        """The ARNs IAM authorises the call on ("*" for actions without resource-level permissions)."""
        if prefix == "s3" and "Bucket" in params:
            key = params.get("Key")
            return [f"arn:aws:s3:::{params['Bucket']}" + (f"/{key}" if key else "")]
        if prefix == "dynamodb":
            tables = [params["TableName"]] if "TableName" in params else list(params.get("RequestItems") or [])
            return [self._arn("dynamodb", f"table/{t}") for t in tables] or ["*"]
        if prefix == "secretsmanager" and "SecretId" in params:
            secret = str(params["SecretId"])
            return [secret if secret.startswith("arn:") else self._arn("secretsmanager", f"secret:{secret}-AbCdEf")]
        if prefix == "ssm" and ("Name" in params or "Names" in params):
            names = [params["Name"]] if "Name" in params else list(params["Names"])
            return [self._arn("ssm", f"parameter/{str(n).lstrip('/')}") for n in names]
        if prefix == "states":
            for key in ("stateMachineArn", "executionArn"):
                if key in params:
                    return [str(params[key])]
        if prefix == "scheduler" and "Name" in params and operation.endswith("Schedule"):
            return [self._arn("scheduler", f"schedule/{params.get('GroupName') or 'default'}/{params['Name']}")]
        if prefix == "lambda":
            if "UUID" in params:
                return [self._arn("lambda", f"event-source-mapping:{params['UUID']}")]
            arn = self._function_arn(prefix, operation, params)
            if arn and operation.endswith("Alias") and "Name" in params:
                return [f"{arn}:{params['Name']}"]
            if arn and operation not in {"CreateEventSourceMapping", "ListEventSourceMappings"}:
                return [arn]
        if prefix == "kms" and "KeyId" in params:
            key = str(params["KeyId"])
            return [key if key.startswith("arn:") else self._arn("kms", f"key/{key}")]
        return ["*"]

    # -- the report -----------------------------------------------------------------------------------
    def granted(self) -> dict[str, set[str]]:
        """Per function, the actions its role's policies allowed during the run, as written (the template has
        no wildcard action; one would be listed as it stands)."""
        for role in self.roles.values():
            role.read_at = float("-inf")
            self._statements(role)
        return {function: set(role.granted) for function, role in self.roles.items()}

    def report(self) -> str:
        """Every call per function with its verdict, then the granted actions no call used."""
        lines = ["IAM check of `local up` (each function under its own role):"]
        used: dict[str, set[str]] = defaultdict(set)
        for call, count in sorted(self.calls.items(), key=lambda item: (item[0].function, item[0].action)):
            verdict = "allowed" if call.allowed else "DENIED"
            lines.append(f"  {call.function}: {call.action} on {call.resource} x{count}: {verdict}")
            used[call.function].add(call.action.lower())
        for function, actions in sorted(self.granted().items()):
            unused = sorted(a for a in actions if a.lower() not in used[function])
            lines.append(f"  {function}: granted, unused in this run: {', '.join(unused) or 'none'}")
        if self.unevaluated:
            lines.append(f"  conditions counted as met (keys not known here): {', '.join(sorted(self.unevaluated))}")
        return "\n".join(lines)

    def denied(self) -> list[AwsCall]:
        return [call for call in self.calls if not call.allowed]

    def used(self, function: str) -> Iterator[str]:
        return (call.action for call in self.calls if call.function == function)


def _statements_of(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str):
        import json
        import urllib.parse

        text = urllib.parse.unquote(document)
        try:
            document = json.loads(text)
        except ValueError:  # moto's CloudFormation stores a role's inline policies as Python's repr of the dict
            document = ast.literal_eval(text)
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _matches_action(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_glob(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    return any(_glob(p, action, ignore_case=True) for p in _as_list(statement.get("Action")))


def _matches_resource(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(_glob(p, resource) for p in _as_list(statement["NotResource"]))
    patterns = _as_list(statement.get("Resource"))
    return any(p == "*" or _glob(p, resource) for p in patterns)


def _condition(operator: str, actual: str, expected: list[str]) -> bool:
    base = operator.removesuffix("IfExists")
    negate = "Not" in base
    if base.startswith(("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals")):
        met = any(_glob(e, actual) for e in expected)
    elif base.startswith(("StringEquals", "StringNotEquals")):
        met = actual in expected
    else:
        met = actual in expected
    return not met if negate else met

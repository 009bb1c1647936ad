"""Step Functions in moto with Lambda tasks run in this process (local runtime and tests only).

moto's executor (config stepfunctions.execute_state_machine) invokes Lambda through moto's Lambda API;
with use_docker off that is LambdaSimpleBackend, whose `invoke` is routed here to Python handlers.

Example:
    with mock_aws(config=MOTO_CONFIG), InProcessLambdas() as lambdas:
        arn = lambdas.register("manager", manager_app.lambda_handler)
        machine = create_state_machine(ASL_PATH, {"ManagerFunctionArn": arn})
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectless.runtime.lambda_context import EmulatedLambdaContext

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
ASL_PATH = Path(__file__).resolve().parents[2] / "statemachine" / "connector_manager.asl.json"
REGION = "us-east-1"


class InProcessLambdas:
    """Registers Python handlers as moto Lambda functions and routes their invocations in-process."""

    def __init__(self, region: str = REGION) -> None:
        self.region = region
        self.handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._original: Any = None

    def __enter__(self) -> InProcessLambdas:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        self._original = LambdaSimpleBackend.invoke
        lambdas = self

        def invoke(backend: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
                   response_headers: Any) -> bytes:  # fmt: skip
            return lambdas._invoke(backend, function_name, qualifier, body, response_headers)

        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        from moto.awslambda_simple.models import LambdaSimpleBackend

        LambdaSimpleBackend.invoke = self._original  # type: ignore[method-assign]

    def register(self, name: str, handler: Callable[[Any, Any], Any]) -> str:
        """Create function `name` in moto and route it to `handler`; returns its ARN."""
        import boto3

        iam = boto3.client("iam", region_name=self.region)
        try:
            role = iam.get_role(RoleName="connectless-local")["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName="connectless-local", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        created = boto3.client("lambda", region_name=self.region).create_function(
            FunctionName=name, Runtime="python3.13", Role=role, Handler="app.lambda_handler",
            Code={"ZipFile": b"in-process"},
        )  # fmt: skip
        self.handlers[name] = handler
        return str(created["FunctionArn"])

    def _invoke(self, backend: Any, function_name: str, qualifier: str | None, body: Any,
                response_headers: dict[str, str]) -> bytes:  # fmt: skip
        name = function_name.split(":")[6] if function_name.startswith("arn:") else function_name
        handler = self.handlers.get(name)
        if handler is None:
            return str(body or "").encode()
        arn = f"arn:aws:lambda:{self.region}:{backend.account_id}:function:{name}"
        event = json.loads(body) if body else {}
        try:
            return json.dumps(handler(event, EmulatedLambdaContext(name, None, invoked_function_arn=arn))).encode()
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }).encode()  # fmt: skip


def create_state_machine(substitutions: Mapping[str, str], name: str = "connector_manager",
                         region: str = REGION, path: Path = ASL_PATH) -> str:  # fmt: skip
    """Create the state machine from the ASL file, doing SAM's DefinitionSubstitutions; returns its ARN."""
    import boto3

    definition = path.read_text()
    for key, value in substitutions.items():
        definition = definition.replace("${" + key + "}", value)
    iam = boto3.client("iam", region_name=region)
    try:
        role = iam.get_role(RoleName="connectless-states")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="connectless-states", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    created = boto3.client("stepfunctions", region_name=region).create_state_machine(
        name=name, definition=definition, roleArn=role
    )
    return str(created["stateMachineArn"])

"""`connectless local up`: the SAM stack on one machine, without Docker and without an AWS account.

What runs, in start order (stop undoes it in reverse):
1. moto's server on 127.0.0.1 (every boto3 client of this process goes there, through AWS_ENDPOINT_URL),
   with Step Functions executing state machines and Lambda invocations routed to the handlers in-process;
   or, with an external endpoint (`aws_endpoint_url`: LocalStack, another moto server) or an AWS profile, no
   moto at all: see "External endpoint" below;
2. Kafka: the broker in KAFKA_BOOTSTRAP_SERVERS, or the embedded one;
3. the stack: template.yaml translated with aws-sam-translator and created by moto's CloudFormation; the
   functions' environment (as the stack resolved it) becomes this process's; under moto, IAM as on AWS: each
   function assumes the role the stack gave it, moto's access control goes on, and every AWS call a handler
   makes is checked against its role's policies (function_roles.py);
4. the connector manager: the real ASL, run by moto, calls the manager handler, whose AWS backend creates
   schedules in moto's EventBridge Scheduler, the sink alias in moto's Lambda and the Kafka event-source
   mappings there too (moto's Lambda extended with them, AWS's rules enforced: event_source_mappings.py);
5. the local runtime: it reads the schedules, and the mappings with ListEventSourceMappings, every second and
   at each change of a mapping, and runs them: the source handler at each schedule's rate, an
   event-source-mapping emulator per Enabled mapping calling the sink handler; as AWS's pollers do, it
   completes each mapping's transition (Creating, Updating, Enabling, Disabling, Deleting) once applied;
6. the REST API: the api handler behind the local adapter on 127.0.0.1:--rest-port.

External endpoint (AWS_ENDPOINT_URL, or AWS_PROFILE / the standard credential chain, given to the command):
the same steps through boto3 against that endpoint, minus moto. The stack is created (or updated when it exists)
there, code uploaded to an artifacts bucket there; the functions' environment is read back from there; the
schedule group, the connectors' schedules and the sink aliases are created there by the manager's AWS backend.
What the endpoint is not asked to run is the Lambda code: the api, manager, source and sink handlers run in
this process, as in moto mode. The state machine is created there but its executions are not started there
(it would invoke the endpoint's functions): each manager request runs the ASL's steps in this process, in the
ASL's order with its Catch (executor.run_steps). Kafka event-source mappings are answered in this process
(the same emulated API, attached to this process's Lambda clients), and schedules fire in it. Stopping
deletes what this run created there (the stack, the artifacts bucket, the
schedule group with its schedules); a stack that existed already is updated, and left when stopping.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectless_local import stack_template
from connectless_local.event_source_mappings import (
    TRANSITIONAL,
    KafkaEventSourceMappings,
    attach_to_client,
    install_in_moto,
    mapping_config,
    store_for,
)
from connectless_local.function_roles import FunctionRoles

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType

    from connectless.standalone.esm_emulator import EventSourceMappingEmulator
    from connectless.standalone.scheduler import LocalScheduler

log = logging.getLogger("connectless.local")

REGION = "us-east-1"
STACK_NAME = "connectless-local"
ARTIFACTS_BUCKET = "connectless-local-artifacts"
ADMIN_USER = "connectless-local-admin"
STATE_FILE = Path(os.environ.get("CONNECTLESS_LOCAL_STATE") or Path.home() / ".cache/connectless/local-up.json")
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@dataclass
class LocalEndpoints:
    """What `local status` and `local down` read from the state file."""

    pid: int
    rest_url: str
    aws_endpoint_url: str
    bootstrap_servers: str
    stack_name: str
    state_machine_arn: str
    schema_registry_url: str = ""

    @classmethod
    def read(cls, path: Path | None = None) -> LocalEndpoints | None:
        try:
            return cls(**json.loads((path or STATE_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None


def _load_handler(code_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"connectless_function_{code_dir.name}", code_dir / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _RunningMapping:
    def __init__(self, emulator: EventSourceMappingEmulator, fingerprint: str) -> None:
        self.emulator = emulator
        self.fingerprint = fingerprint
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"esm-{emulator.config.connector}", daemon=True)

    def _run(self) -> None:
        try:
            self.emulator.start()
            self.emulator.run(self.stopping.is_set)
        except Exception:
            log.exception("event-source mapping of %s stopped", self.emulator.config.connector)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(60)
        with contextlib.suppress(Exception):
            self.emulator.stop()


class LocalSamStack:
    """The SAM stack on this machine: created in moto (or at `aws_endpoint_url`), its handlers run in-process.

    Start with `start()`, stop with `stop()` (idempotent); `serve_forever()` does both around a wait."""

    def __init__(self, rest_port: int = 8083, bootstrap_servers: str | None = None, root: Path = stack_template.ROOT,
                 state_file: Path | None = STATE_FILE, reconcile_s: float = 1.0,
                 parameters: Mapping[str, str] | None = None, aws_endpoint_url: str | None = None,
                 aws_profile: str | None = None) -> None:  # fmt: skip
        self.rest_port = rest_port
        self.aws_endpoint_url = aws_endpoint_url or None
        self.aws_profile = aws_profile or None
        self.region = REGION
        self.parameters = dict(parameters or {})
        self.bootstrap_servers = bootstrap_servers or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None
        self.root = root
        self.state_file = state_file
        self.reconcile_s = reconcile_s
        self.mappings: KafkaEventSourceMappings | None = None  # where the mappings' transitions complete
        self._mappings_changed = threading.Event()
        self._lambda_client: Any = None  # the runtime's reader of the mappings
        self._reconcile_lock = threading.RLock()
        self.endpoints: LocalEndpoints | None = None
        self._undo: list[Any] = []
        self._stop = threading.Event()
        self._functions: dict[str, dict[str, Any]] = {}  # logical id -> {name, arn, timeout, module}
        self._running_mappings: dict[str, _RunningMapping] = {}
        self._scheduler: LocalScheduler | None = None
        self._scheduled: set[tuple[str, int]] = set()
        self._schedule_group = "default"
        self.roles: FunctionRoles | None = None  # moto mode: each handler under its function role, IAM checked

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> LocalEndpoints:
        try:
            aws_url = self._use_endpoint() if self.external else self._start_moto()
            bootstrap = self._start_kafka()
            registry_url = self._start_schema_registry()
            outputs = self._create_stack(bootstrap)
            if not self.external:
                self._enforce_iam()
            self._start_functions()
            self._start_runtime()
            rest_url = self._start_rest()
        except BaseException:
            self.stop()
            raise
        self.endpoints = LocalEndpoints(os.getpid(), rest_url, aws_url, bootstrap, STACK_NAME,
                                        outputs.get("StateMachineArn", ""), registry_url)  # fmt: skip
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            self.state_file.write_text(json.dumps(asdict(self.endpoints), indent=2), encoding="utf-8")
        return self.endpoints

    def stop(self) -> None:
        self._stop.set()
        self._mappings_changed.set()
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception:
                log.exception("while stopping the local stack")
        if self.state_file is not None and self.endpoints is not None:
            with contextlib.suppress(OSError):
                if LocalEndpoints.read(self.state_file) == self.endpoints:
                    self.state_file.unlink()

    def wait(self) -> None:
        self._stop.wait()

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def external(self) -> bool:
        """True when the stack goes to an endpoint or account of the user's rather than to a moto of ours."""
        return self.aws_endpoint_url is not None or self.aws_profile is not None

    # -- 1. moto, or the user's endpoint ------------------------------------------------------------------
    def _use_endpoint(self) -> str:
        """No moto: every boto3 client of this process uses the endpoint (or profile) as given."""
        import boto3

        names = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION")
        saved = {k: os.environ.get(k) for k in names}
        self._undo.append(lambda: _restore_env(saved))
        if self.aws_endpoint_url:
            os.environ["AWS_ENDPOINT_URL"] = self.aws_endpoint_url
        if self.aws_profile:
            os.environ["AWS_PROFILE"] = self.aws_profile
        self.region = boto3.session.Session().region_name or REGION
        os.environ.setdefault("AWS_DEFAULT_REGION", self.region)
        os.environ.setdefault("AWS_REGION", self.region)
        self.mappings = KafkaEventSourceMappings(self.region, listeners=[self._mappings_changed.set])
        return self.aws_endpoint_url or f"AWS profile {self.aws_profile} ({self.region})"

    def _start_moto(self) -> str:
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        from connectless_local.sfn_inprocess import InProcessLambdas

        names = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
                 "AWS_PROFILE", "MOTO_PORT")  # fmt: skip
        saved = {k: os.environ.get(k) for k in names}
        self._undo.append(lambda: _restore_env(saved))
        config: Any = default_user_config  # a TypedDict; updated as a plain dict
        saved_config = {k: dict(config.get(k, {})) for k in MOTO_CONFIG}
        self._undo.append(lambda: config.update(saved_config))
        default_user_config["stepfunctions"] = {
            **default_user_config.get("stepfunctions", {}),
            **MOTO_CONFIG["stepfunctions"],
        }
        default_user_config["lambda"] = {**default_user_config.get("lambda", {}), **MOTO_CONFIG["lambda"]}
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call otherwise
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        self._undo.append(server.stop)
        self._undo.append(install_in_moto())
        from moto.core import DEFAULT_ACCOUNT_ID

        store = self.mappings = store_for(DEFAULT_ACCOUNT_ID, REGION)
        store.listeners.append(self._mappings_changed.set)
        self._undo.append(lambda: store.listeners.remove(self._mappings_changed.set))
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        os.environ.pop("AWS_PROFILE", None)
        os.environ["MOTO_PORT"] = str(port)  # where moto's own clients (the state machine's Lambda tasks) go
        os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                          AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION)  # fmt: skip
        self.lambdas = InProcessLambdas(REGION).__enter__()
        self._undo.append(lambda: self.lambdas.__exit__(None, None, None))
        self._create_admin_user()
        return url

    def _create_admin_user(self) -> None:
        """moto checks requests only from principals it knows: the harness itself (stack, runtime, a user's
        scripts) works as an IAM user with every permission, as a deployer would."""
        import boto3

        iam = boto3.client("iam")
        iam.create_user(UserName=ADMIN_USER)
        iam.put_user_policy(UserName=ADMIN_USER, PolicyName="everything", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))  # fmt: skip
        key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
        os.environ.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])

        def delete_user() -> None:  # moto's backends outlive its server within a process: leave no user behind
            iam.delete_access_key(UserName=ADMIN_USER, AccessKeyId=key["AccessKeyId"])
            iam.delete_user_policy(UserName=ADMIN_USER, PolicyName="everything")
            iam.delete_user(UserName=ADMIN_USER)

        self._undo.append(delete_user)

    def _enforce_iam(self) -> None:
        """Each function gets its role's temporary credentials (sts:AssumeRole, as Lambda does), then moto's
        access control goes on for S3 and every function's call is checked against its role's policies
        (function_roles.py says why moto alone is not enough)."""
        import boto3
        from moto.core.responses import BaseResponse

        admin = boto3.session.Session()
        account = admin.client("sts").get_caller_identity()["Account"]
        roles = FunctionRoles(self.region, account, admin)
        lambda_client = admin.client("lambda")
        for function in self._functions.values():
            role_arn = lambda_client.get_function_configuration(FunctionName=function["name"])["Role"]
            roles.assume(function["code"].name, role_arn)  # trust policies: Lambda's service principal
        url = os.environ["AWS_ENDPOINT_URL"]
        original = BaseResponse._authenticate_and_authorize_normal_action
        # moto checks non-S3 actions against resource "*" only and cannot verify REST-JSON signatures: off there
        BaseResponse._authenticate_and_authorize_normal_action = _not_checked_by_moto  # type: ignore[method-assign,assignment]
        self._undo.append(lambda: setattr(BaseResponse, "_authenticate_and_authorize_normal_action", original))
        previous = _reset_moto_auth(url, "0")  # INITIAL_NO_AUTH_ACTION_COUNT=0: every request from now on
        self._undo.append(lambda: _reset_moto_auth(url, previous))
        self._undo.append(roles.install())
        self.roles = roles

    # -- 2. Kafka -----------------------------------------------------------------------------------------
    def _start_kafka(self) -> str:
        if self.bootstrap_servers:
            return self.bootstrap_servers
        from connectless_local.embedded_kafka import EmbeddedKafka

        kafka = EmbeddedKafka()
        kafka.__enter__()
        self._undo.append(lambda: kafka.__exit__(None, None, None))
        return str(kafka.bootstrap_servers)

    def _start_schema_registry(self) -> str:
        """$SCHEMA_REGISTRY_URL, else an embedded registry whose URL goes into that variable: the registry
        converters of every connector of this stack use it when they name no `schema.registry.url`."""
        from connectless_local.schema_registry import ENV_URL, EmbeddedSchemaRegistry, url_from_env

        url = url_from_env()
        if url:
            return url
        registry = EmbeddedSchemaRegistry().start()
        self._undo.append(registry.stop)
        saved = {ENV_URL: os.environ.get(ENV_URL)}
        self._undo.append(lambda: _restore_env(saved))
        os.environ[ENV_URL] = registry.url
        return registry.url

    # -- 3. the stack -------------------------------------------------------------------------------------
    def _create_stack(self, bootstrap: str) -> dict[str, str]:
        import boto3

        s3 = boto3.client("s3")
        bucket = self._artifacts_bucket(s3)
        parameters = {"KafkaBootstrapServers": bootstrap, "KafkaAuth": "none", "Environment": "dev", **self.parameters}
        source = stack_template.load(self.root / "template.yaml")
        template = stack_template.translate(source, parameters, s3, bucket, self.root)
        cfn = boto3.client("cloudformation")
        stack = self._deploy_stack(cfn, template, parameters)
        physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                    for r in cfn.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]}  # fmt: skip
        self._create_schedule_groups(template, parameters)
        self._attach_managed_policies(template, parameters, physical)
        lambda_client = boto3.client("lambda")
        for logical, resource in template["Resources"].items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            config = lambda_client.get_function_configuration(FunctionName=physical[logical])
            code_dir = self._code_dir(source, logical)
            os.environ.update((config.get("Environment") or {}).get("Variables") or {})
            self._functions[logical] = {"name": config["FunctionName"], "arn": config["FunctionArn"],
                                        "timeout": float(config.get("Timeout", 300)), "code": code_dir}  # fmt: skip
        if self._schedule_group != "default":
            os.environ["CONNECTLESS_SCHEDULE_GROUP"] = self._schedule_group
        # The console's chart: the task handlers run in this process and count here; their metrics go to stdout
        # (EMF), never to moto's CloudWatch, which the API function reads on AWS.
        os.environ["CONNECTLESS_THROUGHPUT"] = "process"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if not self.external or not _state_machine_exists(outputs.get("StateMachineArn")):
            self._create_state_machines(template, parameters, physical)
        return outputs

    def _attach_managed_policies(self, template: dict[str, Any], parameters: dict[str, str],
                                 physical: dict[str, str]) -> None:  # fmt: skip
        """moto's CloudFormation ignores a role's ManagedPolicyArns: attach them through IAM, as CloudFormation
        does. AWS's own managed policies (SAM's AWSLambdaBasicExecutionRole, ...) are not in moto: left out."""
        import boto3

        iam = boto3.client("iam")
        for logical, resource in template["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role" or logical not in physical:
                continue
            for node in resource["Properties"].get("ManagedPolicyArns") or []:
                if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in physical:
                    arn = physical[node["Ref"]]
                else:
                    arn = str(stack_template.resolve_value(template, parameters, node))
                try:
                    iam.attach_role_policy(RoleName=physical[logical], PolicyArn=arn)
                except iam.exceptions.NoSuchEntityException:
                    log.debug("managed policy %s of %s is not in moto; not attached", arn, logical)
                    continue
                # before the stack goes: moto's CloudFormation cannot delete a policy still attached
                self._undo.append(lambda role=physical[logical], arn=arn: _detach(iam, role, arn))

    def _artifacts_bucket(self, s3: Any) -> str:
        """Our moto's fixed bucket; at an endpoint, one per account and region (S3 names are global)."""
        import boto3
        from botocore.exceptions import ClientError

        if not self.external:
            s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
            return ARTIFACTS_BUCKET
        account = boto3.client("sts").get_caller_identity()["Account"]
        bucket = f"{ARTIFACTS_BUCKET}-{account}-{self.region}"
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError:
            where = (
                {} if self.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
            )
            s3.create_bucket(Bucket=bucket, **where)
            self._undo.append(lambda: _delete_bucket(s3, bucket))
        return bucket

    def _deploy_stack(self, cfn: Any, template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
        """Create the stack, or update it when it exists (an endpoint's stack outlives `local up`); wait for it."""
        from botocore.exceptions import BotoCoreError, ClientError

        request = {
            "StackName": STACK_NAME,
            "TemplateBody": json.dumps(template),
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        }
        waiting: Any = {"WaiterConfig": {"Delay": 2, "MaxAttempts": 900}}
        try:
            existing = cfn.describe_stacks(StackName=STACK_NAME)["Stacks"][0]["StackStatus"]
        except ClientError:
            existing = None
        if existing == "ROLLBACK_COMPLETE":  # a failed first create: only deleting it lets a create run again
            cfn.delete_stack(StackName=STACK_NAME)
            cfn.get_waiter("stack_delete_complete").wait(StackName=STACK_NAME, **waiting)
            existing = None
        if existing is None or existing == "DELETE_COMPLETE":
            cfn.create_stack(**request)
            self._undo.append(lambda: _delete_stack(cfn, waiting))
            with contextlib.suppress(Exception):  # the status check below says what went wrong
                cfn.get_waiter("stack_create_complete").wait(StackName=STACK_NAME, **waiting)
        else:
            try:
                cfn.update_stack(**request)
            except ClientError as exc:
                if "No updates are to be performed" not in str(exc):
                    raise
            except BotoCoreError as exc:  # moto's update of a stack with a layer answers 500
                raise RuntimeError(
                    f"the endpoint could not update the existing stack {STACK_NAME} ({exc}); delete it "
                    f"(aws cloudformation delete-stack --stack-name {STACK_NAME}) and run `local up` again"
                ) from exc
            else:
                with contextlib.suppress(Exception):
                    cfn.get_waiter("stack_update_complete").wait(StackName=STACK_NAME, **waiting)
        stack: dict[str, Any] = cfn.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
        if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            raise RuntimeError(f"stack {STACK_NAME}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
        return stack

    def _create_state_machines(self, template: dict[str, Any], parameters: dict[str, str],
                               physical: dict[str, str]) -> None:  # fmt: skip
        """Through the API: moto's CloudFormation puts state machines where its executor does not look."""
        import boto3

        iam = boto3.client("iam")

        def resolve(value: Any) -> Any:
            if isinstance(value, dict) and "Fn::GetAtt" in value:
                logical = value["Fn::GetAtt"][0]
                if logical in self._functions:
                    return self._functions[logical]["arn"]
                return iam.get_role(RoleName=physical[logical])["Role"]["Arn"]
            if isinstance(value, dict) and "Fn::Sub" in value:
                text, names = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
                for key, param in parameters.items():
                    text = text.replace("${" + key + "}", param)
                for key, sub in names.items():
                    text = text.replace("${" + key + "}", str(resolve(sub)))
                return text
            return value

        sfn = boto3.client("stepfunctions")
        for logical, resource in template["Resources"].items():
            if resource["Type"] == "AWS::StepFunctions::StateMachine":
                props = resource["Properties"]
                created = sfn.create_state_machine(
                    name=resolve(props.get("StateMachineName", logical)),
                    definition=resolve(props["DefinitionString"]),
                    roleArn=resolve(props["RoleArn"]),
                )
                # not the stack's, so deleted with it: at an endpoint, and in moto, whose backends outlive its
                # server within a process (a second `local up` would otherwise get this machine, calling a
                # manager function that is gone)
                arn = created["stateMachineArn"]
                self._undo.append(lambda arn=arn: sfn.delete_state_machine(stateMachineArn=arn))

    def _code_dir(self, source: dict[str, Any], logical: str) -> Path:
        uri = source["Resources"][logical]["Properties"]["CodeUri"]
        return self.root / uri

    def _create_schedule_groups(self, template: dict[str, Any], parameters: dict[str, str]) -> None:
        """moto's CloudFormation has no ScheduleGroup; the scheduler API has."""
        import boto3

        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Scheduler::ScheduleGroup":
                name = resource["Properties"]["Name"]
                if isinstance(name, dict):  # {"Fn::Sub": "connectless-${Environment}"}
                    name = name["Fn::Sub"].replace("${Environment}", parameters["Environment"])
                scheduler = boto3.client("scheduler")
                try:
                    scheduler.create_schedule_group(Name=name)
                except scheduler.exceptions.ConflictException:  # an endpoint's stack made it, or a former run
                    pass
                else:
                    if self.external:  # with its schedules: nothing of ours stays at the endpoint
                        self._undo.append(lambda group=name, c=scheduler: c.delete_schedule_group(Name=group))
                self._schedule_group = name

    # -- 4. functions -------------------------------------------------------------------------------------
    def _start_functions(self) -> None:
        import boto3

        from connectless.manager import lambda_handler as manager_steps
        from connectless.manager.backends.aws import AwsBackend, AwsTargets
        from connectless.manager.state import ConnectState

        for function in self._functions.values():
            function["module"] = _load_handler(function["code"])
            if self.roles is not None:  # every caller of the handler runs it as its function
                module = function["module"]
                module.lambda_handler = self.roles.bind(function["code"].name, module.lambda_handler)
            if not self.external:
                self.lambdas.handlers[function["name"]] = function["module"].lambda_handler
        lambda_client = boto3.client("lambda")
        self._lambda_client = boto3.client("lambda")
        if self.external:  # the endpoint has no Kafka mappings: this process answers its clients' calls for them
            assert self.mappings is not None
            attach_to_client(lambda_client, self.mappings)
            attach_to_client(self._lambda_client, self.mappings)
        state = ConnectState.from_env("connectless-manager")
        self._undo.append(state.stop)
        backend = AwsBackend(AwsTargets.from_env(), boto3.client("scheduler"), lambda_client, kafka=state.settings)
        manager_steps.configure(state, backend)
        if self.external:
            self._execute_in_process(state, backend)

    def _execute_in_process(self, state: Any, backend: Any) -> None:
        """The endpoint cannot run the manager function for its state machine: the api handler (its module, as
        loaded here) runs each request's steps in this process, in the ASL's order, over the same backend."""
        from connectless.manager.executor import InProcessExecutor
        from connectless.rest.api import make_handler
        from connectless.rest.service import ConnectService

        service = ConnectService(state, InProcessExecutor(state, backend), on_aws=True)
        self._function("api")["module"].handler = make_handler(lambda: service)

    def _function(self, code_dir_name: str) -> dict[str, Any]:
        return next(f for f in self._functions.values() if f["code"].name == code_dir_name)

    # -- 5. the local runtime -----------------------------------------------------------------------------
    def _start_runtime(self) -> None:
        from connectless.standalone.scheduler import LocalScheduler

        self._scheduler = LocalScheduler(self._fire_source)
        self._scheduler.start()
        self._undo.append(self._scheduler.stop)
        thread = threading.Thread(target=self._reconcile_loop, name="local-runtime", daemon=True)
        thread.start()
        self._undo.append(lambda: thread.join(10))
        self._undo.append(self._stop_mappings)
        self._reconcile()

    def _fire_source(self, connector: str, task: int) -> Any:
        from connectless.runtime.lambda_context import EmulatedLambdaContext

        function = self._function("source_task")
        context = EmulatedLambdaContext(function["name"], None, timeout_s=function["timeout"], region=self.region)
        return function["module"].lambda_handler({"connector": connector, "task": task}, context)

    def _reconcile_loop(self) -> None:
        """Every reconcile_s, and as soon as a mapping changes (the manager waits for its transition to end)."""
        while not self._stop.is_set():
            changed = self._mappings_changed.wait(self.reconcile_s)
            self._mappings_changed.clear()
            if self._stop.is_set():
                return
            try:
                self._reconcile_mappings() if changed else self._reconcile()
            except Exception:
                log.exception("local runtime: reconcile failed")

    def _reconcile(self) -> None:
        with self._reconcile_lock:
            self._reconcile_schedules()
            self._reconcile_mappings()

    def _reconcile_schedules(self) -> None:
        import boto3

        from connectless.standalone.scheduler import parse_rate

        assert self._scheduler is not None
        scheduler = boto3.client("scheduler")
        wanted: dict[tuple[str, int], float] = {}
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=self._schedule_group):
            for summary in page.get("Schedules", []):
                schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=self._schedule_group)
                if schedule.get("State") != "ENABLED":
                    continue
                target = json.loads(schedule["Target"].get("Input") or "{}")
                wanted[(str(target["connector"]), int(target.get("task", 0)))] = parse_rate(
                    schedule["ScheduleExpression"]
                )
        for connector, task in list(self._scheduled):
            if (connector, task) not in wanted:
                self._scheduler.unschedule(connector, task)
        for (connector, task), every_s in wanted.items():
            self._scheduler.schedule(connector, task, every_s)
        self._scheduled = set(wanted)

    def _reconcile_mappings(self) -> None:
        """Run exactly the Kafka mappings ListEventSourceMappings answers with: one emulator per mapping that is (or
        is becoming) Enabled; then complete the transitions just applied, as AWS's pollers do."""
        with self._reconcile_lock:
            if self._stop.is_set() or self.mappings is None:
                return
            listed = [m for page in self._lambda_client.get_paginator("list_event_source_mappings").paginate()
                      for m in page.get("EventSourceMappings", []) if m.get("Topics")]  # fmt: skip
            enabled: dict[str, dict[str, Any]] = {}
            done: list[tuple[str, int]] = []
            for mapping in listed:
                target = mapping["State"]
                if target in TRANSITIONAL:
                    found = self.mappings.target(mapping["UUID"])
                    if found is None:
                        continue
                    target = found[0]
                    done.append((mapping["UUID"], found[1]))
                if target == "Enabled":
                    enabled[mapping["UUID"]] = mapping
            self._apply_mappings(enabled)
            for mapping_uuid, revision in done:
                self.mappings.complete(mapping_uuid, revision)

    def _apply_mappings(self, enabled: dict[str, dict[str, Any]]) -> None:
        from connectless.kafka.settings import KafkaSettings
        from connectless.standalone.esm_emulator import EventSourceMappingEmulator

        sink = self._function("sink_task")
        wanted = {k: _fingerprint(m) for k, m in enabled.items()}
        for key in [k for k, r in self._running_mappings.items() if wanted.get(k) != r.fingerprint]:
            self._running_mappings.pop(key).stop()  # its consumer leaves the group before the transition ends
        for key, mapping in enabled.items():
            if key in self._running_mappings:
                continue
            config = mapping_config(mapping, sink["name"], sink["timeout"])
            emulator = EventSourceMappingEmulator(KafkaSettings.from_env(), config, sink["module"].lambda_handler)
            running = self._running_mappings[key] = _RunningMapping(emulator, wanted[key])
            running.thread.start()

    def _stop_mappings(self) -> None:
        with self._reconcile_lock:
            while self._running_mappings:
                self._running_mappings.popitem()[1].stop()

    # -- 6. REST ------------------------------------------------------------------------------------------
    def _start_rest(self) -> str:
        from connectless.rest.local_server import LocalApiServer

        server = LocalApiServer(self._function("api")["module"].lambda_handler, port=self.rest_port)
        server.start()
        self._undo.append(server.stop)
        self._undo.append(self._stop_api_state)
        return str(server.url)

    @staticmethod
    def _stop_api_state() -> None:
        from connectless.rest.wiring import aws_service

        if aws_service.cache_info().currsize:
            aws_service().state.stop()
            aws_service.cache_clear()

    def serve_forever(self) -> None:
        """Start, wait for `request_stop()` (the command wires SIGINT/SIGTERM to it), stop."""
        self.start()
        try:
            self.wait()
        finally:
            self.stop()


def _fingerprint(mapping: dict[str, Any]) -> str:
    """A mapping's settings, without what changes with its state: a new fingerprint restarts its emulator."""
    settings = {k: v for k, v in mapping.items() if k not in ("State", "StateTransitionReason", "LastModified")}
    return json.dumps(settings, sort_keys=True, default=str)


def _detach(iam: Any, role: str, arn: str) -> None:
    from botocore.exceptions import ClientError

    with contextlib.suppress(ClientError):  # detached already (a test that removed a permission)
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)


def _not_checked_by_moto(_response: Any, resource: str = "*") -> None:
    """moto's non-S3 access check, switched off while `local up` checks those calls itself."""


def _reset_moto_auth(url: str, initial_no_auth_action_count: str) -> str:
    """moto's INITIAL_NO_AUTH_ACTION_COUNT through its reset-auth endpoint; returns the value it replaced."""
    import urllib.request

    request = urllib.request.Request(f"{url}/moto-api/reset-auth", data=initial_no_auth_action_count.encode(),
                                     method="POST", headers={"Content-Type": "text/plain"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own moto server
        return str(json.loads(answer.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


def _delete_stack(cfn: Any, waiting: Any) -> None:
    cfn.delete_stack(StackName=STACK_NAME)
    cfn.get_waiter("stack_delete_complete").wait(StackName=STACK_NAME, **waiting)


def _delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    s3.delete_bucket(Bucket=bucket)


def _state_machine_exists(arn: str | None) -> bool:
    import boto3
    from botocore.exceptions import ClientError

    if not arn:
        return False
    try:
        boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    except ClientError:
        return False
    return True


def _restore_env(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def wait_until_stopped(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False

"""The real connector_manager ASL executed by moto, Lambda tasks in-process, state on the real broker,
AWS backend against moto's Scheduler; the REST API drives it through the StepFunctionsExecutor."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from connectless.kafka.settings import KafkaSettings
from connectless.manager import ConnectState, StepFunctionsExecutor
from connectless.manager import lambda_handler as manager_steps
from connectless.manager.backends.aws import AwsBackend, AwsTargets, schedule_name
from connectless.rest import ConnectService, make_handler
from connectless.rest.local_server import proxy_event
from connectless_local.sfn_inprocess import MOTO_CONFIG, REGION, InProcessLambdas, create_state_machine

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "manager"))  # manager_test_plugins


def _load_manager_app() -> Any:
    spec = importlib.util.spec_from_file_location("manager_app", ROOT / "functions" / "manager" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Stack:
    sfn: Any
    scheduler: Any
    machine: str
    executor: StepFunctionsExecutor
    api_state: ConnectState
    call: Callable[..., tuple[int, Any]]

    def executions(self) -> list[dict[str, Any]]:
        return list(self.sfn.list_executions(stateMachineArn=self.machine)["executions"])

    def schedule(self, connector: str, task: int) -> dict[str, Any]:
        return dict(self.scheduler.get_schedule(Name=schedule_name(connector, task)))


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str) -> Iterator[Stack]:
    patch = pytest.MonkeyPatch()
    for key, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        patch.setenv(key, value)
    prefix = f"sfn-{uuid.uuid4().hex[:8]}"
    topics = {"configs_topic": f"{prefix}-configs", "status_topic": f"{prefix}-status",
              "offsets_topic": f"{prefix}-offsets"}  # fmt: skip
    settings = KafkaSettings(kafka_bootstrap)
    with mock_aws(config=MOTO_CONFIG), InProcessLambdas() as lambdas:
        scheduler = boto3.client("scheduler", region_name=REGION)
        source_fn = lambdas.register("source-task", lambda event, context: {})
        role = boto3.client("iam", region_name=REGION).get_role(RoleName="connectless-local")["Role"]["Arn"]
        backend = AwsBackend(AwsTargets(source_fn, role, "sink-task"), scheduler, boto3.client("lambda"))
        manager_state = ConnectState.on_kafka(settings, "connectless-manager", **topics)
        manager_steps.configure(manager_state, backend)
        manager_fn = lambdas.register("manager", _load_manager_app().lambda_handler)
        machine = create_state_machine({"ManagerFunctionArn": manager_fn})
        sfn = boto3.client("stepfunctions", region_name=REGION)
        api_state = ConnectState.on_kafka(settings, "connectless-api", **topics)
        executor = StepFunctionsExecutor(machine, api_state.generations.generation, sfn, wait_s=60, poll_s=0.05)
        handler = make_handler(lambda: ConnectService(api_state, executor))

        def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            raw = json.dumps(body).encode() if body is not None else b""
            response = handler(proxy_event(method, path, {}, raw, "127.0.0.1"), None)
            text = response.get("body") or ""
            return response["statusCode"], json.loads(text) if text else None

        yield Stack(sfn, scheduler, machine, executor, api_state, call)
        manager_state.stop()
        api_state.stop()
    patch.undo()


def _datagen(topic: str, tasks: int = 2) -> dict[str, str]:
    return {"connector.class": "Datagen", "kafka.topic": topic, "tasks.max": str(tasks)}


def test_create_runs_every_state_and_schedules_each_task(stack: Stack) -> None:
    status, body = stack.call("POST", "/connectors", {"name": "orders", "config": _datagen("orders")})
    assert status == 201, body
    assert [t["task"] for t in body["tasks"]] == [0, 1]
    execution = next(e for e in stack.executions() if e["name"] == "orders-g0")
    assert execution["status"] == "SUCCEEDED"
    history = stack.sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert [s for s in entered if s != "Apply"] == ["Validate", "Plan", "WriteConfigs", "ApplyTasks", "RecordStatus",
                                                    "Done"]  # fmt: skip
    assert entered.count("Apply") == 2
    for task in (0, 1):
        schedule = stack.schedule("orders", task)
        assert schedule["State"] == "ENABLED"
        assert json.loads(schedule["Target"]["Input"]) == {"connector": "orders", "task": task}
    assert stack.call("GET", "/connectors/orders/status")[1]["connector"]["state"] == "RUNNING"


def test_pause_resume_stop_and_delete_are_executions(stack: Stack) -> None:
    stack.call("POST", "/connectors", {"name": "life", "config": _datagen("life", 1)})
    assert stack.call("PUT", "/connectors/life/pause")[0] == 202
    assert stack.schedule("life", 0)["State"] == "DISABLED"
    status = stack.call("GET", "/connectors/life/status")[1]
    assert (status["connector"]["state"], status["tasks"][0]["state"]) == ("PAUSED", "PAUSED")
    assert stack.call("PUT", "/connectors/life/resume")[0] == 202
    assert stack.schedule("life", 0)["State"] == "ENABLED"
    assert stack.call("PUT", "/connectors/life/stop")[0] == 204
    assert stack.call("GET", "/connectors/life/status")[1]["connector"]["state"] == "STOPPED"
    assert stack.scheduler.list_schedules(NamePrefix="connectless-life-")["Schedules"] == []
    assert stack.call("DELETE", "/connectors/life")[0] == 204
    assert stack.call("GET", "/connectors/life")[0] == 404
    names = sorted(e["name"] for e in stack.executions() if e["name"].startswith("life-"))
    assert names == [f"life-g{g}" for g in range(5)]
    assert all(e["status"] == "SUCCEEDED" for e in stack.executions() if e["name"].startswith("life-"))


def test_repeat_is_idempotent_and_a_concurrent_change_is_409(stack: Stack) -> None:
    from manager_test_plugins import BlockingSource

    from connectless.manager import Action, ManagerRequest

    BlockingSource.entered.clear()
    BlockingSource.release.clear()
    request = ManagerRequest(Action.PUT, "slow", {"connector.class": "manager_test_plugins.BlockingSource"})
    first = stack.executor.start(request)
    assert BlockingSource.entered.wait(30)
    try:
        assert stack.executor.start(request) == first  # same name, same input: the same execution
        status, body = stack.call("PUT", "/connectors/slow/config", {"connector.class": "Datagen", "kafka.topic": "x"})
        assert (status, body["error_code"]) == (409, 409)
    finally:
        BlockingSource.release.set()
    assert stack.executor.wait(first)["state"] == "RUNNING"
    assert [e["name"] for e in stack.executions() if e["name"].startswith("slow-")] == ["slow-g0"]


def test_a_failed_step_is_caught_recorded_and_the_next_change_gets_a_new_name(stack: Stack) -> None:
    stack.call("POST", "/connectors", {"name": "flaky", "config": _datagen("flaky", 1)})
    failing = {"connector.class": "manager_test_plugins.FailingPlanSource"}
    status, body = stack.call("PUT", "/connectors/flaky/config", failing)
    assert status == 500
    assert "cannot split the work" in body["message"]
    connector = stack.call("GET", "/connectors/flaky/status")[1]["connector"]
    assert connector["state"] == "FAILED"
    assert "cannot split the work" in connector["trace"]
    failed = next(e for e in stack.executions() if e["name"] == "flaky-g1")
    assert failed["status"] == "FAILED"
    assert stack.call("PUT", "/connectors/flaky/config", _datagen("flaky", 1))[0] == 200
    retried = next(e for e in stack.executions() if e["name"] == "flaky-g1-2")
    assert retried["status"] == "SUCCEEDED"


def test_an_invalid_config_never_reaches_the_state_machine(stack: Stack) -> None:
    before = len(stack.executions())
    status, body = stack.call("POST", "/connectors", {"name": "bad", "config": {"connector.class": "Datagen",
                                                                               "tasks.max": "0"}})  # fmt: skip
    assert status == 400
    assert "kafka.topic" in body["message"]
    assert "tasks.max" in body["message"]
    assert len(stack.executions()) == before


def test_parallel_api_calls_for_one_connector_start_one_execution(stack: Stack) -> None:
    stack.call("POST", "/connectors", {"name": "race", "config": _datagen("race", 1)})
    results: list[int] = []

    def pause() -> None:
        results.append(stack.call("PUT", "/connectors/race/pause")[0])

    def stop() -> None:
        results.append(stack.call("PUT", "/connectors/race/stop")[0])

    threads = [threading.Thread(target=pause), threading.Thread(target=stop)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) in ([202, 409], [204, 409], [202, 204])  # one wins; a later one may see the new gen
    assert len([e for e in stack.executions() if e["name"] == "race-g1"]) == 1

"""Faults in the connector manager, on `local up` (the real ASL in moto, the AWS backend over moto's Scheduler and
Lambda, the local mappings): a change never ends half applied, and changes of one connector never interleave.

Fault injection wraps the manager's backend: the n-th Apply of the Map raises, after earlier items deployed their
schedules or mappings. The connector must end FAILED with the fault in its trace and every task FAILED, with no
schedule, alias or event-source mapping of it left; a restart then rolls it forward (RUNNING, every schedule
back). A delete sent while a create is still applying gets 409, and the create ends whole.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from fault_stacks import eventually, report

from connectless.manager import lambda_handler as manager_steps

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectless.manager.backends.base import Backend, TaskUnit
    from connectless_local.local_up import LocalSamStack

pytestmark = pytest.mark.kafka
TASKS = 4


class FaultyBackend:
    """The stack's backend, with a fault on the `fail_on`-th deploy, an optional pause before each apply, and an
    optional pause before each deploy that does not fail (so the fault comes while other items are in flight)."""

    def __init__(self, inner: Backend, fail_on: int | None = None, delay_s: float = 0.0,
                 slow_others_s: float = 0.0) -> None:  # fmt: skip
        self.inner = inner
        self.fail_on = fail_on
        self.delay_s = delay_s
        self.slow_others_s = slow_others_s
        self.deploys = 0
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # everything else (on_aws, ...) is the stack's backend's
        return getattr(self.inner, name)

    def apply(self, unit: TaskUnit) -> Any:
        time.sleep(self.delay_s)
        if unit.op.value in ("start", "restart"):
            with self.lock:
                self.deploys += 1
                fault = self.deploys == self.fail_on
            if fault:
                raise RuntimeError(f"injected fault deploying task {unit.task} of {unit.connector}")
            time.sleep(self.slow_others_s)
        return self.inner.apply(unit)


@pytest.fixture
def manager(local_stack: LocalSamStack) -> Iterator[tuple[Any, Backend]]:
    state, backend = manager_steps.runtime()
    yield state, backend
    manager_steps.configure(state, backend)


def schedules(prefix: str) -> list[str]:
    found = boto3.client("scheduler").list_schedules(GroupName="connectless-dev", NamePrefix=f"connectless-{prefix}")
    return [s["Name"] for s in found["Schedules"]]


def source(name: str) -> dict[str, Any]:
    return {"name": name, "config": {"connector.class": "Datagen", "tasks.max": str(TASKS), "kafka.topic": name,
                                     "max.records": "0", "connectless.source.schedule": "rate(5 minutes)"}}  # fmt: skip


def test_a_fault_mid_map_leaves_nothing_half_deployed(local_stack: LocalSamStack,
                                                      manager: tuple[Any, Backend]) -> None:  # fmt: skip
    assert local_stack.endpoints is not None
    url, (state, backend) = local_stack.endpoints.rest_url, manager
    name = f"mf-{uuid.uuid4().hex[:8]}"
    # The other deploys still running when the fault comes: none of them may land after the roll-back.
    faulty = FaultyBackend(backend, fail_on=3, slow_others_s=1.5)
    manager_steps.configure(state, faulty)
    created = requests.post(f"{url}/connectors", json=source(name), timeout=120)
    assert created.status_code == 500 and "injected fault" in created.json()["message"], created.text
    assert faulty.deploys >= 3  # the fault came mid-Map, after other tasks were deployed
    # The status view reads the status topic, which may not yet hold the roll-back's last updates: wait for them.
    # A task left RUNNING for good (a deploy landing after the roll-back) still fails here.
    deadline = time.monotonic() + 15
    while True:
        status = requests.get(f"{url}/connectors/{name}/status", timeout=30).json()
        settled = [t["state"] for t in status["tasks"]] == ["FAILED"] * TASKS
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert status["connector"]["state"] == "FAILED" and "injected fault" in status["connector"]["trace"], status
    assert settled, status
    time.sleep(faulty.slow_others_s + 1.0)  # had a deploy still been in flight, it would have landed by now
    after = requests.get(f"{url}/connectors/{name}/status", timeout=30).json()
    assert [t["state"] for t in after["tasks"]] == ["FAILED"] * TASKS, after  # and it stays so
    assert schedules(name) == []  # nothing of it runs
    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=local_stack.endpoints.state_machine_arn)
    failed = [e for e in executions["executions"] if e["name"].startswith(name) and e["status"] == "FAILED"]
    assert len(failed) == 1

    manager_steps.configure(state, backend)  # the fault is gone: a restart rolls the connector forward
    restarted = requests.post(f"{url}/connectors/{name}/restart?includeTasks=true", timeout=120)
    assert restarted.status_code == 202, restarted.text
    assert len(schedules(name)) == TASKS
    status = eventually(lambda: (s := requests.get(f"{url}/connectors/{name}/status", timeout=30).json())
                        and s["connector"]["state"] == "RUNNING" and s)  # fmt: skip
    assert requests.delete(f"{url}/connectors/{name}", timeout=120).status_code == 204
    assert schedules(name) == []
    report(f"manager fault on local up: Apply {faulty.fail_on} of {TASKS} raised -> 500 with the cause, connector and "
           f"{TASKS} tasks FAILED with the trace, 0 schedules left, 1 FAILED execution; restart -> RUNNING with "
           f"{TASKS} schedules; delete -> 0 left")  # fmt: skip


def test_a_delete_during_a_running_create_gets_409(local_stack: LocalSamStack, manager: tuple[Any, Backend]) -> None:
    assert local_stack.endpoints is not None
    url, (state, backend) = local_stack.endpoints.rest_url, manager
    name = f"mf-{uuid.uuid4().hex[:8]}"
    slow = FaultyBackend(backend, delay_s=1.0)  # each Apply takes a second: the create runs for a while
    manager_steps.configure(state, slow)
    answers: dict[str, requests.Response] = {}
    create = threading.Thread(target=lambda: answers.update(
        create=requests.post(f"{url}/connectors", json=source(name), timeout=120)))  # fmt: skip
    create.start()
    deletes: list[int] = []
    # the config is written before the Map: from then on the connector exists, and a delete must not interleave
    seen: list[tuple[float, int]] = []
    started = time.monotonic()
    while create.is_alive():
        got = requests.get(f"{url}/connectors/{name}", timeout=30).status_code
        seen.append((round(time.monotonic() - started, 2), got))
        if got == 200:  # noqa: PLR2004
            deletes.append(requests.delete(f"{url}/connectors/{name}", timeout=120).status_code)
            break
        time.sleep(0.05)
    create.join(120)
    manager_steps.configure(state, backend)
    assert deletes == [409], (deletes, seen, slow.deploys, answers["create"].status_code, answers["create"].text[:300])
    assert answers["create"].status_code == 201, answers["create"].text
    assert len(schedules(name)) == TASKS  # the create ended whole
    assert requests.delete(f"{url}/connectors/{name}", timeout=120).status_code == 204
    assert schedules(name) == []
    report(f"manager concurrency on local up: a delete during a running create -> {deletes[0]}; the create ended "
           f"whole ({TASKS} schedules); a delete after it -> 204, 0 left")  # fmt: skip

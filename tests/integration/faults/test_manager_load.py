"""The manager under many connectors at once, on `local up` (issue 18, point 4; the timed 100 x 4 run is
`make load`, bench/manager_load.py): 10 connectors with 4 tasks each are created, paused, resumed and deleted
through the REST API, several requests in flight at a time. Correctness, not timing: every change lands whole
(every schedule there and in the right state, every status right), and after the deletes nothing is left.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from fault_stacks import eventually, report

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless_local.local_up import LocalSamStack

pytestmark = pytest.mark.kafka
CONNECTORS, TASKS, IN_FLIGHT = 10, 4, 4
SETTLE_S = 180  # correctness, not timing: a loaded machine may take long


def schedule_states(prefix: str) -> dict[str, str]:
    scheduler = boto3.client("scheduler")
    pages = scheduler.get_paginator("list_schedules").paginate(GroupName="connectless-dev",
                                                               NamePrefix=f"connectless-{prefix}")  # fmt: skip
    return {s["Name"]: s["State"] for page in pages for s in page["Schedules"]}


def statuses(url: str, names: list[str]) -> dict[str, tuple[str, list[str]]]:
    listed = requests.get(f"{url}/connectors?expand=status", timeout=60).json()
    return {name: (listed[name]["status"]["connector"]["state"],
                   [t["state"] for t in listed[name]["status"]["tasks"]])
            for name in names if name in listed}  # fmt: skip


def test_ten_connectors_of_four_tasks_through_their_lifecycle(local_stack: LocalSamStack) -> None:
    assert local_stack.endpoints is not None
    url, prefix = local_stack.endpoints.rest_url, f"ml-{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{i:02d}" for i in range(CONNECTORS)]
    timings: dict[str, float] = {}

    def each(step: str, request: Callable[[str], requests.Response], expect: int) -> None:
        started = time.monotonic()
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            answers = list(pool.map(request, names))
        timings[step] = round(time.monotonic() - started, 1)
        assert [a.status_code for a in answers] == [expect] * CONNECTORS, [(a.status_code, a.text[:200])
                                                                           for a in answers]  # fmt: skip

    def config(name: str) -> dict[str, Any]:
        return {"name": name,
                "config": {"connector.class": "Datagen", "tasks.max": str(TASKS), "kafka.topic": name,
                           "max.records": "0", "connectless.source.schedule": "rate(1 hour)"}}  # fmt: skip

    def all_in(state: str) -> None:
        """Every connector and task in `state` (a 202 answers before the status is written: wait for it)."""
        want, seen = {name: (state, [state] * TASKS) for name in names}, {}
        try:
            eventually(lambda: seen.update(statuses(url, names)) or seen == want, SETTLE_S)
        except BaseException:
            print(f"waiting for {state}: {seen}")
            raise

    each("create", lambda n: requests.post(f"{url}/connectors", json=config(n), timeout=300), 201)
    assert sorted(schedule_states(prefix).values()) == ["ENABLED"] * CONNECTORS * TASKS
    all_in("RUNNING")
    each("pause", lambda n: requests.put(f"{url}/connectors/{n}/pause", timeout=300), 202)
    all_in("PAUSED")
    assert sorted(schedule_states(prefix).values()) == ["DISABLED"] * CONNECTORS * TASKS
    each("resume", lambda n: requests.put(f"{url}/connectors/{n}/resume", timeout=300), 202)
    all_in("RUNNING")
    assert sorted(schedule_states(prefix).values()) == ["ENABLED"] * CONNECTORS * TASKS
    each("delete", lambda n: requests.delete(f"{url}/connectors/{n}", timeout=300), 204)
    assert schedule_states(prefix) == {}
    listed = requests.get(f"{url}/connectors", timeout=60).json()
    assert [name for name in listed if name.startswith(prefix)] == []
    assert {requests.get(f"{url}/connectors/{name}/status", timeout=60).status_code for name in names} == {404}
    report(f"manager load on local up: {CONNECTORS} connectors x {TASKS} tasks, {IN_FLIGHT} requests in flight: "
           f"created, paused, resumed, deleted (seconds per step {timings}); every schedule ENABLED/DISABLED as the "
           f"state says, 0 schedules and 0 connectors left")  # fmt: skip

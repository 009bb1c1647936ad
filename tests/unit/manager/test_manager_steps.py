"""The manager's steps in-process over memory state: what each action writes and applies."""

from __future__ import annotations

import threading

import pytest

from connectless.connector_config import ConnectorConfigError
from connectless.manager import (
    Action,
    ChangeInFlightError,
    ConnectState,
    InProcessExecutor,
    ManagerRequest,
    MemoryBackend,
    execution_name,
)
from connectless.storage import State, TargetState

DATAGEN = {"connector.class": "Datagen", "kafka.topic": "t", "tasks.max": "2"}


@pytest.fixture
def state() -> ConnectState:
    return ConnectState.in_memory()


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def run(state: ConnectState, backend: MemoryBackend):
    executor = InProcessExecutor(state, backend)

    def submit(action: Action, name: str = "gen", **kwargs):
        return executor.submit(ManagerRequest(action, name, **kwargs))

    return submit


def test_create_writes_configs_tasks_status_and_target_state(run, state, backend) -> None:
    run(Action.PUT, config=DATAGEN)
    snapshot = state.configs.snapshot()
    assert snapshot.connectors["gen"]["name"] == "gen"
    assert [t["task.index"] for t in snapshot.tasks["gen"]] == ["0", "1"]
    assert snapshot.target_states["gen"] is TargetState.STARTED
    assert state.statuses.connector("gen").state is State.RUNNING
    assert backend.applied == [("gen", 0, "restart"), ("gen", 1, "restart")]


def test_every_execution_moves_the_generation_once(run, state) -> None:
    assert state.generations.generation("gen") == 0
    run(Action.PUT, config=DATAGEN)
    run(Action.PAUSE)
    run(Action.RESTART)
    assert state.generations.generation("gen") == 3


def test_pause_then_resume(run, state, backend) -> None:
    run(Action.PUT, config=DATAGEN)
    run(Action.PAUSE)
    assert state.statuses.task("gen", 1).state is State.PAUSED
    assert state.configs.target_state("gen") is TargetState.PAUSED
    run(Action.RESUME)
    assert backend.applied[-2:] == [("gen", 0, "start"), ("gen", 1, "start")]
    assert state.statuses.connector("gen").state is State.RUNNING


def test_create_paused_applies_pause(run, state, backend) -> None:
    run(Action.PUT, config=DATAGEN, initial_state="PAUSED")
    assert state.configs.target_state("gen") is TargetState.PAUSED
    assert {op for _, _, op in backend.applied} == {"pause"}


def test_stop_removes_tasks_and_resume_plans_them_again(run, state, backend) -> None:
    run(Action.PUT, config=DATAGEN)
    run(Action.STOP)
    assert state.configs.snapshot().tasks["gen"] == []
    assert state.configs.target_state("gen") is TargetState.STOPPED
    assert backend.running == {}
    run(Action.RESUME)
    assert len(state.configs.snapshot().tasks["gen"]) == 2
    assert len(backend.running) == 2


def test_fewer_tasks_remove_the_extra_ones(run, state, backend) -> None:
    run(Action.PUT, config=DATAGEN)
    run(Action.PUT, config={**DATAGEN, "tasks.max": "1"})
    assert ("gen", 1, "remove") in backend.applied
    assert set(backend.running) == {("gen", 0)}
    assert state.statuses.task("gen", 1) is None


def test_restart_only_failed_tasks(run, state, backend) -> None:
    run(Action.PUT, config=DATAGEN)
    from connectless.storage import Status

    state.statuses.put_task("gen", 1, Status(State.FAILED, "w", 0, "boom"))
    backend.applied.clear()
    run(Action.RESTART, include_tasks=True, only_failed=True)
    assert backend.applied == [("gen", 1, "restart")]


def test_delete_tombstones_everything(run, state, backend) -> None:
    run(Action.PUT, config=DATAGEN)
    run(Action.DELETE)
    assert "gen" not in state.configs.snapshot().connectors
    assert state.statuses.connector("gen") is None
    assert state.statuses.tasks("gen") == {}
    assert backend.running == {}


def test_invalid_config_fails_validation_before_anything_is_written(run, state, backend) -> None:
    with pytest.raises(ConnectorConfigError, match="kafka.topic"):
        run(Action.PUT, config={"connector.class": "Datagen"})
    assert state.configs.snapshot().connectors == {}
    assert backend.applied == []


def test_a_backend_on_aws_refuses_a_regex_sink_at_validation(state) -> None:
    """The state machine's Validate step (not only the REST API) refuses what no event-source mapping runs."""
    backend = MemoryBackend()
    backend.on_aws = True
    regex_sink = {"connector.class": "FileStreamSink", "topics.regex": "orders-.*", "file": "/dev/null"}
    with pytest.raises(ConnectorConfigError, match=r"topics\.regex is not supported on AWS"):
        InProcessExecutor(state, backend).submit(ManagerRequest(Action.PUT, "sink", config=regex_sink))
    assert backend.applied == []
    InProcessExecutor(state, MemoryBackend()).submit(ManagerRequest(Action.PUT, "sink", config=regex_sink))
    assert state.configs.connector_config("sink") is not None  # standalone follows the regex


def test_a_failing_plan_marks_the_connector_failed(run, state) -> None:
    run(Action.PUT, config=DATAGEN)
    failing = {"connector.class": "manager_test_plugins.FailingPlanSource"}
    with pytest.raises(RuntimeError, match="cannot split"):
        run(Action.PUT, config=failing)
    status = state.statuses.connector("gen")
    assert status.state is State.FAILED
    assert "cannot split the work" in status.trace


def test_a_concurrent_change_of_the_same_connector_is_refused(run, state) -> None:
    from manager_test_plugins import BlockingSource

    BlockingSource.entered.clear()
    BlockingSource.release.clear()
    config = {"connector.class": "manager_test_plugins.BlockingSource"}
    first = threading.Thread(target=run, args=(Action.PUT,), kwargs={"config": config})
    first.start()
    assert BlockingSource.entered.wait(5)
    try:
        with pytest.raises(ChangeInFlightError):
            run(Action.PAUSE)
        run(Action.PUT, "other", config=DATAGEN)  # another connector is not blocked
    finally:
        BlockingSource.release.set()
        first.join(5)
    assert state.configs.target_state("gen") is TargetState.STARTED


@pytest.mark.parametrize(
    ("connector", "generation", "attempt", "expected"),
    [
        ("orders", 3, 1, "orders-g3"),
        ("orders", 3, 2, "orders-g3-2"),
    ],
)
def test_execution_names(connector: str, generation: int, attempt: int, expected: str) -> None:
    assert execution_name(connector, generation, attempt) == expected


def test_execution_names_are_safe_and_distinct() -> None:
    a, b = execution_name("a b", 1), execution_name("a/b", 1)
    assert a != b
    long = execution_name("x" * 200, 12345, 7)
    assert len(long) <= 80
    assert long.endswith("-g12345-7")
    assert all(c.isalnum() or c in "-_" for c in a + long)


def test_task_configs_carry_task_class_as_kafka_connect_writes_them() -> None:
    """A Kafka Connect worker starts a task from `task.class`; Kafka's name for the file connectors' tasks."""
    from connectless.manager.steps import generate_task_configs

    file_source = {"connector.class": "FileStreamSource", "file": "/in.txt", "topic": "t"}
    [task] = generate_task_configs("src", file_source)
    assert task["task.class"] == "org.apache.kafka.connect.file.FileStreamSourceTask"
    assert (task["file"], task["topic"]) == ("/in.txt", "t")
    tasks = generate_task_configs("gen", DATAGEN)
    assert [t["task.class"] for t in tasks] == ["connectless.connectors.DatagenTask"] * 2


@pytest.fixture
def changing() -> type:
    from manager_test_plugins import ChangingSource

    ChangingSource.partitions, ChangingSource.plans = 1, 0
    return ChangingSource


CHANGING = {"connector.class": "manager_test_plugins.ChangingSource", "tasks.max": "4"}


def test_a_connector_restart_asks_for_the_tasks_again_and_restarts_them_when_they_changed(
    run, state, backend, changing
) -> None:
    run(Action.PUT, config=CHANGING)
    assert len(state.configs.snapshot().tasks["gen"]) == 1
    changing.partitions = 3  # the source grew: Kafka Connect's restart would see it
    backend.applied.clear()
    run(Action.RESTART)
    assert [t["part"] for t in state.configs.snapshot().tasks["gen"]] == ["0", "1", "2"]
    assert backend.applied == [("gen", 0, "restart"), ("gen", 1, "restart"), ("gen", 2, "restart")]


def test_a_connector_restart_with_unchanged_tasks_restarts_what_it_was_asked_to(run, state, backend, changing) -> None:
    run(Action.PUT, config=CHANGING)
    backend.applied.clear()
    run(Action.RESTART)
    assert backend.applied == [] and changing.plans == 2  # asked again; the same configs; the tasks left running
    run(Action.RESTART, include_tasks=True)
    assert backend.applied == [("gen", 0, "restart")]


def test_a_reconfiguration_asked_while_planning_plans_once_more(run, state, changing) -> None:
    run(Action.PUT, config={**CHANGING, "ask.again": "true"})
    assert changing.plans == 2
    assert len(state.configs.snapshot().tasks["gen"]) == 2


def test_raise_error_fails_the_plan_and_the_connector(run, state, changing) -> None:
    run(Action.PUT, config=CHANGING)
    with pytest.raises(RuntimeError, match="the source is gone"):
        run(Action.PUT, config={**CHANGING, "fail": "the source is gone"})
    status = state.statuses.connector("gen")
    assert status.state is State.FAILED and "the source is gone" in (status.trace or "")

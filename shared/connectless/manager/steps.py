"""The connector manager's steps, in the state machine's order:

Validate -> Plan -> Write configs -> Map over task units: Apply -> Record status. A failure before the configs
are written is caught by Record failure; one in Apply or Record status by Roll back, so that no change ends half
applied: every task unit of the connector is removed, and the connector and its tasks are FAILED with the error
as their trace, its config kept. A restart, or the same request again, rolls it forward.

Each step takes and returns JSON-ready dicts, so the same functions run as Lambda tasks of the state machine
(functions/manager) and in-process in standalone mode (executor.run_steps). Every execution ends by
writing the connector's target state: that record moves the connector's generation (see generation.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from connectless import deployment_keys
from connectless.config.providers import REFERENCE, ConfigProviderError, resolve_config
from connectless.connector_config import (
    CONNECTOR_CLASS,
    TASKS_MAX,
    ConnectorConfigError,
    check_connector_config,
    connector_type,
    find_connector,
    with_task_class,
)
from connectless.manager.aws_sinks import check_sink_config
from connectless.manager.backends.base import Op, TaskUnit
from connectless.manager.errors import BadRequestError, ConnectorNotFoundError, TaskApplyError
from connectless.manager.request import Action, ManagerRequest
from connectless.runtime.contexts import RuntimeConnectorContext
from connectless.storage import State, Status, TargetState
from connectless.storage.status import TASK_STATUS_PREFIX

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.connector import Connector
    from connectless.manager.backends.base import Backend
    from connectless.manager.state import ConnectState

_CONNECTOR_STATE = {
    TargetState.STARTED: State.RUNNING,
    TargetState.PAUSED: State.PAUSED,
    TargetState.STOPPED: State.STOPPED,
}
_INITIAL_STATE = {"RUNNING": TargetState.STARTED, "PAUSED": TargetState.PAUSED, "STOPPED": TargetState.STOPPED}


def _resolved(name: str, config: Mapping[str, str]) -> dict[str, str]:
    """`config` with its ${provider:...} references resolved, for validation and for the connector's start only:
    the copy is never stored nor returned. A reference that cannot be resolved is a config error of its key,
    whose message names the reference, never a value."""
    try:
        return resolve_config(config)
    except ConfigProviderError as exc:
        keys = [k for k, v in config.items() if isinstance(v, str) and REFERENCE.search(v)] or ["config"]
        bad = [k for k in keys if any(ref in str(config[k]) for ref in _references(exc.name))] or keys[:1]
        raise ConnectorConfigError(name, {k: [f"{exc.name}: {exc.reason}"] for k in bad}) from None


def _references(text: str) -> list[str]:
    return [m.group(0) for m in REFERENCE.finditer(text)] or [text]


def _scrub(name: str, raw: Mapping[str, str], resolved: Mapping[str, str], exc: ConnectorConfigError) -> NoReturn:
    """Re-raise `exc` with every resolved value in its messages put back as the key's reference."""
    secrets = sorted(((resolved[k], v) for k, v in raw.items() if resolved.get(k) not in (None, "", v)),
                     key=lambda pair: -len(pair[0]))  # fmt: skip

    def clean(message: str) -> str:
        for value, reference in secrets:
            message = message.replace(value, reference)
        return message

    raise ConnectorConfigError(name, {k: [clean(m) for m in msgs] for k, msgs in exc.errors.items()}) from None


def check_config(name: str, config: Mapping[str, str], *, on_aws: bool = False) -> str:
    """Validate a whole connector config (Connectless's own keys too); returns "source" or "sink". With `on_aws`,
    a sink must also fit AWS's event-source mappings (aws_sinks.check_sink_config).

    The references of `config` are resolved first, as Kafka Connect validates the transformed config; errors
    name the keys and references, never a resolved value."""
    raw = {**config, "name": name}
    full = _resolved(name, raw)
    try:
        result = check_connector_config(full, name)
        bad = {v.name: v.errors for v in deployment_keys.CONFIG_DEF.validate(full) if v.errors}
        if on_aws and result.plugin is not None and connector_type(result.plugin) == "sink":
            bad.update(check_sink_config(full))
        if bad:
            raise ConnectorConfigError(name, bad)
    except ConnectorConfigError as exc:
        _scrub(name, raw, full, exc)
    assert result.plugin is not None
    return connector_type(result.plugin)


def validate(state: ConnectState, request: ManagerRequest, *, on_aws: bool = False) -> dict[str, Any]:
    state.configs.refresh()
    if request.action is Action.PUT:
        if request.config is None:
            raise BadRequestError("a config is required")
        return {"type": check_config(request.connector, request.config, on_aws=on_aws)}
    existing = state.configs.connector_config(request.connector)
    if existing is None:
        raise ConnectorNotFoundError(request.connector)
    return {"type": connector_type(find_connector(existing.get(CONNECTOR_CLASS, "")))}


def generate_task_configs(name: str, config: Mapping[str, str]) -> list[dict[str, str]]:
    """Connector.task_configs(tasks.max), from a connector started for the purpose and stopped after.

    The connector gets a ConnectorContext for that time: `raise_error(e)` fails the plan with `e` (the connector
    ends FAILED, as in Kafka Connect); `request_task_reconfiguration()` made during task_configs() asks it once
    more (made during start(), the configs asked next are already the new ones). The connector does not outlive
    the step: a connector watching its source from a thread of its own is restarted to be asked again (a connector
    restart plans its tasks again, see `plan`).

    The connector starts with the references of `config` resolved (Kafka Connect's ConfigTransformer); the task
    configs it returns get the raw reference back for every key whose raw value has one (Kafka Connect's
    AbstractHerder.reverseTransform), so what is written keeps references and each task resolves at start."""
    raw = {**config, "name": name}
    full = _resolved(name, raw)
    connector: Connector = find_connector(full[CONNECTOR_CLASS]).cls()
    context = RuntimeConnectorContext()
    connector.initialize(context)
    connector.start(full)
    try:
        max_tasks = int(full.get(TASKS_MAX, "1"))
        for _ in range(2):  # asked again once when the connector asks for it while answering
            context.reconfiguration_requested = False
            generated = [{k: str(v) for k, v in c.items()} for c in connector.task_configs(max_tasks)[:max_tasks]]
            if context.error is not None:
                raise context.error
            if not context.reconfiguration_requested:
                break
    finally:
        connector.stop()
    keep = {k: v for k, v in raw.items() if isinstance(v, str) and REFERENCE.search(v)}
    restored = [{**c, **{k: v for k, v in keep.items() if k in c}} for c in generated]
    return with_task_class(find_connector(full[CONNECTOR_CLASS]), restored)


def plan(state: ConnectState, request: ManagerRequest, validation: Mapping[str, Any]) -> dict[str, Any]:
    """Decide the target state, the new task configs (None: unchanged) and what to do with each task."""
    snapshot = state.configs.snapshot()
    name, action = request.connector, request.action
    old_count = len(snapshot.tasks.get(name, []))
    current = snapshot.target_states.get(name) if name in snapshot.connectors else None
    target: TargetState | None = current or TargetState.STARTED
    task_configs: list[dict[str, str]] | None = None
    units: list[tuple[int, Op]] = []
    if action is Action.PUT:
        assert request.config is not None
        if current is None:
            target = _INITIAL_STATE.get((request.initial_state or "RUNNING").upper(), TargetState.STARTED)
        running = target is not TargetState.STOPPED
        task_configs = generate_task_configs(name, request.config) if running else []
        op = Op.RESTART if target is TargetState.STARTED else Op.PAUSE
        units = [(i, op) for i in range(len(task_configs))]
    elif action is Action.PAUSE:
        target = TargetState.PAUSED
        units = [(i, Op.PAUSE) for i in range(old_count)]
    elif action is Action.RESUME:
        target = TargetState.STARTED
        if current is TargetState.STOPPED:
            task_configs = generate_task_configs(name, snapshot.connectors[name])
        units = [(i, Op.START) for i in range(old_count if task_configs is None else len(task_configs))]
    elif action is Action.STOP:
        target, task_configs = TargetState.STOPPED, []
    elif action is Action.RESTART:
        if current is TargetState.STARTED and request.task is None:
            # A connector restart asks the connector for its tasks again, as Kafka Connect's does: changed ones are
            # written and every task restarts on them.
            fresh = generate_task_configs(name, snapshot.connectors[name])
            if fresh != snapshot.tasks.get(name, []):
                task_configs = fresh
                units = [(i, Op.RESTART) for i in range(len(fresh))]
        if task_configs is None:
            units = _restart_units(state, request, old_count) if current is TargetState.STARTED else []
    else:  # DELETE
        target = None
        units = [(i, Op.REMOVE) for i in range(old_count)]
    if task_configs is not None:
        units += [(i, Op.REMOVE) for i in range(len(task_configs), old_count)]
    return {
        "type": validation["type"],
        "target_state": None if target is None else target.value,
        "task_configs": task_configs,
        "units": [{"task": i, "op": op.value} for i, op in units],
    }


def _restart_units(state: ConnectState, request: ManagerRequest, count: int) -> list[tuple[int, Op]]:
    if request.task is not None:
        return [(request.task, Op.RESTART)] if 0 <= request.task < count else []
    if not request.include_tasks:
        return []
    state.statuses.refresh()
    failed = {i for i, s in state.statuses.tasks(request.connector).items() if s.state is State.FAILED}
    return [(i, Op.RESTART) for i in range(count) if not request.only_failed or i in failed]


def write_configs(state: ConnectState, request: ManagerRequest, planned: Mapping[str, Any]) -> dict[str, Any]:
    name = request.connector
    if request.action is Action.PUT:
        assert request.config is not None
        state.configs.put_connector_config(name, {**request.config, "name": name})
    if planned.get("task_configs") is not None:
        state.configs.put_task_configs(name, planned["task_configs"])
    return {"written": planned.get("task_configs") is not None or request.action is Action.PUT}


def apply(state: ConnectState, backend: Backend, request: ManagerRequest, unit: Mapping[str, Any],
          kind: str) -> dict[str, Any]:  # fmt: skip
    """One Map item: the backend puts one task where the plan says."""
    state.configs.refresh()
    snapshot = state.configs.snapshot()
    name, task, op = request.connector, int(unit["task"]), Op(unit["op"])
    found = backend.apply(
        TaskUnit(name, task, op, kind, snapshot.connectors.get(name, {}), snapshot.task_config(name, task))
    )
    return {"task": task, "op": op.value, "state": None if found is None else found.value}


def record_status(state: ConnectState, request: ManagerRequest, planned: Mapping[str, Any],
                  applied: Sequence[Mapping[str, Any]]) -> dict[str, Any]:  # fmt: skip
    name, worker = request.connector, state.worker_id
    failed = [a for a in applied if a.get("error")]
    if failed:  # the ASL's Map caught them per item: every other item has ended, the roll-back comes next
        raise TaskApplyError([f"task {a['task']}: {a['error'].get('Cause') or a['error'].get('Error')}"
                              for a in failed])  # fmt: skip
    removed = [int(a["task"]) for a in applied if a["op"] == Op.REMOVE.value]
    for task in removed:
        state.statuses.log.send(f"{TASK_STATUS_PREFIX}{name}-{task}".encode(), None).wait()
    if planned["target_state"] is None:  # deleted
        state.statuses.remove(name, 0)
        # Its active topics go too, now that its tasks are stopped. StatusStore.remove leaves them (as Kafka
        # Connect's KafkaStatusBackingStore.remove does); Kafka Connect's DistributedHerder then resets the
        # active topics of a deleted connector once its tasks are revoked (resetActiveTopics; its
        # ConnectorTopicsIntegrationTest: "deleting a connector resets its active topics").
        state.statuses.refresh()
        state.statuses.reset_topics(name)
        state.configs.remove_connector(name)
        return {"connector": name, "state": None}
    for entry in applied:
        if entry.get("state") is not None:
            state.statuses.put_task(name, int(entry["task"]), Status(State(entry["state"]), worker))
    target = TargetState(planned["target_state"])
    if request.action is not Action.RESTART or request.task is None:
        state.statuses.put_connector(name, Status(_CONNECTOR_STATE[target], worker))
    state.configs.put_target_state(name, target)
    return {"connector": name, "state": _CONNECTOR_STATE[target].value}


def record_failure(state: ConnectState, request: ManagerRequest, error: Mapping[str, Any]) -> dict[str, Any]:
    """The Catch path: the connector (when it exists) is FAILED with the error as its trace."""
    cause = str(error.get("Cause") or error.get("Error") or "unknown error")
    state.configs.refresh()
    if state.configs.connector_config(request.connector) is not None:
        state.statuses.put_connector(request.connector, Status(State.FAILED, state.worker_id, 0, cause))
    return {"connector": request.connector, "state": State.FAILED.value, "error": error.get("Error")}


def roll_back(state: ConnectState, backend: Backend, request: ManagerRequest,
              error: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The Catch of Apply and Record status: nothing of the connector is left half deployed (no schedule, alias or
    event-source mapping of any of its tasks), and the connector and each of its tasks are FAILED with the error
    as their trace. Removing what is not there is a no-op, so this step may run again."""
    state.configs.refresh()
    state.statuses.refresh()
    snapshot = state.configs.snapshot()
    name = request.connector
    config = snapshot.connectors.get(name)
    count = max(len(snapshot.tasks.get(name, [])), max(state.statuses.tasks(name), default=-1) + 1)
    if config is None:  # a delete that got as far as removing the config: nothing is left to run
        return {"connector": name, "state": None, "removed": 0, "error": error.get("Error")}
    try:
        kind = connector_type(find_connector(config.get(CONNECTOR_CLASS, "")))
    except Exception:  # an unknown class never deployed anything that Apply would remove by kind
        kind = "source"
    for task in range(count):
        backend.apply(TaskUnit(name, task, Op.REMOVE, kind, config, snapshot.task_config(name, task)))
    cause = str(error.get("Cause") or error.get("Error") or "unknown error")
    trace = f"{request.action.value} of connector {name} failed and was rolled back; nothing of it runs: {cause}"
    for task in range(count):
        state.statuses.put_task(name, task, Status(State.FAILED, state.worker_id, 0, trace))
    state.statuses.put_connector(name, Status(State.FAILED, state.worker_id, 0, trace))
    return {"connector": name, "state": State.FAILED.value, "removed": count, "error": error.get("Error")}

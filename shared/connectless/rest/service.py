"""The Kafka Connect REST API's logic, over the state topics and a manager executor.

Reads come from the config, status and offsets topics. Changes are checked first (unknown connector: 404,
invalid config: 400, so a bad config never reaches the state machine), then handed to the executor.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from connectless.connector import VERSION
from connectless.connector_config import CONNECTOR_CLASS, connector_type, consumer_group, find_connector
from connectless.manager.aws_sinks import sink_group, sink_groups, sink_topics
from connectless.manager.errors import (
    BadRequestError,
    ConfigTooLargeError,
    ConnectorExistsError,
    ConnectorNotFoundError,
)
from connectless.manager.request import Action, ManagerRequest
from connectless.manager.steps import check_config
from connectless.plugins import PluginNotFoundError
from connectless.rest import masking
from connectless.rest.errors import NotFoundError
from connectless.rest.offsets import GroupOffsets, SinkOffset, parse_offsets_body, parse_sink_offsets
from connectless.rest.plugins_view import string_map
from connectless.storage import State, Status, TargetState

if TYPE_CHECKING:
    from connectless.manager.executor import Executor
    from connectless.manager.state import ConnectState
    from connectless.storage import ConfigSnapshot

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INITIAL_STATES = ("RUNNING", "PAUSED", "STOPPED")
# Kafka takes records of about 1 MB by default (the producer's message.max.bytes, the broker's); a connector's
# record must leave room for the task records, which repeat its properties plus their own.
MAX_CONFIG_RECORD_BYTES = 900_000
STOPPED_REQUIRED = (
    "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the "
    "specified connector by issuing a 'PUT' request to the '/connectors/{}/stop' endpoint"
)


class ConnectService:
    def __init__(self, state: ConnectState, executor: Executor, kafka_cluster_id: str | None = None, *,
                 on_aws: bool = False) -> None:  # fmt: skip
        self.state = state
        self.executor = executor
        self.kafka_cluster_id = kafka_cluster_id
        self.on_aws = on_aws  # sinks run as event-source mappings: a group per topic for several topics (aws_sinks)
        self.groups = GroupOffsets(state.settings)

    # -- helpers -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.state.refresh()

    def _snapshot(self) -> ConfigSnapshot:
        return self.state.configs.snapshot()

    def _config(self, name: str) -> dict[str, str]:
        config = self.state.configs.connector_config(name)
        if config is None:
            raise ConnectorNotFoundError(name)
        return config

    @staticmethod
    def _type(config: dict[str, str]) -> str:
        try:
            return connector_type(find_connector(config.get(CONNECTOR_CLASS, "")))
        except PluginNotFoundError:
            return "unknown"

    def _submit(self, request: ManagerRequest) -> dict[str, Any]:
        result = self.executor.submit(request)
        self.refresh()  # what the execution wrote, possibly from another process
        return result

    # -- server ------------------------------------------------------------------------------------
    def server_info(self) -> dict[str, Any]:
        return {"version": VERSION, "commit": "connectless", "kafka_cluster_id": self.kafka_cluster_id}

    # -- connectors --------------------------------------------------------------------------------
    def list_connectors(self, expand: list[str]) -> Any:
        names = sorted(self._snapshot().connectors)
        wanted = [e for e in expand if e in ("status", "info")]
        if not wanted:
            return names
        out: dict[str, dict[str, Any]] = {}
        for name in names:
            entry: dict[str, Any] = {}
            if "info" in wanted:
                entry["info"] = self.connector_info(name)
            if "status" in wanted:
                entry["status"] = self.status(name)
            out[name] = entry
        return out

    def connector_info(self, name: str) -> dict[str, Any]:
        config = self._config(name)
        count = len(self._snapshot().tasks.get(name, []))
        return {
            "name": name,
            "config": masking.mask(config),
            "tasks": [{"connector": name, "task": i} for i in range(count)],
            "type": self._type(config),
        }

    def connector_config(self, name: str) -> dict[str, str]:
        return masking.mask(self._config(name))

    def create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequestError("The request body must be a JSON object with 'name' and 'config'")
        config = string_map(body.get("config") if body.get("config") is not None else {})
        name = body.get("name", config.get("name"))
        if name is None:
            raise BadRequestError("Connector name must be specified")
        if not isinstance(name, str):
            raise BadRequestError("Connector name must be a string")
        initial = body.get("initial_state")
        if initial is not None and (not isinstance(initial, str) or initial.upper() not in _INITIAL_STATES):
            raise BadRequestError(f"Invalid initial state {initial}; use one of {', '.join(_INITIAL_STATES)}")
        self._check_name(name, config)
        if name in self._snapshot().connectors:
            raise ConnectorExistsError(name)
        self._put(name, config, initial.upper() if initial else None)
        return self.connector_info(name)

    def put_config(self, name: str, body: Any) -> tuple[bool, dict[str, Any]]:
        """PUT /connectors/{c}/config: (created, info)."""
        config = string_map(body)
        self._check_name(name, config)
        stored = self.state.configs.connector_config(name)
        self._put(name, masking.restore_hidden(config, stored), None)
        return stored is None, self.connector_info(name)

    def patch_config(self, name: str, body: Any) -> dict[str, Any]:
        stored = self._config(name)
        if not isinstance(body, dict):
            raise BadRequestError("The request body must be a JSON object of configuration properties")
        removed = {k for k, v in body.items() if v is None}
        merged = {k: v for k, v in stored.items() if k not in removed}
        merged.update(string_map(body))
        self._check_name(name, merged)
        self._put(name, masking.restore_hidden(merged, stored), None)
        return self.connector_info(name)

    @staticmethod
    def _check_name(name: str, config: dict[str, str]) -> None:
        if not name.strip() or _CONTROL.search(name):
            raise BadRequestError("Connector name must not be empty and must not contain ISO control characters")
        if config.get("name", name) != name:
            raise BadRequestError(
                f"Connector name configuration ({config['name']}) doesn't match connector name in the URL ({name})"
            )

    def _put(self, name: str, config: dict[str, str], initial_state: str | None) -> None:
        config = {**config, "name": name}
        size = len(json.dumps({"properties": config}, ensure_ascii=False).encode())
        if size > MAX_CONFIG_RECORD_BYTES:
            raise ConfigTooLargeError(
                f"The configuration of {name} takes {size} bytes as a config-topic record; the config topic takes "
                f"at most {MAX_CONFIG_RECORD_BYTES} bytes per connector (Kafka's 1 MB record limit, with room for "
                "the task configs)"
            )
        check_config(name, config, on_aws=self.on_aws)  # ConnectorConfigError -> 400, before any execution starts
        self._submit(ManagerRequest(Action.PUT, name, config, initial_state))

    def delete(self, name: str) -> None:
        self._config(name)
        self._submit(ManagerRequest(Action.DELETE, name))

    def change_state(self, name: str, action: Action) -> None:
        self._config(name)
        self._submit(ManagerRequest(action, name))

    def restart(self, name: str, include_tasks: bool, only_failed: bool) -> dict[str, Any] | None:
        """Connector only: None (204). With tasks or only failed ones: the status (202) as the restart plan has it,
        every instance it restarts shown RESTARTING (KIP-745), the others as they are."""
        self._config(name)
        if not include_tasks and not only_failed:
            self._submit(ManagerRequest(Action.RESTART, name, include_tasks=include_tasks, only_failed=only_failed))
            return None
        self.state.statuses.refresh()
        plan = self.status(name)

        def restarts(instance: dict[str, Any]) -> bool:
            return not only_failed or instance["state"] == State.FAILED.value

        for instance in [plan["connector"], *(plan["tasks"] if include_tasks else [])]:
            if restarts(instance):
                instance["state"] = State.RESTARTING.value
        self._submit(ManagerRequest(Action.RESTART, name, include_tasks=include_tasks, only_failed=only_failed))
        return plan

    def restart_task(self, name: str, task: int) -> None:
        self._task_count_check(name, task)
        self._submit(ManagerRequest(Action.RESTART, name, task=task))

    def resume_stored(self, exclude: set[str]) -> None:
        """Start again the tasks of the running connectors the config topic holds (a restarted worker).

        A paused or stopped connector is recorded PAUSED (with its tasks) or STOPPED by this worker, as a Kafka
        Connect worker does when it is assigned one: the last status may be another worker's UNASSIGNED, written
        as it shut down.
        """
        snapshot = self._snapshot()
        worker = self.state.worker_id
        for name in sorted(set(snapshot.connectors) - exclude):
            target = snapshot.target_states.get(name)
            if target is TargetState.STARTED:
                self._submit(ManagerRequest(Action.RESTART, name, include_tasks=True))
            elif target is TargetState.PAUSED:
                for task in range(len(snapshot.tasks.get(name, []))):
                    self.state.statuses.put_task(name, task, Status(State.PAUSED, worker))
                self.state.statuses.put_connector(name, Status(State.PAUSED, worker))
            elif target is TargetState.STOPPED:
                self.state.statuses.put_connector(name, Status(State.STOPPED, worker))

    # -- status and tasks --------------------------------------------------------------------------
    def _status_json(self, status: Status | None, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {**extra, "state": State.UNASSIGNED.value, "worker_id": self.state.worker_id}
        if status is not None:
            body.update(state=status.state.value, worker_id=status.worker_id)
            if status.trace:
                body["trace"] = status.trace
        return body

    def status(self, name: str) -> dict[str, Any]:
        config = self._config(name)
        count = len(self._snapshot().tasks.get(name, []))
        statuses = self.state.statuses
        return {
            "name": name,
            "connector": self._status_json(statuses.connector(name)),
            "tasks": [self._status_json(statuses.task(name, i), id=i) for i in range(count)],
            "type": self._type(config),
        }

    def _task_count_check(self, name: str, task: int) -> None:
        self._config(name)
        if not 0 <= task < len(self._snapshot().tasks.get(name, [])):
            raise NotFoundError(f"Task {name}-{task} not found")

    def task_status(self, name: str, task: int) -> dict[str, Any]:
        self._task_count_check(name, task)
        return self._status_json(self.state.statuses.task(name, task), id=task)

    def tasks(self, name: str) -> list[dict[str, Any]]:
        secret = masking.password_keys(self._config(name))
        configs = self._snapshot().tasks.get(name, [])
        return [
            {"id": {"connector": name, "task": i}, "config": masking.mask(c, secret | masking.password_keys(c))}
            for i, c in enumerate(configs)
        ]

    def tasks_config(self, name: str) -> dict[str, dict[str, str]]:
        return {f"{name}-{t['id']['task']}": t["config"] for t in self.tasks(name)}

    def topics(self, name: str) -> dict[str, Any]:
        """The connector's active topics (KIP-558): those its tasks recorded in the status topic as they produced
        to (sources) or consumed from (sinks) them, sorted. The API read the status topic to its end first."""
        self._config(name)
        return {name: {"topics": self.state.statuses.topics(name)}}

    def reset_topics(self, name: str) -> None:
        """A tombstone for each of the connector's topic records; tasks record a topic again as they use it."""
        self._config(name)
        self.state.statuses.reset_topics(name)

    # -- offsets -----------------------------------------------------------------------------------
    def _topic_groups(self, name: str, config: dict[str, str]) -> dict[str, str] | None:
        """On AWS, a sink with several topics, or a name AWS's group rule refuses, keeps its offsets in groups of
        its own (aws_sinks): topic -> group. None: the sink has the one group connect-<name>, as in Kafka Connect."""
        topics = sink_topics(config)
        if not self.on_aws:
            return None
        groups = sink_groups(name, topics)
        return groups if len(topics) > 1 or set(groups.values()) - {consumer_group(name)} else None

    def get_offsets(self, name: str) -> dict[str, Any]:
        config = self._config(name)
        if self._type(config) == "sink":
            groups = self._topic_groups(name, config)
            if groups is None:
                return {"offsets": self.groups.get(consumer_group(name))}
            found = [e for topic, group in groups.items() for e in self.groups.get(group)
                     if e["partition"]["kafka_topic"] == topic]  # fmt: skip
            found.sort(key=lambda e: (e["partition"]["kafka_topic"], e["partition"]["kafka_partition"]))
            return {"offsets": found}
        offsets = self.state.offsets.all(name)
        return {"offsets": [{"partition": p, "offset": o} for p, o in offsets]}

    def _require_stopped(self, name: str) -> dict[str, str]:
        config = self._config(name)
        if self.state.configs.target_state(name) is not TargetState.STOPPED:
            raise BadRequestError(STOPPED_REQUIRED.format(name))
        return config

    def alter_offsets(self, name: str, body: Any) -> dict[str, str]:
        config = self._require_stopped(name)
        pairs = parse_offsets_body(body)
        if self._type(config) == "sink":
            offsets = parse_sink_offsets(pairs)
            if self._topic_groups(name, config) is None:
                self.groups.alter(consumer_group(name), offsets)
            else:
                topics = sink_topics(config)
                by_group: dict[str, list[SinkOffset]] = {}
                for entry in offsets:
                    by_group.setdefault(sink_group(name, entry[0], topics), []).append(entry)
                for group, entries in by_group.items():
                    self.groups.alter(group, entries)
        else:
            self.state.offsets.write(name, pairs)
        return {"message": "The offsets for this connector have been altered successfully"}

    def reset_offsets(self, name: str) -> dict[str, str]:
        config = self._require_stopped(name)
        if self._type(config) == "sink":
            groups = self._topic_groups(name, config) or {}
            # connect-<name> too: a later per-topic group must not be seeded from offsets that were reset
            for group in (*groups.values(), consumer_group(name)):
                self.groups.reset(group)
        else:
            self.state.offsets.delete_all(name)
        return {"message": "The offsets for this connector have been reset successfully"}

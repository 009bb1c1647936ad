"""The REST API's handler over memory state: formats, errors, masking, plugins, validate, loggers, OpenAPI."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from connectless.manager import ConnectState, InProcessExecutor, MemoryBackend
from connectless.plugins import REGISTRY, PluginKind
from connectless.rest import ConnectService, make_handler
from connectless.rest.local_server import proxy_event
from connectless.rest.openapi import openapi_document
from connectless.storage import MemoryLog, State, Status, StatusStore

REPO_OPENAPI = Path(__file__).resolve().parents[3] / "infra" / "openapi" / "connect-rest.json"
DATAGEN = {"connector.class": "Datagen", "kafka.topic": "t"}
SECRET = {"connector.class": "manager_test_plugins.SecretSource", "db.user": "u", "db.password": "s3cr3t"}


class Api:
    def __init__(self) -> None:
        self.state = ConnectState.in_memory()
        self.backend = MemoryBackend()
        self.handler = make_handler(lambda: ConnectService(self.state, InProcessExecutor(self.state, self.backend)))

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        raw = json.dumps(body).encode() if body is not None else b""
        response = self.handler(proxy_event(method, path, {}, raw, "127.0.0.1"), None)
        text = response.get("body") or ""
        return response["statusCode"], json.loads(text) if text else None


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "manager"))  # manager_test_plugins
    return Api()


def test_served_openapi_matches_the_repo_copy(api: Api) -> None:
    status, served = api("GET", "/openapi.json")
    assert status == 200
    assert served == json.loads(REPO_OPENAPI.read_text()) == openapi_document()


def test_create_answers_201_with_the_connector_info(api: Api) -> None:
    status, body = api("POST", "/connectors", {"name": "gen", "config": DATAGEN})
    assert status == 201
    assert body == {"name": "gen", "config": {**DATAGEN, "name": "gen"},
                    "tasks": [{"connector": "gen", "task": 0}], "type": "source"}  # fmt: skip


def test_invalid_config_is_400_and_never_executes(api: Api) -> None:
    status, body = api("POST", "/connectors", {"name": "bad", "config": {"connector.class": "Datagen"}})
    assert status == 400
    assert body["error_code"] == 400
    assert "kafka.topic" in body["message"]
    assert api.backend.applied == []
    assert api.state.generations.generation("bad") == 0


def test_existing_connector_is_409_and_unknown_is_404(api: Api) -> None:
    api("POST", "/connectors", {"name": "gen", "config": DATAGEN})
    assert api("POST", "/connectors", {"name": "gen", "config": DATAGEN})[0] == 409
    for method, path in [("GET", "/connectors/nope"), ("GET", "/connectors/nope/status"),
                         ("PUT", "/connectors/nope/pause"), ("DELETE", "/connectors/nope"),
                         ("GET", "/connectors/nope/offsets"), ("GET", "/connectors/gen/tasks/7/status")]:  # fmt: skip
        status, body = api(method, path)
        assert (status, body["error_code"]) == (404, 404), path


def test_put_config_creates_then_updates(api: Api) -> None:
    assert api("PUT", "/connectors/gen/config", DATAGEN)[0] == 201
    status, body = api("PUT", "/connectors/gen/config", {**DATAGEN, "tasks.max": "2"})
    assert status == 200
    assert len(body["tasks"]) == 2


def test_patch_merges_and_null_removes(api: Api) -> None:
    api("POST", "/connectors", {"name": "gen", "config": {**DATAGEN, "quickstart": "users"}})
    status, body = api("PATCH", "/connectors/gen/config", {"quickstart": None, "batch.size": "10"})
    assert status == 200
    assert "quickstart" not in body["config"]
    assert body["config"]["batch.size"] == "10"


def test_name_mismatch_is_400(api: Api) -> None:
    assert api("PUT", "/connectors/gen/config", {**DATAGEN, "name": "other"})[0] == 400


def test_passwords_are_hidden_everywhere_and_kept_on_put_back(api: Api) -> None:
    api("POST", "/connectors", {"name": "db", "config": SECRET})
    reads = [api("GET", "/connectors/db/config")[1], api("GET", "/connectors/db")[1]["config"],
             api("GET", "/connectors/db/tasks")[1][0]["config"], api("GET", "/connectors/db/tasks-config")[1]["db-0"],
             api("GET", "/connectors?expand=info")[1]["db"]["info"]["config"]]  # fmt: skip
    for config in reads:
        assert config["db.password"] == "[hidden]"
    assert "s3cr3t" not in json.dumps(reads)
    shown = api("GET", "/connectors/db/config")[1]
    api("PUT", "/connectors/db/config", {**shown, "db.user": "v"})
    assert api.state.configs.connector_config("db")["db.password"] == "s3cr3t"


def test_validate_hides_passwords_and_counts_errors(api: Api) -> None:
    status, body = api("PUT", "/connector-plugins/manager_test_plugins.SecretSource/config/validate",
                       {**SECRET, "name": "db", "tasks.max": "0"})  # fmt: skip
    assert status == 200
    values = {c["value"]["name"]: c["value"] for c in body["configs"]}
    assert values["db.password"]["value"] == "[hidden]"
    assert body["error_count"] == 1
    assert values["tasks.max"]["errors"]
    definition = next(c["definition"] for c in body["configs"] if c["definition"]["name"] == "db.password")
    assert definition["type"] == "PASSWORD"
    assert "Common" in body["groups"]


def test_validate_class_mismatch_is_400(api: Api) -> None:
    status, _ = api("PUT", "/connector-plugins/FileStreamSink/config/validate", DATAGEN)
    assert status == 400


def test_validate_reports_transform_errors_by_key(api: Api) -> None:
    config = {**DATAGEN, "transforms": "x", "transforms.x.type": "NoSuchTransform"}
    _, body = api("PUT", "/connector-plugins/Datagen/config/validate", config)
    errors = {c["value"]["name"]: c["value"]["errors"] for c in body["configs"] if c["value"]["errors"]}
    assert "transforms.x.type" in errors


def test_plugins_list_every_kind(api: Api) -> None:
    _, connectors = api("GET", "/connector-plugins")
    assert {p["type"] for p in connectors} == {"source", "sink"}
    _, every = api("GET", "/connector-plugins?connectorsOnly=false")
    classes = {p["class"] for p in every}
    for kind in PluginKind:
        for desc in REGISTRY.all(kind):
            assert desc.class_name in classes
    assert "org.apache.kafka.connect.transforms.predicates.HasHeaderKey" in classes
    assert "org.apache.kafka.connect.storage.SimpleHeaderConverter" in classes


def test_plugin_config_lists_its_config_def(api: Api) -> None:
    status, keys = api("GET", "/connector-plugins/org.apache.kafka.connect.transforms.RegexRouter/config")
    assert status == 200
    assert {k["name"] for k in keys} >= {"regex", "replacement"}
    assert api("GET", "/connector-plugins/os.system/config")[0] == 404


def test_loggers(api: Api) -> None:
    logging.getLogger("connectless.test.rest").setLevel(logging.INFO)
    status, changed = api("PUT", "/admin/loggers/connectless.test", {"level": "DEBUG"})
    assert status == 200
    assert "connectless.test.rest" in changed
    assert api("GET", "/admin/loggers/connectless.test.rest")[1]["level"] == "DEBUG"
    assert "root" in api("GET", "/admin/loggers")[1]
    assert api("PUT", "/admin/loggers/connectless.test", {"level": "LOUD"})[0] == 400
    assert api("GET", "/admin/loggers/no.such.logger.anywhere")[0] == 404


def test_offsets_change_only_when_stopped(api: Api) -> None:
    api("POST", "/connectors", {"name": "gen", "config": DATAGEN})
    change = {"offsets": [{"partition": {"shape": "orders"}, "offset": {"next": 42}}]}
    status, body = api("PATCH", "/connectors/gen/offsets", change)
    assert status == 400
    assert "STOPPED" in body["message"]
    assert api("DELETE", "/connectors/gen/offsets")[0] == 400
    assert api("PUT", "/connectors/gen/stop")[0] == 204
    assert api("PATCH", "/connectors/gen/offsets", change)[0] == 200
    assert api("GET", "/connectors/gen/offsets")[1] == change
    assert api("DELETE", "/connectors/gen/offsets")[0] == 200
    assert api("GET", "/connectors/gen/offsets")[1] == {"offsets": []}


def test_restart_codes(api: Api) -> None:
    api("POST", "/connectors", {"name": "gen", "config": DATAGEN})
    assert api("POST", "/connectors/gen/restart")[0] == 204
    status, body = api("POST", "/connectors/gen/restart?includeTasks=True&onlyFailed=False")
    assert status == 202
    assert (body["connector"]["state"], body["tasks"][0]["state"]) == ("RESTARTING", "RESTARTING")  # the plan
    assert api("GET", "/connectors/gen/status")[1]["tasks"][0]["state"] == "RUNNING"  # and then done
    assert api("POST", "/connectors/gen/tasks/0/restart")[0] == 204


def test_restart_only_failed_shows_just_the_failed_instances_restarting(api: Api) -> None:
    api("POST", "/connectors", {"name": "gen", "config": {**DATAGEN, "tasks.max": "2"}})
    api.state.statuses.put_task("gen", 1, Status(State.FAILED, "w", 0, "boom"))
    status, body = api("POST", "/connectors/gen/restart?includeTasks=true&onlyFailed=true")
    assert status == 202
    assert body["connector"]["state"] == "RUNNING"
    assert [t["state"] for t in body["tasks"]] == ["RUNNING", "RESTARTING"]


def test_bad_json_is_400(api: Api) -> None:
    response = api.handler(proxy_event("POST", "/connectors", {}, b"{nope", "127.0.0.1"), None)
    assert response["statusCode"] == 400


def test_a_known_resource_with_another_method_is_405_and_an_unknown_path_404(api: Api) -> None:
    raw = api.handler(proxy_event("DELETE", "/connectors", {}, b"", "127.0.0.1"), None)
    assert raw["statusCode"] == 405
    assert json.loads(raw["body"]) == {"error_code": 405, "message": "HTTP 405 Method Not Allowed"}
    assert raw["multiValueHeaders"]["Allow"] == ["GET, POST"]
    assert api("POST", "/connectors/gen/status")[0] == 405
    assert api("GET", "/no/such/path") == (404, {"error_code": 404, "message": "HTTP 404 Not Found"})


def test_topics_are_the_active_topics_the_tasks_recorded_and_reset_forgets_them(api: Api) -> None:
    api("POST", "/connectors", {"name": "gen", "config": DATAGEN})
    api("POST", "/connectors", {"name": "sink", "config": {"connector.class": "FileStreamSink", "topics": "t,u"}})
    assert api("GET", "/connectors/gen/topics") == (200, {"gen": {"topics": []}})
    assert api("GET", "/connectors/sink/topics") == (200, {"sink": {"topics": []}})  # configured is not active
    tasks = StatusStore(MemoryLog(api.state.statuses.log.topic))  # the tasks write from their own processes
    tasks.start()
    tasks.put_topic("gen", "t", 0)
    tasks.put_topic("sink", "u", 0)
    tasks.put_topic("sink", "t", 1)
    assert api("GET", "/connectors/gen/topics") == (200, {"gen": {"topics": ["t"]}})
    assert api("GET", "/connectors/sink/topics") == (200, {"sink": {"topics": ["t", "u"]}})

    log = api.state.statuses.log.topic
    before = len(log.records)
    assert api("PUT", "/connectors/sink/topics/reset") == (202, None)
    assert sorted(log.records[before:]) == [
        (b"status-topic-t:connector-sink", None),
        (b"status-topic-u:connector-sink", None),
    ]
    assert api("GET", "/connectors/sink/topics") == (200, {"sink": {"topics": []}})
    assert api("GET", "/connectors/gen/topics") == (200, {"gen": {"topics": ["t"]}})
    for method, path in [("GET", "/connectors/nope/topics"), ("PUT", "/connectors/nope/topics/reset")]:
        assert api(method, path)[0] == 404, path


def test_deleting_a_connector_resets_its_active_topics(api: Api) -> None:
    """As Kafka Connect's DistributedHerder does once the deleted connector's tasks are stopped."""
    api("POST", "/connectors", {"name": "gen", "config": DATAGEN})
    api("POST", "/connectors", {"name": "other", "config": DATAGEN})
    tasks = StatusStore(MemoryLog(api.state.statuses.log.topic))
    tasks.start()
    tasks.put_topic("gen", "t", 0)
    tasks.put_topic("other", "t", 0)
    assert api("DELETE", "/connectors/gen")[0] == 204
    assert (b"status-topic-t:connector-gen", None) in api.state.statuses.log.topic.records
    api("POST", "/connectors", {"name": "gen", "config": DATAGEN})
    assert api("GET", "/connectors/gen/topics") == (200, {"gen": {"topics": []}})
    assert api("GET", "/connectors/other/topics") == (200, {"other": {"topics": ["t"]}})


def test_a_restarted_worker_records_its_paused_and_stopped_connectors(api: Api) -> None:
    """As a Kafka Connect worker assigned them does: the last word may be another worker's UNASSIGNED."""
    api("POST", "/connectors", {"name": "paused", "config": DATAGEN})
    api("PUT", "/connectors/paused/pause")
    api("POST", "/connectors", {"name": "stopped", "config": DATAGEN, "initial_state": "STOPPED"})
    api("POST", "/connectors", {"name": "running", "config": DATAGEN})
    gone = Status(State.UNASSIGNED, "other-worker:8083", 7)
    for name in ("paused", "stopped", "running"):
        api.state.statuses.put_connector(name, gone)
    api.state.statuses.put_task("paused", 0, gone)

    ConnectService(api.state, InProcessExecutor(api.state, api.backend)).resume_stored(exclude={"running"})

    statuses = api.state.statuses
    worker = api.state.worker_id
    assert statuses.connector("paused") == Status(State.PAUSED, worker)
    assert statuses.task("paused", 0) == Status(State.PAUSED, worker)
    assert statuses.connector("stopped") == Status(State.STOPPED, worker)
    assert statuses.connector("running") == gone  # excluded: its file is put again by the caller

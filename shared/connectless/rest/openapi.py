"""The OpenAPI 3.0 document of the REST API, served at GET /openapi.json.

A copy lives in infra/openapi/connect-rest.json (`python -m connectless.rest.openapi > ...` rewrites it);
a test keeps the two equal.
"""

from __future__ import annotations

import json
from typing import Any

from connectless.connector import VERSION

_STR_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


_NOT_FOUND = {"404": _error("Unknown connector")}
_CONFLICT = {"409": _error("A change of this connector is in flight")}
_BAD = {"400": _error("Invalid request or connector configuration")}
EXAMPLE_CONNECTOR = "datagen-orders"
_NAME = {"name": "connector", "in": "path", "required": True, "example": EXAMPLE_CONNECTOR,
         "schema": {"type": "string", "minLength": 1}}  # fmt: skip
_TASK = {"name": "task", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
_PLUGIN = {"name": "plugin", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
_LOGGER = {"name": "logger", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _bool_query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "boolean"}}


def _op(op_id: str, summary: str, responses: dict[str, Any], params: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    op: dict[str, Any] = {"operationId": op_id, "summary": summary, "responses": responses}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _empty(code: str, description: str) -> dict[str, Any]:
    return {code: {"description": description}}


_SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error_code", "message"],
              "properties": {"error_code": {"type": "integer"}, "message": {"type": "string"}}},
    "ServerInfo": {"type": "object", "properties": {"version": {"type": "string"}, "commit": {"type": "string"},
                                                    "kafka_cluster_id": {"type": "string", "nullable": True}}},
    "Health": {"type": "object", "properties": {"status": {"type": "string"}, "message": {"type": "string"}}},
    "ConnectorConfig": _STR_MAP,
    "CreateConnectorRequest": {
        "type": "object", "required": ["name", "config"], "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "config": _ref("ConnectorConfig"),
                       "initial_state": {"type": "string", "enum": ["RUNNING", "PAUSED", "STOPPED"]}}},
    "ConnectorTaskId": {"type": "object", "properties": {"connector": {"type": "string"},
                                                         "task": {"type": "integer"}}},
    "ConnectorInfo": {"type": "object", "properties": {
        "name": {"type": "string"}, "config": _ref("ConnectorConfig"),
        "tasks": {"type": "array", "items": _ref("ConnectorTaskId")},
        "type": {"type": "string", "enum": ["source", "sink", "unknown"]}}},
    "State": {"type": "object", "properties": {"state": {"type": "string"}, "worker_id": {"type": "string"},
                                               "trace": {"type": "string"}}},
    "TaskState": {"type": "object", "properties": {"id": {"type": "integer"}, "state": {"type": "string"},
                                                   "worker_id": {"type": "string"}, "trace": {"type": "string"}}},
    "ConnectorStatus": {"type": "object", "properties": {
        "name": {"type": "string"}, "connector": _ref("State"),
        "tasks": {"type": "array", "items": _ref("TaskState")}, "type": {"type": "string"}}},
    "TaskInfo": {"type": "object", "properties": {"id": _ref("ConnectorTaskId"), "config": _ref("ConnectorConfig")}},
    "Offsets": {"type": "object", "required": ["offsets"], "additionalProperties": False,
                "properties": {"offsets": {"type": "array", "items": {
        "type": "object", "required": ["partition"],
        "properties": {"partition": {"type": "object"}, "offset": {"type": "object", "nullable": True}}}}}},
    "Message": {"type": "object", "properties": {"message": {"type": "string"}}},
    "PluginInfo": {"type": "object", "properties": {"class": {"type": "string"}, "type": {"type": "string"},
                                                    "version": {"type": "string"}}},
    "ConfigKeyInfo": {"type": "object", "properties": {
        "name": {"type": "string"}, "type": {"type": "string"}, "required": {"type": "boolean"},
        "default_value": {"type": "string", "nullable": True}, "importance": {"type": "string"},
        "documentation": {"type": "string"}, "group": {"type": "string", "nullable": True},
        "width": {"type": "string"}, "display_name": {"type": "string"},
        "dependents": {"type": "array", "items": {"type": "string"}}, "order": {"type": "integer"}}},
    "ConfigValueInfo": {"type": "object", "properties": {
        "name": {"type": "string"}, "value": {"type": "string", "nullable": True},
        "recommended_values": {"type": "array", "items": {"type": "string"}},
        "errors": {"type": "array", "items": {"type": "string"}}, "visible": {"type": "boolean"}}},
    "ConfigInfos": {"type": "object", "properties": {
        "name": {"type": "string"}, "error_count": {"type": "integer"},
        "groups": {"type": "array", "items": {"type": "string"}},
        "configs": {"type": "array", "items": {"type": "object", "properties": {
            "definition": _ref("ConfigKeyInfo"), "value": _ref("ConfigValueInfo")}}}}},
    "LoggerLevel": {"type": "object", "properties": {"level": {"type": "string"},
                                                     "last_modified": {"type": "integer", "nullable": True}}},
    "LoggerLevelRequest": {"type": "object", "required": ["level"], "additionalProperties": False,
                           "properties": {"level": {
        "type": "string", "enum": ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"]}}},
    # -- the console's extensions (/connectless/...), which Kafka Connect does not have ------------------------
    "ConsumerLag": {"type": "object", "properties": {
        "group": {"type": "string"}, "total_lag": {"type": "integer"},
        "partitions": {"type": "array", "items": {"type": "object", "properties": {
            "topic": {"type": "string"}, "partition": {"type": "integer"},
            "committed": {"type": "integer", "nullable": True}, "log_start": {"type": "integer"},
            "end": {"type": "integer"}, "lag": {"type": "integer"}}}}}},
    "Throughput": {"type": "object", "properties": {
        "source": {"type": "string", "enum": ["process", "cloudwatch"]}, "interval_s": {"type": "integer"},
        "points": {"type": "array", "items": {"type": "object", "properties": {
            "t": {"type": "integer"}, "in": {"type": "integer"}, "out": {"type": "integer"},
            "dead_lettered": {"type": "integer"}}}}}},
    "Bytes": {"type": "object", "nullable": True, "description": "{text} when UTF-8, else {base64}",
              "properties": {"text": {"type": "string"}, "base64": {"type": "string"}}},
    "DeadLetters": {"type": "object", "properties": {
        "topic": {"type": "string"}, "total": {"type": "integer"},
        "records": {"type": "array", "items": {"type": "object", "properties": {
            "partition": {"type": "integer"}, "offset": {"type": "integer"},
            "timestamp": {"type": "integer", "nullable": True}, "key": _ref("Bytes"), "value": _ref("Bytes"),
            "headers": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "value": _ref("Bytes")}}},
            "errors": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "the __connect.errors.* headers, without the prefix"}}}}}},
    "ReplayRequest": {"type": "object", "required": ["records"], "properties": {
        "records": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["partition", "offset"],
            "properties": {"partition": {"type": "integer", "minimum": 0},
                           "offset": {"type": "integer", "minimum": 0}}}},
        "topic": {"type": "string", "description": "instead of the __connect.errors.topic header"}}},
    "Replayed": {"type": "object", "properties": {"replayed": {"type": "array", "items": {"type": "object"}}}},
}  # fmt: skip


def _console_paths() -> dict[str, Any]:
    """The REST extensions the web console reads (connectless.rest.console); not part of Kafka Connect."""
    limit = {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}  # fmt: skip
    return {
        "/connectless/connectors/{connector}/lag": {
            "get": _op("getConsumerLag", "A sink's consumer lag per partition (Connectless extension)",
                       {"200": _json(_ref("ConsumerLag")), **_BAD, **_NOT_FOUND}, [_NAME])},
        "/connectless/connectors/{connector}/throughput": {
            "get": _op("getThroughput", "Records in, out and dead-lettered over time (Connectless extension)",
                       {"200": _json(_ref("Throughput")), **_NOT_FOUND}, [_NAME])},
        "/connectless/connectors/{connector}/dlq": {
            "get": _op("peekDeadLetters", "The last records of the dead-letter topic (Connectless extension)",
                       {"200": _json(_ref("DeadLetters")), **_BAD, **_NOT_FOUND}, [_NAME, limit])},
        "/connectless/connectors/{connector}/dlq/replay": {
            "post": _op("replayDeadLetters", "Produce dead-lettered records back (Connectless extension)",
                        {"200": _json(_ref("Replayed")), **_BAD, **_NOT_FOUND}, [_NAME],
                        body=_ref("ReplayRequest"))},
    }  # fmt: skip


def _paths() -> dict[str, Any]:  # noqa: PLR0915
    info = _ref("ConnectorInfo")
    return {
        "/": {"get": _op("serverInfo", "Version of the worker", {"200": _json(_ref("ServerInfo"))})},
        "/health": {"get": _op("health", "Health of the worker", {"200": _json(_ref("Health"))})},
        "/openapi.json": {"get": _op("openapi", "This document", {"200": _json({"type": "object"})})},
        "/connectors": {
            "get": _op("listConnectors", "Connector names, or a map with ?expand=status and/or ?expand=info",
                       {"200": _json({"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]})},
                       [{"name": "expand", "in": "query", "required": False, "style": "form", "explode": True,
                         "schema": {"type": "array", "items": {"type": "string", "enum": ["status", "info"]}}}]),
            "post": _op("createConnector", "Create a connector",
                        {"201": _json(info, "Created"), **_BAD, **_CONFLICT}, body=_ref("CreateConnectorRequest")),
        },
        "/connectors/{connector}": {
            "get": _op("getConnector", "Config and tasks of a connector", {"200": _json(info), **_NOT_FOUND},
                       [_NAME]),
            "delete": _op("deleteConnector", "Delete a connector",
                          {**_empty("204", "Deleted"), **_NOT_FOUND, **_CONFLICT}, [_NAME]),
        },
        "/connectors/{connector}/config": {
            "get": _op("getConnectorConfig", "Config of a connector (passwords hidden)",
                       {"200": _json(_ref("ConnectorConfig")), **_NOT_FOUND}, [_NAME]),
            "put": _op("putConnectorConfig", "Create or update a connector",
                       {"200": _json(info), "201": _json(info, "Created"), **_BAD, **_CONFLICT}, [_NAME],
                       body=_ref("ConnectorConfig")),
            "patch": _op("patchConnectorConfig", "Merge into a connector's config (null removes a key)",
                         {"200": _json(info), **_BAD, **_NOT_FOUND, **_CONFLICT}, [_NAME],
                         body={"type": "object", "additionalProperties": {"type": "string", "nullable": True}}),
        },
        "/connectors/{connector}/status": {
            "get": _op("getConnectorStatus", "Status of a connector and its tasks",
                       {"200": _json(_ref("ConnectorStatus")), **_NOT_FOUND}, [_NAME]),
        },
        "/connectors/{connector}/restart": {
            "post": _op("restartConnector", "Restart a connector (and its tasks)",
                        {**_empty("204", "Restarted"), "202": _json(_ref("ConnectorStatus"), "Accepted"),
                         **_NOT_FOUND, **_CONFLICT},
                        [_NAME, _bool_query("includeTasks"), _bool_query("onlyFailed")]),
        },
        "/connectors/{connector}/pause": {"put": _op("pauseConnector", "Pause a connector",
                                                     {**_empty("202", "Accepted"), **_NOT_FOUND, **_CONFLICT},
                                                     [_NAME])},
        "/connectors/{connector}/resume": {"put": _op("resumeConnector", "Resume a connector",
                                                      {**_empty("202", "Accepted"), **_NOT_FOUND, **_CONFLICT},
                                                      [_NAME])},
        "/connectors/{connector}/stop": {"put": _op("stopConnector", "Stop a connector (tasks removed)",
                                                    {**_empty("204", "Stopped"), **_NOT_FOUND, **_CONFLICT},
                                                    [_NAME])},
        "/connectors/{connector}/tasks": {
            "get": _op("listTasks", "Task configs of a connector",
                       {"200": _json({"type": "array", "items": _ref("TaskInfo")}), **_NOT_FOUND}, [_NAME]),
        },
        "/connectors/{connector}/tasks-config": {
            "get": _op("tasksConfig", "Task configs by task name",
                       {"200": _json({"type": "object", "additionalProperties": _ref("ConnectorConfig")}),
                        **_NOT_FOUND}, [_NAME]),
        },
        "/connectors/{connector}/tasks/{task}/status": {
            "get": _op("getTaskStatus", "Status of one task", {"200": _json(_ref("TaskState")), **_NOT_FOUND},
                       [_NAME, _TASK]),
        },
        "/connectors/{connector}/tasks/{task}/restart": {
            "post": _op("restartTask", "Restart one task",
                        {**_empty("204", "Restarted"), **_NOT_FOUND, **_CONFLICT}, [_NAME, _TASK]),
        },
        "/connectors/{connector}/topics": {
            "get": _op("getTopics", "Topics a connector uses",
                       {"200": _json({"type": "object"}), **_NOT_FOUND}, [_NAME]),
        },
        "/connectors/{connector}/topics/reset": {
            "put": _op("resetTopics", "Forget the topics a connector used",
                       {**_empty("202", "Accepted"), **_NOT_FOUND}, [_NAME]),
        },
        "/connectors/{connector}/offsets": {
            "get": _op("getOffsets", "Offsets of a connector", {"200": _json(_ref("Offsets")), **_NOT_FOUND},
                       [_NAME]),
            "patch": _op("alterOffsets", "Alter offsets (connector must be STOPPED)",
                         {"200": _json(_ref("Message")), **_BAD, **_NOT_FOUND}, [_NAME], body=_ref("Offsets")),
            "delete": _op("resetOffsets", "Reset offsets (connector must be STOPPED)",
                          {"200": _json(_ref("Message")), **_BAD, **_NOT_FOUND}, [_NAME]),
        },
        "/connector-plugins": {
            "get": _op("listPlugins", "Plugins: connectors, or every kind with connectorsOnly=false",
                       {"200": _json({"type": "array", "items": _ref("PluginInfo")})},
                       [_bool_query("connectorsOnly")]),
        },
        "/connector-plugins/{plugin}/config": {
            "get": _op("getPluginConfig", "ConfigDef of a plugin",
                       {"200": _json({"type": "array", "items": _ref("ConfigKeyInfo")}), "404": _error("Unknown")},
                       [_PLUGIN]),
        },
        "/connector-plugins/{plugin}/config/validate": {
            "put": _op("validateConfig", "Validate a connector config",
                       {"200": _json(_ref("ConfigInfos")), **_BAD}, [_PLUGIN], body=_ref("ConnectorConfig")),
        },
        "/admin/loggers": {
            "get": _op("listLoggers", "Log levels", {"200": _json({"type": "object",
                                                                   "additionalProperties": _ref("LoggerLevel")})}),
        },
        "/admin/loggers/{logger}": {
            "get": _op("getLogger", "Level of one logger", {"200": _json(_ref("LoggerLevel")),
                                                            "404": _error("Unknown logger")}, [_LOGGER]),
            "put": _op("setLogger", "Set the level of a logger and its children",
                       {"200": _json({"type": "array", "items": {"type": "string"}}), "204": {"description": "Cluster"},
                        **_BAD},
                       [_LOGGER, {"name": "scope", "in": "query", "required": False,
                                  "schema": {"type": "string", "enum": ["worker", "cluster"]}}],
                       body=_ref("LoggerLevelRequest")),
        },
    }  # fmt: skip


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Connectless - Kafka Connect REST API",
            "version": VERSION,
            "description": "Apache Kafka Connect's REST API, served by Connectless.",
        },
        "paths": {**_paths(), **_console_paths()},
        "components": {"schemas": _SCHEMAS},
    }


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2, sort_keys=True))

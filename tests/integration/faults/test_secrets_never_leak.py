"""Secrets never leave the stack in clear: `${secretsmanager:...}` and `${ssm:...}` references (in moto, the
local stack's AWS) in PASSWORD and plain keys of connectors that run, fail and dead-letter, on both stacks.

The scenario, on `local up` (handlers in this process, Powertools JSON logs and EMF metrics on stdout) and on
`connectless standalone` (a child process, plain logs; its boto3 goes to the same moto):
- a JDBC sink into PostgreSQL, its password from Secrets Manager and a token from SSM in its URL, with
  errors.tolerance=all, a dead-letter topic with context headers, errors.log.enable and include.messages:
  good records become rows, poison records reach the DLQ;
- the same sink with errors.tolerance=none: the first poison record leaves its task FAILED with a trace;
- a create whose SSM value is no valid int for an INT key (400), and validate calls with the references.

Then every output is scanned for the secret strings: captured stdout/stderr and log records (JSON and plain),
every REST answer, the status and config topics, the DLQ records (headers, keys, values). The scan must find
each output non-empty, and no secret in any.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
import psycopg
import pytest
import requests
from confluent_kafka import Producer
from fault_stacks import StandaloneProcess, eventually, read_topic, report

if TYPE_CHECKING:
    import db_servers
    from connectless_local.local_up import LocalSamStack

pytestmark = pytest.mark.kafka
GOOD, POISON = 6, 3
SCHEMA = {"type": "struct", "optional": False, "name": "Order",
          "fields": [{"field": "id", "type": "int64", "optional": False},
                     {"field": "name", "type": "string", "optional": False}]}  # fmt: skip


class Secrets:
    """Three values only the providers hold: a Secrets Manager JSON field, an SSM SecureString, an SSM String."""

    def __init__(self, tag: str) -> None:
        self.password = f"pw-{uuid.uuid4().hex}"
        self.token = f"tok-{uuid.uuid4().hex}"
        self.not_an_int = f"nan-{uuid.uuid4().hex}"
        self.secret_name = f"connectless/fault-{tag}"
        self.ssm_dir = f"/connectless/fault-{tag}"
        boto3.client("secretsmanager").create_secret(
            Name=self.secret_name, SecretString=json.dumps({"password": self.password, "user": "postgres"})
        )
        ssm = boto3.client("ssm")
        ssm.put_parameter(Name=f"{self.ssm_dir}/token", Value=self.token, Type="SecureString")
        ssm.put_parameter(Name=f"{self.ssm_dir}/batch", Value=self.not_an_int, Type="String")

    @property
    def values(self) -> list[str]:
        return [self.password, self.token, self.not_an_int]

    def leaks(self, text: str) -> list[str]:
        return [v for v in self.values if v in text]


def jdbc_config(secrets: Secrets, topic: str, url: str, dlq: str | None = None) -> dict[str, str]:
    config = {
        "connector.class": "JdbcSink", "tasks.max": "1", "topics": topic,
        "connection.url": url + ("&" if "?" in url else "?") + f"application_name=${{ssm:{secrets.ssm_dir}/token}}",
        "connection.user": f"${{secretsmanager:{secrets.secret_name}:user}}",
        "connection.password": f"${{secretsmanager:{secrets.secret_name}:password}}",
        "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id", "auto.create": "true",
        "table.name.format": "orders", "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    }  # fmt: skip
    if dlq:
        config.update({"errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
                       "errors.deadletterqueue.topic.replication.factor": "1",
                       "errors.deadletterqueue.context.headers.enable": "true",
                       "errors.log.enable": "true", "errors.log.include.messages": "true"})  # fmt: skip
    return config


def produce(bootstrap: str, topic: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(GOOD):
        producer.produce(topic, key=str(i), value=json.dumps({"schema": SCHEMA, "payload": {"id": i, "name": f"o{i}"}}))
    for i in range(POISON):
        producer.produce(topic, key=f"bad{i}", value=b"{not json " + str(i).encode())
    assert producer.flush(30) == 0


def run_scenario(url: str, bootstrap: str, secrets: Secrets, database_url: str, tag: str,
                 answers: list[str]) -> dict[str, int]:  # fmt: skip
    """Drive the connectors; every REST answer lands in `answers`. Returns what happened, counted."""

    def call(method: str, path: str, body: Any = None) -> requests.Response:
        response = requests.request(method, url + path, json=body, timeout=120)
        answers.append(f"{method} {path} {response.status_code} {response.text}")
        return response

    topic, dlq = f"sec-{tag}", f"sec-{tag}-dlq"
    good = jdbc_config(secrets, topic, database_url, dlq)
    broken = jdbc_config(secrets, f"{topic}-b", database_url)  # errors.tolerance=none: a poison record fails it
    assert call("POST", "/connectors", {"name": f"{tag}-sink", "config": good}).status_code == 201
    assert call("POST", "/connectors", {"name": f"{tag}-broken", "config": broken}).status_code == 201
    bad_int = {**good, "tasks.max": f"${{ssm:{secrets.ssm_dir}/batch}}"}
    assert call("POST", "/connectors", {"name": f"{tag}-badint", "config": bad_int}).status_code == 400
    assert call("PUT", "/connector-plugins/JdbcSink/config/validate", good).status_code == 200
    assert call("PUT", "/connector-plugins/JdbcSink/config/validate", bad_int).status_code == 200
    produce(bootstrap, topic)
    produce(bootstrap, f"{topic}-b")

    def rows() -> int:
        with psycopg.connect(database_url.removeprefix("jdbc:").split("?")[0].replace("//", "//postgres@")) as conn:
            try:
                return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])  # type: ignore[index]
            except psycopg.errors.UndefinedTable:
                return 0

    eventually(lambda: rows() == GOOD)
    dead = eventually(lambda: len(records) == POISON and records if (records := read_topic(bootstrap, dlq)) else None)

    def broken_failed() -> bool:
        status = call("GET", f"/connectors/{tag}-broken/status").json()
        return any(t["state"] == "FAILED" for t in status["tasks"])

    eventually(broken_failed, 120)
    for name in (f"{tag}-sink", f"{tag}-broken"):
        for suffix in ("", "/config", "/status", "/tasks", "/tasks-config", "/topics", "/offsets"):
            call("GET", f"/connectors/{quote(name)}{suffix}")
    call("GET", "/connectors?expand=info&expand=status")
    headers = sum(len(h or []) for _, _, h in dead)
    return {"rows": rows(), "dead_lettered": len(dead), "dlq_headers": headers}


def scan(secrets: Secrets, outputs: dict[str, str]) -> None:
    for channel, text in outputs.items():
        assert text, f"{channel}: nothing captured, so nothing was scanned"
        assert not secrets.leaks(text), f"{channel} holds a secret value"


class PowertoolsJsonCapture:
    """A second handler on every Powertools logger, with that logger's own JSON formatter: the lines exactly as
    CloudWatch would get them."""

    def __init__(self) -> None:
        from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

        self.stream = io.StringIO()
        self.attached: list[tuple[logging.Logger, logging.Handler]] = []
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if not isinstance(logger, logging.Logger):
                continue
            formatters = [h.formatter for h in logger.handlers if isinstance(h.formatter, LambdaPowertoolsFormatter)]
            if formatters:
                handler = logging.StreamHandler(self.stream)
                handler.setFormatter(formatters[0])
                logger.addHandler(handler)
                self.attached.append((logger, handler))

    def close(self) -> str:
        for logger, handler in self.attached:
            logger.removeHandler(handler)
        return self.stream.getvalue()


def topic_text(bootstrap: str, topic: str) -> str:
    return "\n".join(repr(record) for record in read_topic(bootstrap, topic))


def test_local_up_never_shows_a_secret(local_stack: LocalSamStack, postgres_server: db_servers.PostgresServer,
                                       kafka_bootstrap: str, capfd: pytest.CaptureFixture[str],
                                       caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    assert local_stack.endpoints is not None
    tag = f"lu{uuid.uuid4().hex[:6]}"
    secrets = Secrets(tag)
    database_url = create_database(postgres_server)
    answers: list[str] = []
    caplog.set_level(logging.INFO)  # the level a deployment runs at (botocore logs response bodies at DEBUG)
    json_logs = PowertoolsJsonCapture()
    try:
        counts = run_scenario(local_stack.endpoints.rest_url, kafka_bootstrap, secrets, database_url, tag, answers)
    finally:
        json_lines = json_logs.close()
    out, err = capfd.readouterr()
    prefix = local_stack.parameters["ConfigTopic"].removesuffix("-configs")
    outputs = {
        "Powertools JSON logs": json_lines,
        "stdout and stderr (EMF metrics)": out + err,
        "plain log records": "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "REST answers": "\n".join(answers),
        "status topic": topic_text(kafka_bootstrap, f"{prefix}-status"),
        "config topic": topic_text(kafka_bootstrap, f"{prefix}-configs"),
        "DLQ records": topic_text(kafka_bootstrap, f"sec-{tag}-dlq"),
    }
    assert '"level"' in json_lines and "_aws" in out, "no Powertools JSON log line or EMF metric was captured"
    scan(secrets, outputs)
    report(f"secrets on local up: {counts}; scanned " + ", ".join(f"{k} {len(v)} B" for k, v in outputs.items()))


def test_standalone_never_shows_a_secret(local_stack: LocalSamStack, postgres_server: db_servers.PostgresServer,
                                         kafka_bootstrap: str) -> None:  # fmt: skip
    """Standalone's boto3 goes to local up's moto (the environment local up set), where the secrets are."""
    tag = f"sa{uuid.uuid4().hex[:6]}"
    secrets = Secrets(tag)
    database_url = create_database(postgres_server)
    worker = StandaloneProcess(kafka_bootstrap, f"sec-{tag}")
    answers: list[str] = []
    try:
        counts = run_scenario(worker.url, kafka_bootstrap, secrets, database_url, tag, answers)
    finally:
        code = worker.stop()
    outputs = {
        "process output (plain logs)": worker.output,
        "REST answers": "\n".join(answers),
        "status topic": topic_text(kafka_bootstrap, f"sec-{tag}-status"),
        "config topic": topic_text(kafka_bootstrap, f"sec-{tag}-configs"),
        "DLQ records": topic_text(kafka_bootstrap, f"sec-{tag}-dlq"),
    }
    scan(secrets, outputs)
    assert code == 1  # the broken connector's task failed, so the worker says so as it exits
    report(f"secrets on standalone: {counts}; scanned " + ", ".join(f"{k} {len(v)} B" for k, v in outputs.items()))


def create_database(server: db_servers.PostgresServer) -> str:
    name = "sec" + uuid.uuid4().hex[:10]
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"jdbc:postgresql://127.0.0.1:{server.port}/{name}"

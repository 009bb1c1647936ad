"""`connectless local up` with AWS_ENDPOINT_URL: no moto of its own. A separate moto server process plays the
user's endpoint (LocalStack, an account): the stack, its functions, the schedules and the sink alias must appear
there, while the handlers, the manager's steps, the schedules' firing and the event-source mappings run in the
`local up` process; a source -> Kafka -> sink round trip goes through it all, driven by the CLI client."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from connectless_cli.client import ConnectClient
from connectless_cli.main import main

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.kafka

AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(check: Callable[[], bool], timeout_s: float = 90.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()  # noqa: S310 - our own server
    except OSError:
        return False
    return True


def _stop(process: subprocess.Popen[bytes], timeout_s: float = 120) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(10)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server in its own process: nothing of it runs in the process of `local up` or of the test."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    server = subprocess.Popen([Path(sys.executable).parent / "moto_server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **AWS_ENV})  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _answers(url) or server.poll() is not None, 60, "moto_server")
        assert server.poll() is None, "moto_server exited"
        yield url
    finally:
        _stop(server, 20)
        log.close()


@pytest.fixture(scope="module")
def local_up(endpoint: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`connectless local up` as a user runs it, in its own process, with AWS_ENDPOINT_URL set."""
    tmp = tmp_path_factory.mktemp("local-up")
    state_file, log_path = tmp / "local-up.json", tmp / "local-up.log"
    prefix = f"local-ep-{uuid.uuid4().hex[:8]}"
    overrides = [f"ConfigTopic={prefix}-configs", f"OffsetsTopic={prefix}-offsets", f"StatusTopic={prefix}-status",
                 "SourceTaskTimeout=20"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "MOTO_PORT")}
    env.update(AWS_ENV, AWS_ENDPOINT_URL=endpoint, CONNECTLESS_LOCAL_STATE=str(state_file), COLUMNS="200")
    command = [sys.executable, "-m", "connectless_cli.main", "local", "up", "--rest-port", str(free_port()),
               "--bootstrap-servers", kafka_bootstrap, "--parameter-overrides", *overrides]  # fmt: skip
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        eventually(lambda: state_file.exists() or process.poll() is not None, 240, "local up")
        assert process.poll() is None, log_path.read_text(errors="replace")[-5000:]
        up = json.loads(state_file.read_text(encoding="utf-8"))
        yield {**up, "process": process, "log": log_path, "state_file": state_file}
    finally:
        code = _stop(process)
        log.close()
        assert code == 0, log_path.read_text(errors="replace")[-5000:]
        assert not state_file.exists()
        # what this run created at the endpoint went with it
        stacks = client(endpoint, "cloudformation").list_stacks()["StackSummaries"]
        assert not [st for st in stacks if st["StackStatus"] != "DELETE_COMPLETE"]
        assert not client(endpoint, "s3").list_buckets()["Buckets"]
        groups = client(endpoint, "scheduler").list_schedule_groups()["ScheduleGroups"]
        assert "connectless-dev" not in {g["Name"] for g in groups}


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip


def cli(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--url", url])
    return code, capsys.readouterr().out


def test_the_stack_is_created_at_the_endpoint(endpoint: str, local_up: dict[str, Any]) -> None:
    assert local_up["aws_endpoint_url"] == endpoint
    stack = client(endpoint, "cloudformation").describe_stacks(StackName="connectless-local")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    names = {f["FunctionName"] for f in client(endpoint, "lambda").list_functions()["Functions"]}
    for logical in ("ApiFunction", "ManagerFunction", "SourceTaskFunction", "SinkTaskFunction"):
        assert any(logical in n for n in names), (logical, names)
    groups = client(endpoint, "scheduler").list_schedule_groups()["ScheduleGroups"]
    assert "connectless-dev" in {g["Name"] for g in groups}
    machine = local_up["state_machine_arn"]
    assert client(endpoint, "stepfunctions").describe_state_machine(stateMachineArn=machine)["definition"]
    assert "AWS (endpoint)" in local_up["log"].read_text(errors="replace")


def test_round_trip_through_the_endpoint(endpoint: str, local_up: dict[str, Any], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "200")
    url = local_up["rest_url"]
    topic, out = f"orders-{uuid.uuid4().hex[:8]}", tmp_path / "out.txt"
    source = {"name": f"{topic}-gen", "config": {"connector.class": "Datagen", "tasks.max": "1",
              "kafka.topic": topic, "quickstart": "orders", "max.records": "30",
              "connectless.source.schedule": "rate(2 seconds)"}}  # fmt: skip
    sink = {"name": f"{topic}-file", "config": {"connector.class": "FileStreamSink", "tasks.max": "1",
            "topics": topic, "file": str(out)}}  # fmt: skip
    for connector in (source, sink):
        path = tmp_path / f"{connector['name']}.json"
        path.write_text(json.dumps(connector), encoding="utf-8")
        assert cli(capsys, url, "apply", "-f", str(path))[0] == 0

    # the manager's AWS backend wrote to the endpoint: the source's schedule, the sink function's alias
    scheduler = client(endpoint, "scheduler")
    assert f"connectless-{topic}-gen-0" in {
        s["Name"] for s in scheduler.list_schedules(GroupName="connectless-dev")["Schedules"]
    }
    sink_fn = next(f["FunctionName"] for f in client(endpoint, "lambda").list_functions()["Functions"]
                   if "SinkTaskFunction" in f["FunctionName"])  # fmt: skip
    assert client(endpoint, "lambda").get_alias(FunctionName=sink_fn, Name=f"{topic}-file")["Name"] == f"{topic}-file"

    # the local runtime fired the endpoint's schedule and ran the sink's mapping: 30 records end to end
    eventually(lambda: out.exists() and len(out.read_text(encoding="utf-8").splitlines()) == 30, what="sink file")
    code, table = cli(capsys, url, "get", "connectors")
    assert code == 0 and f"{topic}-gen" in table and "RUNNING" in table

    assert cli(capsys, url, "delete", f"{topic}-gen", f"{topic}-file")[0] == 0
    schedules = scheduler.list_schedules(GroupName="connectless-dev")["Schedules"]
    assert not [s for s in schedules if s["Name"].startswith(f"connectless-{topic}")]
    assert ConnectClient(url).get("/connectors") == []

"""`connectless local up` with LOCALSTACK_HOST set (as `--localstack`): the AWS endpoint is found by
localstack_client's conventions, with LocalStack's default credentials. A moto server in its own process stands in
for LocalStack on the port LOCALSTACK_HOST names (no Docker here, and LocalStack's current releases need an auth
token); the stack is created there, and a sink's Kafka event-source mapping is still emulated by `local up`."""

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
from typing import TYPE_CHECKING

import boto3
import pytest
from confluent_kafka import Producer

from connectless_cli.client import ConnectClient

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.kafka


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()  # noqa: S310 - our own server
    except OSError:
        return False
    return True


def stop(process: subprocess.Popen[bytes], timeout_s: float = 120) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(10)


def test_local_up_finds_localstack_by_its_conventions(kafka_bootstrap: str, tmp_path: Path) -> None:
    port = free_port()
    moto_env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    with (tmp_path / "moto.log").open("wb") as moto_log:
        server = subprocess.Popen([Path(sys.executable).parent / "moto_server", "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=moto_log, stderr=subprocess.STDOUT, env=moto_env)  # fmt: skip
        try:
            endpoint = f"http://127.0.0.1:{port}"
            eventually(lambda: answers(endpoint) or server.poll() is not None, 60, "the stand-in")
            run_local_up(kafka_bootstrap, tmp_path, port, endpoint)
        finally:
            stop(server, 20)


def run_local_up(kafka_bootstrap: str, tmp_path: Path, port: int, endpoint: str) -> None:
    state_file, log_path = tmp_path / "local-up.json", tmp_path / "local-up.log"
    prefix = f"ls-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}  # nothing but the conventions
    env.update(LOCALSTACK_HOST=f"127.0.0.1:{port}", CONNECTLESS_LOCAL_STATE=str(state_file))
    command = [sys.executable, "-m", "connectless_cli.main", "local", "up", "--rest-port", str(free_port()),
               "--bootstrap-servers", kafka_bootstrap, "--parameter-overrides", f"ConfigTopic={prefix}-configs",
               f"OffsetsTopic={prefix}-offsets", f"StatusTopic={prefix}-status"]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            eventually(lambda: state_file.exists() or process.poll() is not None, 240, "local up")
            assert process.poll() is None, log_path.read_text(errors="replace")[-5000:]
            up = json.loads(state_file.read_text(encoding="utf-8"))
            assert up["aws_endpoint_url"] == endpoint
            at_stand_in = boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1",
                                       aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
            stack = at_stand_in.describe_stacks(StackName="connectless-local")["Stacks"][0]
            assert stack["StackStatus"] == "CREATE_COMPLETE"

            # a sink's mapping runs in `local up`, as on moto: records produced to Kafka reach its file
            topic, out = f"{prefix}-orders", tmp_path / "out.txt"
            client = ConnectClient(up["rest_url"])
            status, _ = client.request("POST", "/connectors", {"name": f"{prefix}-file", "config": {
                "connector.class": "FileStreamSink", "topics": topic, "file": str(out),
                "value.converter": "org.apache.kafka.connect.storage.StringConverter"}})  # fmt: skip
            assert status == 201
            producer = Producer({"bootstrap.servers": kafka_bootstrap})
            for n in range(3):
                producer.produce(topic, value=f"record-{n}".encode())
            assert producer.flush(30) == 0
            eventually(lambda: out.exists() and len(out.read_text(encoding="utf-8").splitlines()) == 3, 90, "sink")
            assert out.read_text(encoding="utf-8").splitlines() == ["record-0", "record-1", "record-2"]
        finally:
            code = stop(process)
    assert code == 0, log_path.read_text(errors="replace")[-5000:]
    assert not [s for s in at_stand_in.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]

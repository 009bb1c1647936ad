"""`connectless local up` end to end on the real broker: REST -> API handler -> the real ASL in moto -> manager
handler -> schedules in moto's Scheduler and the sink's alias and event-source mapping -> the local runtime runs
the source handler and the sink handler; the CLI client drives it all."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import TYPE_CHECKING

import boto3
import pytest

from connectless_cli.client import ConnectClient
from connectless_cli.main import main
from connectless_local.local_up import LocalStack

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def local_stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    prefix = f"local-{uuid.uuid4().hex[:8]}"
    parameters = {
        "ConfigTopic": f"{prefix}-configs",
        "OffsetsTopic": f"{prefix}-offsets",
        "StatusTopic": f"{prefix}-status",
        "SourceTaskTimeout": "20",  # 10 s of polling (the margin is 10 s); offsets are written at its end
    }
    state_file = tmp_path_factory.mktemp("local") / "local-up.json"
    before = os.environ.get("AWS_ENDPOINT_URL")
    stack = LocalStack(rest_port=0, bootstrap_servers=kafka_bootstrap, state_file=state_file, parameters=parameters)
    stack.start()
    yield stack
    stack.stop()
    assert os.environ.get("AWS_ENDPOINT_URL") == before
    assert not state_file.exists()


def eventually(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


def cli(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--url", url])
    return code, capsys.readouterr().out


def test_source_and_sink_through_the_local_stack(local_stack: LocalStack, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "200")
    assert local_stack.endpoints is not None
    url = local_stack.endpoints.rest_url
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

    # the stack's own resources did the work: a schedule in moto, an alias of the sink function, executions
    schedules = boto3.client("scheduler").list_schedules(GroupName="connectless-dev")["Schedules"]
    assert any(s["Name"] == f"connectless-{topic}-gen-0" for s in schedules)
    sink_fn = os.environ["CONNECTLESS_SINK_FUNCTION_NAME"]
    assert boto3.client("lambda").get_alias(FunctionName=sink_fn, Name=f"{topic}-file")["Name"] == f"{topic}-file"
    sfn = boto3.client("stepfunctions")
    machine = local_stack.endpoints.state_machine_arn
    assert {e["status"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]} == {"SUCCEEDED"}

    eventually(lambda: out.exists() and len(out.read_text(encoding="utf-8").splitlines()) == 30)
    code, table = cli(capsys, url, "get", "connectors")
    assert code == 0 and f"{topic}-gen" in table and "RUNNING" in table

    def source_offsets() -> list[dict[str, object]]:
        return list(json.loads(cli(capsys, url, "offsets", "get", f"{topic}-gen", "-o", "json")[1])["offsets"])

    eventually(lambda: [o["offset"] for o in source_offsets()] == [{"next.id": 30}])

    # stop returns once the mapping's consumer left the group, so the offsets reset at once
    assert cli(capsys, url, "stop", f"{topic}-file")[0] == 0
    assert cli(capsys, url, "offsets", "reset", f"{topic}-file")[0] == 0
    assert not [m for m in local_stack.mappings.list() if m["State"] == "Enabled"]

    assert cli(capsys, url, "delete", f"{topic}-gen", f"{topic}-file")[0] == 0
    schedules = boto3.client("scheduler").list_schedules(GroupName="connectless-dev")["Schedules"]
    assert not [s for s in schedules if s["Name"].startswith(f"connectless-{topic}")]
    assert ConnectClient(url).get("/connectors") == []

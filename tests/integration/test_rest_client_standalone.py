"""A third-party Kafka Connect client (kafka-connect-py, unchanged) drives `connectless standalone` on the real
broker: create, list, status, pause, resume, restart, offsets and delete. The client has no offsets calls, so
those go through `requests`, the HTTP library it uses itself."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests
from kafka_connect import KafkaConnect

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.kafka
RECORDS = 300


def _start(bootstrap: str, prefix: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    cmd = [sys.executable, "-m", "connectless_cli.main", "standalone", "--bootstrap-servers", bootstrap,
           "--rest-port", "0", "--offset-flush-interval-ms", "200", "--offsets-topic", f"{prefix}-offsets",
           "--config-topic", f"{prefix}-configs", "--status-topic", f"{prefix}-status"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            match = re.search(r"REST API on (http://\S+)", line)
            if match:
                url.append(match.group(1))
                found.set()

    threading.Thread(target=drain, daemon=True).start()
    if not found.wait(60):
        proc.kill()
        pytest.fail("standalone did not start: " + "".join(lines[-30:]))
    return proc, url[0], lines


@pytest.fixture
def standalone(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> Iterator[tuple[str, str]]:
    prefix = unique_topic("rest")
    proc, url, lines = _start(kafka_bootstrap, prefix)
    yield url, prefix
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0, "".join(lines[-30:])


def _wait(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {check}")
        time.sleep(0.2)


def _states(client: KafkaConnect, name: str) -> tuple[str, list[str]]:
    status = client.get_connector_status(name)
    return status["connector"]["state"], [t["state"] for t in status["tasks"]]


def test_client_drives_the_whole_lifecycle(standalone: tuple[str, str], tmp_path: Path) -> None:
    url, prefix = standalone
    client = KafkaConnect(url=url)
    topic, out = f"{prefix}-data", tmp_path / "out.jsonl"
    assert client.get_cluster_info()["version"]
    json_values = {"value.converter": "org.apache.kafka.connect.json.JsonConverter",
                   "value.converter.schemas.enable": "false"}  # fmt: skip
    created = client.create_connector(
        {
            "name": "gen",
            "config": {"connector.class": "Datagen", "kafka.topic": topic, "max.records": str(RECORDS), **json_values},
        }
    )
    assert created["name"] == "gen"
    client.create_connector({"name": "sink", "config": {
        "connector.class": "FileStreamSink", "topics": topic, "file": str(out), **json_values}})  # fmt: skip

    assert sorted(client.list_connectors()) == ["gen", "sink"]
    assert set(client.list_connectors(expand="status")) == {"gen", "sink"}
    _wait(lambda: _states(client, "gen") == ("RUNNING", ["RUNNING"]))
    _wait(lambda: out.exists() and len(out.read_text().splitlines()) >= RECORDS)

    client.pause_connector("gen")
    assert _states(client, "gen") == ("PAUSED", ["PAUSED"])
    client.resume_connector("gen")
    _wait(lambda: _states(client, "gen") == ("RUNNING", ["RUNNING"]))
    assert client.restart_connector("gen", include_tasks=True)["name"] == "gen"
    client.restart_connector_task("gen", 0)
    _wait(lambda: client.get_connector_task_status("gen", 0)["state"] == "RUNNING")
    assert client.list_connector_tasks("gen")[0]["id"] == {"connector": "gen", "task": 0}
    # KIP-558 active topics: the source's as it produced to it (Connectless used to answer [] for sources),
    # the sink's as it consumed from it; a reset (202) forgets them until the tasks use them again
    assert client.list_connector_topics("gen") == {"gen": {"topics": [topic]}}
    assert client.list_connector_topics("sink") == {"sink": {"topics": [topic]}}
    assert requests.put(f"{url}/connectors/sink/topics/reset", timeout=30).status_code == 202
    assert client.list_connector_topics("sink") == {"sink": {"topics": []}}
    assert client.validate_connector_config("Datagen", {"kafka.topic": "x", "name": "v"})["error_count"] == 0
    assert {p["class"] for p in client.list_connector_plugins()} >= {"connectless.connectors.DatagenConnector"}

    source_offsets = requests.get(f"{url}/connectors/gen/offsets", timeout=30).json()["offsets"]
    assert source_offsets and source_offsets[0]["offset"]
    sink_offsets = _wait(lambda: requests.get(f"{url}/connectors/sink/offsets", timeout=30).json()["offsets"])
    assert sum(o["offset"]["kafka_offset"] for o in sink_offsets) == RECORDS
    refused = requests.patch(f"{url}/connectors/sink/offsets", json={"offsets": sink_offsets}, timeout=30)
    assert refused.status_code == 400

    client.stop_connector("sink")
    assert _states(client, "sink") == ("STOPPED", [])
    rewound = [{**o, "offset": {"kafka_offset": 0}} for o in sink_offsets]
    assert requests.patch(f"{url}/connectors/sink/offsets", json={"offsets": rewound}, timeout=30).status_code == 200
    got = requests.get(f"{url}/connectors/sink/offsets", timeout=30).json()["offsets"]
    assert {o["offset"]["kafka_offset"] for o in got} == {0}
    deleted = requests.delete(f"{url}/connectors/sink/offsets", timeout=30)
    assert deleted.status_code == 200, deleted.text
    assert requests.get(f"{url}/connectors/sink/offsets", timeout=30).json() == {"offsets": []}

    client.delete_connector("gen")
    client.delete_connector("sink")
    assert client.list_connectors() == []
    with pytest.raises(requests.HTTPError) as missing:
        client.get_connector("gen")
    assert missing.value.response.json() == {"error_code": 404, "message": "Connector gen not found"}


def test_invalid_config_is_a_400_in_kafka_connect_format(standalone: tuple[str, str]) -> None:
    url, _ = standalone
    bad = {"name": "bad", "config": {"connector.class": "Datagen", "tasks.max": "x"}}
    response = requests.post(f"{url}/connectors", json=bad, timeout=30)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == 400
    assert "tasks.max" in body["message"]
    assert json.loads(requests.get(f"{url}/connectors", timeout=30).text) == []

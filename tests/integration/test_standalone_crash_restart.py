"""Standalone mode on the real broker: kill -9 at random moments, restart, and no record is ever lost."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.kafka

TOTAL = 6000


def _write_connectors(tmp: Path, topic: str, sink_file: Path, rate: int) -> list[Path]:
    source = {
        "name": f"gen-{topic}",
        "config": {
            "connector.class": "Datagen",
            "kafka.topic": topic,
            "max.records": str(TOTAL),
            "records.per.second": str(rate),
            "batch.size": "200",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        },
    }
    sink = {
        "name": f"sink-{topic}",
        "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": topic,
            "file": str(sink_file),
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        },
    }
    paths = [tmp / "source.json", tmp / "sink.json"]
    for path, doc in zip(paths, (source, sink), strict=True):
        path.write_text(json.dumps(doc))
    return paths


def _start(bootstrap: str, files: list[Path], topics: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "connectless_cli.main", "standalone", *map(str, files)]
    cmd += ["--bootstrap-servers", bootstrap, "--rest-port", "0", "--offset-flush-interval-ms", "300"]
    cmd += ["--offsets-topic", f"{topics}-offsets", "--config-topic", f"{topics}-configs"]
    cmd += ["--status-topic", f"{topics}-status"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())


def _ids(path: Path) -> list[int]:
    if not path.exists():
        return []
    ids = []
    for line in path.read_text().splitlines():
        if line.strip():
            ids.append(json.loads(line)["id"])
    return ids


def _wait_for_all(path: Path, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(range(TOTAL)) <= set(_ids(path)):
            return
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"standalone exited early with {proc.returncode}: {err[-3000:]}")
        time.sleep(0.3)


def _wait_until_serving(proc: subprocess.Popen[bytes]) -> None:
    """Read stderr up to the line the CLI prints once its signal handlers are in and connectors started."""
    assert proc.stderr is not None
    for line in iter(proc.stderr.readline, b""):
        if b"REST API on" in line:
            return
    pytest.fail(f"standalone exited with {proc.wait()} before serving")


def _produced(bootstrap: str, topic: str) -> int:
    """Records on the topic so far: the sum of its partitions' high watermarks."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "crash-watermarks"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
                   for p in partitions)  # fmt: skip
    except KafkaException:
        return 0  # not created yet
    finally:
        consumer.close()


def _wait_for_production(bootstrap: str, topic: str, proc: subprocess.Popen[bytes], seen: int) -> None:
    """Until the source writes again: its producing does not wait for the sink group's rebalance after a kill."""
    deadline = time.monotonic() + 90
    while seen >= (now := _produced(bootstrap, topic)) and now < TOTAL:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"standalone exited early with {proc.returncode}: {err[-3000:]}")
        assert time.monotonic() < deadline, "the source wrote nothing"
        time.sleep(0.1)


def test_kill_minus_nine_at_random_points_loses_nothing(
    kafka_bootstrap: str, unique_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic = unique_topic("crash")
    sink_file = tmp_path / "out.jsonl"
    files = _write_connectors(tmp_path, topic, sink_file, rate=1500)  # 4 s of records
    rng = random.Random(20261125)
    kills, at_kills = 0, []
    for run in range(5):
        proc = _start(kafka_bootstrap, files, topic)
        if run % 2:  # anywhere, startup included
            time.sleep(rng.uniform(0.5, 3.0))
        else:  # mid-stream, however slow the startup on a loaded machine: once the source writes again
            try:
                _wait_for_production(kafka_bootstrap, topic, proc, _produced(kafka_bootstrap, topic))
            except BaseException:
                proc.kill()  # a failed wait leaves no worker behind
                raise
            time.sleep(rng.uniform(0.0, 0.6))
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"standalone exited early with {proc.returncode}: {err[-3000:]}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += 1
        at_kills.append(_produced(kafka_bootstrap, topic))
    assert any(0 < n < TOTAL for n in at_kills), f"no kill landed mid-stream: {at_kills} records produced"

    final = _start(kafka_bootstrap, files, topic)
    try:
        _wait_for_all(sink_file, final, timeout=120)
        _wait_until_serving(final)  # the sink may be whole already: a SIGTERM during imports would not be handled
    finally:
        final.send_signal(signal.SIGTERM)
        final.wait(60)
    ids = _ids(sink_file)
    missing = sorted(set(range(TOTAL)) - set(ids))
    assert kills == 5
    assert missing == [], f"{len(missing)} ids lost, first: {missing[:10]}"
    assert final.returncode == 0


def test_sigterm_commits_so_a_restart_redelivers_nothing(
    kafka_bootstrap: str, unique_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic = unique_topic("graceful")
    sink_file = tmp_path / "out.jsonl"
    files = _write_connectors(tmp_path, topic, sink_file, rate=0)
    first = _start(kafka_bootstrap, files, topic)
    _wait_for_all(sink_file, first, timeout=90)
    first.send_signal(signal.SIGTERM)
    assert first.wait(60) == 0
    lines_after_first = len(_ids(sink_file))

    second = _start(kafka_bootstrap, files, topic)
    time.sleep(6)
    second.send_signal(signal.SIGTERM)
    assert second.wait(60) == 0
    ids = _ids(sink_file)
    assert len(ids) == lines_after_first, "records committed at SIGTERM were delivered again"
    assert sorted(set(ids)) == list(range(TOTAL))


def test_bad_connector_file_is_rejected_naming_the_field(kafka_bootstrap: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "bad", "config": {"connector.class": "Datagen", "tasks.max": "lots"}}))
    proc = subprocess.run(
        [sys.executable, "-m", "connectless_cli.main", "standalone", str(bad), "--bootstrap-servers",
         kafka_bootstrap, "--rest-port", "0", "--config-topic", "bad-configs-topic"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "tasks.max" in proc.stderr
    assert "kafka.topic" in proc.stderr


def test_rest_port_answers_health_and_task_status(
    kafka_bootstrap: str, unique_topic: Callable[..., str], tmp_path: Path
) -> None:
    import re
    import urllib.error
    import urllib.request

    topic = unique_topic("rest")
    files = _write_connectors(tmp_path, topic, tmp_path / "out.jsonl", rate=100)
    proc = _start(kafka_bootstrap, files, topic)
    try:
        assert proc.stderr is not None
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline().decode()
            found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        assert port, "standalone never printed its REST address"
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/health", timeout=10) as response:
            assert json.loads(response.read())["status"] == "healthy"
        status: dict[str, object] = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/connectors/gen-{topic}/status", timeout=10) as response:
                    status = json.loads(response.read())
            except urllib.error.HTTPError as exc:  # 404 until the connector is created
                assert exc.code == 404
                time.sleep(0.2)
                continue
            if status.get("tasks") and status["tasks"][0]["state"] == "RUNNING":  # type: ignore[index]
                break
            time.sleep(0.2)
        assert status["connector"]["state"] == "RUNNING"  # type: ignore[index]
        assert status["tasks"][0]["state"] == "RUNNING"  # type: ignore[index]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)

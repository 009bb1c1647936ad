"""The state topics, both ways, against a real Apache Kafka Connect 4.1.1 distributed worker (issue 16, point 3).

One ConnectDistributed JVM (jars from bench/kafka-connect/pom.xml, fetched and cached as the side-by-side benchmark
does) shares the session's broker and three state topics with `connectless standalone`. They never run at the same
time: each direction runs one side, stops it cleanly, and lets the other resume from what is in the topics.

- Connectless -> Kafka Connect: the worker serves the connector configs, target state and source offsets that
  Connectless wrote; a FileStreamSource resumes at Connectless's offset and a FileStreamSink at its consumer group.
- Kafka Connect -> Connectless: Connectless's stores and REST serve what the worker wrote (configs, offsets,
  statuses), and the same two connectors resume.

"No record lost or read twice" is checked on the data itself: the topic holds each source line exactly once and the
sink file holds each line exactly once. The data topic has one partition, so a source read again from an older
position, or a sink group re-delivering, would show duplicates before the last line arrives.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic

from connectless.kafka import KafkaSettings
from connectless.storage import ConfigStore, KafkaLog, OffsetStore, State, StatusStore, TargetState
from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS
from connectless.storage.status import STATUS_TOPIC_PARTITIONS
from connectless_local import jvm_process as jvm

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import ModuleType

    from confluent_kafka.admin import AdminClient

pytestmark = pytest.mark.kafka

STRING = "org.apache.kafka.connect.storage.StringConverter"
FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
MAIN_CLASS = "org.apache.kafka.connect.cli.ConnectDistributed"
# Lines a worker logs when a state-topic record does not parse (KafkaConfigBackingStore, KafkaStatusBackingStore,
# KafkaOffsetBackingStore / OffsetUtils): any of them means a format difference.
_STATE_READ_ERRORS = re.compile(
    r"(Failed to deserialize|Failed to convert|Invalid (?:data|key|value)|Ignoring (?:invalid|unrecognized)|"
    r"Found (?:connector|task) configuration .* in wrong format|Could not parse|Discarding config update record|"
    r"Missing required configuration)",
    re.IGNORECASE,
)


def _bench_kafka_connect() -> ModuleType:
    """bench/sidebyside/kafka_connect.py: fetches Kafka Connect's jars with Maven and holds its JVM options."""
    path = Path(__file__).parents[2] / "bench" / "sidebyside" / "kafka_connect.py"
    spec = importlib.util.spec_from_file_location("connectless_bench_kafka_connect", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- HTTP


def _http(method: str, url: str, body: Any = None, timeout: float = 30.0) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else None
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")


def _wait_for(what: str, check: Callable[[], Any], timeout: float, on_timeout: Callable[[], str] = str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})\n{on_timeout()}")


# --------------------------------------------------------------------------- the two workers


class KafkaConnectWorker:
    """One `connect-distributed.sh worker.properties`: started and stopped on demand, on the same folder."""

    def __init__(self, bootstrap: str, topics: dict[str, str], group: str) -> None:
        self.bench = _bench_kafka_connect()
        self.libs = self.bench.fetch_jars()
        self.port = jvm.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.worker_id = f"127.0.0.1:{self.port}"  # the REST advertised URL's host:port
        self.jvm = jvm.JvmProcess("Kafka Connect", "connectless-kc-distributed-", grace=30.0)
        self.properties = {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "config.storage.topic": topics["configs"],
            "offset.storage.topic": topics["offsets"],
            "status.storage.topic": topics["status"],
            "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1",
            "status.storage.replication.factor": "1",
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable": "false",
            "value.converter.schemas.enable": "false",
            "offset.flush.interval.ms": "500",
            "listeners": self.url,
            "rest.advertised.host.name": "127.0.0.1",
            "rest.advertised.port": str(self.port),
            "plugin.discovery": "service_load",
            # one worker in its group: no need to hold assignments back for a departed member
            "scheduled.rebalance.max.delay.ms": "0",
        }

    @property
    def log_file(self) -> Path:
        return self.jvm.folder / "connect.log"

    def start(self) -> None:
        folder = self.jvm.folder
        log4j = folder / "log4j2.properties"
        log4j.write_text(jvm.log4j2_file_config(self.log_file, {}))
        worker_file = self.bench.write_properties(folder / "worker.properties", self.properties)
        options = [*self.bench.JVM_OPTIONS, "-Xmx512M", "-Duser.timezone=UTC", f"-Dlog4j2.configurationFile={log4j}"]
        command = jvm.java_command(self.bench.java(), options, [f"{self.libs}/*"], MAIN_CLASS, str(worker_file))
        self.jvm.launch(command, folder / "console.log")

        def ready(_left: float) -> bool:
            try:
                # /connectors answers only once the herder has joined its group and read the config topic
                return _http("GET", f"{self.url}/connectors", timeout=5)[0] == 200
            except OSError:
                return False

        self.jvm.wait_until_ready(
            ready, timeout=90, interval=0.3,
            exited=lambda code: RuntimeError(f"Kafka Connect exited with {code}\n{self.tail()}"),
            timed_out=lambda: RuntimeError(f"Kafka Connect did not come up\n{self.tail()}"),
        )  # fmt: skip

    def ensure_started(self) -> None:
        if not self.jvm.is_running():
            self.start()

    def halt(self) -> None:
        """SIGTERM: the worker stops its tasks, commits source offsets and sink consumer offsets, then exits."""
        self.jvm.halt()

    def close(self) -> None:
        self.jvm.stop()

    def tail(self) -> str:
        return jvm.logs_tail([self.jvm.folder / "console.log", self.log_file], 40)

    def state_read_errors(self) -> list[str]:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return [line for line in text.splitlines() if _STATE_READ_ERRORS.search(line)]

    def get(self, path: str) -> Any:
        code, body = _http("GET", self.url + path)
        assert code == 200, f"GET {path} on Kafka Connect: {code} {body}"
        return body


class ConnectlessStandalone:
    """`connectless standalone [CONNECTOR.json...]` as a user runs it, on the shared state topics."""

    def __init__(self, bootstrap: str, topics: dict[str, str], files: list[Path]) -> None:
        cmd = [sys.executable, "-m", "connectless_cli.main", "standalone", *map(str, files)]
        cmd += ["--bootstrap-servers", bootstrap, "--rest-port", "0", "--offset-flush-interval-ms", "300"]
        cmd += ["--config-topic", topics["configs"], "--offsets-topic", topics["offsets"]]
        cmd += ["--status-topic", topics["status"]]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
        assert self.proc.stderr is not None
        self.printed: list[str] = []
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline and self.proc.poll() is None:
            line = self.proc.stderr.readline().decode()
            self.printed.append(line)
            found = re.search(r"REST API on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        if port is None:
            self.stop()
            pytest.fail("connectless standalone never printed its REST address:\n" + "".join(self.printed[-40:]))
        self.url = f"http://127.0.0.1:{port}"
        # keep reading its log so the pipe never fills
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.printed.append(raw.decode("utf-8", "replace"))

    def get(self, path: str) -> Any:
        code, body = _http("GET", self.url + path)
        assert code == 200, f"GET {path} on Connectless: {code} {body}"
        return body

    def stop(self) -> int:
        """SIGTERM: tasks flush, source offsets and sink group offsets are committed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)

    def tail(self) -> str:
        return "".join(self.printed[-40:])


# --------------------------------------------------------------------------- data helpers


def _connector_file(folder: Path, name: str, config: dict[str, str]) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"name": name, "config": config}))
    return path


def _source_config(source: Path, topic: str) -> dict[str, str]:
    return {"connector.class": FILE_SOURCE, "tasks.max": "1", "file": str(source), "topic": topic,
            "key.converter": STRING, "value.converter": STRING}  # fmt: skip


def _sink_config(sink: Path, topic: str) -> dict[str, str]:
    return {"connector.class": FILE_SINK, "tasks.max": "1", "file": str(sink), "topics": topic,
            "key.converter": STRING, "value.converter": STRING}  # fmt: skip


def _append_lines(path: Path, prefix: str, start: int, stop: int) -> list[str]:
    lines = [f"{prefix}-{i:04d}" for i in range(start, stop)]
    with path.open("a") as fh:
        fh.write("".join(line + "\n" for line in lines))
    return lines


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _topic_values(bootstrap: str, topic: str) -> list[str]:
    """Every value of partition 0 of `topic`, in order."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4()}"})
    try:
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        consumer.assign([TopicPartition(topic, 0, 0)])
        values: list[str] = []
        while len(values) < high:
            msg = consumer.poll(5)
            assert msg is not None and msg.error() is None, f"could not read {topic} back: {msg and msg.error()}"
            values.append((msg.value() or b"").decode())
        return values
    finally:
        consumer.close()


def _committed(bootstrap: str, group: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        [tp] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return tp.offset
    finally:
        consumer.close()


class Stores:
    """Connectless's own stores over the shared topics, opened afresh to read what is there now."""

    def __init__(self, bootstrap: str, topics: dict[str, str]) -> None:
        settings = KafkaSettings(bootstrap)
        self.configs = ConfigStore(KafkaLog(settings, topics["configs"], partitions=1))
        self.offsets = OffsetStore(KafkaLog(settings, topics["offsets"], partitions=OFFSETS_TOPIC_PARTITIONS))
        self.statuses = StatusStore(KafkaLog(settings, topics["status"], partitions=STATUS_TOPIC_PARTITIONS))
        for store in (self.configs, self.offsets, self.statuses):
            store.start()

    def close(self) -> None:
        for store in (self.configs, self.offsets, self.statuses):
            store.log.stop()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def state_topics(kafka_bootstrap: str) -> dict[str, str]:
    """The three state topics, created by Connectless's stores (the worker checks and accepts them)."""
    prefix = f"kc-roundtrip-{uuid.uuid4().hex[:8]}"
    topics = {"configs": f"{prefix}-configs", "offsets": f"{prefix}-offsets", "status": f"{prefix}-status"}
    Stores(kafka_bootstrap, topics).close()
    return topics


@pytest.fixture(scope="module")
def worker(kafka_bootstrap: str, state_topics: dict[str, str]) -> Iterator[KafkaConnectWorker]:
    """The module's one Kafka Connect worker, not started: each test starts and halts it when its turn comes."""
    found = KafkaConnectWorker(kafka_bootstrap, state_topics, f"connect-cluster-{uuid.uuid4().hex[:8]}")
    yield found
    found.close()


def _data_topic(admin: AdminClient, name: str) -> str:
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    return name


# --------------------------------------------------------------------------- tests


def test_connectless_state_is_read_and_resumed_by_kafka_connect(
    kafka_bootstrap: str, kafka_admin: AdminClient, state_topics: dict[str, str], worker: KafkaConnectWorker,
    tmp_path: Path,
) -> None:  # fmt: skip
    topic = _data_topic(kafka_admin, f"kc-rt-a-{uuid.uuid4().hex[:8]}")
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    expected = _append_lines(source, "a", 0, 200)
    configs = {"src-a": _source_config(source, topic), "sink-a": _sink_config(sink, topic)}
    files = [_connector_file(tmp_path, name, config) for name, config in configs.items()]

    # 1. Connectless runs both connectors, then stops cleanly.
    connectless = ConnectlessStandalone(kafka_bootstrap, state_topics, files)
    try:
        _wait_for("Connectless to sink 200 lines", lambda: len(_lines(sink)) >= 200, 60, connectless.tail)
        # a stopped connector with offsets set through Connectless's REST: nothing moves them afterwards
        parked = _source_config(tmp_path / "parked.txt", topic)
        code, body = _http("POST", f"{connectless.url}/connectors",
                           {"name": "parked-a", "config": parked, "initial_state": "STOPPED"})  # fmt: skip
        assert code == 201, body
        parked_offsets = [{"partition": {"filename": str(tmp_path / "parked.txt")}, "offset": {"position": 4242}}]
        code, body = _http("PATCH", f"{connectless.url}/connectors/parked-a/offsets", {"offsets": parked_offsets})
        assert code == 200, body
    finally:
        assert connectless.stop() == 0, connectless.tail()

    stores = Stores(kafka_bootstrap, state_topics)
    try:
        stored_config = stores.configs.connector_config("src-a")
        stored_tasks = stores.configs.snapshot().tasks["src-a"]
        stored_offset = stores.offsets.offset("src-a", {"filename": str(source)})
    finally:
        stores.close()
    assert stored_offset == {"position": source.stat().st_size}
    assert _committed(kafka_bootstrap, "connect-sink-a", topic) == 200

    # 2. More lines arrive while nobody runs; then Kafka Connect starts on the same topics.
    expected += _append_lines(source, "a", 200, 300)
    worker.start()  # stays up for the next test, which starts on the worker's side
    # the configs, target state and offsets Connectless wrote, as the worker serves them
    assert worker.get("/connectors/src-a/config") == stored_config
    # the task configs too: the worker starts the task from them (task.class) and finds nothing to rewrite
    assert [task["config"] for task in worker.get("/connectors/src-a/tasks")] == stored_tasks
    assert worker.get("/connectors/sink-a/config")["file"] == str(sink)
    assert worker.get("/connectors/parked-a/config")["file"] == str(tmp_path / "parked.txt")
    assert worker.get("/connectors/parked-a/offsets") == {"offsets": parked_offsets}
    _wait_for("parked-a STOPPED on Kafka Connect",
              lambda: worker.get("/connectors/parked-a/status")["connector"]["state"] == "STOPPED", 30)  # fmt: skip

    # the source resumes at Connectless's offset, the sink at Connectless's consumer group
    _wait_for("Kafka Connect to sink 300 lines", lambda: len(_lines(sink)) >= 300, 60, worker.tail)
    assert _topic_values(kafka_bootstrap, topic) == expected, "the source lost or re-read lines"
    assert _lines(sink) == expected, "the sink group skipped or re-delivered records"
    final = {"offsets": [{"partition": {"filename": str(source)}, "offset": {"position": source.stat().st_size}}]}
    # offsets are flushed every offset.flush.interval.ms, a moment after the records are acknowledged
    _wait_for("Kafka Connect's final source offset", lambda: worker.get("/connectors/src-a/offsets") == final, 10)
    status = worker.get("/connectors/src-a/status")
    assert status["connector"]["state"] == "RUNNING"
    assert [t["state"] for t in status["tasks"]] == ["RUNNING"]
    assert worker.state_read_errors() == []

    # hand the topics back empty of direction A's connectors: deleted through the worker's REST
    for name in ("src-a", "sink-a", "parked-a"):
        code, body = _http("DELETE", f"{worker.url}/connectors/{name}")
        assert code == 204, body

    stores = Stores(kafka_bootstrap, state_topics)
    try:
        assert stores.configs.snapshot().connectors == {}, "Connectless still sees connectors Kafka Connect deleted"
    finally:
        stores.close()


def test_kafka_connect_state_is_read_and_resumed_by_connectless(
    kafka_bootstrap: str, kafka_admin: AdminClient, state_topics: dict[str, str], worker: KafkaConnectWorker,
    tmp_path: Path,
) -> None:  # fmt: skip
    topic = _data_topic(kafka_admin, f"kc-rt-b-{uuid.uuid4().hex[:8]}")
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    expected = _append_lines(source, "b", 0, 200)
    configs = {"src-b": _source_config(source, topic), "sink-b": _sink_config(sink, topic)}
    parked = _source_config(tmp_path / "parked.txt", topic)
    parked_offsets = [{"partition": {"filename": str(tmp_path / "parked.txt")}, "offset": {"position": 777}}]

    # 1. Kafka Connect (still up from the test before, when run in order) runs both connectors, then shuts down.
    worker.ensure_started()
    try:
        for name, config in configs.items():
            code, body = _http("POST", f"{worker.url}/connectors", {"name": name, "config": config})
            assert code == 201, body
        code, body = _http("POST", f"{worker.url}/connectors",
                           {"name": "parked-b", "config": parked, "initial_state": "STOPPED"})  # fmt: skip
        assert code == 201, body
        _wait_for("Kafka Connect to sink 200 lines", lambda: len(_lines(sink)) >= 200, 60, worker.tail)
        _wait_for("parked-b STOPPED on Kafka Connect",
                  lambda: worker.get("/connectors/parked-b/status")["connector"]["state"] == "STOPPED", 30)  # fmt: skip
        code, body = _http("PATCH", f"{worker.url}/connectors/parked-b/offsets", {"offsets": parked_offsets})
        assert code == 200, body
        worker_configs = {name: worker.get(f"/connectors/{name}/config") for name in (*configs, "parked-b")}
        worker_tasks = [task["config"] for task in worker.get("/connectors/src-b/tasks")]
    finally:
        worker.halt()
    assert _committed(kafka_bootstrap, "connect-sink-b", topic) == 200

    # 2. What the worker left, as Connectless's stores read it.
    stores = Stores(kafka_bootstrap, state_topics)
    try:
        snapshot = stores.configs.snapshot()
        assert {name: snapshot.connectors[name] for name in worker_configs} == worker_configs
        assert snapshot.tasks["src-b"] == worker_tasks
        assert snapshot.target_states == {"src-b": TargetState.STARTED, "sink-b": TargetState.STARTED,
                                          "parked-b": TargetState.STOPPED}  # fmt: skip
        assert stores.offsets.offset("src-b", {"filename": str(source)}) == {"position": source.stat().st_size}
        for name in configs:
            status = stores.statuses.connector(name)
            assert status is not None, f"no status of {name} read from Kafka Connect's records"
            assert status.worker_id == worker.worker_id
            assert status.state in {State.RUNNING, State.UNASSIGNED}
            task = stores.statuses.task(name, 0)
            assert task is not None and task.worker_id == worker.worker_id
            assert task.generation > 0
        parked_status = stores.statuses.connector("parked-b")
        # a worker shutting down marks what it ran UNASSIGNED (its putSafe at shutdown), stopped connectors too
        assert parked_status is not None and parked_status.state is State.UNASSIGNED
        assert parked_status.worker_id == worker.worker_id
        assert stores.statuses.topics("src-b") == [topic] and stores.statuses.topics("sink-b") == [topic]
    finally:
        stores.close()

    # 3. More lines arrive; Connectless starts with no connector file: it resumes what the config topic holds.
    expected += _append_lines(source, "b", 200, 300)
    connectless = ConnectlessStandalone(kafka_bootstrap, state_topics, [])
    try:
        assert connectless.get("/connectors/parked-b/offsets") == {"offsets": parked_offsets}
        assert connectless.get("/connectors/parked-b/status")["connector"]["state"] == "STOPPED"
        for name, config in worker_configs.items():
            assert connectless.get(f"/connectors/{name}/config") == config
        _wait_for("Connectless to sink 300 lines", lambda: len(_lines(sink)) >= 300, 60, connectless.tail)
        assert _topic_values(kafka_bootstrap, topic) == expected, "the source lost or re-read lines"
        assert _lines(sink) == expected, "the sink group skipped or re-delivered records"
        final = {"offsets": [{"partition": {"filename": str(source)}, "offset": {"position": source.stat().st_size}}]}
        _wait_for("Connectless's final source offset",
                  lambda: connectless.get("/connectors/src-b/offsets") == final, 10)  # fmt: skip
    finally:
        assert connectless.stop() == 0, connectless.tail()

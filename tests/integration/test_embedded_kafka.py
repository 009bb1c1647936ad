"""The embedded Apache Kafka: a real broker, the `connectless dev kafka` command, its failure modes."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from connectless_local import embedded_kafka
from connectless_local.embedded_kafka import fetch_kafka_jars, kafka_cache_dir

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.kafka

CLI = [sys.executable, "-m", "connectless_cli.main"]
ADDRESS = re.compile(r"127\.0\.0\.1:\d+")


def test_produce_consume_round_trip(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> None:
    topic = unique_topic()
    sent: list[tuple[bytes, bytes, list[tuple[str, str | bytes | None]]]] = [
        (f"k{i}".encode(), f"v{i}".encode(), [("h", f"{i}".encode())]) for i in range(20)
    ]
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    for key, value, headers in sent:
        producer.produce(topic, key=key, value=value, headers=headers)
    assert producer.flush(30) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": unique_topic("g"),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    got: list[tuple[object, object, object]] = []
    deadline = time.monotonic() + 60
    try:
        while len(got) < len(sent) and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            got.append((msg.key(), msg.value(), msg.headers()))
        consumer.commit(asynchronous=False)  # the group coordinator works too
    finally:
        consumer.close()
    assert got == sent


def test_admin_fixture_sees_the_broker(kafka_admin: AdminClient) -> None:
    assert kafka_admin.list_topics(timeout=10).brokers


# --------------------------------------------------------------------------- `connectless dev kafka`


def _env(**overrides: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.setdefault("CONNECTLESS_KAFKA_HEAP", "256m")  # a second JVM on a shared machine: keep it small
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout).rstrip("\n")
    except queue.Empty:
        pytest.fail(f"no address printed within {timeout}s")


def _java_children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        if ppid == pid and comm == "java":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: it only waits to be reaped.
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] != "Z"


def _wait_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _start_dev_kafka(tmp_path: Path) -> tuple[subprocess.Popen[str], str, int, Path]:
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        proc = subprocess.Popen(CLI + ["dev", "kafka"], stdout=subprocess.PIPE, stderr=err, text=True, env=_env())
    address = _first_line(proc, timeout=120)
    assert ADDRESS.fullmatch(address), (address, stderr.read_text())
    java = _java_children(proc.pid)
    assert len(java) == 1, java
    data_dir = Path(re.search(r"data and logs in (\S+);", stderr.read_text())[1])  # type: ignore[index]
    return proc, address, java[0], data_dir


def test_dev_kafka_serves_until_sigterm(tmp_path: Path) -> None:
    proc, address, java, data_dir = _start_dev_kafka(tmp_path)
    try:
        admin = AdminClient({"bootstrap.servers": address})
        assert [b.port for b in admin.list_topics(timeout=10).brokers.values()] == [int(address.split(":")[1])]
        assert data_dir.is_dir()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert proc.stdout is not None and proc.stdout.read() == ""  # the address was the only output
        assert not _alive(java)
        assert not data_dir.exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_broker_dies_with_an_abruptly_killed_parent(tmp_path: Path) -> None:
    proc, _, java, data_dir = _start_dev_kafka(tmp_path)
    proc.kill()  # SIGKILL: no atexit, no signal handler, only the kernel's parent-death signal
    proc.wait(timeout=10)
    assert _wait_dead(java, timeout=15), "the broker outlived its killed parent"
    # Its folder is left behind; the next start sweeps folders whose owners are all dead.
    assert data_dir.is_dir()
    embedded_kafka._sweep_stale_dirs()
    assert not data_dir.exists()


def test_dev_kafka_uses_kafka_bootstrap_servers_when_set() -> None:
    proc = subprocess.run(
        CLI + ["dev", "kafka"],
        env=_env(KAFKA_BOOTSTRAP_SERVERS="broker.example:9092"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout == "broker.example:9092\n"
    assert "starting nothing" in proc.stderr


# --------------------------------------------------------------------------- missing tools, the jar cache


def _path_with_only(tmp_path: Path, *tools: str) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        real = shutil.which(tool)
        assert real is not None, f"{tool} is needed to run this test"
        (bin_dir / tool).symlink_to(real)
    return str(bin_dir)


def test_missing_java_gives_one_clear_line(tmp_path: Path) -> None:
    path = _path_with_only(tmp_path, "mvn", "sh")
    proc = subprocess.run(
        CLI + ["dev", "kafka"],
        env=_env(PATH=path, JAVA_HOME=None),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "java not found on PATH" in lines[0]
    assert "apt-get install openjdk-17-jdk-headless" in lines[0]


def test_missing_mvn_with_an_empty_cache_gives_one_clear_line(tmp_path: Path) -> None:
    path = _path_with_only(tmp_path, "java")
    proc = subprocess.run(
        CLI + ["dev", "kafka"],
        env=_env(PATH=path, JAVA_HOME=None, CONNECTLESS_CACHE_DIR=str(tmp_path / "cache")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "mvn not found on PATH" in lines[0]
    assert "apt-get install maven" in lines[0]


def test_complete_cache_needs_no_mvn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    libs = fetch_kafka_jars()
    monkeypatch.setenv("PATH", str(tmp_path))
    assert fetch_kafka_jars() == libs


def test_incomplete_cache_is_fetched_again(tmp_path: Path) -> None:
    libs = fetch_kafka_jars(tmp_path)
    assert libs == kafka_cache_dir(tmp_path)
    jar = next(libs.glob("kafka-clients-*.jar"))
    jar.unlink()  # as if a disk cleaner or a crash took it
    assert fetch_kafka_jars(tmp_path) == libs
    assert jar.is_file()
    assert not list(libs.parent.glob(".libs-*"))  # no temporary folder left behind

"""What the fault suite runs its scenarios on: `connectless standalone` in a child process, the example connectors
the stacks are seeded with, and a running stack's REST URL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import requests

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

EXAMPLE_NAMES = ("fuzz-gen", "fuzz-file")
REPORT: list[str] = []  # what each scenario tried and counted; printed at the end of the run (conftest)


def report(line: str) -> None:
    REPORT.append(line)


def example_connectors(prefix: str, out_dir: Path) -> list[dict[str, Any]]:
    """A source (stopped: it produces nothing) and a sink, on topics of this run; each stack has its own state
    topics, so both hold the same two names."""
    return [
        {"name": "fuzz-gen", "initial_state": "STOPPED",
         "config": {"connector.class": "Datagen", "tasks.max": "1", "kafka.topic": f"{prefix}-orders",
                    "quickstart": "orders", "max.records": "10"}},
        {"name": "fuzz-file",
         "config": {"connector.class": "FileStreamSink", "tasks.max": "1", "topics": f"{prefix}-orders",
                    "file": str(out_dir / f"{prefix}-out.txt")}},
    ]  # fmt: skip


class StandaloneProcess:
    """`connectless standalone` in a child process with its own state topics; its stderr is kept."""

    def __init__(self, bootstrap: str, prefix: str, extra_env: dict[str, str] | None = None) -> None:
        cmd = [sys.executable, "-m", "connectless_cli.main", "standalone", "--bootstrap-servers", bootstrap,
               "--rest-port", "0", "--offset-flush-interval-ms", "200", "--offsets-topic", f"{prefix}-offsets",
               "--config-topic", f"{prefix}-configs", "--status-topic", f"{prefix}-status"]  # fmt: skip
        env = {**os.environ, **(extra_env or {})}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: list[str] = []
        self._found = threading.Event()
        self._url: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        if not self._found.wait(90):
            self.proc.kill()
            pytest.fail("standalone did not start: " + "".join(self.lines[-30:]))
        self.url = self._url[0]

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            match = re.search(r"REST API on (http://\S+)", line)
            if match and not self._found.is_set():
                self._url.append(match.group(1))
                self._found.set()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(90)
        self._reader.join(10)
        return code

    @property
    def output(self) -> str:
        return "".join(self.lines)


@dataclass
class RunningStack:
    """A stack's REST URL and the example connectors it was seeded with (re-created when a test deletes one)."""

    name: str
    url: str
    examples: list[dict[str, Any]]

    def seed(self, name: str | None = None) -> None:
        for connector in self.examples:
            if name is None or connector["name"] == name:
                requests.post(f"{self.url}/connectors", json=connector, timeout=60).raise_for_status()


def read_topic(bootstrap: str, topic: str, *, committed: bool = False, timeout_s: float = 30.0) -> list[Any]:
    """Every record of `topic` up to its end now, as (key, value, headers); `committed`: read_committed."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"scan-{uuid.uuid4().hex}",
                         "enable.auto.commit": False,
                         "isolation.level": "read_committed" if committed else "read_uncommitted"})  # fmt: skip
    try:
        try:
            metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        except KafkaException:
            return []
        if metadata.error is not None:
            return []
        parts = [TopicPartition(topic, p, 0) for p in metadata.partitions]
        try:
            ends = {p.partition: consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts}
        except KafkaException:  # a broker just back, its partitions without a leader yet: nothing readable now
            return []
        consumer.assign(parts)
        records: list[Any] = []
        pending = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                # read_committed stops at the last stable offset: markers and aborted records are never delivered
                pending = {p for p in pending if consumer.position([TopicPartition(topic, p)])[0].offset < ends[p]}
                continue
            if message.error():
                continue
            records.append((message.key(), message.value(), message.headers()))
            if message.offset() + 1 >= ends[message.partition()]:
                pending.discard(message.partition())
        return records
    finally:
        consumer.close()


def eventually(check: Callable[[], Any], timeout_s: float = 90.0, interval_s: float = 0.5) -> Any:
    """`check()`'s first truthy result; fails after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {getattr(check, '__name__', check)}")
        time.sleep(interval_s)

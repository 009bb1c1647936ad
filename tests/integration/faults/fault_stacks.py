"""What the fault suite runs its scenarios on: `connectless standalone` in a child process, the example connectors
the stacks are seeded with, and a running stack's REST URL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import requests

if TYPE_CHECKING:
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
        cmd = [sys.executable, "-m", "connectless.cli.main", "standalone", "--bootstrap-servers", bootstrap,
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

"""Every connector of the suite at once: one standalone worker (or one `connectless standalone` process) runs
them all, and each gets its own verdict. Running them side by side keeps the suite's time to a few worker starts
instead of a few per connector; a connector that fails or stalls fails only its own checks.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance_driver import CommittedOffsets, TopicReader, create_topic, produce_rows, producer
from conformance_harness import Env, Harness, SinkHarness, SourceHarness

from connectless.kafka.settings import KafkaSettings
from connectless.standalone.worker import StandaloneWorker, WorkerOptions

if TYPE_CHECKING:
    from pathlib import Path

    from conformance_cases import ConnectorCase

    from connectless.storage import State

WAIT_S = 60.0


@dataclass
class Member:
    """One connector in the fleet: its case, harness, connector name, and what the runs found out."""

    case: ConnectorCase
    harness: Harness
    name: str
    reader: TopicReader | None = None  # sources: their topic, read from the start
    offsets: CommittedOffsets | None = None  # sinks: their group's committed offset
    problems: list[str] = field(default_factory=list)
    states: list[tuple[str, list[State]]] = field(default_factory=list)  # (moment, task states)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> SourceHarness:
        assert isinstance(self.harness, SourceHarness)
        return self.harness

    @property
    def sink(self) -> SinkHarness:
        assert isinstance(self.harness, SinkHarness)
        return self.harness

    def source_ids(self) -> list[int]:
        assert self.reader is not None
        return self.reader.ids(self.source)

    def committed(self) -> int:
        assert self.offsets is not None
        return self.offsets()


class Fleet:
    """The harnesses of `cases`, each with its own prefix, sharing one set of worker state topics."""

    def __init__(self, cases: list[ConnectorCase], bootstrap: str, tmp: Path, service: Callable[[str], Any]) -> None:
        self.bootstrap = bootstrap
        self.prefix = f"cf{uuid.uuid4().hex[:10]}"
        self.members: dict[str, Member] = {}
        self.producer = producer(bootstrap)
        for case in cases:
            env = Env(bootstrap, tmp, f"{self.prefix}{case.id.lower()[:12]}", service)
            harness = case.harness(env, case.connector_class)
            member = Member(case, harness, f"{case.id}-{self.prefix}")
            create_topic(bootstrap, harness.topic)
            if isinstance(harness, SourceHarness):
                member.reader = TopicReader(bootstrap, harness.topic)
            else:
                member.offsets = CommittedOffsets(bootstrap, member.name, harness.topic)
            self.members[case.id] = member

    @property
    def options(self) -> WorkerOptions:
        return WorkerOptions(offsets_topic=f"{self.prefix}-offsets", configs_topic=f"{self.prefix}-configs",
                             status_topic=f"{self.prefix}-status", commit_interval_s=0.2, rest_port=None,
                             worker_id="conformance")  # fmt: skip

    def feed(self, ids: range, *, tombstones: tuple[int, ...] = (), after: range | None = None) -> None:
        """Input rows `ids` for every source; for every sink records `ids`, then tombstones, then `after`."""
        for member in self.members.values():
            if isinstance(member.harness, SourceHarness):
                member.harness.add_input(ids)
            else:
                produce_rows(self.producer, member.harness.topic, ids, tombstones=tombstones)
                if after is not None:
                    produce_rows(self.producer, member.harness.topic, after)

    def configs(self, **extra: str) -> dict[str, dict[str, str]]:
        return {m.name: {**m.harness.config(), **extra} for m in self.members.values()}

    @contextmanager
    def worker(self, **extra: str) -> Iterator[StandaloneWorker]:
        """An in-process standalone worker running every member (a member it refuses gets the problem)."""
        worker = StandaloneWorker(KafkaSettings(self.bootstrap), self.options)
        worker.start()
        try:
            for member in self.members.values():
                try:
                    worker.add_connector(member.name, {**member.harness.config(), **extra})
                except Exception as exc:  # noqa: BLE001 - the member's verdict, not the fleet's
                    member.problems.append(f"refused by the worker: {exc!r}")
            yield worker
        finally:
            worker.stop()

    def wait(self, goals: dict[str, Callable[[], bool]], what: str, worker: StandaloneWorker | None = None) -> None:
        """Wait until every member's goal holds; a member whose task fails or that times out gets the problem."""
        pending = {k: g for k, g in goals.items() if not self.members[k].problems}
        started = time.monotonic()
        deadline = started + WAIT_S
        while pending:
            failed = {t.connector: t for t in worker.failed_tasks()} if worker is not None else {}
            for key in list(pending):
                member = self.members[key]
                thread = failed.get(member.name)
                if thread is not None:
                    member.problems.append(f"task {thread.task_id} failed waiting for {what}: {thread.error!r}")
                    del pending[key]
                elif _holds(pending[key], member):
                    member.notes[f"{what}: s"] = round(time.monotonic() - started, 2)  # shown when a check fails
                    del pending[key]
            if pending and time.monotonic() > deadline:
                for key in pending:
                    self.members[key].problems.append(f"timed out after {WAIT_S:.0f} s waiting for {what}")
                break
            time.sleep(0.1)

    def close(self) -> None:
        self.producer.flush(10)
        for member in self.members.values():
            for client in (member.reader, member.offsets):
                if client is not None:
                    client.close()
            member.harness.close()


def _holds(goal: Callable[[], bool], member: Member) -> bool:
    try:
        return goal()
    except Exception as exc:  # noqa: BLE001 - a target not ready yet (no table, no index) is not there yet
        member.notes["last_wait_error"] = repr(exc)
        return False

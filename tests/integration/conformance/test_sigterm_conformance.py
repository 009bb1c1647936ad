"""Clean stop under SIGTERM, for every built-in connector: a `connectless standalone` process runs them all, gets
SIGTERM as soon as each has moved some of its input (on a fast machine most have moved all of it by then), exits 0
with every task stopped and its offsets flushed, and a second process on more input neither loses nor repeats a
record (conformance_cases.CASES; see test_connector_conformance.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from conformance_cases import CASES, SINKS, SOURCES, ConnectorCase
from conformance_fleet import Fleet, Member

from connectless.kafka.settings import KafkaSettings
from connectless.storage import State
from connectless.storage.topics import status_store

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.kafka

FIRST, SECOND = range(1, 201), range(201, 301)


def _start(fleet: Fleet, folder: Path, run: int) -> tuple[subprocess.Popen[bytes], Path]:
    files = []
    for member in fleet.members.values():  # written again per run: datagen's config follows its input
        path = folder / f"{member.name}.json"
        path.write_text(json.dumps({"name": member.name, "config": member.harness.config()}))
        files.append(str(path))
    options = fleet.options
    log = folder / f"standalone-{run}.log"
    cmd = [sys.executable, "-m", "connectless_cli.main", "standalone", *files, "--bootstrap-servers", fleet.bootstrap,
           "--rest-port", "0", "--offset-flush-interval-ms", "300", "--offsets-topic", options.offsets_topic,
           "--config-topic", options.configs_topic, "--status-topic", options.status_topic]  # fmt: skip
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would block the worker's logging
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=out, env=os.environ.copy())
    return proc, log


def _alive(proc: subprocess.Popen[bytes], log: Path) -> Callable[[], bool]:
    def check() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"standalone exited early ({proc.returncode}): {log.read_text()[-2000:]}")
        return True

    return check


def _progress(fleet: Fleet, member: Member, ids: range, *, complete: bool) -> Callable[[], bool]:
    """Some of the run's records have gone through (or, `complete`, all of them)."""
    if member.case.is_sink:
        end = ids.stop - 1
        return lambda: member.committed() >= (end if complete else ids.start)
    wanted = set(ids) if complete else {ids.start}
    return lambda: wanted <= set(member.source_ids())


def _run(fleet: Fleet, folder: Path, run: int, ids: range, *, complete: bool) -> None:
    proc, log = _start(fleet, folder, run)
    try:
        alive = _alive(proc, log)
        goals = {k: (lambda m=m: alive() and _progress(fleet, m, ids, complete=complete)()) for k, m in
                 fleet.members.items()}  # fmt: skip
        fleet.wait(goals, f"standalone run {run}")
        for member in fleet.members.values():  # how far each had got when SIGTERM came (shown when a check fails)
            done = member.committed() if member.case.is_sink else len(set(member.source_ids()))
            member.notes[f"through at SIGTERM {run}"] = done
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(90)
    statuses = status_store(KafkaSettings(fleet.bootstrap), fleet.options.status_topic)
    statuses.start()
    try:
        for member in fleet.members.values():
            member.notes[f"exit {run}"] = code
            member.states.append(
                (f"after SIGTERM {run}", [s.state for _, s in sorted(statuses.tasks(member.name).items())])
            )
            if member.case.is_sink:
                member.notes[f"committed {run}"] = member.committed()
    finally:
        statuses.log.stop()
    if code != 0:
        for member in fleet.members.values():
            member.notes["log"] = log.read_text()[-3000:]


@pytest.fixture(scope="module")
def sigterm_runs(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
                 ) -> Iterator[Fleet]:  # fmt: skip
    """Run 1: input 1-200, SIGTERM as soon as every connector has moved some of it. Run 2: input 201-300, SIGTERM
    once everything went through."""
    folder = tmp_path_factory.mktemp("sigterm")
    fleet = Fleet(CASES, kafka_bootstrap, folder, request.getfixturevalue)
    try:
        fleet.feed(FIRST)
        _run(fleet, folder, 1, FIRST, complete=False)
        fleet.feed(SECOND)
        _run(fleet, folder, 2, range(1, SECOND.stop), complete=True)
        yield fleet
    finally:
        fleet.close()


def _member(fleet: Fleet, case: ConnectorCase) -> Member:
    member = fleet.members[case.id]
    assert member.problems == [], member.notes.get("log", member.notes)
    return member


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_sigterm_stops_the_worker_cleanly(sigterm_runs: Fleet, case: ConnectorCase) -> None:
    member = _member(sigterm_runs, case)
    assert (member.notes["exit 1"], member.notes["exit 2"]) == (0, 0), member.notes.get("log")
    assert all(states and set(states) == {State.UNASSIGNED} for _, states in member.states), member.states


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in SOURCES])
def test_source_after_sigterm_loses_and_repeats_nothing(sigterm_runs: Fleet, case: ConnectorCase) -> None:
    member = _member(sigterm_runs, case)
    ids = Counter(member.source_ids())
    assert (set(range(1, SECOND.stop)) - set(ids), {i: n for i, n in ids.items() if n > 1}) == (set(), {})


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in SINKS])
def test_sink_after_sigterm_loses_and_repeats_nothing(sigterm_runs: Fleet, case: ConnectorCase) -> None:
    member = _member(sigterm_runs, case)
    assert member.notes["committed 2"] == SECOND.stop - 1
    if "read back" in case.skip:
        pytest.skip(case.skip["read back"])
    written: Any = Counter(member.sink.written() or [])
    assert (set(range(1, SECOND.stop)) - set(written), {i: n for i, n in written.items() if n > 1}) == (set(), {})

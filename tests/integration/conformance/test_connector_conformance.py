"""The connector conformance suite: the same checks for every built-in connector, each on its real target.

Every connector in conformance_cases.CASES (one line each) is checked for:
- config validation: its valid config passes; each bad value, and each required key left out, is refused with
  an error that names the key, by the validation every entry point uses (REST, CLI, manager), and by the
  connector's or its task's start() (called directly there, as a config that skipped validation would reach it);
- task count: task_configs(max_tasks) gives between 1 and max_tasks configs, and every one of them runs;
- start/stop/restart with offsets: a source run by the standalone worker, stopped and started again, resumes
  where it left off (every input row on its topic exactly once); a sink's group commits only offsets of records
  already put and flushed, and a restart neither loses nor repeats a record;
- tombstones (sinks): a null value deletes or is skipped, as the connector documents, and never fails the task.
test_sigterm_conformance.py adds the clean stop of a `connectless standalone` process under SIGTERM.

Everything else drives connectors the way the runtime does: the standalone worker (the scheduled source handler,
the event-source-mapping emulator feeding the sink handler), every connector in one worker at a time
(conformance_fleet), each with its own verdict.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from conformance_cases import CASES, SINKS, SOURCES, ConnectorCase
from conformance_driver import CommittedOffsets, all_running, task_states
from conformance_fleet import Fleet, Member
from conformance_harness import Env, Harness

from connectless.config import ConfigError
from connectless.connector import Connector, SinkTask, SourceTask
from connectless.connector_config import check_connector_config, validate_connector_config
from connectless.plugins import REGISTRY, PluginKind
from connectless.runtime.contexts import RuntimeSinkTaskContext, RuntimeSourceTaskContext
from connectless.storage import State

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from connectless.connector import TopicPartition
    from connectless.records import SinkRecord

pytestmark = pytest.mark.kafka


def _ids(cases: list[ConnectorCase]) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in cases]


@pytest.fixture(scope="module")
def made() -> Iterator[dict[str, Harness]]:
    """The validation checks' harnesses, one per case, made on first use (their databases, buckets, tables)."""
    harnesses: dict[str, Harness] = {}
    yield harnesses
    for harness in harnesses.values():
        harness.close()


@pytest.fixture
def harness(request: pytest.FixtureRequest, made: dict[str, Harness], tmp_path_factory: pytest.TempPathFactory,
            kafka_bootstrap: str) -> Harness:  # fmt: skip
    case: ConnectorCase = request.param
    if case.id not in made:
        env = Env(kafka_bootstrap, tmp_path_factory.mktemp(case.id), f"cf{uuid.uuid4().hex[:10]}",
                  request.getfixturevalue)  # fmt: skip
        made[case.id] = case.harness(env, case.connector_class)
    return made[case.id]


def _skip_if(case: ConnectorCase, check: str) -> None:
    if check in case.skip:
        pytest.skip(case.skip[check])


def test_every_registered_connector_has_a_case() -> None:
    registered = {
        d.class_name
        for kind in (PluginKind.SOURCE, PluginKind.SINK)
        for d in REGISTRY.all(kind)
        if d.cls.__module__.startswith("connectless.")
    }  # built-ins, not the fakes other tests register
    assert registered == {c.connector_class for c in CASES}


# -- config validation -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("harness", _ids(CASES), indirect=True)
def test_valid_config_passes_validation(harness: Harness) -> None:
    result = validate_connector_config({"name": "ok", **harness.config()})
    assert result.errors == {}


@pytest.mark.parametrize("harness", _ids(CASES), indirect=True)
def test_each_bad_value_is_refused_naming_its_key(harness: Harness) -> None:
    assert harness.bad_values, "a case must name at least one bad value"
    unnamed: dict[str, str] = {}
    for key, bad in harness.bad_values.items():
        config = {"name": "bad", **harness.config(), key: bad}
        errors = validate_connector_config(config).errors
        if not errors.get(key):
            unnamed[key] = f"validation: {errors}"
            continue
        with pytest.raises(ConfigError) as refused:
            check_connector_config(config, "bad")
        if key not in str(refused.value):
            unnamed[key] = f"check: {refused.value}"
    assert unnamed == {}


def _start_with(harness: Harness, config: dict[str, str]) -> None:
    """Start the connector, then (as a sink handler does from the config topic) a task with each task config."""
    plugin = REGISTRY.find((PluginKind.SOURCE, PluginKind.SINK), harness.connector_class)
    connector = plugin.cls()
    connector.start(config)
    try:
        for task_config in connector.task_configs(1):
            task = connector.task_class()()
            if isinstance(task, SinkTask):
                task.initialize(RuntimeSinkTaskContext(task_config))
            else:
                assert isinstance(task, SourceTask)
                task.initialize(RuntimeSourceTaskContext(task_config, _NoOffsets()))
            task.start(task_config)
            task.stop()
    finally:
        connector.stop()


class _NoOffsets:
    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return None

    def offsets(self, partitions: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any] | None]:
        return {}


@pytest.mark.parametrize("harness", _ids(CASES), indirect=True)
def test_start_refuses_each_bad_value_naming_its_key(harness: Harness) -> None:
    """A config that reaches start() without validation (an old config topic, a hand-written task config) still
    fails in the connector's or its task's start(), with the key named: never a stray TypeError, never a task
    running on a bad value."""
    unnamed: dict[str, str] = {}
    for key, bad in harness.bad_values.items():
        try:
            _start_with(harness, {"name": "bad", **harness.config(), key: bad})
        except Exception as exc:  # noqa: BLE001 - any error is fine as long as it names the key
            if key not in str(exc):
                unnamed[key] = f"{type(exc).__name__}: {exc}"
        else:
            unnamed[key] = "accepted"
    common = {"tasks.max", "topics", "errors.tolerance"}  # the worker's keys, validated before any start()
    assert {k: v for k, v in unnamed.items() if k not in common} == {}


@pytest.mark.parametrize("harness", _ids(CASES), indirect=True)
def test_each_required_key_left_out_is_named(harness: Harness) -> None:
    connector: Connector = REGISTRY.find((PluginKind.SOURCE, PluginKind.SINK), harness.connector_class).cls()
    required = [k.name for k in connector.config_def().keys.values() if not k.has_default]
    missing: dict[str, dict[str, list[str]]] = {}
    for key in required:
        config = {k: v for k, v in {"name": "bad", **harness.config()}.items() if k != key}
        errors = validate_connector_config(config).errors
        if not errors.get(key):
            missing[key] = errors
    assert missing == {}


# -- the fleet runs: every connector in one standalone worker at a time --------------------------------------
class _CommitSpy:
    """Wraps a sink task class: at every put() and flush() the group's committed offset must not be past the
    first record not yet flushed (offsets are committed only after put and flush)."""

    def __init__(self, bootstrap: str, connector: str, topic: str) -> None:
        self.committed = CommittedOffsets(bootstrap, connector, topic)  # used from the task's thread only
        self.violations: list[str] = []
        self.puts = self.flushes = 0

    def wrap(self, task_class: type[SinkTask]) -> type[SinkTask]:
        spy = self

        class Spied(task_class):  # type: ignore[valid-type,misc]
            unflushed: int | None = None

            def put(self, records: Sequence[SinkRecord]) -> None:
                offsets = [r.kafka_offset for r in records]
                if offsets:
                    spy.check("put", min(offsets))
                    self.unflushed = min(offsets) if self.unflushed is None else self.unflushed
                spy.puts += 1
                super().put(records)

            def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
                if self.unflushed is not None:
                    spy.check("flush", self.unflushed)
                super().flush(current_offsets)
                self.unflushed = None
                spy.flushes += 1

        return Spied

    def check(self, where: str, first_unflushed: int) -> None:
        committed = self.committed()
        if committed > first_unflushed:
            self.violations.append(f"at {where}: committed {committed}, first record not flushed {first_unflushed}")


FIRST, SECOND, AFTER_TOMBSTONE, TOMBSTONED = range(1, 21), range(21, 41), range(41, 43), 3
SINK_END = len(FIRST) + len(SECOND) + 1 + len(AFTER_TOMBSTONE)  # the offset after the last record


def _spy_on_sinks(fleet: Fleet, patch: pytest.MonkeyPatch) -> None:
    """Sink task classes are found through their connector class: each connector's gets its own spy (a connector
    class appears once in the cases)."""
    for member in fleet.members.values():
        if member.case.is_sink:
            cls = REGISTRY.find(PluginKind.SINK, member.case.connector_class).cls
            spy = member.notes["spy"] = _CommitSpy(fleet.bootstrap, member.name, member.sink.topic)
            spied = spy.wrap(cls().task_class())
            patch.setattr(cls, "task_class", lambda self, spied=spied: spied)


def _goal(fleet: Fleet, member: Member, source_ids: range, sink_end: int) -> Callable[[], bool]:
    if member.case.is_sink:
        return lambda: member.committed() == sink_end
    wanted = set(range(1, source_ids.stop))
    return lambda: wanted <= set(member.source_ids())


@pytest.fixture(scope="module")
def lifecycle(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
              ) -> Iterator[Fleet]:  # fmt: skip
    """Two runs of one worker over every connector: run 1 on input 1-20, stop, run 2 on input 21-40 (sinks: then a
    tombstone for id 3, then 41-42), stop. Each member keeps its task states, problems and what it delivered."""
    fleet = Fleet(CASES, kafka_bootstrap, tmp_path_factory.mktemp("lifecycle"), request.getfixturevalue)
    try:
        with pytest.MonkeyPatch.context() as patch:
            _spy_on_sinks(fleet, patch)
            for run, (ids, sink_end) in enumerate(((FIRST, FIRST.stop - 1), (SECOND, SINK_END)), start=1):
                if run == 1:
                    fleet.feed(ids)
                else:
                    fleet.feed(ids, tombstones=(TOMBSTONED,), after=AFTER_TOMBSTONE)
                with fleet.worker() as worker:
                    goals = {k: _goal(fleet, m, ids, sink_end) for k, m in fleet.members.items()}
                    fleet.wait(goals, f"run {run}", worker)
                    for member in fleet.members.values():
                        member.states.append((f"running {run}", task_states(worker, member.name)))
                for member in fleet.members.values():
                    member.states.append((f"stopped {run}", task_states(worker, member.name)))
        yield fleet
    finally:
        for member in fleet.members.values():
            if "spy" in member.notes:
                member.notes["spy"].committed.close()
        fleet.close()


def _member(fleet: Fleet, case: ConnectorCase) -> Member:
    member = fleet.members[case.id]
    assert member.problems == [], member.notes
    return member


@pytest.mark.parametrize("case", _ids(CASES))
def test_start_stop_restart(lifecycle: Fleet, case: ConnectorCase) -> None:
    member = _member(lifecycle, case)
    running, unassigned = [State.RUNNING], [State.UNASSIGNED]
    assert member.states == [("running 1", running), ("stopped 1", unassigned),
                             ("running 2", running), ("stopped 2", unassigned)]  # fmt: skip


@pytest.mark.parametrize("case", _ids(SOURCES))
def test_source_offsets_restore_where_it_left_off(lifecycle: Fleet, case: ConnectorCase) -> None:
    member = _member(lifecycle, case)
    assert sorted(member.source_ids()) == list(range(1, SECOND.stop)), "a restart lost or repeated records"


@pytest.mark.parametrize("case", _ids(SINKS))
def test_sink_offsets_are_committed_only_after_put_and_flush(lifecycle: Fleet, case: ConnectorCase) -> None:
    member = _member(lifecycle, case)
    spy: _CommitSpy = member.notes["spy"]
    assert (spy.violations, spy.puts > 0, spy.flushes > 0) == ([], True, True)
    assert member.committed() == SINK_END


@pytest.mark.parametrize("case", _ids(SINKS))
def test_sink_restart_loses_and_repeats_nothing(lifecycle: Fleet, case: ConnectorCase) -> None:
    member = _member(lifecycle, case)
    _skip_if(case, "read back")
    written = Counter(member.sink.written() or [])
    expected = set(range(1, AFTER_TOMBSTONE.stop)) - {TOMBSTONED}
    assert (expected - set(written), {i: n for i, n in written.items() if n > 1}) == (set(), {})


@pytest.mark.parametrize("case", _ids(SINKS))
def test_sink_tombstone_deletes_or_is_skipped_as_documented(lifecycle: Fleet, case: ConnectorCase) -> None:
    """The tombstone neither failed the task (the records after it are committed: test above) nor did anything
    but what the connector documents: `delete` removes the row of its key, `keep` leaves it."""
    member = _member(lifecycle, case)
    _skip_if(case, "read back")
    assert case.tombstone in ("delete", "keep"), "a sink case must say what a tombstone does"
    written = set(member.sink.written() or [])
    assert (TOMBSTONED in written, set(AFTER_TOMBSTONE) <= written) == (case.tombstone == "keep", True)


# -- task count ------------------------------------------------------------------------------------------------
MAX_TASKS = 3


@pytest.fixture(scope="module")
def three_tasks(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
                ) -> Iterator[Fleet]:  # fmt: skip
    """One worker running every connector with tasks.max=3: each member notes its task states once all run."""
    fleet = Fleet(CASES, kafka_bootstrap, tmp_path_factory.mktemp("tasks"), request.getfixturevalue)
    try:
        planned = {}
        for key, member in fleet.members.items():
            connector = REGISTRY.find((PluginKind.SOURCE, PluginKind.SINK), member.case.connector_class).cls()
            connector.start({"name": member.name, **member.harness.config()})
            member.notes["plans"] = {m: connector.task_configs(m) for m in range(1, MAX_TASKS + 1)}
            connector.stop()
            planned[key] = len(member.notes["plans"][MAX_TASKS])
        with fleet.worker(**{"tasks.max": str(MAX_TASKS)}) as worker:
            goals = {k: all_running(worker, m.name, planned[k]) for k, m in fleet.members.items()}
            fleet.wait(goals, f"every task RUNNING with tasks.max={MAX_TASKS}", worker)
            for member in fleet.members.values():
                member.states.append(("running", task_states(worker, member.name)))
        yield fleet
    finally:
        fleet.close()


@pytest.mark.parametrize("case", _ids(CASES))
def test_task_configs_honour_max_tasks_and_every_task_runs(three_tasks: Fleet, case: ConnectorCase) -> None:
    member = _member(three_tasks, case)
    plans: dict[int, list[dict[str, str]]] = member.notes["plans"]
    assert [1 <= len(plans[m]) <= m for m in plans] == [True] * MAX_TASKS, {m: len(p) for m, p in plans.items()}
    assert all(isinstance(k, str) and isinstance(v, str) for plan in plans.values() for c in plan for k, v in c.items())
    assert member.states == [("running", [State.RUNNING] * len(plans[MAX_TASKS]))]

"""The connector conformance suite: the same checks for every built-in connector, each on its real target.

Every connector in conformance_cases.CASES (one line each) is checked for:
- config validation: its valid config passes; each bad value, and each required key left out, is refused with
  an error that names the key, by the validation every entry point uses (REST, CLI, manager) and by the
  connector's own start();
- task count: task_configs(max_tasks) gives between 1 and max_tasks configs, and every one of them runs;
- start/stop/restart with offsets: a source run by the standalone worker, stopped and started again, resumes
  where it left off (every input row on its topic exactly once); a sink's group commits only offsets of records
  already put and flushed, and a restart neither loses nor repeats a record;
- tombstones (sinks): a null value deletes or is skipped, as the connector documents, and never fails the task.
test_sigterm_conformance.py adds the clean stop of a `connectless standalone` process under SIGTERM.

Connectors are driven the way the runtime drives them: the standalone worker (the scheduled source handler, the
event-source-mapping emulator feeding the sink handler), never a task called by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from conformance_cases import CASES, SINKS, SOURCES, ConnectorCase
from conformance_driver import (
    TopicReader,
    all_running,
    committed_offset,
    create_topic,
    produce_rows,
    running_worker,
    task_states,
    wait_for,
)
from conformance_harness import Env, Harness, SinkHarness, SourceHarness

from connectless.config import ConfigError
from connectless.connector import SinkTask, SourceTask
from connectless.connector_config import check_connector_config, validate_connector_config
from connectless.plugins import REGISTRY, PluginKind
from connectless.runtime.contexts import RuntimeSinkTaskContext, RuntimeSourceTaskContext
from connectless.storage import State

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from connectless.connector import TopicPartition
    from connectless.records import SinkRecord

pytestmark = pytest.mark.kafka


def _ids(cases: list[ConnectorCase]) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in cases]


@pytest.fixture
def harness(request: pytest.FixtureRequest, env: Env) -> Iterator[Harness]:
    case: ConnectorCase = request.param
    made = case.harness(env, case.connector_class)
    try:
        yield made
    finally:
        made.close()


def _skip_if(case: ConnectorCase, check: str) -> None:
    if check in case.skip:
        pytest.skip(case.skip[check])


def test_every_registered_connector_has_a_case() -> None:
    registered = {d.class_name for kind in (PluginKind.SOURCE, PluginKind.SINK) for d in REGISTRY.all(kind)}
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
    plugin = REGISTRY.find((PluginKind.SOURCE, PluginKind.SINK), harness.connector_class)
    required = [k.name for k in plugin.cls.config_def().keys.values() if not k.has_default]
    missing: dict[str, dict[str, list[str]]] = {}
    for key in required:
        config = {k: v for k, v in {"name": "bad", **harness.config()}.items() if k != key}
        errors = validate_connector_config(config).errors
        if not errors.get(key):
            missing[key] = errors
    assert missing == {}


# -- task count ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("harness", _ids(CASES), indirect=True)
def test_task_configs_honour_max_tasks_and_every_task_runs(harness: Harness, env: Env) -> None:
    plugin = REGISTRY.find((PluginKind.SOURCE, PluginKind.SINK), harness.connector_class)
    config = {"name": "tasks", **harness.config()}
    connector = plugin.cls()
    connector.start(config)
    try:
        counts = [len(connector.task_configs(m)) for m in (1, 2, 3)]
        shapes = [all(isinstance(k, str) and isinstance(v, str) for k, v in c.items())
                  for m in (1, 2, 3) for c in connector.task_configs(m)]  # fmt: skip
    finally:
        connector.stop()
    assert [1 <= n <= m for n, m in zip(counts, (1, 2, 3), strict=True)] == [True] * 3, counts
    assert all(shapes)
    if isinstance(harness, SinkHarness):
        create_topic(env.bootstrap, harness.topic)
    with running_worker(env, {"tasks": {**config, "tasks.max": "3"}}) as worker:
        wait_for(all_running(worker, "tasks", counts[2]), f"{counts[2]} tasks RUNNING", worker)
        assert worker.failed_tasks() == []
    assert task_states(worker, "tasks") == [State.UNASSIGNED] * counts[2]


# -- start / stop / restart and offsets ------------------------------------------------------------------------
@pytest.mark.parametrize("harness", _ids(SOURCES), indirect=True)
def test_source_restart_resumes_where_it_left_off(harness: SourceHarness, env: Env) -> None:
    create_topic(env.bootstrap, harness.topic)
    reader = TopicReader(env.bootstrap, harness.topic)
    try:
        for run, ids in enumerate((range(1, 21), range(21, 41))):
            harness.add_input(ids)
            with running_worker(env, {"source": harness.config()}) as worker:
                wanted = set(range(1, ids.stop))
                wait_for(lambda wanted=wanted: wanted <= set(reader.ids(harness)),
                         f"ids up to {ids.stop - 1} on {harness.topic} (run {run + 1})", worker)  # fmt: skip
                assert task_states(worker, "source") == [State.RUNNING]
            assert task_states(worker, "source") == [State.UNASSIGNED]
        assert sorted(reader.ids(harness)) == list(range(1, 41)), "a restart lost or repeated records"
    finally:
        reader.close()


class _CommitSpy:
    """Wraps a sink task class: at every put() and flush() the group's committed offset must not be past the
    first record not yet flushed (offsets are committed only after put and flush)."""

    def __init__(self, bootstrap: str, connector: str, topic: str) -> None:
        self.bootstrap, self.connector, self.topic = bootstrap, connector, topic
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
        committed = committed_offset(self.bootstrap, self.connector, self.topic)
        if committed > first_unflushed:
            self.violations.append(f"at {where}: committed {committed}, first record not flushed {first_unflushed}")


@pytest.mark.parametrize("harness", _ids(SINKS), indirect=True)
def test_sink_commits_only_flushed_offsets_and_restarts_without_loss(
    harness: SinkHarness, env: Env, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    case: ConnectorCase = request.node.callspec.params["harness"]
    connector_cls = REGISTRY.find(PluginKind.SINK, harness.connector_class).cls
    spy = _CommitSpy(env.bootstrap, "sink", harness.topic)
    spied = spy.wrap(connector_cls().task_class())
    monkeypatch.setattr(connector_cls, "task_class", lambda self: spied)
    create_topic(env.bootstrap, harness.topic)
    for run, ids in enumerate((range(1, 21), range(21, 41))):
        produce_rows(env.bootstrap, harness.topic, ids)
        with running_worker(env, {"sink": harness.config()}) as worker:
            end = ids.stop - 1
            wait_for(lambda end=end: committed_offset(env.bootstrap, "sink", harness.topic) == end,
                     f"offset {ids.stop - 1} committed (run {run + 1})", worker)  # fmt: skip
            assert task_states(worker, "sink") == [State.RUNNING]
        assert task_states(worker, "sink") == [State.UNASSIGNED]
    assert (spy.violations, spy.puts > 0, spy.flushes > 0) == ([], True, True)
    assert committed_offset(env.bootstrap, "sink", harness.topic) == 40
    _skip_if(case, "read back")
    assert sorted(harness.written() or []) == list(range(1, 41)), "a restart lost or repeated records"


@pytest.mark.parametrize("harness", _ids(SINKS), indirect=True)
def test_sink_tombstone_deletes_or_is_skipped_as_documented(
    harness: SinkHarness, env: Env, request: pytest.FixtureRequest
) -> None:
    case: ConnectorCase = request.node.callspec.params["harness"]
    create_topic(env.bootstrap, harness.topic)
    produce_rows(env.bootstrap, harness.topic, range(1, 6), tombstones=(3,))
    produce_rows(env.bootstrap, harness.topic, range(6, 8))  # after the tombstone: the task must go on
    with running_worker(env, {"sink": harness.config()}) as worker:
        wait_for(lambda: committed_offset(env.bootstrap, "sink", harness.topic) == 8, "offset 8 committed", worker)
        assert worker.failed_tasks() == []
        assert task_states(worker, "sink") == [State.RUNNING]
    _skip_if(case, "read back")
    expected = [1, 2, 3, 4, 5, 6, 7] if case.tombstone == "keep" else [1, 2, 4, 5, 6, 7]
    assert sorted(harness.written() or []) == expected

"""Standalone source tasks run through the local scheduler and the source handler, in-process, on the real broker:
the connector's `connectless.source.schedule` rate, continuous runs by default with every record produced once
across runs, and a failed run leaves the task FAILED (with its trace) and fires no more."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from connectless.connector import SourceConnector, SourceTask
from connectless.kafka.settings import KafkaSettings
from connectless.plugins import PluginKind, register
from connectless.standalone.scheduled_source import ScheduledSourceRunner
from connectless.standalone.scheduler import BACK_TO_BACK
from connectless.standalone.worker import StandaloneWorker, WorkerOptions
from connectless.storage import KafkaLog, OffsetStore, State
from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from connectless.records import SourceRecord

pytestmark = pytest.mark.kafka
POLLS: dict[str, int] = {}


class _BoomTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.name = props["name"]

    def poll(self) -> list[SourceRecord] | None:
        POLLS[self.name] = POLLS.get(self.name, 0) + 1
        raise RuntimeError("the source system is gone")

    def stop(self) -> None:
        pass


@register(PluginKind.SOURCE, "test.BoomSourceConnector", "BoomSource")
class _BoomSource(SourceConnector):
    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return _BoomTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{"name": self.props["name"]}]


def _datagen(topic: str, records: int, **extra: str) -> dict[str, str]:
    return {"connector.class": "Datagen", "kafka.topic": topic, "max.records": str(records), "batch.size": "50",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false", **extra}  # fmt: skip


def _wait(check: Callable[[], Any], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {check}")
        time.sleep(0.1)


@pytest.fixture
def worker(kafka_bootstrap: str, unique_topic: Callable[..., str]) -> Iterator[StandaloneWorker]:
    prefix = unique_topic("sched")
    options = WorkerOptions(offsets_topic=f"{prefix}-offsets", configs_topic=f"{prefix}-configs",
                            status_topic=f"{prefix}-status", rest_port=None, commit_interval_s=0.2)  # fmt: skip
    worker = StandaloneWorker(KafkaSettings(kafka_bootstrap), options)
    worker.start()
    yield worker
    worker.stop()


def test_a_failed_run_leaves_the_task_failed_and_stops_firing(worker: StandaloneWorker) -> None:
    name = f"boom-{time.monotonic_ns()}"
    worker.add_connector(name, {"connector.class": "BoomSource"})
    _wait(worker.failed_tasks)
    worker.statuses.refresh()
    status = worker.statuses.task(name, 0)
    assert status is not None and status.state is State.FAILED
    assert status.trace is not None and "the source system is gone" in status.trace
    polls = POLLS[name]
    time.sleep(1.5)
    assert POLLS[name] == polls == 1, "a FAILED task was fired again"
    assert not worker.task_running(name, 0)


def test_default_schedule_runs_continuously_and_standalone_produces_everything(
    worker: StandaloneWorker, unique_topic: Callable[..., str]
) -> None:
    topic = unique_topic("sched-gen")
    name = f"gen-{topic}"
    worker.add_connector(name, _datagen(topic, 500))
    (thread,) = worker.threads[name]
    runner = thread.runner
    assert isinstance(runner, ScheduledSourceRunner) and runner.every_s == BACK_TO_BACK
    _wait(lambda: runner.stats.produced >= 500)
    worker.statuses.refresh()
    status = worker.statuses.task(name, 0)
    assert status is not None and status.state is State.RUNNING


def test_runs_follow_the_schedule_rate_and_resume_from_committed_offsets(
    kafka_bootstrap: str, unique_topic: Callable[..., str]
) -> None:
    topic = unique_topic("sched-rate")
    settings = KafkaSettings(kafka_bootstrap)
    offsets = OffsetStore(KafkaLog(settings, f"{topic}-offsets", partitions=OFFSETS_TOPIC_PARTITIONS))
    offsets.start()
    config = _datagen(topic, 10_000, **{"connectless.source.schedule": "rate(1 second)", "records.per.second": "200"})
    runner = ScheduledSourceRunner(f"gen-{topic}", 0, config, config, settings, offsets,
                                   commit_interval_s=0.2, cluster_id=topic, run_s=0.3)  # fmt: skip
    assert runner.every_s == 1.0
    stopping = [False]
    runner.start()
    started = time.monotonic()
    thread = threading.Thread(target=runner.run, args=(lambda: stopping[0],))
    thread.start()
    time.sleep(3.6)
    stopping[0] = True
    thread.join(30)
    runner.stop()
    elapsed = time.monotonic() - started
    runs = runner.results
    assert 3 <= len(runs) <= 5, f"{len(runs)} runs in {elapsed:.1f}s at rate(1 second)"
    assert all(r.outcome == "RAN" and r.duration_s < 1.0 for r in runs)
    produced = runner.stats.produced
    assert produced > 0
    offsets.refresh()
    ((_partition, offset),) = offsets.all(f"gen-{topic}")
    assert offset == {"next.id": produced}, "each run resumes where the previous one committed"
    offsets.log.stop()


class _IdleTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        pass

    def poll(self) -> list[SourceRecord] | None:
        time.sleep(0.05)
        return None

    def stop(self) -> None:
        pass


@register(PluginKind.SOURCE, "test.GrowingSourceConnector", "GrowingSource")
class _GrowingSource(SourceConnector):
    """One task per table in `_GrowingSource.tables`, as a JDBC source finds tables; the test asks for a
    reconfiguration through the ConnectorContext, as the connector's own monitor thread would."""

    tables = ["a"]

    def task_class(self) -> type[SourceTask]:
        return _IdleTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, "table": table} for table in _GrowingSource.tables[:max_tasks]]


def test_a_connector_that_asks_for_a_reconfiguration_gets_its_tasks_restarted_on_new_configs(
    worker: StandaloneWorker,
) -> None:
    _GrowingSource.tables = ["a"]
    worker.add_connector("growing", {"connector.class": "GrowingSource", "tasks.max": "3"})
    _wait(lambda: worker.task_running("growing", 0))
    connector = worker.connectors["growing"]
    assert connector.context is not None
    connector.context.request_task_reconfiguration()  # nothing changed: the task goes on
    assert [t.task_id for t in worker.threads["growing"]] == [0]
    _GrowingSource.tables = ["a", "b"]
    connector.context.request_task_reconfiguration()
    worker.configs.refresh()
    assert [t["table"] for t in worker.configs.snapshot().tasks["growing"]] == ["a", "b"]
    _wait(lambda: worker.task_running("growing", 0) and worker.task_running("growing", 1))
    connector.context.raise_error(RuntimeError("the database is gone"))
    status = worker.statuses.connector("growing")
    assert status is not None and status.state is State.FAILED and "the database is gone" in (status.trace or "")

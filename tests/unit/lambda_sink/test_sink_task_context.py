"""What a sink task asks through its SinkTaskContext, kept by the sink handler (the path of Lambda, `local up` and
standalone mode): offset() rewinds and skips, timeout() before a retry. Config and status topics in memory.

Kafka Connect's semantics (WorkerSinkTask): after offset({tp: n}) the next record the task gets from tp is n, and
n is what gets committed; timeout(ms) is the wait before a put that raised RetriableError is tried again."""

from __future__ import annotations

import importlib.util
import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import sink_fakes
from connectless.connector import SinkConnector, SinkTask, TopicPartition
from connectless.errors import RetriableError
from connectless.lambda_sink.events import build_event
from connectless.lambda_sink.handler import BatchComesAgainError, SinkBatchHandler
from connectless.plugins import PluginKind, register
from connectless.raw_records import RawRecord
from connectless.runtime.lambda_context import EmulatedLambdaContext
from connectless.storage import ConfigStore, MemoryLog, State, StatusStore

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.records import SinkRecord

NAME = "rewinding"
TP = TopicPartition("orders", 0)
PUT: dict[str, list[int]] = defaultdict(list)  # offsets put, in order
ASKED: dict[str, list[tuple[str, int]]] = {}  # the rewinds still to ask: ("open", n) or (value, n) at put


@register(PluginKind.SINK, "test.RewindingSinkConnector", "RewindingSink")
class RewindingSinkConnector(SinkConnector):
    def task_class(self) -> type[SinkTask]:
        return RewindingSinkTask


class RewindingSinkTask(SinkTask):
    """Asks each rewind of ASKED once: in open(), or when put sees the value named; `timeout.ms`: the first put
    raises RetriableError after asking for that wait."""

    def start(self, props: Mapping[str, str]) -> None:
        self.timeout_ms = int(props.get("timeout.ms", "0"))

    def open(self, partitions: Sequence[TopicPartition]) -> None:
        for when, offset in list(ASKED[NAME]):
            if when == "open":
                ASKED[NAME].remove((when, offset))
                self.context.offset({TP: offset})

    def put(self, records: Sequence[SinkRecord]) -> None:
        if self.timeout_ms and records:
            self.context.timeout(self.timeout_ms)
            self.timeout_ms = 0
            raise RetriableError("the store is busy")
        for record in records:
            PUT[NAME].append(record.kafka_offset)
            for when, offset in list(ASKED[NAME]):
                if when == str(record.value):
                    ASKED[NAME].remove((when, offset))
                    self.context.offset({TP: offset})

    def stop(self) -> None:
        pass


@pytest.fixture(autouse=True)
def clean() -> None:
    PUT.pop(NAME, None)
    ASKED[NAME] = []


def handler(*, can_seek: bool = False, report: bool = True, **config: str) -> tuple[SinkBatchHandler, Any]:
    configs = ConfigStore(MemoryLog())
    configs.start()
    configs.put_connector_config(NAME, {"name": NAME, "connector.class": "RewindingSink", "topics": "orders",
                                        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                                        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
                                        **config})  # fmt: skip
    skipped = sink_fakes.SkippedTime()
    made = SinkBatchHandler(configs, StatusStore(MemoryLog()), None, worker_id="test", clock=skipped.clock,
                            sleep=skipped.sleep, can_seek=can_seek, report_item_failures=report)  # fmt: skip
    return made, skipped


def event(first: int, last: int) -> dict[str, Any]:
    raws = [RawRecord("orders", 0, i, 1000 + i, "CreateTime", b"k", str(i).encode()) for i in range(first, last + 1)]
    return build_event(raws, "localhost:9092")


def failures(response: dict[str, Any]) -> list[tuple[str, int]]:
    return [(f["itemIdentifier"]["partition"], f["itemIdentifier"]["offset"]) for f in response["batchItemFailures"]]


def test_a_rewind_in_open_skips_the_records_before_it() -> None:
    ASKED[NAME] = [("open", 3)]  # the task's own store says it has everything before 3
    made, _ = handler()
    result = made.handle(event(0, 4), NAME)
    assert PUT[NAME] == [3, 4]
    assert result.records_skipped == 3 and result.response() == {"batchItemFailures": []}


def test_a_rewind_into_the_batch_delivers_the_partition_again_from_there_and_is_no_failure() -> None:
    ASKED[NAME] = [("3", 1)]
    made, _ = handler()
    result = made.handle(event(0, 4), NAME)
    assert failures(result.response()) == [("orders-0", 1)]  # the mapping commits up to 1 and delivers from 1
    assert made.statuses.task(NAME, 0).state is State.RUNNING and made.task_failures == 0  # type: ignore[union-attr]
    made.handle(event(1, 4), NAME)
    assert PUT[NAME] == [0, 1, 2, 3, 4, 1, 2, 3, 4]


def test_without_item_failures_the_whole_batch_comes_again_and_what_precedes_the_rewind_is_skipped() -> None:
    ASKED[NAME] = [("3", 2)]
    made, _ = handler(report=False)
    with pytest.raises(BatchComesAgainError, match="orders-0@2"):
        made.handle(event(0, 4), NAME)
    assert made.statuses.task(NAME, 0).state is State.RUNNING and made.task_failures == 0  # type: ignore[union-attr]
    result = made.handle(event(0, 4), NAME)  # the mapping's retry of the same batch
    assert result.records_skipped == 2
    assert PUT[NAME] == [0, 1, 2, 3, 4, 2, 3, 4]


def test_a_rewind_past_the_batch_skips_ahead_in_the_next_batches() -> None:
    ASKED[NAME] = [("1", 7)]
    made, _ = handler()
    assert made.handle(event(0, 4), NAME).response() == {"batchItemFailures": []}
    result = made.handle(event(5, 9), NAME)
    assert result.records_skipped == 2 and PUT[NAME] == [0, 1, 2, 3, 4, 7, 8, 9]


def test_a_rewind_behind_the_batch_goes_on_from_the_mapping_on_lambda(caplog: pytest.LogCaptureFixture) -> None:
    ASKED[NAME] = [("open", 2)]
    made, _ = handler()
    with caplog.at_level(logging.WARNING):
        result = made.handle(event(5, 6), NAME)
    assert PUT[NAME] == [5, 6] and result.response() == {"batchItemFailures": []}
    assert "cannot be moved" in caplog.text


def test_a_rewind_behind_the_batch_is_sought_where_the_caller_can_seek() -> None:
    ASKED[NAME] = [("open", 2)]
    made, _ = handler(can_seek=True)
    result = made.handle(event(5, 6), NAME)
    assert PUT.get(NAME, []) == [] and result.seeks == {TP: 2}
    assert failures(result.response()) == [("orders-0", 5)]


def test_timeout_is_the_wait_before_the_retry_of_a_retriable_put() -> None:
    made, skipped = handler(**{"timeout.ms": "4321", "errors.retry.timeout": "60000"})
    made.handle(event(0, 1), NAME)
    assert PUT[NAME] == [0, 1]
    assert skipped.slept == pytest.approx(4.321)  # not the policy's first backoff (0.3 s)


def test_the_function_counts_a_batch_that_comes_again_as_no_failure(capsys: pytest.CaptureFixture[str]) -> None:
    """Through functions/sink_task/app.py: the error reaches the mapping, the TaskFailures metric stays 0."""
    path = Path(__file__).parents[3] / "functions" / "sink_task" / "app.py"
    spec = importlib.util.spec_from_file_location("sink_task_rewind_app", path)
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    ASKED[NAME] = [("3", 2)]
    app.function.handler, _ = handler(report=False)
    with pytest.raises(BatchComesAgainError):
        app.lambda_handler(event(0, 4), EmulatedLambdaContext("connectless-sink", NAME, timeout_s=60))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    metrics = next(line for line in lines if "_aws" in line)
    assert metrics["connector"] == NAME and metrics["TaskFailures"] == [0.0]

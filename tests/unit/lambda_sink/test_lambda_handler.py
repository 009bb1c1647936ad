"""The sink batch handler's errors.* semantics, with the config and status topics in memory and a memory sink.

The dead letter queue itself needs Kafka: tests/integration/test_lambda_sink_esm.py covers it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import sink_fakes
from connectless.aws_names import alias_name
from connectless.connector import SinkConnector, SinkTask
from connectless.errors import ConnectError
from connectless.lambda_sink.events import build_event
from connectless.lambda_sink.handler import SinkBatchHandler
from connectless.plugins import PluginKind, register
from connectless.raw_records import RawRecord
from connectless.runtime.lambda_context import EmulatedLambdaContext
from connectless.storage import ConfigStore, MemoryLog, State, StatusStore, TargetState

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from connectless.records import SinkRecord

NAME = "mem"
BASE = {
    "name": NAME,
    "connector.class": "MemorySink",
    "topics": "orders",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}


@pytest.fixture(autouse=True)
def clean_sink() -> None:
    sink_fakes.reset(NAME)


def make_handler(**config: str) -> SinkBatchHandler:
    configs = ConfigStore(MemoryLog())
    configs.start()
    configs.put_connector_config(NAME, {**BASE, **config})
    statuses = StatusStore(MemoryLog())
    skipped = sink_fakes.SkippedTime()
    return SinkBatchHandler(configs, statuses, None, worker_id="test", clock=skipped.clock, sleep=skipped.sleep)


def event(*values: bytes | None, partition: int = 0, more: list[RawRecord] | None = None) -> dict[str, Any]:
    raws = [RawRecord("orders", partition, i, 1000 + i, "CreateTime", b"k", v) for i, v in enumerate(values)]
    return build_event([*raws, *(more or [])], "localhost:9092")


def written() -> dict[tuple[str, int, int], Any]:
    return sink_fakes.WRITTEN[NAME]


def test_every_record_is_written_and_the_task_is_running() -> None:
    handler = make_handler()
    result = handler.handle(event(b'{"a":1}', b'{"a":2}'), NAME)
    assert result.response() == {"batchItemFailures": []}
    assert written() == {("orders", 0, 0): {"a": 1}, ("orders", 0, 1): {"a": 2}}
    assert (result.records_in, result.records_written, result.records_dead_lettered) == (2, 2, 0)
    status = handler.statuses.task(NAME, 0)  # type: ignore[union-attr]
    assert status is not None and status.state is State.RUNNING


def test_tolerance_none_names_the_first_failed_record_of_each_partition() -> None:
    handler = make_handler()
    other = [RawRecord("orders", 1, i, 5, "CreateTime", b"k", v) for i, v in enumerate([b"1", b"oops", b"3"])]
    result = handler.handle(event(b"1", b"2", b"not json", b"4", more=other), NAME)
    assert result.response() == {
        "batchItemFailures": [
            {"itemIdentifier": {"partition": "orders-0", "offset": 2}},
            {"itemIdentifier": {"partition": "orders-1", "offset": 1}},
        ]
    }
    assert sorted(written()) == [("orders", 0, 0), ("orders", 0, 1), ("orders", 1, 0)]
    status = handler.statuses.task(NAME, 0)  # type: ignore[union-attr]
    assert status is not None and status.state is State.FAILED
    assert status.trace is not None and "Tolerance exceeded" in status.trace


def test_tolerance_none_put_failure_stops_its_partition_at_that_record() -> None:
    handler = make_handler(**{"reject.values": "13"})
    result = handler.handle(event(b"11", b"12", b"13", b"14"), NAME)
    assert result.response()["batchItemFailures"] == [{"itemIdentifier": {"partition": "orders-0", "offset": 2}}]
    assert sorted(k[2] for k in written()) == [0, 1]


def test_tolerance_all_skips_a_record_put_cannot_write_and_keeps_the_rest() -> None:
    handler = make_handler(**{"errors.tolerance": "all", "reject.values": "13"})
    result = handler.handle(event(b"11", b"12", b"13", b"14"), NAME)
    assert result.response() == {"batchItemFailures": []}
    assert sorted(k[2] for k in written()) == [0, 1, 3]
    assert result.records_dead_lettered == 1
    assert result.records_written == 3


def test_tolerance_all_skips_a_record_flush_cannot_write() -> None:
    handler = make_handler(**{"errors.tolerance": "all", "fail.flush.values": "12"})
    result = handler.handle(event(b"11", b"12", b"13"), NAME)
    assert sorted(k[2] for k in written()) == [0, 2]
    assert result.records_dead_lettered == 1


def test_tolerance_all_skips_records_the_converter_cannot_read() -> None:
    handler = make_handler(**{"errors.tolerance": "all"})
    result = handler.handle(event(b"1", b"{broken", b"3"), NAME)
    assert sorted(k[2] for k in written()) == [0, 2]
    assert (result.records_dead_lettered, result.records_dropped) == (1, 0)


def test_a_transient_failure_is_retried_within_the_invocation() -> None:
    handler = make_handler(**{"fail.retriable.times": "2"})
    context = EmulatedLambdaContext("f", NAME, timeout_s=60)
    result = handler.handle(event(b"1", b"2"), NAME, remaining_s=lambda: context.get_remaining_time_in_millis() / 1000)
    assert result.records_written == 2
    assert sink_fakes.PUT_CALLS[NAME] == 3


def test_an_outage_longer_than_the_invocation_fails_the_whole_batch() -> None:
    handler = make_handler(**{"fail.retriable.times": "1000", "errors.tolerance": "all"})
    with pytest.raises(ConnectError, match="briefly unavailable"):
        handler.handle(event(b"1", b"2"), NAME, remaining_s=lambda: 10.5)
    assert written() == {}
    status = handler.statuses.task(NAME, 0)  # type: ignore[union-attr]
    assert status is not None and status.state is State.FAILED


def test_filtered_records_count_as_dropped() -> None:
    handler = make_handler(
        **{"transforms": "drop", "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
           "transforms.drop.predicate": "tomb", "predicates": "tomb",
           "predicates.tomb.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"}
    )  # fmt: skip
    result = handler.handle(event(b"1", None, b"3"), NAME)
    assert (result.records_written, result.records_dropped, result.records_dead_lettered) == (2, 1, 0)


def test_without_report_batch_item_failures_a_failure_raises() -> None:
    handler = make_handler()
    handler.report_item_failures = False
    with pytest.raises(ConnectError):
        handler.handle(event(b"nope"), NAME)


def test_a_paused_connector_leaves_the_batch_for_later() -> None:
    handler = make_handler()
    handler.configs.put_target_state(NAME, TargetState.PAUSED)
    with pytest.raises(ConnectError, match="PAUSED"):
        handler.handle(event(b"1"), NAME)
    assert written() == {}


def test_an_unknown_connector_raises() -> None:
    with pytest.raises(ConnectError, match="not in the config topic"):
        make_handler().handle(event(b"1"), "nobody")


def test_the_task_is_kept_while_warm_and_restarted_when_its_config_changes() -> None:
    handler = make_handler()
    handler.handle(event(b"1"), NAME)
    first = handler._tasks[NAME].task
    handler.handle(event(b"2"), NAME)
    assert handler._tasks[NAME].task is first
    handler.configs.put_connector_config(NAME, {**BASE, "reject.values": "9"})
    handler._refreshed_at = -1e9  # the cache's time to live has passed
    handler.handle(event(b"3"), NAME)
    assert handler._tasks[NAME].task is not first


def load_app() -> Any:
    path = Path(__file__).parents[3] / "functions" / "sink_task" / "app.py"
    spec = importlib.util.spec_from_file_location("sink_task_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sink_task_app"] = module
    spec.loader.exec_module(module)
    return module


def test_the_function_reports_metrics_per_connector(capsys: pytest.CaptureFixture[str]) -> None:
    app = load_app()
    app.function.handler = make_handler(**{"errors.tolerance": "all", "reject.values": "2"})
    context = EmulatedLambdaContext("connectless-sink", NAME, timeout_s=60)
    response = app.lambda_handler(event(b"1", b"2", b"3"), context)
    assert response == {"batchItemFailures": []}
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = next(line for line in lines if "_aws" in line)
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Connectless"
    assert emf["connector"] == NAME
    assert (emf["RecordsIn"], emf["RecordsOut"], emf["RecordsDeadLettered"]) == ([3.0], [2.0], [1.0])
    assert emf["BatchDuration"][0] >= 0


@pytest.mark.parametrize("name", ["spaces in name", "ünï-☃-名前", "50%-off", "123"])
def test_a_name_aws_refuses_as_an_alias_is_served_through_its_derived_alias(name: str) -> None:
    """On AWS the sink is invoked through alias_name(connector), which differs from a name like these."""
    sink_fakes.reset(name)
    app = load_app()
    app.function.handler = make_handler()
    app.function.handler.configs.put_connector_config(name, {**BASE, "name": name})
    alias = alias_name(name)
    assert alias != name
    response = app.lambda_handler(event(b'{"a":1}'), EmulatedLambdaContext("connectless-sink", alias, timeout_s=60))
    assert response == {"batchItemFailures": []}
    assert sink_fakes.WRITTEN[name] == {("orders", 0, 0): {"a": 1}}
    assert app.function.handler.connector_for(alias) == name
    assert app.function.handler.connector_for(NAME) == NAME  # a name AWS takes is its own alias


def test_config_provider_references_are_resolved_at_task_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTLESS_TEST_REJECT", "2")
    handler = make_handler(**{"errors.tolerance": "all", "reject.values": "${env:CONNECTLESS_TEST_REJECT}"})
    result = handler.handle(event(b"1", b"2", b"3"), NAME)
    assert (result.records_written, result.records_dead_lettered) == (2, 1)
    assert handler._tasks[NAME].config["reject.values"] == "${env:CONNECTLESS_TEST_REJECT}"  # stored as written


@register(PluginKind.SINK, "test.ErrantReportingSinkConnector", "ErrantReportingSink")
class ErrantReportingSinkConnector(SinkConnector):
    def task_class(self) -> type[SinkTask]:
        return ErrantReportingSinkTask


class ErrantReportingSinkTask(SinkTask):
    """Hands every record whose value is {"bad": true} to the errant record reporter instead of failing."""

    def start(self, props: Mapping[str, str]) -> None:
        self.reporter = self.context.errant_record_reporter()

    def put(self, records: Sequence[SinkRecord]) -> None:
        for record in records:
            if record.value == {"bad": True}:
                assert self.reporter is not None
                self.reporter.report(record, ValueError("the target refused it"))

    def stop(self) -> None:
        return None


def test_the_errant_record_reporter_reports_the_consumed_bytes() -> None:
    handler = make_handler(**{"connector.class": "ErrantReportingSink", "errors.tolerance": "all"})
    handler.handle(event(b"1"), NAME)
    operator = handler._tasks[NAME].pipeline.operator
    reported: list[RawRecord | None] = []
    execute_failed = operator.execute_failed

    def spy(*args: Any, **kwargs: Any) -> Any:
        reported.append(kwargs.get("consumer_record"))
        return execute_failed(*args, **kwargs)

    operator.execute_failed = spy  # type: ignore[method-assign]
    bad = [RawRecord("orders", 3, o, 7, "CreateTime", b"k", v) for o, v in ((5, b"1"), (9, b'{"bad":  true}'))]
    result = handler.handle(event(more=bad), NAME)
    assert result.records_dead_lettered == 1
    assert reported == [bad[1]]  # as consumed (two spaces), not re-serialised by the converter


CHUNKED = {"consumer.override.max.poll.records": "3"}


def test_put_gets_at_most_max_poll_records_and_flush_runs_once_per_batch() -> None:
    handler = make_handler(**CHUNKED)
    result = handler.handle(event(*(b"%d" % i for i in range(7))), NAME)
    assert result.response() == {"batchItemFailures": []}
    assert sink_fakes.PUT_SIZES[NAME] == [3, 3, 1]
    assert sink_fakes.FLUSH_CALLS[NAME] == 1
    assert sorted(k[2] for k in written()) == list(range(7))
    assert result.records_written == 7


def test_a_batch_within_one_put_is_put_whole() -> None:
    handler = make_handler(**CHUNKED)
    handler.handle(event(b"1", b"2", b"3"), NAME)
    assert sink_fakes.PUT_SIZES[NAME] == [3]


def test_a_chunk_put_cannot_write_sends_the_whole_batch_again_record_by_record() -> None:
    handler = make_handler(**CHUNKED, **{"errors.tolerance": "all", "reject.values": "14"})
    result = handler.handle(event(*(b"%d" % (10 + i) for i in range(7))), NAME)
    assert result.response() == {"batchItemFailures": []}
    assert sorted(k[2] for k in written()) == [0, 1, 2, 3, 5, 6]
    assert (result.records_written, result.records_dead_lettered) == (6, 1)
    # 3, then 3 refused (the 1 after it is still converted), then the whole batch once, then one by one
    # (the refused record once: an error that is not retriable is never retried).
    assert sink_fakes.PUT_SIZES[NAME] == [3, 3, 7] + [1] * 7


def test_a_chunk_put_cannot_write_under_tolerance_none_stops_its_partition_there() -> None:
    handler = make_handler(**CHUNKED, **{"reject.values": "15"})
    result = handler.handle(event(*(b"%d" % (10 + i) for i in range(7))), NAME)
    assert result.response()["batchItemFailures"] == [{"itemIdentifier": {"partition": "orders-0", "offset": 5}}]
    assert sorted(k[2] for k in written()) == [0, 1, 2, 3, 4]


def test_a_transient_failure_of_a_chunk_is_retried_with_the_whole_batch() -> None:
    handler = make_handler(**CHUNKED, **{"fail.retriable.times": "1"})
    context = EmulatedLambdaContext("f", NAME, timeout_s=60)
    remaining = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731
    result = handler.handle(event(*(b"%d" % i for i in range(7))), NAME, remaining_s=remaining)
    assert result.records_written == 7
    assert sorted(k[2] for k in written()) == list(range(7))
    assert sink_fakes.PUT_SIZES[NAME] == [3, 7]


@pytest.mark.parametrize("bad", ["0", "-5", "many"])
def test_a_bad_max_poll_records_is_named(bad: str) -> None:
    handler = make_handler(**{"consumer.override.max.poll.records": bad})
    with pytest.raises(ConnectError, match=r"consumer\.override\.max\.poll\.records must be a positive integer"):
        handler.handle(event(b"1"), NAME)


def test_each_topic_consumed_is_recorded_once_in_the_status_topic() -> None:
    handler = make_handler(topics="orders,refunds")
    statuses = handler.statuses
    assert statuses is not None
    refunds = [RawRecord("refunds", 0, i, 7, "CreateTime", b"k", b"1") for i in range(3)]
    other_partition = [RawRecord("orders", 1, i, 7, "CreateTime", b"k", b"2") for i in range(3)]
    handler.handle(event(b"1", b"2", more=other_partition), NAME)
    handler.handle(event(b"3", more=refunds), NAME)
    handler.handle(event(b"4", b"5", more=[*refunds, *other_partition]), NAME)
    records = [(key, value) for key, value in statuses.log.records if key.startswith(b"status-topic-")]  # type: ignore[attr-defined]
    assert [key for key, _ in records] == [b"status-topic-orders:connector-mem", b"status-topic-refunds:connector-mem"]
    value = json.loads(records[0][1])
    assert value["topic"]["name"] == "orders" and value["topic"]["connector"] == NAME and value["topic"]["task"] == 0
    assert isinstance(value["topic"]["discoverTimestamp"], int)
    assert statuses.topics(NAME) == ["orders", "refunds"]


def test_without_a_status_store_nothing_is_tracked() -> None:
    configs = ConfigStore(MemoryLog())
    configs.start()
    configs.put_connector_config(NAME, BASE)
    handler = SinkBatchHandler(configs, None, None, worker_id="test", sleep=lambda _s: None)
    assert handler.handle(event(b"1"), NAME).response() == {"batchItemFailures": []}


@pytest.mark.parametrize(
    ("config", "report_failures"),
    [
        ({}, True),  # tolerance none: each partition stops at its first failed record, named in the response
        ({}, False),  # ... and without batch item failures the invocation raises
        ({"errors.tolerance": "all", "reject.values": "13"}, True),  # records skipped, the rest written
    ],
)
def test_the_bytes_entry_gives_what_the_dict_entry_gives(
    config: dict[str, str], report_failures: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """app.lambda_handler_bytes (connectless.runtime.lambda_runtime_client's call) against app.lambda_handler (the
    managed runtime's, the event parsed first): the same response or error, records written and metrics."""
    import orjson

    other = [RawRecord("orders", 1, i, 5, "CreateTime", b"k", v) for i, v in enumerate([b"1", b"oops", b"3"])]
    the_event = event(b"11", b"12", b"not json", b"13", b"14", more=other)
    payload = json.dumps(the_event).encode()
    outcomes = []
    for entry in ("lambda_handler", "lambda_handler_bytes"):
        sink_fakes.reset(NAME)
        app = load_app()
        app.function.handler = make_handler(**config)
        app.function.handler.report_item_failures = report_failures
        context = EmulatedLambdaContext("connectless-sink", NAME, timeout_s=60)
        try:
            outcome: Any = getattr(app, entry)(json.loads(payload) if entry == "lambda_handler" else payload, context)
        except ConnectError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        emf = next(line for line in lines if "_aws" in line)
        metrics = {key: emf[key] for key in ("RecordsIn", "RecordsOut", "RecordsDeadLettered", "TaskFailures")}
        outcomes.append((outcome, dict(written()), metrics))
    assert outcomes[0] == outcomes[1]
    assert 0 < len(outcomes[0][1]) < 8  # the scenarios write some of the 8 records and fail or skip others


def _bad_base64(payload: bytes) -> bytes:
    return payload.replace(b'"value": "MTI="', b'"value": "MTI"', 1)


def _no_offset(payload: bytes) -> bytes:
    return payload.replace(b'"offset": 1, ', b"", 1)


@pytest.mark.parametrize("spoil", [None, _bad_base64, _no_offset])
def test_the_bytes_entry_reads_the_event_as_the_dict_entry_does(spoil: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """lambda_handler_bytes reads a Kafka event's bytes straight into records (lambda_sink.events.loads_event, in C
    when it is built): headers, a tombstone and a record without a key come out as through the dict entry; a malformed
    record fails the invocation with the same error naming it (the C parser leaves it to Python), nothing written,
    so the mapping delivers the batch again."""
    from connectless import native

    keyless = RawRecord("orders", 0, 3, 1003, "LogAppendTime", None, b"13", (("h", b"\x00\xff"), ("h", b"")))
    tombstone = RawRecord("orders", 0, 4, None, "CreateTime", b"k", None)
    payload = json.dumps(event(b"11", b"12", b"not json", more=[keyless, tombstone])).encode()
    if spoil is not None:
        payload = spoil(payload)
        assert payload != json.dumps(event(b"11", b"12", b"not json", more=[keyless, tombstone])).encode()
    if native.records is not None:
        assert (native.records.parse_kafka_event(payload) is None) == (spoil is not None)
    outcomes = []
    for entry in ("lambda_handler", "lambda_handler_bytes"):
        sink_fakes.reset(NAME)
        app = load_app()
        app.function.handler = make_handler(**{"errors.tolerance": "all"})
        context = EmulatedLambdaContext("connectless-sink", NAME, timeout_s=60)
        try:
            outcome: Any = getattr(app, entry)(json.loads(payload) if entry == "lambda_handler" else payload, context)
        except Exception as exc:  # noqa: BLE001 - the error's type and message are compared
            outcome = f"{type(exc).__name__}: {exc}"
        capsys.readouterr()
        outcomes.append((outcome, dict(written())))
    assert outcomes[0] == outcomes[1]
    if spoil is None:
        assert outcomes[0][1][("orders", 0, 4)] is None and len(outcomes[0][1]) == 4  # "not json" dead-lettered
    else:
        assert "malformed Lambda Kafka event: records['orders-0'][1]" in outcomes[0][0] and not outcomes[0][1]

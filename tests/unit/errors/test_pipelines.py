"""The sink and source pipelines under errors.*, with the real converters and transforms."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from connectless.data import INT8_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA
from connectless.errors import (
    DeadLetterQueueReporter,
    LogReporter,
    ProcessingContext,
    RetriableError,
    Stage,
    ToleranceExceededError,
)
from connectless.kafka import KafkaSettings
from connectless.pipeline.sink import SinkPipeline
from connectless.pipeline.source import SourcePipeline
from connectless.raw_records import RawRecord
from connectless.records import Header, Headers, SinkRecord, SourceRecord
from connectless.transforms.base import Transformation

if TYPE_CHECKING:
    from connectless.records import ConnectRecord

# every pipeline test runs on connectless.native and on the pure-Python path (tests/unit/conftest.py)
pytestmark = pytest.mark.usefixtures("native_mode")

JSON = "org.apache.kafka.connect.json.JsonConverter"
STRING = "org.apache.kafka.connect.storage.StringConverter"
INSERT_VALUE = "org.apache.kafka.connect.transforms.InsertField$Value"

BASE = {
    "key.converter": STRING,
    "value.converter": JSON,
    "value.converter.schemas.enable": "false",
    "transforms": "ins",
    "transforms.ins.type": INSERT_VALUE,
    "transforms.ins.static.field": "via",
    "transforms.ins.static.value": "pipeline",
}


class Collecting:
    def __init__(self) -> None:
        self.contexts: list[ProcessingContext] = []

    def report(self, context: ProcessingContext) -> None:
        self.contexts.append(context)

    def flush(self, timeout: float) -> None:
        return None

    def close(self) -> None:
        return None


class BusyTwice(Transformation):
    """Raises RetriableError on its first two calls (per instance), then passes records through."""

    def configure(self, props: Any) -> None:
        self.calls = 0

    def apply(self, record: ConnectRecord) -> ConnectRecord:
        self.calls += 1
        if self.calls <= 2:
            raise RetriableError("busy")
        return record


def sink(extra: dict[str, str] | None = None, **kwargs: Any) -> tuple[SinkPipeline, Collecting]:
    reporter = Collecting()
    return SinkPipeline("orders-sink", 1, {**BASE, **(extra or {})}, None, reporters=[reporter], **kwargs), reporter


def source(extra: dict[str, str] | None = None) -> tuple[SourcePipeline, Collecting]:
    reporter = Collecting()
    return SourcePipeline("orders-src", 0, {**BASE, **(extra or {})}, None, reporters=[reporter]), reporter


def raw(value: bytes | None, key: bytes | None = b"k", headers: tuple[tuple[str, bytes | None], ...] = ()) -> RawRecord:
    return RawRecord("orders", 2, 17, 1_700_000_000_000, "CreateTime", key, value, headers)


def test_sink_converts_headers_key_value_then_transforms() -> None:
    pipeline, reporter = sink()
    record = pipeline.process(raw(b'{"id": 1}', headers=(("retries", b"3"), ("n", None))))
    assert record == SinkRecord(
        "orders",
        2,
        OPTIONAL_STRING_SCHEMA,
        "k",
        None,
        {"id": 1, "via": "pipeline"},
        1_700_000_000_000,
        Headers([Header("retries", 3, INT8_SCHEMA), Header("n", None, None)]),
        17,
        "CreateTime",
    )
    assert reporter.contexts == []


@pytest.mark.parametrize(
    ("extra", "record", "stage", "class_name"),
    [
        ({}, raw(b"{not json"), Stage.VALUE_CONVERTER, JSON),
        (
            {"key.converter": JSON, "key.converter.schemas.enable": "false"},
            raw(b"{}", key=b"{oops"),
            Stage.KEY_CONVERTER,
            JSON,
        ),
        ({"header.converter": JSON}, raw(b"{}", headers=(("h", b"{x"),)), Stage.HEADER_CONVERTER, JSON),
        ({}, raw(b"[1, 2]"), Stage.TRANSFORMATION, INSERT_VALUE),
    ],
)
def test_sink_failure_stages_under_tolerance_all(
    extra: dict[str, str], record: RawRecord, stage: Stage, class_name: str
) -> None:
    pipeline, reporter = sink({"errors.tolerance": "all", **extra})
    assert pipeline.process(record) is None
    (context,) = reporter.contexts
    assert (context.stage, context.executing_class_name, context.consumer_record) == (stage, class_name, record)
    # the next record is unaffected
    assert pipeline.process(raw(b'{"ok": true}', key=b'"k"')) is not None


def test_sink_tolerance_none_raises_naming_stage_and_converter() -> None:
    pipeline, _ = sink()
    with pytest.raises(ToleranceExceededError, match=f"stage 'VALUE_CONVERTER' with class '{JSON}'"):
        pipeline.process(raw(b"{not json"))


def test_dropped_by_a_transform_is_not_a_failure() -> None:
    pipeline, reporter = sink(
        {
            "transforms": "drop",
            "transforms.drop.type": "Filter",
            "transforms.drop.predicate": "tomb",
            "predicates": "tomb",
            "predicates.tomb.type": "RecordIsTombstone",
        }
    )
    assert pipeline.process(raw(None)) is None
    assert pipeline.process(raw(b"1")) is not None
    assert reporter.contexts == []


def test_sink_retries_a_retriable_transform_with_backoff() -> None:
    sleeps: list[float] = []
    pipeline, reporter = sink(
        {"transforms": "busy", "transforms.busy.type": f"{__name__}.BusyTwice", "errors.retry.timeout": "10000"},
        sleep=sleeps.append,
    )
    assert pipeline.process(raw(b"{}")) is not None
    assert sleeps == [0.3, 0.6]
    assert reporter.contexts == []


def test_put_failure_report_follows_tolerance() -> None:
    tolerant, reporter = sink({"errors.tolerance": "all"})
    failed = raw(b"{}")
    tolerant.report(failed, Stage.TASK_PUT, BusyTwice, OSError("disk full"))
    assert reporter.contexts[0].stage is Stage.TASK_PUT
    assert reporter.contexts[0].consumer_record is failed

    strict, _ = sink()
    with pytest.raises(ToleranceExceededError, match="TASK_PUT"):
        strict.report(failed, Stage.TASK_PUT, BusyTwice, OSError("disk full"))


def test_errant_record_reporter_finds_the_consumed_bytes_or_reserialises() -> None:
    pipeline, reporter = sink({"errors.tolerance": "all"})
    consumed = raw(b'{"id":1}', headers=(("h", b"x"),))
    record = pipeline.process(consumed)
    assert record is not None

    found = pipeline.errant_record_reporter(
        BusyTwice, lambda t, p, o: consumed if (t, p, o) == ("orders", 2, 17) else None
    )
    found.report(record, ValueError("rejected"))
    assert reporter.contexts[-1].consumer_record is consumed
    assert reporter.contexts[-1].executing_class is BusyTwice

    rebuilt = pipeline.errant_record_reporter()
    rebuilt.report(record, ValueError("rejected"))
    assert reporter.contexts[-1].consumer_record == RawRecord(
        "orders", 2, 17, 1_700_000_000_000, "CreateTime", b"k", b'{"id":1,"via":"pipeline"}', (("h", b"x"),)
    )


def test_source_transforms_then_converts() -> None:
    pipeline, reporter = source()
    record = SourceRecord("orders", None, None, None, None, {"id": 7}, None, Headers.of({"n": 5}))
    assert pipeline.process(record) == RawRecord(
        "orders", -1, -1, None, "NoTimestampType", None, b'{"id":7,"via":"pipeline"}', (("n", b"5"),)
    )
    assert reporter.contexts == []


def test_source_failure_is_tolerated_and_names_the_polled_record() -> None:
    polled = SourceRecord("orders", 1, None, "k", STRING_SCHEMA, 42, 1_700_000_000_000)
    transformed, reporter = source({"errors.tolerance": "all"})
    assert transformed.process(polled) is None  # InsertField cannot add a field to an int
    converted, converter_reporter = source(
        {"transforms": "", "errors.tolerance": "all", "value.converter.schemas.enable": "true"}
    )
    assert converted.process(polled) is None  # 42 is not a string
    assert [(c.stage, c.source_record) for c in reporter.contexts + converter_reporter.contexts] == [
        (Stage.TRANSFORMATION, polled),
        (Stage.VALUE_CONVERTER, polled),
    ]


def test_source_tolerance_none_raises() -> None:
    pipeline, _ = source({"transforms": "", "value.converter.schemas.enable": "true"})
    with pytest.raises(ToleranceExceededError, match="VALUE_CONVERTER"):
        pipeline.process(SourceRecord("orders", 1, None, "k", STRING_SCHEMA, 42))


@pytest.mark.parametrize(
    "extra",
    [{}, {"errors.tolerance": "all"}, {"transforms": "", "errors.tolerance": "all"},
     {"errors.tolerance": "all", "errors.retry.timeout": "100"}],  # the last: every record staged
    ids=["transform", "tolerant", "no-transform", "staged"],
)  # fmt: skip
def test_process_all_is_process_record_for_record(extra: dict[str, str]) -> None:
    """A poll's records in one call: the same RawRecords (or None: dropped, failed and tolerated) as `process` gives
    one by one, and the same failures reported, in order."""
    drop = {"transforms": "ins,drop", "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.drop.predicate": "is7", "predicates": "is7",
            "predicates.is7.type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            "predicates.is7.name": "seven"} if "transforms" not in extra else {}  # fmt: skip
    polled = [
        SourceRecord("orders", None, None, None, None, {"id": 1}),
        SourceRecord("orders", 3, None, "k", None, {"id": 2}, 1_700_000_000_000, Headers.of({"n": 5})),
        SourceRecord("orders", None, None, None, None, {"id": 7}, None, Headers.of({"seven": 7})),  # filtered
        SourceRecord("orders", 1, None, "k", STRING_SCHEMA, 42),  # InsertField needs a map, the converter a str
        SourceRecord("orders", None, None, None, None, {"id": 3}),
        SourceRecord("orders", None, None, None, None, None, 0),  # a tombstone, timestamp 0: null key and value
    ]
    one_by_one, reported = source({**drop, **extra})
    batch, batch_reported = source({**drop, **extra})
    if extra.get("errors.tolerance") != "all":
        polled.pop(3)  # it fails (the transform, or the converter): only a tolerant pipeline goes on past it
    expected = [one_by_one.process(record) for record in polled]
    assert batch.process_all(polled) == expected
    assert [(c.stage, c.source_record) for c in batch_reported.contexts] == [
        (c.stage, c.source_record) for c in reported.contexts
    ]
    if "transforms" not in extra:
        assert expected[2] is None  # the filter dropped it
    assert expected[1] == RawRecord("orders", 3, -1, 1_700_000_000_000, "CreateTime", b"k",
                                    b'{"id":2,"via":"pipeline"}' if "transforms" not in extra else b'{"id":2}',
                                    (("n", b"5"),))  # fmt: skip
    assert expected[0] == RawRecord("orders", -1, -1, None, "NoTimestampType", None,
                                    b'{"id":1,"via":"pipeline"}' if "transforms" not in extra else b'{"id":1}',
                                    ())  # fmt: skip
    assert expected[-1] == RawRecord("orders", -1, -1, 0, "CreateTime", None, None, ())
    # the failing record, when tolerated, is reported once (not once by the fast path and again when staged)
    assert len(batch_reported.contexts) == (1 if extra.get("errors.tolerance") == "all" else 0)
    if extra.get("errors.tolerance") == "all":
        assert expected[3] is None and batch_reported.contexts[0].source_record is polled[3]


def test_process_all_raises_at_a_failure_it_does_not_tolerate() -> None:
    pipeline, _ = source({"transforms": "", "value.converter.schemas.enable": "true"})
    ok = SourceRecord("orders", 1, None, "k", STRING_SCHEMA, "fine")
    with pytest.raises(ToleranceExceededError, match="VALUE_CONVERTER"):
        pipeline.process_all([ok, SourceRecord("orders", 1, None, "k", STRING_SCHEMA, 42), ok])


def test_source_serialises_the_polled_record_for_the_dlq_as_best_it_can() -> None:
    pipeline, _ = source({"value.converter.schemas.enable": "true"})
    polled = SourceRecord("orders", 1, None, "k", STRING_SCHEMA, {"not": "a string"}, None, Headers.of({"h": "v"}))
    key, value, headers = pipeline.serialize_for_dlq(polled)
    assert key == b"k"
    assert value == b'{"not":"a string"}'  # the converter refused it: plain JSON instead
    assert headers == [("h", b"v")]


def test_reporters_built_from_errors_config() -> None:
    config = {"errors.log.enable": "true", "errors.deadletterqueue.topic.name": "dlq"}
    offline, _ = sink(config)
    assert [type(r) for r in offline.operator.reporters] == [LogReporter, Collecting]
    online = SinkPipeline("c", 0, {**BASE, **config}, KafkaSettings("127.0.0.1:1"))
    assert [type(r) for r in online.operator.reporters] == [DeadLetterQueueReporter, LogReporter]
    online.close()


SCHEMALESS = {"key.converter": JSON, "key.converter.schemas.enable": "false", "errors.tolerance": "all"}


@pytest.mark.parametrize(
    "record",
    [
        raw(b'{"id": 1}', key=b"7"),
        raw(None, key=b'"k"'),  # a tombstone
        raw(b'{"id": 2}', key=None),
        raw(b'{"id": 3}', key=b"1", headers=(("h", b"3"), ("n", None))),
        raw(b"99999999999999999999999", key=b"1"),  # past what orjson reads: the converter's exact path
        raw(b"NaN", key=b"1"),  # Jackson reads it, orjson does not
        raw(b"", key=b"1"),  # empty bytes: a null value
    ],
)
def test_the_schemaless_fast_path_gives_the_staged_record(record: RawRecord) -> None:
    fast, _ = sink(SCHEMALESS)
    staged, _ = sink({**SCHEMALESS, "errors.retry.timeout": "1"})  # every record through the operator
    assert fast._process_fast == fast._process_schemaless
    assert fast.process(record) == staged.process(record)


def test_the_schemaless_fast_path_sends_a_record_it_cannot_read_to_the_reporters() -> None:
    pipeline, reporter = sink(SCHEMALESS)
    assert pipeline.process(raw(b"{broken", key=b"1")) is None
    (context,) = reporter.contexts
    assert context.stage is Stage.VALUE_CONVERTER


MAPPED = {
    **SCHEMALESS,
    "transforms": "ins,ren,ts",
    "transforms.ins.type": INSERT_VALUE,
    "transforms.ins.static.field": "via",
    "transforms.ins.static.value": "pipeline",
    "transforms.ins.offset.field": "at",
    "transforms.ren.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.ren.renames": "id:ident",
    "transforms.ts.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
    "transforms.ts.field": "ts",
    "transforms.ts.target.type": "string",
    "transforms.ts.format": "yyyy-MM-dd",
}


@pytest.mark.parametrize(
    "record",
    [
        raw(b'{"id": 1, "ts": 1700000000000}', key=b"7"),
        raw(b'{"id": 1, "ts": "not a time"}', key=b"7"),  # the converter fails: reported, as staged
        raw(b"[1, 2]", key=b"7"),  # not a map: the transforms' own path and error
        raw(b'"text"', key=b"7"),
        raw(None, key=b"7"),  # a tombstone
        raw(b"{broken", key=b"7"),
    ],
)
def test_the_mapped_fast_path_gives_the_staged_record(record: RawRecord) -> None:
    fast, fast_reports = sink(MAPPED)
    staged, staged_reports = sink({**MAPPED, "errors.retry.timeout": "1"})
    assert fast._process_fast == fast._process_schemaless_mapped
    assert fast.process(record) == staged.process(record)
    assert [(c.stage, c.executing_class_name) for c in fast_reports.contexts] == [
        (c.stage, c.executing_class_name) for c in staged_reports.contexts
    ]


def test_the_mapped_fast_path_leaves_the_consumed_bytes_alone() -> None:
    pipeline, _ = sink(MAPPED)
    record = raw(b'{"id": 1, "ts": 1700000000000}', key=b"7")
    converted = pipeline.process(record)
    assert converted is not None
    assert list(converted.value.items()) == [("ident", 1), ("ts", "2023-11-14"), ("at", 17), ("via", "pipeline")]
    assert record.value == b'{"id": 1, "ts": 1700000000000}'


MIXED = [
    raw(b'{"id": 1, "ts": 1700000000000}', key=b"7"),
    raw(b'{"id": 1, "ts": "not a time"}', key=b"7"),
    raw(b"[1, 2]", key=b"7"),
    raw(b'"text"', key=b"7"),
    raw(None, key=b"7"),
    raw(b"{broken", key=b"7"),
    raw(b'{"id": 3, "ts": 5}', key=b"1", headers=(("h", b"3"), ("n", None))),
]

# Every key and value readable by the batch readers (one call per run), numbers the exact parse reads among them.
READABLE = [
    raw(b'{"id": 1, "ts": 1700000000000}', key=b"7"),
    raw(b'{"id": 1, "ts": "not a time"}', key=None),  # read, then the transform fails: reported
    raw(b"[1, 2]", key=b"7"),
    raw(None, key=b"7"),
    raw(b'{"id": -0.0, "ts": 12345678901234567890123}', key=b"-0"),
    raw(b'{"id": 3, "ts": 5}', key=b"1", headers=(("h", b"3"), ("n", None))),
]


# Every value read and every map through the steps, with values that are not maps (the chain's own path) among them.
MAPS_AND_OTHERS = [
    raw(b'{"id": 1, "ts": 1700000000000}', key=b"7"),
    raw(b"[1, 2]", key=b"7"),  # InsertField refuses a list: reported, dropped
    raw(None, key=None),  # a tombstone: passed through
    raw(b'{"id": 3, "ts": 5}', key=b"1", headers=(("h", b"3"), ("n", None))),
]
KEYED = {"key.converter": STRING}  # a key converter with a schema beside the schemaless value


@pytest.mark.parametrize("key", [{}, KEYED], ids=["schemaless-key", "string-key"])
@pytest.mark.parametrize(
    "batch",
    [MIXED, READABLE, MAPS_AND_OTHERS],
    ids=["a-record-the-batch-reader-refuses", "readable-a-step-fails", "maps-and-others"],
)
@pytest.mark.parametrize(
    "extra",
    [
        {},  # the mapped fast path: the run in passes, or record by record when a pass raises
        {"errors.retry.timeout": "1"},  # every record staged
        {  # a chain that is not all value map steps: process() per record
            "transforms": "ins,route",
            "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": "(.*)",
            "transforms.route.replacement": "$1-out",
        },
    ],
    ids=["mapped", "staged", "other-chain"],
)
def test_process_into_is_process_record_for_record(
    extra: dict[str, str], batch: list[RawRecord], key: dict[str, str]
) -> None:
    one, one_reports = sink({**MAPPED, **key, **extra})
    run, run_reports = sink({**MAPPED, **key, **extra})
    mapped = run._process_typed_key_mapped if key else run._process_schemaless_mapped
    assert (run._process_fast == mapped) is ("transforms" not in extra)
    assert run._optimistic is ("errors.retry.timeout" not in extra)
    expected = [(r, one.process(r)) for r in batch]
    records: list[SinkRecord] = [SinkRecord("earlier", 0, None, None, None, None)]  # appended to, not replaced
    originals: list[RawRecord] = [raw(b"{}")]
    dropped, stopped_at, error = run.process_into(batch, records, originals)
    assert (stopped_at, error) == (None, None)
    assert records[1:] == [record for _, record in expected if record is not None]
    assert originals[1:] == [r for r, record in expected if record is not None]
    assert dropped == sum(1 for _, record in expected if record is None) > 0
    assert [(c.stage, c.executing_class_name) for c in run_reports.contexts] == [
        (c.stage, c.executing_class_name) for c in one_reports.contexts
    ]


@pytest.mark.parametrize("key", [{}, KEYED], ids=["schemaless-key", "string-key"])
def test_process_into_runs_a_readable_run_in_passes(key: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline, reports = sink({**MAPPED, **key})
    for one_by_one in ("_process_mapped_into", "_process_each_into", "_process_staged"):
        monkeypatch.setattr(pipeline, one_by_one, None)  # any record-by-record pass would fail the test
    records: list[SinkRecord] = []
    originals: list[RawRecord] = []
    batch = [raw(b'{"id": 1, "ts": 1700000000000}', key=b"7"), raw(b'{"ts": 0, "id": 2}', key=None), raw(None, b'"k"')]
    assert pipeline.process_into(batch, records, originals) == (0, None, None)
    assert originals == batch
    assert [list(r.value.items()) if r.value is not None else None for r in records] == [
        [("ident", 1), ("ts", "2023-11-14"), ("at", 17), ("via", "pipeline")],
        [("ts", "1970-01-01"), ("ident", 2), ("at", 17), ("via", "pipeline")],
        None,
    ]
    assert [(r.key_schema, r.key) for r in records] == (
        [(OPTIONAL_STRING_SCHEMA, "7"), (OPTIONAL_STRING_SCHEMA, None), (OPTIONAL_STRING_SCHEMA, '"k"')]
        if key
        else [(None, 7), (None, None), (None, "k")]
    )
    assert reports.contexts == []


def test_process_into_stops_at_a_failure_it_does_not_tolerate() -> None:
    pipeline, _ = sink({**MAPPED, "errors.tolerance": "none"})
    records: list[SinkRecord] = []
    originals: list[RawRecord] = []
    dropped, stopped_at, error = pipeline.process_into(MIXED, records, originals)
    assert (dropped, stopped_at) == (0, 1)  # the second record's timestamp cannot be read
    assert isinstance(error, ToleranceExceededError)
    assert originals == MIXED[:1]
    assert [r.value for r in records] == [{"ident": 1, "ts": "2023-11-14", "at": 17, "via": "pipeline"}]


ENVELOPE_MAPPED = {**MAPPED, "value.converter.schemas.enable": "true"}


def _envelope(ts: object, ident: object = 1) -> bytes:
    fields = [{"field": "id", "type": "int64", "optional": True}, {"field": "ts", "type": "int64", "optional": True}]
    schema = {"type": "struct", "name": "t.V", "optional": False, "fields": fields}
    return json.dumps({"schema": schema, "payload": {"id": ident, "ts": ts}}).encode()


@pytest.mark.parametrize(
    "record",
    [raw(_envelope(1_700_000_000_000), key=b"7"), raw(_envelope("late"), key=b"7"), raw(_envelope(None, None))],
    ids=["converted", "bad-timestamp", "nulls"],
)
def test_the_owned_struct_path_gives_the_staged_record(record: RawRecord) -> None:
    fast, fast_reports = sink(ENVELOPE_MAPPED)
    staged, staged_reports = sink({**ENVELOPE_MAPPED, "errors.retry.timeout": "1"})
    assert fast._transform == fast.chain._steps[0].apply_owned  # type: ignore[union-attr]
    assert fast.process(record) == staged.process(record)
    assert [(c.stage, c.executing_class_name) for c in fast_reports.contexts] == [
        (c.stage, c.executing_class_name) for c in staged_reports.contexts
    ]


@pytest.mark.parametrize(
    ("record", "stages"),
    [
        (raw(_envelope(5), key=b"7"), []),
        (raw(_envelope(5), key=None), []),
        (raw(_envelope(5), key=b"{broken"), [Stage.KEY_CONVERTER]),
        (raw(b"{broken", key=b"{broken"), [Stage.KEY_CONVERTER]),  # both fail: the key is reported (Kafka's order)
        (raw(b"{broken", key=b"7"), [Stage.VALUE_CONVERTER]),
        (raw(None, key=b'"k"'), []),
    ],
    ids=["keyed", "no-key", "bad-key", "both-bad", "bad-value", "tombstone"],
)
def test_the_schemaless_key_path_gives_the_staged_record(record: RawRecord, stages: list[Stage]) -> None:
    fast, fast_reports = sink(ENVELOPE_MAPPED)
    staged, staged_reports = sink({**ENVELOPE_MAPPED, "errors.retry.timeout": "1"})
    assert fast._process_fast == fast._process_schemaless_key  # a schemaless key beside a value with schemas
    assert fast.process(record) == staged.process(record)
    assert [c.stage for c in fast_reports.contexts] == [c.stage for c in staged_reports.contexts] == stages

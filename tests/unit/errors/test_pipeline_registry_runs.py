"""The sink pipeline's run path for a schemaless key beside a schema-registry value (Avro keyed by plain JSON):
process_into reads a run's keys and values in one call each and gives what `process` gives record for record,
errors reported at the same stage for the same record (tolerance all) or the run stopped there (tolerance none)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from connectless.converters.registry import AvroConverter
from connectless.data.schema import INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, SchemaBuilder
from connectless.data.struct import Struct
from connectless.errors import ProcessingContext, Stage, ToleranceExceededError
from connectless.pipeline.sink import SinkPipeline
from connectless.raw_records import RawRecord

if TYPE_CHECKING:
    from connectless.records import SinkRecord

V1 = SchemaBuilder.struct().name("com.example.Order").field("id", INT64_SCHEMA).field("ts", INT64_SCHEMA).build()
V2 = (
    SchemaBuilder.struct()
    .name("com.example.Order")
    .field("id", INT64_SCHEMA)
    .field("ts", INT64_SCHEMA)
    .field("note", OPTIONAL_STRING_SCHEMA)
    .build()
)
CHAIN = {
    "transforms": "ins,ren,ts",
    "transforms.ins.type": "org.apache.kafka.connect.transforms.InsertField$Value",
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


class Collecting:
    def __init__(self) -> None:
        self.contexts: list[ProcessingContext] = []

    def report(self, context: ProcessingContext) -> None:
        self.contexts.append(context)

    def flush(self, timeout: float) -> None:
        return None

    def close(self) -> None:
        return None


def config(url: str, **extra: str) -> dict[str, str]:
    return {
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": url,
        **CHAIN,
        **extra,
    }


def sink(url: str, **extra: str) -> tuple[SinkPipeline, Collecting]:
    reporter = Collecting()
    return SinkPipeline("orders-sink", 0, config(url, **extra), None, reporters=[reporter]), reporter


def records(url: str) -> list[RawRecord]:
    """A run of one partition: two schema versions, a tombstone, headers, and four records that cannot be read."""
    writer = AvroConverter()
    writer.configure({"schema.registry.url": url}, False)

    def v1(i: int) -> bytes:
        data = writer.from_connect_data("orders", V1, Struct(V1).put("id", i).put("ts", 1_700_000_000_000 + i))
        assert data is not None
        return data

    v2 = writer.from_connect_data("orders", V2, Struct(V2).put("id", 9).put("ts", 5).put("note", "n"))
    assert v2 is not None

    def raw(offset: int, key: bytes | None, value: bytes | None, headers: Any = ()) -> RawRecord:
        return RawRecord("orders", 0, offset, 1_700_000_000_000, "CreateTime", key, value, headers)

    return [
        raw(0, b"1", v1(1)),
        raw(1, b"2", v1(2), (("h", b"3"), ("n", None))),
        raw(2, b"3", b"\x01" + v1(3)[1:]),  # a bad magic byte
        raw(3, b"4", v2),
        raw(4, None, v1(4)),
        raw(5, b"6", None),  # a tombstone
        raw(6, b"7", v1(7)[:-2]),  # truncated
        raw(7, b"{broken", v1(8)),  # a key the key converter cannot read
        raw(8, b"9", b"\x00\x00\x01\x86\xa0\x02"),  # an unknown schema id
        raw(9, b"10", v1(10)),
    ]


def test_process_into_is_process_record_for_record_and_reports_the_same_failures(native_mode: str) -> None:
    url = f"mock://{uuid.uuid4().hex}"
    batch = records(url)
    one, one_reports = sink(url, **{"errors.tolerance": "all"})
    run, run_reports = sink(url, **{"errors.tolerance": "all"})
    assert run._process_fast == run._process_schemaless_key and run._to_connect_values is not None
    expected = [one.process(raw) for raw in batch]
    got: list[SinkRecord] = []
    originals: list[RawRecord] = []
    assert run.process_into(batch, got, originals) == (4, None, None)
    assert got == [record for record in expected if record is not None]
    assert [raw.offset for raw in originals] == [0, 1, 3, 4, 5, 9]
    assert got[0].value.get("ident") == 1 and got[0].value.get("ts") == "2023-11-14"
    assert got[2].value_schema.field("note") is not None  # the second schema version's record kept its schema
    failures = [(c.stage, c.consumer_record.offset) for c in run_reports.contexts]  # type: ignore[union-attr]
    assert failures == [(c.stage, c.consumer_record.offset) for c in one_reports.contexts]  # type: ignore[union-attr]
    assert failures == [
        (Stage.VALUE_CONVERTER, 2),
        (Stage.VALUE_CONVERTER, 6),
        (Stage.KEY_CONVERTER, 7),
        (Stage.VALUE_CONVERTER, 8),
    ]


def test_a_readable_run_is_read_in_one_call_per_converter(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"mock://{uuid.uuid4().hex}"
    batch = [raw for raw in records(url) if raw.offset in (0, 1, 3, 4, 5, 9)]
    pipeline, reports = sink(url)

    def per_record(*args: object) -> None:
        raise AssertionError("the run was read record by record")

    monkeypatch.setattr(pipeline, "_process_each_into", per_record)
    got: list[SinkRecord] = []
    assert pipeline.process_into(batch, got, []) == (0, None, None)
    assert [record.kafka_offset for record in got] == [0, 1, 3, 4, 5, 9]
    assert got[4].value is None and got[4].value_schema is None  # the tombstone
    assert reports.contexts == []


@pytest.mark.parametrize(("bad_offset", "stage"), [(2, Stage.VALUE_CONVERTER), (7, Stage.KEY_CONVERTER)])
def test_tolerance_none_stops_the_run_at_the_record_that_failed(
    bad_offset: int, stage: Stage, native_mode: str
) -> None:
    url = f"mock://{uuid.uuid4().hex}"
    good = [raw for raw in records(url) if raw.offset in (0, 1, 3, 4, 5, 9)]
    bad = next(raw for raw in records(url) if raw.offset == bad_offset)
    pipeline, reports = sink(url)
    got: list[SinkRecord] = []
    originals: list[RawRecord] = []
    dropped, stopped_at, error = pipeline.process_into([*good[:3], bad, *good[3:]], got, originals)
    assert (dropped, stopped_at) == (0, 3)
    assert isinstance(error, ToleranceExceededError)
    assert [raw.offset for raw in originals] == [0, 1, 3]
    assert [(c.stage, c.consumer_record.offset) for c in reports.contexts] == [(stage, bad_offset)]  # type: ignore[union-attr]

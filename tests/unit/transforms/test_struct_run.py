"""A run of Avro Structs through a chain of value rewrites in one C call (connectless.native._avro.struct_run, via
_FusedRewrites.struct_run from SinkPipeline._process_keyed_into) gives the records the Python path gives, record
for record: each field, the value Struct and its schema (name, version, optional, field order and field schemas),
and the errors.* outcome of a record a transform fails."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema as RegistrySchema

from connectless import native
from connectless.converters.registry.client import mock_client
from connectless.data.struct import Struct
from connectless.pipeline.sink import SinkPipeline
from connectless.raw_records import RawRecord
from connectless.records import SinkRecord

pytestmark = pytest.mark.skipif(native.avro is None, reason="connectless.native._avro is not built: make native")

REGISTRY = "mock://test-struct-run"
SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "test.structrun",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "email", "type": "string"},
        {"name": "city", "type": ["null", "string"]},
        {"name": "created_at", "type": "long"},
        {"name": "when", "type": "string"},
        {"name": "maybe_ts", "type": ["null", "long"]},
    ],
}
CONVERTERS = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "io.confluent.connect.avro.AvroConverter",
    "value.converter.schema.registry.url": REGISTRY,
}
INSERT = {
    "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.insert.static.field": "pipeline",
    "transforms.insert.static.value": "bench",
}
RENAME = {
    "transforms.rename.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.rename.renames": "email:contact_email,city:town",
}


def ts(name: str, field: str, target: str, fmt: str = "") -> dict[str, str]:
    prefix = f"transforms.{name}."
    config = {prefix + "type": "org.apache.kafka.connect.transforms.TimestampConverter$Value"}
    config |= {prefix + "field": field, prefix + "target.type": target}
    return config | ({prefix + "format": fmt} if fmt else {})


CHAINS: dict[str, dict[str, str]] = {
    "bench": {
        "transforms": "insert,rename,ts",
        **INSERT,
        **RENAME,
        **ts("ts", "created_at", "string", "yyyy-MM-dd'T'HH:mm:ss.SSS"),
    },  # fmt: skip
    "to Timestamp, optional field": {"transforms": "ts,insert", **ts("ts", "maybe_ts", "Timestamp"), **INSERT},
    "string field parsed": {"transforms": "rename,ts", **RENAME, **ts("ts", "when", "unix", "yyyy-MM-dd")},
    "absent field": {"transforms": "insert,ts", **INSERT, **ts("ts", "nope", "string", "yyyy")},
    # no op form: InsertField of the topic, ReplaceField dropping a field (the Python steps run per record)
    "topic field": {
        "transforms": "ins,ts",
        "transforms.ins.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.ins.topic.field": "t",
        **ts("ts", "created_at", "unix"),
    },  # fmt: skip
    "exclude": {
        "transforms": "rename,ts",
        **RENAME,
        "transforms.rename.exclude": "id",
        **ts("ts", "created_at", "Date"),
    },  # fmt: skip
}


def raws(count: int, bad_every: int = 0, headers_every: int = 0) -> list[RawRecord]:
    schema_id = mock_client(REGISTRY).register_schema("orders-value", RegistrySchema(json.dumps(SCHEMA), "AVRO"))
    parsed = fastavro.parse_schema(SCHEMA)
    out = []
    for i in range(count):
        value = {
            "id": i,
            "email": f"u{i}@example.com",
            "city": None if i % 3 == 0 else f"city {i}",
            "created_at": 1_764_000_000_000 + i * 997,
            "when": "not a date" if bad_every and i % bad_every == 1 else f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "maybe_ts": None if i % 4 == 0 else 1_700_000_000_000 + i,
        }
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, value)
        framed = b"\x00" + schema_id.to_bytes(4, "big") + buffer.getvalue()
        headers = (("h", f"v{i}".encode()),) if headers_every and i % headers_every == 2 else ()
        out.append(RawRecord("orders", 3, i, 1_764_000_000_000 + i, "CreateTime", str(i).encode(), framed, headers))
    return out


def described(record: SinkRecord) -> tuple[Any, ...]:
    """Every field of the record, the value Struct as (schema, values) and its schema field by field."""
    value, schema = record.value, record.value_schema
    rest = (record.topic, record.kafka_partition, record.key_schema, record.key, record.timestamp, record.headers)
    shape: Any = None
    values: list[Any] = []
    if schema is not None or value is not None:
        assert type(value) is Struct and value.schema is schema
        fields = [(f.name, f.index, f.schema) for f in schema.fields]
        shape = (schema.name, schema.version, schema.optional, schema.doc, schema.parameters, fields)
        values = [(type(v), v) for _name, v in value.items()]
    originals = (record.original_topic, record.original_kafka_partition, record.original_kafka_offset)
    return (*rest, record.kafka_offset, record.timestamp_type, shape, schema, values, originals)


def processed(config: dict[str, str], batch: list[RawRecord]) -> tuple[list[tuple[Any, ...]], Any]:
    pipeline = SinkPipeline("s", 0, {"topics": "orders", **CONVERTERS, **config}, None)
    try:
        records: list[SinkRecord] = []
        originals: list[RawRecord] = []
        outcome = pipeline.process_into(batch, records, originals)
        assert [raw.offset for raw in originals] == [r.kafka_offset for r in records]
        return [described(r) for r in records], (outcome[0], outcome[1], repr(outcome[2]))
    finally:
        pipeline.close()


def both(monkeypatch: pytest.MonkeyPatch, config: dict[str, str], batch: list[RawRecord]) -> tuple[Any, Any]:
    in_c = processed(config, batch)
    with monkeypatch.context() as patched:
        patched.setattr(native, "avro", None)
        in_python = processed(config, batch)
    return in_c, in_python


@pytest.mark.parametrize("chain", list(CHAINS))
def test_run_in_c_gives_the_python_records(monkeypatch: pytest.MonkeyPatch, chain: str) -> None:
    in_c, in_python = both(monkeypatch, CHAINS[chain], raws(60))
    assert len(in_c[0]) == 60
    assert in_c == in_python


def test_the_bench_chain_takes_the_c_run(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = native.avro.struct_run  # type: ignore[union-attr]

    def counted(pairs: Any, *args: Any) -> Any:
        result = real(pairs, *args)
        calls.append(sum(value is not None for value in result))
        return result

    monkeypatch.setattr(native.avro, "struct_run", counted)
    records, _ = processed(CHAINS["bench"], raws(25))
    assert calls == [25]
    assert [name for name, *_ in records[0][8][5]] == ["id", "contact_email", "town", "created_at", "when",
                                                      "maybe_ts", "pipeline"]  # fmt: skip
    assert records[0][10][3] == (str, "2025-11-24T16:00:00.000")


def test_records_with_headers_or_no_value(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = raws(40, headers_every=5)
    batch[7] = dataclasses.replace(batch[7], value=None)
    in_c, in_python = both(monkeypatch, CHAINS["bench"], batch)
    assert in_c == in_python
    assert [len(r[5]) for r in in_c[0][:3]] == [0, 0, 1]
    assert in_c[0][7][8:11] == (None, None, [])  # the null value: InsertField and TimestampConverter pass it on


def test_a_run_of_two_topics_is_read_as_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = raws(20)
    batch[5] = dataclasses.replace(batch[5], topic="elsewhere")  # no schema under its subject: a tolerated failure
    config = {**CHAINS["bench"], "topics": "orders,elsewhere", "errors.tolerance": "all"}
    in_c, in_python = both(monkeypatch, config, batch)
    assert in_c == in_python
    assert len(in_c[0]) == 19
    fast = native.avro
    assert fast is not None
    assert fast.raw_columns(batch, "orders") is None
    keys, values = fast.raw_columns(batch[:5], "orders")
    assert (keys, values) == ([raw.key for raw in batch[:5]], [raw.value for raw in batch[:5]])
    assert fast.raw_columns([], "orders") == ([], [])
    assert fast.raw_columns([*batch[:2], ("not", "a raw")], "orders") is None


@pytest.mark.parametrize("tolerance", ["all", "none"])
def test_a_record_the_transform_fails_is_handled_as_in_python(monkeypatch: pytest.MonkeyPatch, tolerance: str) -> None:
    config = {**CHAINS["string field parsed"], "errors.tolerance": tolerance}
    in_c, in_python = both(monkeypatch, config, raws(30, bad_every=7))
    assert in_c == in_python
    if tolerance == "all":
        assert len(in_c[0]) == 30 - 5 and in_c[1][0] == 5
    else:
        assert len(in_c[0]) == 1 and in_c[1][1] == 1 and "ToleranceExceededError" in in_c[1][2]


def test_struct_run_refuses_bad_ops() -> None:
    fast = native.avro
    assert fast is not None
    with pytest.raises(ValueError, match="op 0 is not"):
        fast.struct_run([], None, None, ((2, 1),))
    with pytest.raises(ValueError, match="op 1 is not"):
        fast.struct_run([], None, None, ((0, "x"), (1, "a", None, str)))

from __future__ import annotations

import datetime as dt

import pytest
from smt_helpers import TIMESTAMP, as_dict, configured, sink, source, struct, struct_schema

from connectless.config import ConfigError
from connectless.data import INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_INT64_SCHEMA, STRING_SCHEMA, DataError, SchemaBuilder
from connectless.data.logical import OPTIONAL_TIMESTAMP_SCHEMA, TIMESTAMP_SCHEMA
from connectless.records import Headers
from connectless.transforms import InsertFieldKey, InsertFieldValue

ALL = {
    "topic.field": "topic_field!",
    "partition.field": "partition_field",
    "offset.field": "offset_field!",
    "timestamp.field": "timestamp_field?",
    "static.field": "instance_id",
    "static.value": "my-instance-id",
}
VALUE_SCHEMA = struct_schema(("magic", INT64_SCHEMA), name="name", optional=False)


def test_schemaless_inserts_every_configured_field() -> None:
    out = configured(InsertFieldValue, ALL).apply(sink({"magic": 42}))
    assert out.value == {
        "magic": 42,
        "topic_field": "orders",
        "partition_field": 3,
        "offset_field": 42,
        "timestamp_field": TIMESTAMP,
        "instance_id": "my-instance-id",
    }


def test_schemaful_appends_fields_with_requested_optionality() -> None:
    out = configured(InsertFieldValue, ALL).apply(sink(struct(VALUE_SCHEMA, magic=42), VALUE_SCHEMA))
    schema = out.value_schema
    assert [(f.name, f.schema) for f in schema.fields] == [
        ("magic", INT64_SCHEMA),
        ("topic_field", STRING_SCHEMA),
        ("partition_field", SchemaBuilder.int32().optional().build()),
        ("offset_field", INT64_SCHEMA),
        ("timestamp_field", OPTIONAL_TIMESTAMP_SCHEMA),
        ("instance_id", SchemaBuilder.string().optional().build()),
    ]


def test_schemaful_values_use_logical_timestamp() -> None:
    out = configured(InsertFieldValue, ALL).apply(sink(struct(VALUE_SCHEMA, magic=42), VALUE_SCHEMA))
    assert as_dict(out.value) == {
        "magic": 42,
        "topic_field": "orders",
        "partition_field": 3,
        "offset_field": 42,
        "timestamp_field": dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC),
        "instance_id": "my-instance-id",
    }
    out.value.validate()


def test_schema_keeps_name_version_and_doc() -> None:
    schema = SchemaBuilder.struct().name("n").version(3).doc("d").field("a", INT32_SCHEMA).build()
    out = configured(InsertFieldValue, {"topic.field": "t"}).apply(sink(struct(schema, a=1), schema))
    assert (out.value_schema.name, out.value_schema.version, out.value_schema.doc) == ("n", 3, "d")


def test_updated_schema_is_cached_per_input_schema() -> None:
    smt = configured(InsertFieldValue, {"topic.field": "t"})
    first = smt.apply(sink(struct(VALUE_SCHEMA, magic=1), VALUE_SCHEMA))
    second = smt.apply(sink(struct(VALUE_SCHEMA, magic=2), VALUE_SCHEMA))
    assert first.value_schema is second.value_schema


@pytest.mark.parametrize("record", [sink(None), sink(None, VALUE_SCHEMA)], ids=["schemaless", "schemaful"])
def test_tombstone_passes_through(record: object) -> None:
    assert configured(InsertFieldValue, ALL).apply(record) is record


def test_missing_partition_and_timestamp_are_skipped() -> None:
    out = configured(InsertFieldValue, ALL).apply(sink({}, partition=None, timestamp=None))
    assert set(out.value) == {"topic_field", "offset_field", "instance_id"}


def test_offset_needs_a_sink_record() -> None:
    with pytest.raises(DataError, match=r"Only SinkRecord supported for \[field insertion\], found: SourceRecord"):
        configured(InsertFieldValue, {"offset.field": "o"}).apply(source({"a": 1}))


def test_key_variant_operates_on_key_only() -> None:
    out = configured(InsertFieldKey, {"static.field": "s", "static.value": "v"}).apply(sink({"v": 1}, key={"k": 1}))
    assert (out.key, out.value) == ({"k": 1, "s": "v"}, {"v": 1})


def test_input_record_is_not_mutated() -> None:
    value = {"magic": 1}
    configured(InsertFieldValue, ALL).apply(sink(value))
    assert value == {"magic": 1}


def test_headers_and_sink_metadata_survive() -> None:
    record = sink({"a": 1}, headers=Headers.of({"h": "1"}), offset=7)
    out = configured(InsertFieldValue, {"topic.field": "t"}).apply(record)
    assert (out.headers, out.kafka_offset, out.original_topic) == (record.headers, 7, "orders")


@pytest.mark.parametrize(
    ("replace_null", "expected"),
    [(True, 7), (False, None)],
)
def test_replace_null_with_default(replace_null: bool, expected: object) -> None:
    schema = struct_schema(("opt", SchemaBuilder.int64().optional().default_value(7).build()))
    smt = configured(InsertFieldValue, {"topic.field": "t", "replace.null.with.default": replace_null})
    out = smt.apply(sink(struct(schema), schema))
    assert out.value.get_without_default("opt") == expected


def test_non_map_schemaless_value_is_rejected() -> None:
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for \[field insertion\]"):
        configured(InsertFieldValue, ALL).apply(sink("text"))


def test_non_struct_value_with_schema_is_rejected() -> None:
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[field insertion\], found: int"):
        configured(InsertFieldValue, ALL).apply(sink(5, OPTIONAL_INT64_SCHEMA))


@pytest.mark.parametrize(
    ("props", "key", "message"),
    [
        ({}, "topic.field", "No field insertion configured"),
        ({"static.field": "s"}, "static.value", "No value specified for static field: s"),
        ({"topic.field": "t", "replace.null.with.default": "maybe"}, "replace.null.with.default", "true or false"),
    ],
)
def test_config_errors(props: dict[str, object], key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        configured(InsertFieldValue, props)
    assert caught.value.name == key


def test_required_timestamp_field_schema() -> None:
    out = configured(InsertFieldValue, {"timestamp.field": "ts!"}).apply(
        sink(struct(VALUE_SCHEMA, magic=1), VALUE_SCHEMA)
    )
    assert out.value_schema.field("ts").schema == TIMESTAMP_SCHEMA

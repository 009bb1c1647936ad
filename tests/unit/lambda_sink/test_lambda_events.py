"""The Lambda Kafka event: built byte-exact by the emulator, parsed by the handler, in both source forms."""

from __future__ import annotations

import base64
import binascii

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectless.lambda_sink.events import (
    KafkaEventError,
    build_event,
    encode_record,
    encode_records,
    event_record,
    parse_event,
    partition_key,
)
from connectless.lambda_sink.target import ConnectorUnknownError, alias_from_arn, connector_name
from connectless.raw_records import RawRecord
from connectless.records import TimestampType

AWS_MSK_EVENT = {
    "eventSource": "aws:kafka",
    "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/demo/751d2973-a626-431c-9d4e-d7975eb44dd7-2",
    "bootstrapServers": "b-2.demo.kafka.us-east-1.amazonaws.com:9092,b-1.demo.kafka.us-east-1.amazonaws.com:9092",
    "records": {
        "mytopic-0": [
            {
                "topic": "mytopic",
                "partition": 0,
                "offset": 15,
                "timestamp": 1545084650987,
                "timestampType": "CREATE_TIME",
                "key": "a2V5LTE=",
                "value": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
                "headers": [{"headerKey": [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101]}],
            }
        ]
    },
}


def raw(offset: int = 0, partition: int = 0, **changes: object) -> RawRecord:
    fields: dict[str, object] = {
        "topic": "orders",
        "partition": partition,
        "offset": offset,
        "timestamp": 1700000000000 + offset,
        "timestamp_type": TimestampType.CREATE_TIME,
        "key": b"k%d" % offset,
        "value": b'{"id": %d}' % offset,
        "headers": (("trace", b"\x00\xffab"),),
    }
    fields.update(changes)
    return RawRecord(**fields)  # type: ignore[arg-type]


def test_record_fields_are_lambdas() -> None:
    assert event_record(raw(7)) == {
        "topic": "orders",
        "partition": 0,
        "offset": 7,
        "timestamp": 1700000000007,
        "timestampType": "CREATE_TIME",
        "key": base64.b64encode(b"k7").decode(),
        "value": base64.b64encode(b'{"id": 7}').decode(),
        "headers": [{"trace": [0, 255, 97, 98]}],
    }


def test_null_key_and_tombstone_value_are_left_out() -> None:
    record = event_record(raw(1, key=None, value=None, headers=()))
    assert "key" not in record
    assert "value" not in record
    assert record["headers"] == []


def test_log_append_time_is_named_as_lambda_names_it() -> None:
    assert event_record(raw(timestamp_type=TimestampType.LOG_APPEND_TIME))["timestampType"] == "LOG_APPEND_TIME"


@given(
    topic=st.text(min_size=1, max_size=20),
    partition=st.integers(0, 2**31 - 1),
    offset=st.integers(0, 2**63 - 1),
    timestamp=st.one_of(st.none(), st.integers(0, 2**63 - 1)),
    timestamp_type=st.sampled_from(
        [TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME, TimestampType.NO_TIMESTAMP_TYPE, "odd"]
    ),
    key=st.one_of(st.none(), st.binary(max_size=40)),
    value=st.one_of(st.none(), st.binary(max_size=200)),
    headers=st.lists(st.tuples(st.text(max_size=10), st.one_of(st.none(), st.binary(max_size=10))), max_size=3),
)
def test_the_fast_encoder_writes_the_same_bytes_as_orjson(
    topic: str, partition: int, offset: int, timestamp: int | None, timestamp_type: str, key: bytes | None,
    value: bytes | None, headers: list[tuple[str, bytes | None]],
) -> None:  # fmt: skip
    record = RawRecord(topic, partition, offset, timestamp, timestamp_type, key, value, tuple(headers))
    assert encode_record(record) == orjson.dumps(event_record(record))


RECORDS = st.builds(
    RawRecord,
    topic=st.sampled_from(["orders", "100%s", 'pay\u00e9"ments']),  # a % must not reach the record's template
    partition=st.integers(0, 3),
    offset=st.integers(0, 2**63 - 1),
    timestamp=st.one_of(st.none(), st.integers(0, 2**63 - 1)),
    timestamp_type=st.sampled_from([TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME, "odd"]),
    key=st.one_of(st.none(), st.binary(max_size=20)),
    value=st.one_of(st.none(), st.binary(max_size=60)),
    headers=st.one_of(st.just(()), st.lists(st.tuples(st.text(max_size=4), st.binary(max_size=4)), max_size=2)
                      .map(tuple)),
)  # fmt: skip


@given(st.lists(RECORDS, max_size=12))
def test_a_run_of_records_encodes_as_each_record_alone(records: list[RawRecord]) -> None:
    assert encode_records(records) == [encode_record(record) for record in records]


def test_records_are_grouped_by_topic_partition() -> None:
    event = build_event([raw(0), raw(0, partition=1), raw(1)], "h1:9092,h2:9092")
    assert list(event["records"]) == ["orders-0", "orders-1"]
    assert [r["offset"] for r in event["records"]["orders-0"]] == [0, 1]
    assert event["eventSource"] == "SelfManagedKafka"
    assert event["bootstrapServers"] == "h1:9092,h2:9092"
    assert "eventSourceArn" not in event


def test_msk_events_carry_the_cluster_arn() -> None:
    event = build_event([raw()], "b:9092", event_source="aws:kafka", event_source_arn="arn:aws:kafka:x")
    assert event["eventSourceArn"] == "arn:aws:kafka:x"


def test_build_then_parse_gives_the_same_records_through_json() -> None:
    records = [raw(0), raw(1, key=None), raw(2, value=None), raw(0, partition=3, headers=(("a", b""), ("a", b"2")))]
    event = orjson.loads(orjson.dumps(build_event(records, "b:9092")))
    parsed = parse_event(event)
    assert parsed == {"orders-0": records[:3], "orders-3": [records[3]]}


def test_parses_the_documented_msk_event() -> None:
    parsed = parse_event(AWS_MSK_EVENT)
    (only,) = parsed["mytopic-0"]
    assert only == RawRecord(
        "mytopic",
        0,
        15,
        1545084650987,
        TimestampType.CREATE_TIME,
        b"key-1",
        b"Hello, this is a test.",
        (("headerKey", b"headerValue"),),
    )


def test_parses_a_self_managed_event_with_a_null_value() -> None:
    event = {
        "eventSource": "SelfManagedKafka",
        "bootstrapServers": "b:9092",
        "records": {"t-2": [{"topic": "t", "partition": 2, "offset": 9, "timestamp": 5, "timestampType":
                             "CREATE_TIME", "value": None, "headers": []}]},
    }  # fmt: skip
    assert parse_event(event)["t-2"][0].value is None
    assert parse_event(event)["t-2"][0].key is None


def test_records_of_a_partition_come_in_offset_order() -> None:
    event = build_event([raw(5), raw(3), raw(4)], "b:9092")
    assert [r.offset for r in parse_event(event)["orders-0"]] == [3, 4, 5]


def test_other_events_are_refused() -> None:
    with pytest.raises(KafkaEventError):
        parse_event({"Records": [{"eventSource": "aws:sqs"}]})


def test_partition_key() -> None:
    assert partition_key("my-topic", 12) == "my-topic-12"


@pytest.mark.parametrize(
    ("arn", "alias"),
    [
        ("arn:aws:lambda:us-east-1:123456789012:function:connectless-sink:pg-orders", "pg-orders"),
        ("arn:aws:lambda:us-east-1:123456789012:function:connectless-sink", None),
        ("arn:aws:lambda:us-east-1:123456789012:function:connectless-sink:$LATEST", None),
        ("arn:aws:lambda:us-east-1:123456789012:function:connectless-sink:7", None),
        ("", None),
    ],
)
def test_alias_from_arn(arn: str, alias: str | None) -> None:
    assert alias_from_arn(arn) == alias


def test_the_alias_wins_over_the_environment() -> None:
    arn = "arn:aws:lambda:us-east-1:1:function:f:s3-sink"
    assert connector_name(arn, {"CONNECTLESS_CONNECTOR": "other"}) == "s3-sink"
    assert connector_name("arn:aws:lambda:us-east-1:1:function:f", {"CONNECTLESS_CONNECTOR": "other"}) == "other"
    with pytest.raises(ConnectorUnknownError):
        connector_name("arn:aws:lambda:us-east-1:1:function:f", {})


@pytest.mark.parametrize("text", ["dmFsdWU=", "dmFs\ndWU=", "dmFs dWU=", "dmFsdWU", "d*mFsdWU="])
def test_event_base64_is_decoded_as_the_stdlib_decodes_it(text: str) -> None:
    item = {"topic": "t", "partition": 0, "offset": 1, "timestamp": 5, "timestampType": "CREATE_TIME", "value": text}
    try:
        expected: bytes | type[Exception] = base64.b64decode(text)
    except binascii.Error:
        expected = binascii.Error
    if expected is binascii.Error:  # named with its place and field, the decoder's error as its cause
        with pytest.raises(KafkaEventError, match=r"records\['t-0'\]\[0\] 'value' is not base64") as raised:
            parse_event({"eventSource": "SelfManagedKafka", "records": {"t-0": [item]}})
        assert isinstance(raised.value.__cause__, binascii.Error)
    else:
        assert parse_event({"eventSource": "SelfManagedKafka", "records": {"t-0": [item]}})["t-0"][0].value == expected

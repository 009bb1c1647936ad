"""The in-process event (no JSON round trip) is the Lambda event: size counted exactly, records decoded alike."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectless.kafka.settings import KafkaSettings
from connectless.lambda_sink.events import (
    DecodedKafkaEvent,
    encode_record,
    encoded_size,
    parse_event,
    record_count,
)
from connectless.raw_records import RawRecord
from connectless.records import TimestampType
from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig

RAWS = st.builds(
    RawRecord,
    topic=st.sampled_from(["orders", "a-1", 'é"x']),
    partition=st.integers(0, 2),
    offset=st.integers(0, 2**63 - 1),
    timestamp=st.one_of(st.none(), st.integers(-3, 2**63 - 1)),
    timestamp_type=st.sampled_from(
        [TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME, TimestampType.NO_TIMESTAMP_TYPE, "odd"]
    ),
    key=st.one_of(st.none(), st.binary(max_size=40)),
    value=st.one_of(st.none(), st.binary(max_size=200)),
    headers=st.lists(st.tuples(st.text(max_size=10), st.one_of(st.none(), st.binary(max_size=10))), max_size=3).map(
        tuple
    ),
)


def emulator(json_round_trip: bool, event_source: str = "SelfManagedKafka") -> EventSourceMappingEmulator:
    config = MappingConfig("c", ["orders"], event_source=event_source)
    return EventSourceMappingEmulator(KafkaSettings("h1:9092,h2:9092"), config, lambda e, c: None,
                                      json_round_trip=json_round_trip)  # fmt: skip


@given(RAWS)
def test_the_counted_size_is_the_encoded_size(record: RawRecord) -> None:
    assert encoded_size(record) == len(encode_record(record))


@settings(max_examples=200)
@given(st.lists(RAWS, min_size=1, max_size=12), st.sampled_from(["SelfManagedKafka", "aws:kafka"]))
def test_the_decoded_event_is_the_json_event(records: list[RawRecord], event_source: str) -> None:
    through_json, decoded = emulator(True, event_source), emulator(False, event_source)
    expected = through_json._event(records)
    event = decoded._event(records)
    assert type(event) is DecodedKafkaEvent
    assert dict(event) == expected
    assert event == expected
    assert orjson.dumps(event.to_dict()) == orjson.dumps(expected)
    assert record_count(event) == record_count(expected) == len(records)
    assert decoded.stats.payload_sizes == through_json.stats.payload_sizes
    assert parse_event(event) == parse_event(expected)


def test_records_untouched_come_through_as_they_are() -> None:
    record = RawRecord("orders", 0, 5, 1, TimestampType.CREATE_TIME, b"k", b"v")
    event = emulator(False)._event([record])
    assert parse_event(event)["orders-0"][0] is record


def test_the_event_records_are_built_only_when_read() -> None:
    event = emulator(False)._event([RawRecord("orders", 0, 5, 1, TimestampType.CREATE_TIME, b"k", b"v")])
    assert isinstance(event, DecodedKafkaEvent)
    parse_event(event)
    assert record_count(event) == 1
    assert event._records is None  # the handler's path never built them
    assert event["records"]["orders-0"][0]["value"] == "dg=="
    assert event._records is not None
    assert list(event) == ["eventSource", "bootstrapServers", "records"]


def test_the_event_is_read_only_and_json_encoders_refuse_it_rather_than_drop_its_records() -> None:
    event = emulator(False)._event([RawRecord("orders", 0, 5, 1, TimestampType.CREATE_TIME, b"k", b"v")])
    with pytest.raises(TypeError):
        event["records"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        orjson.dumps(event)
    with pytest.raises(TypeError):
        json.dumps(event)
    assert json.loads(json.dumps(event.to_dict()))["records"]["orders-0"][0]["offset"] == 5

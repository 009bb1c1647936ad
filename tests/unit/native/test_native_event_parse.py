"""parse_kafka_event (_records.c, i17e's section): a Lambda Kafka event's JSON bytes straight into RawRecords.

Whatever it takes, it reads exactly as orjson.loads then the Python decode (`events._raws_from_python`) do, and as a
DecodedKafkaEvent it gives the JSON's dict back unchanged (a null key or value left out); whatever it is not sure of
(malformed JSON, an odd field) it leaves to that Python path (None), whose result or error `loads_event` then gives.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectless import native
from connectless.lambda_sink import events
from connectless.lambda_sink.events import DecodedKafkaEvent, KafkaEventError, build_event, loads_event, parse_event
from connectless.raw_records import RawRecord
from connectless.records import TimestampType

records = native.records
pytestmark = pytest.mark.skipif(records is None, reason="connectless.native is not built: run `make native`")

TOPICS = st.one_of(
    st.sampled_from(["orders", "a-1", "t"]),
    st.text(min_size=1, max_size=12),  # unicode, astral characters, quotes, backslashes, control characters
)
RAWS = st.builds(
    RawRecord,
    topic=TOPICS,
    partition=st.integers(0, 2**31 - 1),
    offset=st.one_of(st.integers(0, 1000), st.integers(0, 2**63 - 1)),
    timestamp=st.one_of(st.none(), st.integers(0, 2**63 - 1)),
    timestamp_type=st.sampled_from(
        [TimestampType.CREATE_TIME, TimestampType.LOG_APPEND_TIME, TimestampType.NO_TIMESTAMP_TYPE]
    ),
    key=st.one_of(st.none(), st.binary(max_size=40)),
    value=st.one_of(st.none(), st.binary(max_size=300)),
    headers=st.lists(st.tuples(st.text(max_size=8), st.binary(max_size=6)), max_size=3).map(tuple),
)
# The JSON writers an event may come from: compact, spaced, indented, \uXXXX escapes (surrogate pairs included).
ENCODERS = {
    "orjson": orjson.dumps,
    "json": lambda e: json.dumps(e).encode(),
    "json-unicode": lambda e: json.dumps(e, ensure_ascii=False).encode(),
    "json-indented": lambda e: json.dumps(e, indent=2).encode(),
    "json-tight": lambda e: json.dumps(e, separators=(",", ":")).encode(),
    "slash-escaped": lambda e: orjson.dumps(e).replace(b"/", b"\\/"),  # '/' only occurs in strings: "\/" there
}
HEAD = st.sampled_from(
    [
        {"eventSource": "SelfManagedKafka", "bootstrapServers": "h1:9092,h2:9092"},
        {
            "eventSource": "aws:kafka",
            "eventSourceArn": "arn:aws:kafka:us-east-1:1:cluster/c/é",
            "bootstrapServers": "b",
        },
    ]
)


def _python_reading(data: bytes) -> tuple[dict[str, Any], dict[str, list[RawRecord]]]:
    """What the Python path reads: orjson's dict, and each partition's list decoded by the pure-Python loop."""
    event = orjson.loads(data)
    return event, {key: events._raws_from_python(items) for key, items in event["records"].items()}


def _assert_read_as_python(data: bytes) -> bool:
    """parse_kafka_event(data) is None, or it is the Python path's reading: False when it left the event to Python."""
    parsed = records.parse_kafka_event(data)
    if parsed is None:
        return False
    head, decoded = parsed
    event, expected = _python_reading(data)  # raises (failing the test) when orjson refuses what C took
    assert head == {k: v for k, v in event.items() if k != "records"}
    assert decoded == expected
    assert [type(r) for raws in decoded.values() for r in raws] == [RawRecord] * sum(map(len, decoded.values()))
    # the JSON's dict, unchanged but for a null key or value, which its records view leaves out (both: none)
    assert DecodedKafkaEvent(head, decoded, decoded).to_dict() == _without_nulls(event)
    return True


def _without_nulls(event: dict[str, Any]) -> dict[str, Any]:
    records = {
        key: [{k: v for k, v in r.items() if v is not None or k not in {"key", "value"}} for r in items]
        for key, items in event["records"].items()
    }
    return {**event, "records": records}


def _outcome(read: Any, data: bytes) -> Any:
    try:
        return ("ok", parse_event(read(data)))
    except Exception as exc:  # noqa: BLE001 - the error's type and message are compared
        return ("error", type(exc), str(exc))


@settings(max_examples=300, deadline=None)
@given(st.lists(RAWS, max_size=8), HEAD, st.sampled_from(sorted(ENCODERS)))
def test_every_event_lambda_writes_is_read_in_c_as_python_reads_it(
    raws: list[RawRecord], head: dict[str, str], encoder: str
) -> None:
    event = build_event(raws, head["bootstrapServers"], event_source=head["eventSource"],
                        event_source_arn=head.get("eventSourceArn"))  # fmt: skip
    data = ENCODERS[encoder](event)
    assert _assert_read_as_python(data), "the C parser left an event of Lambda's shape to Python"
    loaded = loads_event(data)
    assert type(loaded) is DecodedKafkaEvent
    assert parse_event(loaded) == parse_event(orjson.loads(data))


_ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.sampled_from(["QQ", "QQ=", "QR==", "Q Q==", "QQ==\n", "====", "a/b+", "YQ==", "", "CREATE_TIME", "other"]),
    st.lists(st.integers(-1, 300), max_size=3),
    st.just([{"h": [1, 2]}, {}]),
    st.just([{"h": None}]),
    st.just([{"a": [1], "b": [2]}]),
    st.just({"h": [1]}),
)
_RECORD = st.builds(
    lambda raw, changes, dropped: {
        **{k: v for k, v in events.event_record(raw).items() if k not in dropped},
        **changes,
    },
    RAWS,
    st.dictionaries(
        st.sampled_from(
            ["topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers", "extra"]
        ),
        _ODD_VALUES,
        max_size=2,
    ),
    st.sets(st.sampled_from(["topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers"])),
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["t-0", "t-1", "é-2"]), st.lists(_RECORD, max_size=3), max_size=2),
    st.dictionaries(st.sampled_from(["eventSource", "bootstrapServers", "extra"]), _ODD_VALUES, max_size=2),
)
def test_an_odd_event_is_read_as_python_reads_it_or_left_to_python(
    partitions: dict[str, list[dict[str, Any]]], head: dict[str, Any]
) -> None:
    data = json.dumps({"eventSource": "SelfManagedKafka", **head, "records": partitions}).encode()
    _assert_read_as_python(data)
    python = _outcome(lambda d: orjson.loads(d) if _json_ok(d) else json.loads(d), data)
    assert _outcome(_loads_with_fallback, data) == python


def _json_ok(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True


def _loads_with_fallback(data: bytes) -> Any:
    """loads_event; the numbers orjson refuses (beyond 64 bits) through json, as the test's Python path reads them."""
    return loads_event(data) if _json_ok(data) else json.loads(data)


_VALID = (
    b'{"eventSource":"SelfManagedKafka","bootstrapServers":"h:9092","records":{"t-0":[{"topic":"t","partition":0,'
    b'"offset":17,"timestamp":1700000000000,"timestampType":"CREATE_TIME","key":"aw==","value":"eyJhIjoxfQ==",'
    b'"headers":[{"h":[1,255]}]},{"topic":"t","partition":0,"offset":18,"timestamp":-1,"timestampType":'
    b'"LOG_APPEND_TIME","value":"","headers":[]}]}}'
)


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_a_spoilt_byte_never_makes_c_take_what_json_refuses(data: st.DataObject) -> None:
    """A byte deleted, inserted or replaced anywhere in a valid event: C reads it as Python does, or leaves it."""
    payload = bytearray(_VALID)
    at = data.draw(st.integers(0, len(payload) - 1))
    byte = data.draw(st.sampled_from(list(b'{}[]":,\\ -0123456789.eE+/=tfnuQ\x00\x1f\xff\xc3')))
    action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
    if action == "delete":
        del payload[at]
    elif action == "insert":
        payload.insert(at, byte)
    else:
        payload[at] = byte
    spoilt = bytes(payload)
    if not _json_ok(spoilt):
        assert records.parse_kafka_event(spoilt) is None
    else:
        _assert_read_as_python(spoilt)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"key":"aw=="', b'"key":"aw\\u003d\\"'),  # an escaped quote ends no string: not JSON
        (b'"key":"aw=="', b'"key":"a\\u00e9=="'),  # an escape that is not base64 once unescaped
        (b'"value":"eyJhIjoxfQ=="', b'"value":"eyJhIjoxfQ"'),  # not base64: Python names the record
        (b'"value":"eyJhIjoxfQ=="', b'"value":"eyJhIjoxfR=="'),  # bits past the end: Python decodes, differently kept
        (b'"offset":17', b'"offset":17.0'),
        (b'"offset":17', b'"offset":18446744073709551615'),  # past 64 bits signed (orjson: unsigned 64)
        (b'"offset":17', b'"offset":20000000000000000000'),  # 20 digits, past 64 bits: orjson refuses it
        (b'"offset":17', b'"offset":-9223372036854775809'),
        (b'"offset":17', b'"offset":"17"'),
        (b'"offset":17,', b""),  # a missing field: Python names it
        (b'"timestamp":-1', b'"timestamp":-2'),
        (b'"timestamp":-1', b'"timestamp":null'),
        (b'"value":""', b'"value":nul'),
        (b'"value":""', b'"value":nullx'),
        (b'"timestampType":"CREATE_TIME"', b'"timestampType":"NEW_TIME"'),
        (b'"headers":[{"h":[1,255]}]', b'"headers":[{"h":[1,256]}]'),
        (b'"headers":[{"h":[1,255]}]', b'"headers":[{"h":null}]'),
        (b'"headers":[{"h":[1,255]}]', b'"headers":[{"h":[1],"i":[2]}]'),
        (b'"headers":[]', b'"headers":[],"extra":1'),
        (b'"topic":"t","partition":0,"offset":17', b'"topic":"t","topic":"t","partition":0,"offset":17'),
        (b'"bootstrapServers":"h:9092"', b'"bootstrapServers":["h:9092"]'),
        (b'"bootstrapServers":"h:9092"', b'"records":{}'),  # records twice
        (b'"t-0":[', b'"t-0":[],"t-0":['),  # a partition key twice
        (b'"topic":"t"', b'"topic":"\\ud800"'),  # a lone surrogate
        (b'"topic":"t"', b'"topic":"\xff"'),  # not UTF-8
        (b"}}", b"}} x"),
        (b"}}", b"}"),
    ],
)
def test_what_c_is_not_sure_of_goes_to_python(old: bytes, new: bytes) -> None:
    data = _VALID.replace(old, new, 1)
    assert data != _VALID
    assert records.parse_kafka_event(data) is None
    try:
        expected: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        with pytest.raises(orjson.JSONDecodeError, match=str(exc).split(":")[0]):
            loads_event(data)
        return
    assert loads_event(data) == expected
    assert type(loads_event(data)) is dict
    assert _outcome(loads_event, data) == _outcome(orjson.loads, data)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"key":"aw=="', b'"key":null'),  # a record without a key, as Lambda may write it
        (b'"value":""', b'"value":null'),  # a tombstone
        (b'"value":""', b'"value" : null '),
        (b'"key":"aw=="', b'"key":"aw\\u003d="'),  # base64 written with escapes: read once unescaped
        (b'"key":"aw=="', b'"key":"\\u0061w=="'),
        (b'"value":"eyJhIjoxfQ=="', b'"value":"eyJhIjoxfQ=\\u003d"'),
    ],
)
def test_a_null_or_escaped_key_or_value_is_read_as_python_reads_it(old: bytes, new: bytes) -> None:
    data = _VALID.replace(old, new, 1)
    assert data != _VALID
    assert _assert_read_as_python(data)
    assert parse_event(loads_event(data)) == parse_event(orjson.loads(data))


def test_a_malformed_record_is_named_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _VALID.replace(b'"value":"eyJhIjoxfQ=="', b'"value":"eyJhIjoxfQ"')
    with pytest.raises(KafkaEventError, match=r"records\['t-0'\]\[0\] 'value' is not base64: 'eyJhIjoxfQ'"):
        parse_event(loads_event(data))
    monkeypatch.setattr(native, "records", None)
    with pytest.raises(KafkaEventError, match=r"records\['t-0'\]\[0\] 'value' is not base64: 'eyJhIjoxfQ'"):
        parse_event(loads_event(data))


@example(b"")
@example(b"[]")
@example(b'{"records":[]}')
@given(st.binary(max_size=30))
def test_any_bytes_are_read_as_python_reads_them_or_left(data: bytes) -> None:
    if _json_ok(data):
        assert records.parse_kafka_event(data) is None or _assert_read_as_python(data)
    else:
        assert records.parse_kafka_event(data) is None


def test_other_types_and_the_off_switch_go_to_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    assert records.parse_kafka_event(bytearray(_VALID)) is None
    assert records.parse_kafka_event(_VALID.decode()) is None
    assert type(loads_event(_VALID)) is DecodedKafkaEvent
    monkeypatch.setattr(native, "records", None)  # CONNECTLESS_NATIVE=0
    assert loads_event(_VALID) == orjson.loads(_VALID) and type(loads_event(_VALID)) is dict


def test_a_partition_shares_one_topic_string_and_big_batches_read_whole() -> None:
    raws = [RawRecord("orders", i % 3, i, i, "CreateTime", b"k%d" % i, b"v" * (i % 700)) for i in range(3000)]
    data = orjson.dumps(build_event(raws, "b:9092"))
    assert _assert_read_as_python(data)
    head, decoded = records.parse_kafka_event(data)
    assert len({id(r.topic) for raws in decoded.values() for r in raws}) == 1
    assert sum(map(len, decoded.values())) == 3000

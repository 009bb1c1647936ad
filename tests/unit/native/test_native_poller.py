"""connectless.native's poller functions (the event-source-mapping emulator's per-record work) give what the Python
code they stand in for gives: the same RawRecords from consumed messages, field for field and type for type, the
same errors, and the same event JSON bytes."""

from __future__ import annotations

from typing import Any

import confluent_kafka as ck
import pytest
from confluent_kafka import KafkaError, KafkaException
from hypothesis import given, settings
from hypothesis import strategies as st

from connectless import native
from connectless.lambda_sink import events
from connectless.raw_records import RawRecord, _raws_from_messages_python, raws_from_messages

records = native.records
pytestmark = pytest.mark.skipif(records is None, reason="connectless.native is not built: run `make native`")


def _typed(raws: list[RawRecord]) -> list[tuple[tuple[type, Any], ...]]:
    """Each record's fields with their types: 1 == True and 0 == None would not tell the paths apart."""
    fields = ("topic", "partition", "offset", "timestamp", "timestamp_type", "key", "value", "headers")
    return [tuple((type(getattr(r, f)), getattr(r, f)) for f in fields) for r in raws]


def _outcome(call: Any, *args: Any) -> Any:
    try:
        return ("ok", _typed(call(*args)))
    except Exception as exc:  # noqa: BLE001 - the error's type and message are compared
        return ("error", type(exc), str(exc))


_HEADERS = st.one_of(
    st.none(),
    st.just([]),
    st.lists(st.tuples(st.sampled_from(["h", "", "zoë"]), st.one_of(st.none(), st.binary(max_size=4))), max_size=3),
)
_ERRORS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            KafkaError(KafkaError._PARTITION_EOF),  # skipped
            KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART),  # waited out: skipped with a warning
            KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED),  # raised
        ]
    ),
)
_MESSAGE = st.fixed_dictionaries(
    {},
    optional={  # a field left out is the constructor's default: None (a partition or offset cannot be given None)
        "topic": st.one_of(st.sampled_from(["t", "orders", "", 'q"uote']), st.none()),
        "partition": st.integers(0, 3),
        "offset": st.one_of(st.integers(0, 2**63 - 1), st.just(-1001)),
        "key": st.one_of(st.none(), st.binary(max_size=8)),
        "value": st.one_of(st.none(), st.binary(max_size=40)),
        "headers": _HEADERS,
        "timestamp": st.tuples(st.integers(0, 2), st.integers(-1, 2**62)),
        "error": _ERRORS,
    },
).map(lambda fields: ck.Message(**fields))


@settings(max_examples=400, deadline=None)
@given(st.lists(_MESSAGE, max_size=6))
def test_raws_from_messages_is_the_python_loop(messages: list[ck.Message]) -> None:
    assert _outcome(raws_from_messages, messages) == _outcome(_raws_from_messages_python, messages)


def test_consumed_messages_take_the_fast_path_with_headers_null_fields_and_timestamp_types() -> None:
    messages = [
        ck.Message(topic="t", partition=0, offset=1, key=None, value=None, timestamp=(0, -1)),
        ck.Message(topic="t", partition=0, offset=2, key=b"k", value=b"v", timestamp=(1, 1_700_000_000_000)),
        ck.Message(
            topic="t", partition=2, offset=3, value=b"", headers=[("a", b"\x00"), ("b", None)], timestamp=(2, 5)
        ),
        ck.Message(topic="t", partition=2, offset=4, value=b"x", headers=[], timestamp=(1, 7)),
    ]
    raws = records.raws_from_messages(messages, {1: "CreateTime", 2: "LogAppendTime"}, "NoTimestampType",
                                      lambda _: pytest.fail("these are the fast path's"))  # fmt: skip
    assert _typed(raws) == _typed(_raws_from_messages_python(messages))
    assert [(r.timestamp, r.timestamp_type) for r in raws] == [
        (None, "NoTimestampType"), (1_700_000_000_000, "CreateTime"), (5, "LogAppendTime"), (7, "CreateTime")
    ]  # fmt: skip
    assert raws[2].headers == (("a", b"\x00"), ("b", None))
    assert raws[0].headers == raws[3].headers == ()
    assert all(r.topic is raws[0].topic for r in raws)  # one str for the run: later checks compare by identity


def test_an_error_event_between_records_is_waited_out_or_raised_in_order() -> None:
    good = ck.Message(topic="t", partition=0, offset=5, value=b"v", timestamp=(1, 1))
    eof = ck.Message(error=KafkaError(KafkaError._PARTITION_EOF))
    assert [r.offset for r in raws_from_messages([good, eof, good])] == [5, 5]
    fatal = ck.Message(error=KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "no access"))
    with pytest.raises(KafkaException, match="no access"):
        raws_from_messages([good, fatal, good])


def test_raws_from_messages_takes_any_object_with_the_message_methods() -> None:
    class Looks:  # another type than cimpl.Message: its methods are looked up again, then the Message's
        def error(self) -> None:
            return None

        def topic(self) -> str:
            return "x"

        def partition(self) -> int:
            return 1

        def offset(self) -> int:
            return 2

        def timestamp(self) -> tuple[int, int]:
            return (1, 3)

        def key(self) -> bytes:
            return b"k"

        def value(self) -> None:
            return None

        def headers(self) -> list[tuple[str, bytes]]:
            return [("h", b"1")]

    mixed: list[Any] = [Looks(), ck.Message(topic="t", partition=0, offset=1, timestamp=(0, 0)), Looks()]
    assert _typed(raws_from_messages(mixed)) == _typed(_raws_from_messages_python(mixed))


_ANY_RAW = st.builds(
    RawRecord,
    st.sampled_from(["t", 'q"uote', "zoë"]),
    st.one_of(st.integers(-1, 3), st.integers(-(2**70), 2**70)),
    st.integers(-(2**65), 2**65),
    st.one_of(st.none(), st.integers(-(2**64), 2**64)),
    st.sampled_from(["CreateTime", "LogAppendTime", "NoTimestampType", "Other"]),
    st.one_of(st.none(), st.binary(max_size=40)),
    st.one_of(st.none(), st.binary(max_size=400)),
    st.one_of(st.just(()), st.just((("h", b"\x01"),))),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ANY_RAW, max_size=5))
def test_encode_records_is_the_python_encoding_byte_for_byte(raws: list[RawRecord]) -> None:
    fast = events.encode_records(raws)
    assert fast == [events._encode_record_python(raw) for raw in raws]
    native.records = None  # the pure-Python encode_records (its templates) as well
    try:
        assert events.encode_records(raws) == fast
    finally:
        native.records = records


@pytest.mark.parametrize("size", [*range(0, 14), 299, 300, 301])
def test_base64_of_every_length_is_pybase64s(size: int) -> None:
    import pybase64

    data = bytes((i * 41 + size) % 256 for i in range(size))
    (encoded,) = events.encode_records([RawRecord("t", 0, 0, 1, key=data, value=data)])
    text = pybase64.b64encode(data)
    assert b'"key":"' + text + b'","value":"' + text + b'"' in encoded

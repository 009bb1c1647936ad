"""The Lambda Kafka event, both ways: RawRecords -> event (the emulator) and event -> RawRecords (the handler).

Shape (MSK: eventSource "aws:kafka" plus eventSourceArn; self-managed: "SelfManagedKafka"):
    {"eventSource": ..., "bootstrapServers": "h1:9092,h2:9092",
     "records": {"<topic>-<partition>": [{"topic", "partition", "offset", "timestamp", "timestampType",
                                          "key": base64 (absent when null), "value": base64 (absent for a tombstone),
                                          "headers": [{"<name>": [byte ints]}]}]}}
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, Final

import orjson
import pybase64

from connectless import native
from connectless.raw_records import RawRecord
from connectless.records import TimestampType

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

MSK_EVENT_SOURCE: Final = "aws:kafka"
SELF_MANAGED_EVENT_SOURCE: Final = "SelfManagedKafka"
EVENT_SOURCES: Final = frozenset({MSK_EVENT_SOURCE, SELF_MANAGED_EVENT_SOURCE})

# Lambda names timestamp types as the Java client's enum constants; Kafka Connect as their display names.
_TO_LAMBDA_TS_TYPE: Final = {
    TimestampType.CREATE_TIME: "CREATE_TIME",
    TimestampType.LOG_APPEND_TIME: "LOG_APPEND_TIME",
    TimestampType.NO_TIMESTAMP_TYPE: "NO_TIMESTAMP_TYPE",
}
_FROM_LAMBDA_TS_TYPE: Final = {v: k for k, v in _TO_LAMBDA_TS_TYPE.items()}
_TS_TYPE_JSON: Final = {k: orjson.dumps(v) for k, v in _TO_LAMBDA_TS_TYPE.items()}
_NO_TS_TYPE_JSON: Final = orjson.dumps("NO_TIMESTAMP_TYPE")
_topic_json: dict[str, bytes] = {}  # a few topics per process; their JSON string form, escaped once


class KafkaEventError(ValueError):
    """The event is not a Lambda Kafka event."""


def partition_key(topic: str, partition: int) -> str:
    """The key of a partition in `records`, and the `partition` of a batch item failure."""
    return f"{topic}-{partition}"


def event_record(raw: RawRecord) -> dict[str, Any]:
    """One record as Lambda puts it in the event."""
    record: dict[str, Any] = {
        "topic": raw.topic,
        "partition": raw.partition,
        "offset": raw.offset,
        "timestamp": -1 if raw.timestamp is None else raw.timestamp,
        "timestampType": _TO_LAMBDA_TS_TYPE.get(raw.timestamp_type, "NO_TIMESTAMP_TYPE"),
    }
    if raw.key is not None:
        record["key"] = pybase64.b64encode_as_string(raw.key)
    if raw.value is not None:
        record["value"] = pybase64.b64encode_as_string(raw.value)
    record["headers"] = [{name: list(value or b"")} for name, value in raw.headers]
    return record


def encode_record(raw: RawRecord) -> bytes:
    """`orjson.dumps(event_record(raw))`, byte for byte (the emulator's hot path): in one C call when
    connectless.native is built, else `_encode_record_python`."""
    fast = native.records
    if fast is not None:
        return fast.encode_record(raw, _topic_json, _TS_TYPE_JSON, _NO_TS_TYPE_JSON, _encode_record_python)
    return _encode_record_python(raw)


def _encode_record_python(raw: RawRecord) -> bytes:
    """encode_record in Python, in a third of the time of `orjson.dumps(event_record(raw))`."""
    topic = _topic_json.get(raw.topic)
    if topic is None:
        if len(_topic_json) > 1000:
            _topic_json.clear()
        topic = _topic_json[raw.topic] = orjson.dumps(raw.topic)
    b64 = pybase64.b64encode  # SIMD base64: a third of binascii's time on records of a few hundred bytes
    key = b"" if raw.key is None else b',"key":"' + b64(raw.key) + b'"'
    value = b"" if raw.value is None else b',"value":"' + b64(raw.value) + b'"'
    headers = orjson.dumps([{name: list(v or b"")} for name, v in raw.headers]) if raw.headers else b"[]"
    return b'{"topic":%b,"partition":%d,"offset":%d,"timestamp":%d,"timestampType":%b%b%b,"headers":%b}' % (
        topic,
        raw.partition,
        raw.offset,
        -1 if raw.timestamp is None else raw.timestamp,
        _TS_TYPE_JSON.get(raw.timestamp_type, _NO_TS_TYPE_JSON),
        key,
        value,
        headers,
    )


def _run_template(topic: str, partition: int, timestamp_type: str, keyed: bool) -> bytes:
    """encode_record's text for the records of one partition and timestamp type, with or without a key: a
    %-template of the offset, the timestamp, then the base64 of the key (when keyed) and of the value."""
    topic_json = (_topic_json.get(topic) or orjson.dumps(topic)).replace(b"%", b"%%")
    ts_type = _TS_TYPE_JSON.get(timestamp_type, _NO_TS_TYPE_JSON)
    key = b',"key":"%b"' if keyed else b""
    return (
        b'{"topic":%b,"partition":%d,"offset":%%d,"timestamp":%%d,"timestampType":%b%b,"value":"%%b","headers":[]}'
        % (
            topic_json,
            partition,
            ts_type,
            key,
        )
    )


def encode_records(raws: Iterable[RawRecord]) -> list[bytes]:
    """`encode_record` of each of `raws`, in one pass (the emulator's hot path: a poller's batch at a time). A run of
    records with a value and no headers, of one partition and timestamp type, keyed or not, shares a %-template of
    their own fields; other records are left to encode_record. With connectless.native built: one C call."""
    fast = native.records
    if fast is not None:
        datas: list[bytes] = fast.encode_records(
            raws, _topic_json, _TS_TYPE_JSON, _NO_TS_TYPE_JSON, _encode_record_python
        )
        return datas
    b64 = pybase64.b64encode
    out: list[bytes] = []
    append = out.append
    template, shape = b"", ("", -1, "", False)
    for raw in raws:
        value, key, timestamp = raw.value, raw.key, raw.timestamp
        if value is None or raw.headers:
            append(encode_record(raw))
            continue
        if (raw.topic, raw.partition, raw.timestamp_type, key is not None) != shape:
            shape = (raw.topic, raw.partition, raw.timestamp_type, key is not None)
            template = _run_template(*shape)
        if key is None:
            append(template % (raw.offset, -1 if timestamp is None else timestamp, b64(value)))
        else:
            append(template % (raw.offset, -1 if timestamp is None else timestamp, b64(key), b64(value)))
    return out


# len(encode_record(raw)) less its variable parts: the field names and punctuation, `,"key":""` and `,"value":""`.
_FIXED_SIZE: Final = len(b'{"topic":,"partition":,"offset":,"timestamp":,"timestampType":,"headers":}')
_KEY_SIZE: Final = len(b',"key":""')
_VALUE_SIZE: Final = len(b',"value":""')
_TS_TYPE_SIZE: Final = {k: len(v) for k, v in _TS_TYPE_JSON.items()}
_NO_TS_TYPE_SIZE: Final = len(_NO_TS_TYPE_JSON)


def partition_size_base(topic: str, partition: int) -> int:
    """The part of `encoded_size` every record of one partition shares: field names, topic and partition."""
    topic_json = _topic_json.get(topic)
    if topic_json is None:
        topic_json = orjson.dumps(topic)
    return _FIXED_SIZE + len(topic_json) + len(str(partition))


def encoded_size(raw: RawRecord, base: int | None = None) -> int:
    """`len(encode_record(raw))`, without encoding: base64 of n bytes is 4 * ceil(n / 3) characters. `base`:
    `partition_size_base(raw.topic, raw.partition)`, when the caller has it."""
    size = (
        (partition_size_base(raw.topic, raw.partition) if base is None else base)
        + len(str(raw.offset))
        + len(str(-1 if raw.timestamp is None else raw.timestamp))
        + _TS_TYPE_SIZE.get(raw.timestamp_type, _NO_TS_TYPE_SIZE)
    )
    if raw.key is not None:
        size += _KEY_SIZE + (len(raw.key) + 2) // 3 * 4
    if raw.value is not None:
        size += _VALUE_SIZE + (len(raw.value) + 2) // 3 * 4
    if raw.headers:
        size += len(orjson.dumps([{name: list(v or b"")} for name, v in raw.headers]))
    else:
        size += 2  # []
    return size


class DecodedKafkaEvent(Mapping[str, Any]):
    """A Lambda Kafka event for an in-process invocation: a read-only mapping equal to the event Lambda delivers,
    that also carries its records as `parse_event` would decode them from it.

    The `records` entry (a dict per partition key of event-record dicts with base64 strings) is built on its first
    read, so a handler that takes the records through `parse_event` never pays for it. It is not a dict: JSON
    encoders refuse it rather than write it without its records; `to_dict()` is the plain event.
    """

    __slots__ = ("_batches", "_head", "_records", "decoded")

    def __init__(
        self,
        head: Mapping[str, Any],
        batches: Mapping[str, Sequence[RawRecord]],
        decoded: dict[str, list[RawRecord]],
    ) -> None:
        self._head = dict(head)
        self._batches = batches  # the records given, per key of `records`
        self._records: dict[str, list[dict[str, Any]]] | None = None  # built from them on first read
        self.decoded = decoded  # per key of `records`, its records as parse_event decodes them, item for item

    def _event_records(self) -> dict[str, list[dict[str, Any]]]:
        if self._records is None:
            self._records = {key: [event_record(raw) for raw in raws] for key, raws in self._batches.items()}
        return self._records

    def __getitem__(self, key: str) -> Any:
        if key == "records" and "records" not in self._head:
            return self._event_records()
        return self._head[key]

    def __iter__(self) -> Iterator[str]:
        yield from self._head
        if "records" not in self._head:
            yield "records"

    def __len__(self) -> int:
        return len(self._head) + ("records" not in self._head)

    def __repr__(self) -> str:
        return f"DecodedKafkaEvent({self.to_dict()!r})"

    def to_dict(self) -> dict[str, Any]:
        """The event as Lambda delivers it: a plain dict, `records` included."""
        return dict(self.items())


def decoded_event(
    head: Mapping[str, Any], batches: Mapping[str, Sequence[RawRecord]], *, consumed: bool = False
) -> DecodedKafkaEvent:
    """`{**head, "records": {key: [event_record(raw), ...]}}` for `batches` ({partition key: records}), with
    each record also kept in the form `parse_event` would give it back (the same RawRecord when that is it).

    `consumed`: the records were built by `raws_from_messages`, so their fields have the consumer's types and
    only headers, negative timestamps and unknown timestamp types can come back changed; a batch without any of
    them is taken whole.
    """
    ts_types = _TO_LAMBDA_TS_TYPE
    decoded: dict[str, list[RawRecord]] = {}
    for pkey, raws in batches.items():
        if (
            consumed
            and not any(map(_headers, raws))
            and min(filter(None, map(_timestamp, raws)), default=0) >= 0
            and ts_types.keys() >= set(map(_timestamp_type, raws))
        ):
            decoded[pkey] = list(raws)
            continue
        back: list[RawRecord] = []
        for raw in raws:
            key, value, timestamp = raw.key, raw.value, raw.timestamp
            # What the JSON path gives back: the record itself unless a field would come back changed (a header
            # without a value becomes b"", a negative timestamp None, an unknown type NO_TIMESTAMP_TYPE).
            same = (
                not raw.headers
                and (timestamp is None or (type(timestamp) is int and timestamp >= 0))
                and raw.timestamp_type in ts_types
                and (key is None or type(key) is bytes)
                and (value is None or type(value) is bytes)
                and type(raw.topic) is str
                and type(raw.partition) is int
                and type(raw.offset) is int
            )
            back.append(raw if same else _raw_from(event_record(raw)))
        decoded[pkey] = back
    return DecodedKafkaEvent(head, batches, decoded)


def build_event(
    records: Iterable[RawRecord],
    bootstrap_servers: str,
    *,
    event_source: str = SELF_MANAGED_EVENT_SOURCE,
    event_source_arn: str | None = None,
) -> dict[str, Any]:
    """A Lambda Kafka event holding `records`, grouped by partition in the order given."""
    if event_source not in EVENT_SOURCES:
        raise KafkaEventError(f"unknown eventSource {event_source!r}")
    grouped: dict[str, list[dict[str, Any]]] = {}
    for raw in records:
        grouped.setdefault(partition_key(raw.topic, raw.partition), []).append(event_record(raw))
    event: dict[str, Any] = {"eventSource": event_source}
    if event_source == MSK_EVENT_SOURCE:
        event["eventSourceArn"] = event_source_arn or "arn:aws:kafka:us-east-1:000000000000:cluster/local/local"
    event["bootstrapServers"] = bootstrap_servers
    event["records"] = grouped
    return event


def record_size(raw: RawRecord) -> int:
    """Bytes `raw` adds to the JSON payload: base64 grows 4/3, header bytes become decimal lists."""
    size = 140 + 2 * len(raw.topic)  # field names, numbers and punctuation
    if raw.key is not None:
        size += 4 * ((len(raw.key) + 2) // 3)
    if raw.value is not None:
        size += 4 * ((len(raw.value) + 2) // 3)
    for name, value in raw.headers:
        size += len(name) + 8 + 4 * len(value or b"")
    return size


def loads_event(data: bytes) -> Mapping[str, Any]:
    """The event of a Lambda invocation from its JSON bytes (the sink function's runtime client hands them over).

    With connectless.native built: one C pass straight into RawRecords, the event a DecodedKafkaEvent (equal to
    the JSON's dict, its records already decoded for parse_event), when the event is a Lambda Kafka event in the
    exact shape the C parser takes (see parse_kafka_event in _records.c). Anything else, malformed JSON included, is
    `orjson.loads(data)`, and the handler's Python path decides, errors and all."""
    fast = native.records
    if fast is not None:
        parsed = fast.parse_kafka_event(data)
        if parsed is not None:
            head, decoded = parsed
            return DecodedKafkaEvent(head, decoded, decoded)
    event: Mapping[str, Any] = orjson.loads(data)
    return event


def parse_event(event: Mapping[str, Any]) -> dict[str, list[RawRecord]]:
    """The records of a Lambda Kafka event, per `<topic>-<partition>`, each list in offset order."""
    source = event.get("eventSource")
    if source not in EVENT_SOURCES:
        raise KafkaEventError(f"not a Lambda Kafka event: eventSource={source!r}")
    batches: Iterable[list[RawRecord]]
    if type(event) is DecodedKafkaEvent:
        batches = event.decoded.values()  # decoded when the event was built
    else:
        records = event.get("records")
        if not isinstance(records, dict):
            raise KafkaEventError("a Lambda Kafka event holds its records in an object keyed by <topic>-<partition>")
        # what Powertools' KafkaEvent.records walks, without a wrapper per record
        batches = (_decoded_partition(key, items) for key, items in records.items())
    parsed: dict[str, list[RawRecord]] = {}
    fast = native.records
    in_order: set[str] = set()  # keys whose list is known to be in offset order: no sort
    for raws in batches:
        if not raws:
            continue
        # Lambda sends one list per partition: a list all of one partition joins its key whole.
        first = raws[0]
        topic, partition = first.topic, first.partition
        if fast is not None and type(raws) is list:
            whole = ordered = fast.one_partition_in_order(raws)
        else:
            whole, ordered = all(raw.partition == partition and raw.topic == topic for raw in raws), False
        if whole:
            key = partition_key(topic, partition)
            found = parsed.get(key)
            if found is None:
                parsed[key] = list(raws)
                if ordered:
                    in_order.add(key)
            else:
                found.extend(raws)
                in_order.discard(key)
            continue
        for raw in raws:
            key = partition_key(raw.topic, raw.partition)
            in_order.discard(key)
            found = parsed.get(key)
            if found is None:
                parsed[key] = [raw]
            else:
                found.append(raw)
    for key, batch in parsed.items():
        if key not in in_order:
            batch.sort(key=_offset)  # already in order as Lambda sends them: one linear pass
    return parsed


_offset = attrgetter("offset")
_headers = attrgetter("headers")
_timestamp = attrgetter("timestamp")
_timestamp_type = attrgetter("timestamp_type")


def record_count(event: Mapping[str, Any]) -> int:
    """How many records `event` holds (0 for a malformed one), without building a DecodedKafkaEvent's `records`."""
    if type(event) is DecodedKafkaEvent:
        return sum(len(raws) for raws in event.decoded.values())
    records = event.get("records")
    if not isinstance(records, dict):
        return 0
    return sum(len(items) for items in records.values() if isinstance(items, list))


def _decoded_partition(key: str, items: Any) -> list[RawRecord]:
    """`_raws_from(items)`; a malformed record raises KafkaEventError naming it and its problem (the diagnosis runs
    only then: the hot path pays nothing for it)."""
    try:
        return _raws_from(items)
    except (LookupError, TypeError, ValueError, AttributeError) as exc:
        raise KafkaEventError(f"malformed Lambda Kafka event: {_malformed(key, items, exc)}") from exc


def _malformed(key: str, items: Any, error: Exception) -> str:
    where = f"records[{key!r}]"
    if not isinstance(items, list):
        return f"{where} is not a list of records but {_json_type(items)}"
    for i, record in enumerate(items):
        problem = _record_problem(record)
        if problem is not None:
            return f"{where}[{i}] {problem}"
    return f"{where}: {type(error).__name__}: {error}"


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _header_pairs(chunks: Any) -> tuple[tuple[str, bytes | None], ...]:
    return (
        tuple((str(n), None if d is None else bytes(d)) for chunk in chunks for n, d in chunk.items()) if chunks else ()
    )


# Each field as _raws_from_python reads it, with what it must be: the first that raises names the problem.
_FIELD_READERS: Final[dict[str, tuple[str, Callable[[Any], object]]]] = {
    "partition": ("an integer", lambda v: v if type(v) is int else int(v)),
    "offset": ("an integer", lambda v: v if type(v) is int else int(v)),
    "timestamp": ("epoch milliseconds", lambda v: None if v is None or v < 0 else int(v)),
    "timestampType": ("a timestamp type name", _FROM_LAMBDA_TS_TYPE.get),
    "key": ("base64", lambda v: None if v is None else pybase64.b64decode(v)),
    "value": ("base64", lambda v: None if v is None else pybase64.b64decode(v)),
    "headers": ('a list of {"<name>": [byte, ...]} objects', _header_pairs),
}


def _record_problem(record: Any) -> str | None:
    """What is wrong with one event record, or None when `_raw_from` takes it."""
    if not isinstance(record, Mapping):
        return f"is not an object but {_json_type(record)}"
    for name in ("topic", "partition", "offset"):
        if name not in record:
            return f"has no {name!r}"
    for name, (wanted, read) in _FIELD_READERS.items():
        value = record.get(name)
        try:
            read(value)
        except (LookupError, TypeError, ValueError, AttributeError) as exc:
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            return f"{name!r} is not {wanted}: {shown} ({exc})"
    return None


def _raw_from(record: Mapping[str, Any]) -> RawRecord:
    return _raws_from_python((record,))[0]


def _raws_from(records: Iterable[Mapping[str, Any]]) -> list[RawRecord]:
    """Event records as RawRecords (the hot path of every Lambda invocation): one C call for a partition's list
    when connectless.native is built, each record it does not cover exactly built by `_raw_from`."""
    fast = native.records
    if fast is not None and type(records) is list:
        return fast.raws_from_event(records, _raw_from)
    return _raws_from_python(records)


def _raws_from_python(records: Iterable[Mapping[str, Any]]) -> list[RawRecord]:
    """_raws_from in Python: one loop per partition's list, its look-ups bound once and a record's eight fields
    read in one call."""
    unb64 = pybase64.b64decode  # base64.b64decode's non-strict decoding, SIMD: a third of the time
    ts_types, no_type = _FROM_LAMBDA_TS_TYPE, TimestampType.NO_TIMESTAMP_TYPE
    fields = _EVENT_FIELDS
    out: list[RawRecord] = []
    append = out.append
    for record in records:
        try:
            topic, partition, offset, timestamp, ts_type, key, value, chunks = fields(record)
        except KeyError:  # a null key or value, or no headers: the fields it has
            get = record.get
            topic, partition, offset = record["topic"], record["partition"], record["offset"]
            timestamp, ts_type, chunks = get("timestamp"), get("timestampType", ""), get("headers")
            key, value = get("key"), get("value")
        append(
            RawRecord(
                topic,
                partition if type(partition) is int else int(partition),
                offset if type(offset) is int else int(offset),
                None if timestamp is None or timestamp < 0 else timestamp if type(timestamp) is int else int(timestamp),
                ts_types.get(ts_type, no_type),
                None if key is None else unb64(key),
                None if value is None else unb64(value),
                tuple(
                    (str(name), None if data is None else bytes(data))
                    for chunk in chunks
                    for name, data in chunk.items()
                )
                if chunks
                else (),
            )
        )
    return out


# What Lambda puts in every record of the event (a record without a key or a value has no such field).
_EVENT_FIELDS: Final = itemgetter(
    "topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers"
)

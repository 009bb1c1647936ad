"""connectless.native's C functions give what the pure-Python code they stand in for gives, record for record, or
raise the same error (the callers are tested on both paths as well: tests/unit/conftest.py's native_mode)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectless import native
from connectless.connectors.file import FileStreamSinkTask
from connectless.converters.json_converter import read_schemaless
from connectless.data import INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct
from connectless.data.json_values import to_json_line
from connectless.lambda_sink import events
from connectless.pipeline.sink import SinkPipeline
from connectless.raw_records import RawRecord
from connectless.records import EMPTY_HEADERS, SinkRecord
from connectless.runtime.sink_batch import next_offsets

records = native.records
pytestmark = pytest.mark.skipif(records is None, reason="connectless.native is not built: run `make native`")


def _outcome(call: Any, *args: Any) -> Any:
    try:
        return ("ok", call(*args))
    except Exception as exc:  # noqa: BLE001 - the error's type and message are compared
        return ("error", type(exc), str(exc))


# -- event records -> RawRecords -------------------------------------------------------------------------------

_B64 = st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode())
_ODD_B64 = st.sampled_from(["QQ", "QQ=", "Q Q==", "QQ==\n", "QR==", "====", "Q===", "é", "-_-_", "QUJD\nREVG", ""])
_DATUM = st.one_of(_B64, _ODD_B64, st.none(), st.integers(), st.binary(max_size=4))
_HEADERS = st.one_of(
    st.none(),
    st.just([]),
    st.lists(st.dictionaries(st.sampled_from(["a", "b"]), st.lists(st.integers(0, 255), max_size=3)), max_size=2),
)
_FIELDS = {
    "topic": st.one_of(st.sampled_from(["t", "orders", "t-1"]), st.integers()),
    "partition": st.one_of(st.integers(0, 3), st.integers(-(2**70), 2**70), st.text(max_size=2), st.floats()),
    "offset": st.one_of(st.integers(0, 2**64), st.just(True), st.floats(allow_nan=False, allow_infinity=False)),
    "timestamp": st.one_of(st.integers(-(2**65), 2**65), st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    "timestampType": st.one_of(
        st.sampled_from(["CREATE_TIME", "LOG_APPEND_TIME", "NO_TIMESTAMP_TYPE", "other", ""]), st.none()
    ),
    "key": _DATUM,
    "value": _DATUM,
    "headers": _HEADERS,
}
_EVENT_RECORD = st.fixed_dictionaries(
    {"topic": st.just("t"), "partition": st.integers(0, 2), "offset": st.integers(0, 100)},
    optional={k: v for k, v in _FIELDS.items() if k not in {"topic", "partition", "offset"}},
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_EVENT_RECORD, st.fixed_dictionaries({}, optional=_FIELDS)), max_size=6))
def test_raws_from_event_is_the_python_loop(items: list[dict[str, Any]]) -> None:
    assert _outcome(records.raws_from_event, items, events._raw_from) == _outcome(events._raws_from_python, items)


class _Key(str):
    """A str subclass: a dict finds it by hash and equality, so the C path takes a record holding one by lookups."""


def _reordered(item: dict[Any, Any], order: list[int], extra: Any) -> dict[Any, Any]:
    pairs = list(item.items())
    pairs = [pairs[i] for i in order if i < len(pairs)] + [p for i, p in enumerate(pairs) if i not in order]
    if extra is not None:
        at = len(pairs) // 2
        pairs.insert(at, (extra, "x"))
    if extra == "subclass" and pairs and pairs[0][0] == "topic":
        pairs[0] = (_Key("topic"), pairs[0][1])
    return dict(pairs)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            _EVENT_RECORD,
            st.permutations(range(8)),
            st.one_of(st.none(), st.sampled_from(["extra", "Topic", 7, "subclass", "topicc"])),
        ),
        max_size=6,
    )
)
def test_raws_from_event_reads_records_whatever_their_keys_order(rows: list[Any]) -> None:
    # the records' key layout (remembered from record to record) changes, holds keys no field reads, or a key that
    # is not an exact str: the fields are still the ones a lookup finds
    items = [_reordered(item, order, extra) for item, order, extra in rows]
    assert _outcome(records.raws_from_event, items, events._raw_from) == _outcome(events._raws_from_python, items)


def test_raws_from_event_takes_lambdas_record() -> None:
    item = {"topic": "t", "partition": 2, "offset": 9, "timestamp": 5, "timestampType": "LOG_APPEND_TIME",
            "key": "azE=", "value": "eyJhIjoxfQ==", "headers": []}  # fmt: skip
    (raw,) = records.raws_from_event([item], lambda _: pytest.fail("not the fast path"))
    assert raw == RawRecord("t", 2, 9, 5, "LogAppendTime", b"k1", b'{"a":1}')


def test_the_timestamp_types_are_the_events_module() -> None:
    assert native.LAMBDA_TIMESTAMP_TYPES == events._FROM_LAMBDA_TS_TYPE


def test_one_partition_in_order() -> None:
    raws = [RawRecord("t", 0, o, None) for o in (1, 2, 2, 5)]
    assert records.one_partition_in_order(raws) is True
    assert records.one_partition_in_order([]) is True
    assert records.one_partition_in_order([*raws, RawRecord("t", 0, 4, None)]) is False
    assert records.one_partition_in_order([*raws, RawRecord("t", 1, 6, None)]) is False
    assert records.one_partition_in_order([*raws, RawRecord("u", 0, 6, None)]) is False


# -- RawRecords -> SinkRecords -----------------------------------------------------------------------------------

_JSON_TEXT = st.one_of(
    st.sampled_from(
        [
            b"1",
            b"-0",
            b"-0.0",
            b'{"a": -0}',
            b"12345678901234567890",
            b'{"n": 1e400}',
            b"[1,2]",
            b'"s"',
            b"nul",
            b"",
            b" 7 ",
            b"01",
            b'{"a":"x"}',
            b"true",
            b"\xff",
        ]
    ),  # fmt: skip
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=6,
    ).map(orjson.dumps),
)
_RAW = st.builds(
    RawRecord,
    st.sampled_from(["t", "u"]),
    st.integers(0, 2),
    st.integers(0, 10**6),
    st.one_of(st.none(), st.integers(0, 2**45)),
    st.sampled_from(["CreateTime", "LogAppendTime"]),
    st.one_of(st.none(), _JSON_TEXT),
    st.one_of(st.none(), _JSON_TEXT),
    st.one_of(st.just(()), st.just((("h", b"1"),)), st.just((("h", None),))),
)
JSON = "org.apache.kafka.connect.json.JsonConverter"
SCHEMALESS = {"key.converter": JSON, "key.converter.schemas.enable": "false", "value.converter": JSON,
              "value.converter.schemas.enable": "false"}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_RAW, max_size=5))
def test_sink_records_are_the_batch_readers_records(raws: list[RawRecord]) -> None:
    pipeline = SinkPipeline("c", 0, {"name": "c", **SCHEMALESS})
    assert pipeline._reader_pairs is not None
    fast = _outcome(pipeline._converted_run, raws)
    try:
        native.records = None
        slow = _outcome(pipeline._converted_run, raws)
    finally:
        native.records = records
    assert fast == slow


def test_sink_records_reads_json_numbers_as_kafka_does() -> None:
    raws = [RawRecord("t", 0, 1, None, key=b"-0", value=b"12345678901234567890")]
    (record,) = records.sink_records(raws, (orjson.loads, read_schemaless), (orjson.loads, read_schemaless),
                                     lambda raw: pytest.fail("no headers"), EMPTY_HEADERS)  # fmt: skip
    assert (record.key, record.value) == (read_schemaless(b"-0"), read_schemaless(b"12345678901234567890"))
    assert record.value != orjson.loads(b"12345678901234567890")  # a long keeps its low 64 bits; orjson would not
    assert record == SinkRecord("t", 0, None, record.key, None, record.value, None, EMPTY_HEADERS, 1)


# -- the map steps, the rename, the lines, the offsets ----------------------------------------------------------


def test_map_values_stops_at_what_the_steps_cannot_take() -> None:
    def step(_record: SinkRecord, value: dict[str, Any]) -> dict[str, Any]:
        if "boom" in value:
            raise ValueError("boom")
        value["seen"] = True
        return value

    recs = [SinkRecord("t", 0, None, None, None, v) for v in ({"a": 1}, {"boom": 1}, "text", {"b": 2})]
    assert records.map_values(recs, (step,), 0) == 1
    assert recs[0].value == {"a": 1, "seen": True}
    assert records.map_values(recs, (step,), 2) == 2  # not a dict
    assert records.map_values(recs, (step,), 3) == 4
    assert recs[3].value == {"b": 2, "seen": True}

    def interrupt(_record: SinkRecord, value: dict[str, Any]) -> dict[str, Any]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # not an Exception: it goes through
        records.map_values(recs, (interrupt,), 0)


@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.integers(), max_size=4))
def test_key_renamer_is_the_dict_comprehension(value: dict[str, int]) -> None:
    renames = {"a": "b", "c": "z"}
    expected = {renames.get(k, k): v for k, v in value.items()}
    got = records.KeyRenamer(renames, lambda _record, owned: ("collided", owned))(None, value)
    if len(expected) == len(value):
        assert list(got.items()) == list(expected.items())  # same keys, same order
    else:  # two keys on one name: the collided callable answers, with the value as it came
        assert got == ("collided", value)


_RENAMER = None  # one KeyRenamer across examples: what it remembers of earlier values' keys must never matter


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.one_of(st.sampled_from(["a", "b", "c", "d", "e"]), st.builds(_Key, st.sampled_from(["a", "c"])),
                      st.integers(0, 2)),
            st.integers(),
            max_size=5,
        ),
        max_size=5,
    )
)  # fmt: skip
def test_key_renamer_remembers_nothing_that_changes_a_rename(values: list[dict[Any, int]]) -> None:
    global _RENAMER  # noqa: PLW0603 - kept across examples on purpose
    renames = {"a": "b", "c": "z", 1: "one"}
    if _RENAMER is None:
        _RENAMER = records.KeyRenamer(renames, lambda _record, owned: ("collided", owned))
    for value in values:
        expected = {renames.get(k, k): v for k, v in value.items()}
        got = _RENAMER(None, value)
        if len(expected) == len(value):
            assert list(got.items()) == list(expected.items())
            assert [type(k) for k in got] == [type(k) for k in expected]  # a str subclass stays itself
        else:
            assert got == ("collided", value)


def _struct() -> Struct:
    schema = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("name", STRING_SCHEMA).build()
    return Struct(schema).put("id", 1).put("name", "x")


def test_file_sink_writes_each_value_as_to_json_line_makes_it(tmp_path: Any) -> None:
    # FileStreamSink writes its lines one by one (a put's lines joined first cost a page fault a record)
    recs = [SinkRecord("t", 0, None, None, None, v) for v in ({"a": [1, "é"]}, "s", [2], None, 5, _struct())]
    task = FileStreamSinkTask()
    task.start({"file": str(tmp_path / "out")})
    task.put(recs)
    task.stop()
    assert (tmp_path / "out").read_bytes() == b"".join(to_json_line(r.value) for r in recs)


@given(st.lists(st.tuples(st.sampled_from(["t", "u"]), st.integers(0, 2), st.integers(0, 50)), max_size=12))
def test_last_offsets_is_the_python_loop(rows: list[tuple[str, int, int]]) -> None:
    raws = [RawRecord(topic, partition, offset, None) for topic, partition, offset in rows]
    last: dict[tuple[str, int], int] = {}
    for raw in raws:
        last[raw.topic, raw.partition] = raw.offset + 1
    assert list(records.last_offsets(raws).items()) == list(last.items())  # order of first appearance too


def test_next_offsets_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    raws = [RawRecord("t", 0, 3, None), RawRecord("u", 1, 7, None), RawRecord("t", 0, 4, None)]
    fast = next_offsets(raws)
    monkeypatch.setattr(native, "records", None)
    assert list(fast.items()) == list(next_offsets(raws).items()) != []


def test_bind_refuses_a_class_that_is_not_plain_slots() -> None:
    class Loose:
        topic = None

    with pytest.raises(TypeError):
        records.bind(Loose, SinkRecord, {}, "NoTimestampType")


@pytest.mark.parametrize("at", range(0, 41, 3))
@pytest.mark.parametrize("digits", [17, 18, 19, 20])
def test_the_json_guard_sends_19_digits_in_a_row_to_the_exact_parse(at: int, digits: int) -> None:
    text = b'{"s":"' + b"x" * at + b'","n":' + b"7" * digits + b',"m":-1}'
    exact: list[bytes] = []

    def spy(data: bytes) -> Any:
        exact.append(data)
        return read_schemaless(data)

    reader = (orjson.loads, spy)
    minus_zero = b'{"n":-0.5}'
    raws = [RawRecord("t", 0, 0, None, key=b"12", value=text), RawRecord("t", 0, 1, None, value=minus_zero)]
    converted = records.sink_records(raws, reader, reader, lambda raw: pytest.fail("no headers"), EMPTY_HEADERS)
    assert [r.value for r in converted] == [read_schemaless(text), read_schemaless(minus_zero)]
    assert converted[0].key == 12
    assert exact == ([text] if digits >= 19 else []) + [minus_zero]


@pytest.mark.parametrize("size", [*range(0, 13), 299, 300, 301, 302])
def test_base64_of_every_length_decodes_as_pybase64_does(size: int) -> None:
    data = bytes((i * 37 + size) % 256 for i in range(size))
    item = {"topic": "t", "partition": 0, "offset": 0, "timestamp": 1, "timestampType": "CREATE_TIME",
            "value": base64.b64encode(data).decode(), "headers": []}  # fmt: skip
    (raw,) = records.raws_from_event([item], lambda _: pytest.fail("canonical base64 is the fast path's"))
    assert raw.value == data


_ANY_RAW = st.builds(
    RawRecord,
    st.sampled_from(["t", 'q"uote', "zoë", "a\\b"]),
    st.one_of(st.integers(-1, 3), st.integers(-(2**70), 2**70), st.booleans()),
    st.one_of(st.integers(0, 2**63 - 1), st.integers(-(2**65), 2**65)),
    st.one_of(st.none(), st.integers(-(2**64), 2**64)),
    st.sampled_from(["CreateTime", "LogAppendTime", "NoTimestampType", "Other"]),
    st.one_of(st.none(), st.binary(max_size=40)),
    st.one_of(st.none(), st.binary(max_size=400)),
    st.one_of(st.just(()), st.just((("h", b"\x01"),)), st.just((("h", None), ("i", b"")))),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ANY_RAW, max_size=4))
def test_encode_record_is_the_python_encoding_byte_for_byte(raws: list[RawRecord]) -> None:
    for raw in raws:
        encoded = events.encode_record(raw)
        assert encoded == events._encode_record_python(raw)
        numbers = (raw.partition, raw.offset, raw.timestamp or 0)
        if all(type(n) is int and -(2**63) <= n < 2**63 for n in numbers):  # what orjson writes (%d: bools, big ints)
            assert encoded == orjson.dumps(events.event_record(raw))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "yyyy-MM-dd'T'HH:mm:ss.SSS",
            "yyyy-MM-dd",
            "HH:mm:ss.SSS 'x' SSS%",
            "yyyyMMddHHmmss",
            "ss.S",
            "SS'%%'mm",
            "SSSSS",
            "'é' HH:mm:ss.SSS",
        ]
    ),  # fmt: skip
    st.lists(st.one_of(st.integers(-(2**63), 2**63), st.integers(1_700_000_000_000, 1_700_000_003_000)), max_size=6),
)
def test_millis_format_is_java_date_format(pattern: str, millis: list[int]) -> None:
    from connectless.transforms.java_date_format import JavaDateFormat

    fast, slow = JavaDateFormat(pattern).fast_format(), JavaDateFormat(pattern).format
    assert type(fast) is records.MillisFormat
    for value in [*millis, *millis]:  # again: from the remembered second
        assert _outcome(fast, value) == _outcome(slow, value)


@pytest.mark.parametrize("current", [1_700_000_000_123, None, "2023-11-14", True, 2**70, 1.5])
def test_int_field_step_is_convert_field(current: Any) -> None:
    def direct(value: int) -> str:
        return f"direct {value}"

    def convert(value: Any) -> str:
        return f"convert {value!r}"

    value = {"a": 1} if current is None else {"a": 1, "at": current}
    step = records.IntFieldStep("at", direct, convert)
    got = step(None, dict(value))
    expected = dict(value)
    old = expected.get("at")
    expected["at"] = direct(old) if type(old) is int else convert(old)
    assert list(got.items()) == list(expected.items())
    assert records.IntFieldStep("at", None, convert)(None, {"at": 5}) == {"at": "convert 5"}


def test_it_refuses_record_classes_with_other_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    assert native._load() is records  # the classes as they are: bound
    real = native.dataclasses.fields

    def one_more(cls: Any) -> tuple[Any, ...]:
        return (*real(cls), *(real(cls)[:1] if cls is RawRecord else ()))

    monkeypatch.setattr(native.dataclasses, "fields", one_more)
    assert native._load() is None  # a field it would leave unset: the Python path


# -- FileStreamSink's lines (json_lines_into) ----------------------------------------------------------------------

_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=24)
_SCALAR = st.one_of(
    _TEXT,
    st.integers(-(2**65), 2**65),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64, -(2**63) - 1]),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.binary(max_size=3),
)
_JSONISH = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(_TEXT, st.integers(0, 3)), inner, max_size=4),
        st.tuples(inner),
    ),
    max_leaves=12,
)


def _lines_through_c(values: list[Any], size: int) -> tuple[bytes, Any]:
    """What FileStreamSink's native put writes for `values` with a buffer of `size` bytes, and how it ends."""
    buffer, out, start = bytearray(size), bytearray(), 0
    recs = [SinkRecord("t", 0, None, None, None, v) for v in values]
    while start < len(values):
        start, used, slow = records.json_lines_into(recs, start, buffer)
        out += buffer[:used]
        if slow:
            outcome = _outcome(to_json_line, values[start])
            if outcome[0] == "error":
                return bytes(out), outcome
            out += outcome[1]
            start += 1
    return bytes(out), None


def _lines_through_python(values: list[Any]) -> tuple[bytes, Any]:
    out = bytearray()
    for value in values:
        outcome = _outcome(to_json_line, value)
        if outcome[0] == "error":
            return bytes(out), outcome
        out += outcome[1]
    return bytes(out), None


@settings(max_examples=400, deadline=None)
@given(st.lists(_JSONISH, max_size=6), st.sampled_from([1, 7, 64, 1 << 16]))
def test_json_lines_into_writes_to_json_lines_bytes(values: list[Any], size: int) -> None:
    # every value the C path covers comes out byte for byte as orjson writes it; the rest (floats, bytes, tuples,
    # int keys, big ints, surrogates, a line larger than the buffer) is handed to to_json_line, errors included
    assert _lines_through_c(values, size) == _lines_through_python(values)


def test_json_lines_into_covers_the_benchs_values_and_escapes() -> None:
    values = [
        {"id": 7, "name": 'a "quoted"\\ name\n\t\x00\x1f\x7f é \u2028 😀', "n": -(2**63), "u": 2**64 - 1},
        ["x" * 40 + '"', True, False, None, {"k": []}],
        "plain é",
    ]
    buffer = bytearray(1 << 10)

    def recs(*items: Any) -> tuple[SinkRecord, ...]:
        return tuple(SinkRecord("t", 0, None, None, None, v) for v in items)

    stop, used, slow = records.json_lines_into(recs(*values), 0, buffer)
    assert (stop, slow) == (3, False)  # all three in C
    assert bytes(buffer[:used]) == b"".join(map(to_json_line, values))
    assert records.json_lines_into(recs({"f": 1.5}), 0, buffer) == (0, 0, True)  # a float: orjson's
    assert records.json_lines_into(recs({"a": "x" * 100}), 0, bytearray(50)) == (0, 0, True)  # larger than it
    assert records.json_lines_into(recs("ab", "cd"), 0, bytearray(4)) == (1, 3, False)  # full: the next call goes on
    assert records.json_lines_into(["not a record"], 0, buffer) == (0, 0, True)  # its .value is the caller's


@pytest.mark.parametrize("path", ["native", "python"])
def test_file_sink_writes_the_same_file_on_both_paths(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    from connectless.connectors import file as file_module

    if path == "python":
        monkeypatch.setattr(native, "records", None)
    monkeypatch.setattr(file_module, "LINES_BUFFER_BYTES", 64)  # several writes a put, and lines larger than it
    values = [{"i": i, "s": "é" * (i % 50)} for i in range(40)] + ["t", {"f": 0.5}, None, _struct(), {"x": 2**70}, {}]
    task = FileStreamSinkTask()
    task.start({"file": str(tmp_path / "out")})
    task.put([SinkRecord("t", 0, None, None, None, v) for v in values[:-2]])
    with pytest.raises(TypeError, match="64-bit"):  # the lines before the value orjson refuses are written
        task.put([SinkRecord("t", 0, None, None, None, v) for v in values[-3:]])
    task.stop()
    assert (tmp_path / "out").read_bytes() == b"".join(map(to_json_line, values[:-2])) + to_json_line(values[-3])


def test_static_field_is_insert_fields_static_map_step() -> None:
    from connectless.transforms.insert_field import InsertFieldValue

    step = InsertFieldValue()
    step.configure({"static.field": "pipeline", "static.value": "bench"})
    fast = step.owned_map_step()
    assert type(fast) is records.StaticField
    owned = {"a": 1, "pipeline": "old"}
    assert fast(None, owned) is owned
    assert list(owned.items()) == [("a", 1), ("pipeline", "bench")]  # replaced in place, as owned[name] = value
    assert fast(None, {}) == {"pipeline": "bench"}
    with pytest.raises(TypeError):
        fast(None, None)
    with pytest.raises(TypeError, match="takes"):
        fast({})


def test_json_lines_into_remembers_only_what_a_key_object_writes() -> None:
    # a top-level key's text is remembered by position with the key object itself: the same objects in another order,
    # equal keys that are other objects, keys longer than what it keeps, and nested keys all come out as orjson's
    long = "k" * 100
    values: list[Any] = [
        {"a": 1, 'b"': 2, long: 3},
        {'b"': 4, "a": 5, long: 6},
        {"".join(["a"]): 7, "".join(["b", '"']): 8},
        {"a": {"a": 9, 'b"': [{"a": 1}]}},
        {f"key{i}": i for i in range(40)},
        {"a": 1, 'b"': 2, long: 3},
    ]
    recs = [SinkRecord("t", 0, None, None, None, v) for v in values]
    buffer = bytearray(1 << 12)
    for _ in range(2):
        stop, used, slow = records.json_lines_into(recs, 0, buffer)
        assert (stop, slow) == (len(values), False)
        assert bytes(buffer[:used]) == b"".join(map(to_json_line, values))

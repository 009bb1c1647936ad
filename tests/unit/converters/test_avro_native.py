"""AvroConverter's native fast path (connectless.native._avro) reads a flat record's messages into the Structs the
fastavro path gives, field for field and type for type; a message it does not read exactly goes to fastavro, so
the outcome (value, or error type and message) is fastavro's."""

from __future__ import annotations

import io
import json
import math
import random
import re
import struct
import uuid
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema as RegistrySchema

from connectless import native
from connectless.converters.registry import AvroConverter, avro_native
from connectless.converters.registry.client import mock_client
from connectless.data.schema_and_value import SchemaAndValue
from connectless.data.struct import Struct

pytestmark = pytest.mark.skipif(native.avro is None, reason="connectless.native._avro is not built: make native")

NATIVE = native.avro
PRIMITIVES = ["boolean", "int", "long", "float", "double", "string", "bytes"]
TEXTS = ["", "a", "é", "日本語", "😀 emoji", "\x00nul", "x" * 200, "ünïcödé " * 40]


def framed(schema_id: int, parsed: Any, value: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed, value)
    return b"\x00" + schema_id.to_bytes(4, "big") + out.getvalue()


def random_value(rng: random.Random, kind: str) -> Any:
    edge = rng.random() < 0.3
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([-(2**31), 2**31 - 1, 0, -1, 63, -64, 64]) if edge else rng.randint(-(2**31), 2**31 - 1)
    if kind == "long":
        return rng.choice([-(2**63), 2**63 - 1, 0, -1, 2**31, -(2**35)]) if edge else rng.randint(-(2**63), 2**63 - 1)
    if kind == "float":  # any float32, NaNs and infinities included
        return struct.unpack("<f", rng.randbytes(4))[0]
    if kind == "double":
        if edge:
            return rng.choice([math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308])
        return struct.unpack("<d", rng.randbytes(8))[0]
    if kind == "string":
        return rng.choice(TEXTS) if edge else "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(0, 40)))
    return rng.randbytes(rng.choice([0, 1, 127, 128, 300]) if edge else rng.randint(0, 40))


def random_schema(rng: random.Random, index: int) -> dict[str, Any]:
    fields = []
    for i in range(rng.randint(1, 12)):
        kind = rng.choice(PRIMITIVES)
        avro_type: Any = {"type": kind, "connect.doc": "d"} if rng.random() < 0.15 else kind
        shape = rng.random()
        if shape < 0.2:
            avro_type = ["null", avro_type]
        elif shape < 0.3:
            avro_type = [avro_type, "null"]
        fields.append({"name": f"f{i}", "type": avro_type})
    return {"type": "record", "name": f"R{index}", "namespace": "test.native", "fields": fields}


def field_kind(field: dict[str, Any]) -> tuple[str, bool]:
    avro_type = field["type"]
    optional = isinstance(avro_type, list)
    if optional:
        avro_type = next(t for t in avro_type if t != "null")
    return (avro_type["type"] if isinstance(avro_type, dict) else avro_type), optional


def random_record(rng: random.Random, writer: dict[str, Any]) -> dict[str, Any]:
    record = {}
    for field in writer["fields"]:
        kind, optional = field_kind(field)
        record[field["name"]] = None if optional and rng.random() < 0.3 else random_value(rng, kind)
    return record


def same(value: Any) -> Any:
    """A Struct's values as comparable tuples: type and repr (NaN equals NaN, -0.0 differs from 0.0)."""
    assert type(value) is Struct
    return value.schema, [(type(v), repr(v)) for v in value._values]


def outcome(call: Any, *args: Any) -> Any:
    try:
        result = call(*args)
    except Exception as exc:  # noqa: BLE001 - the error's type and message are compared
        return ("error", type(exc), re.sub(" at 0x[0-9a-f]+", "", str(exc)))  # fastavro names its stream object
    if isinstance(result, list):
        return ("ok", [(type(v), v.schema, same(v.value)) for v in result])
    return ("ok", (type(result), result.schema, same(result.value)))


def converters(
    monkeypatch: pytest.MonkeyPatch, writer: dict[str, Any], url: str = ""
) -> tuple[AvroConverter, AvroConverter, int]:
    """Two converters on one mock registry holding `writer`: the first with the fast path, the second without."""
    url = url or f"mock://{uuid.uuid4().hex}"
    schema_id = mock_client(url).register_schema("t-value", RegistrySchema(json.dumps(writer), "AVRO"))
    first = framed(schema_id, fastavro.parse_schema(writer), random_record(random.Random(0), writer))
    made = []
    for module in (None, NATIVE):  # a converter takes the setting when it first reads the schema
        monkeypatch.setattr(native, "avro", module)
        converter = AvroConverter()
        converter.configure({"schema.registry.url": url}, False)
        converter.to_connect_data("t", first)
        made.append(converter)
    return made[1], made[0], schema_id


def test_random_flat_records_read_as_fastavro_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(1515)
    for index in range(60):
        writer = random_schema(rng, index)
        fast, slow, schema_id = converters(monkeypatch, writer)
        parsed = fastavro.parse_schema(writer)
        datas = [framed(schema_id, parsed, random_record(rng, writer)) for _ in range(40)]
        expected = slow.batch_reader()("t", datas)  # type: ignore[misc]
        assert [same(slow.to_connect_data("t", d).value) for d in datas] == [same(e.value) for e in expected]
        # the C reader alone, with a fallback that must not be called: it read every message itself
        program = avro_native.program_of(writer)
        assert program is not None, writer
        schema = expected[0].schema
        decode_run = avro_native.run_decoder(writer, schema, lambda data: pytest.fail(f"handed back {data!r}"))
        assert decode_run is not None
        assert [same(v) for v in decode_run(datas)] == [same(e.value) for e in expected], writer
        # one message's payload alone
        decode_one = avro_native.one_decoder(writer, schema)
        assert decode_one is not None
        assert [same(decode_one(memoryview(d)[5:])) for d in datas] == [same(e.value) for e in expected]
        # and through the converter, its batch reader and the per-record path
        pairs = [(SchemaAndValue, schema, same(e.value)) for e in expected]
        assert outcome(fast.batch_reader(), "t", datas) == ("ok", pairs)
        assert [outcome(fast.to_connect_data, "t", d) for d in datas] == [("ok", pair) for pair in pairs]


EVERY_KIND = {
    "type": "record",
    "name": "Every",
    "fields": [
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "s", "type": "string"},
        {"name": "o", "type": ["null", "string"]},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "y", "type": "bytes"},
    ],
}
GOOD = {"b": True, "i": 7, "l": -3, "s": "é", "o": "x", "f": 1.5, "d": 2.25, "y": b"\x01"}


def payload_of(value: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(EVERY_KIND), value)
    return out.getvalue()


def bad_payloads() -> dict[str, bytes]:
    good = payload_of(GOOD)
    # byte offsets in GOOD's encoding: b(1) i(1) l(1) s(len 1 + 2) o(index 1 + len 1 + 1) f(4) d(8) y(1 + 1)
    cases = {f"cut at {n}": good[:n] for n in range(len(good))}
    cases["trailing bytes"] = good + b"\x00\xff"
    cases["boolean 2"] = b"\x02" + good[1:]
    cases["int past 32 bits"] = good[:1] + b"\x80\x80\x80\x80\x10" + good[2:]
    cases["int in 6 bytes"] = good[:1] + b"\x8e\x80\x80\x80\x80\x00" + good[2:]
    cases["long varint overflow"] = good[:2] + b"\xff" * 10 + b"\x01" + good[3:]
    cases["long in 11 bytes"] = good[:2] + b"\x85" + b"\x80" * 9 + b"\x00" + good[3:]
    cases["invalid UTF-8"] = good[:3] + b"\x04\xc3\x28" + good[6:]
    cases["surrogate in UTF-8"] = good[:3] + b"\x06\xed\xa0\x80" + good[6:]
    cases["negative length"] = good[:3] + b"\x03" + good[4:]
    cases["union index 2"] = good[:6] + b"\x04" + good[7:]
    cases["union index -1"] = good[:6] + b"\x01" + good[7:]
    cases["length past the end"] = good[:3] + b"\x7e" + good[4:]
    return cases


@pytest.mark.parametrize(("name", "payload"), list(bad_payloads().items()), ids=list(bad_payloads()))
def test_bytes_the_fast_path_does_not_read_exactly_get_fastavros_outcome(
    monkeypatch: pytest.MonkeyPatch, name: str, payload: bytes
) -> None:
    fast, slow, schema_id = converters(monkeypatch, EVERY_KIND)
    data = b"\x00" + schema_id.to_bytes(4, "big") + payload
    good = b"\x00" + schema_id.to_bytes(4, "big") + payload_of(GOOD)
    for run in ([data], [good, data, good]):
        assert outcome(fast.batch_reader(), "t", run) == outcome(slow.batch_reader(), "t", run)
    assert outcome(fast.to_connect_data, "t", data) == outcome(slow.to_connect_data, "t", data)
    handed_back: list[bytes] = []
    schema = slow.to_connect_data("t", good).schema
    decode_run = avro_native.run_decoder(EVERY_KIND, schema, lambda d: handed_back.append(d) or "fastavro")
    assert decode_run is not None
    result = decode_run([good, data])
    decode_one = avro_native.one_decoder(EVERY_KIND, schema)
    assert decode_one is not None
    if name == "trailing bytes":  # read (and the extra bytes ignored) as fastavro and Confluent's reader do
        assert handed_back == [] and same(result[1]) == same(slow.to_connect_data("t", data).value)
        assert same(decode_one(memoryview(data)[5:])) == same(result[1])
    else:
        assert handed_back == [data] and result[1] == "fastavro"
        assert decode_one(memoryview(data)[5:]) is None
    assert same(result[0]) == same(slow.to_connect_data("t", good).value)


@pytest.mark.parametrize(
    "writer",
    [
        {"type": "record", "name": "L", "fields": [{"name": "d", "type": {"type": "int", "logicalType": "date"}}]},
        {"type": "record", "name": "U", "fields": [{"name": "u", "type": ["null", "int", "string"]}]},
        {"type": "record", "name": "V", "fields": [{"name": "u", "type": ["int", "string"]}]},
        {"type": "record", "name": "N", "fields": [{"name": "n", "type": "null"}]},
        {
            "type": "record",
            "name": "E",
            "fields": [{"name": "e", "type": {"type": "enum", "name": "X", "symbols": ["A"]}}],
        },
        {"type": "record", "name": "F", "fields": [{"name": "f", "type": {"type": "fixed", "name": "Y", "size": 2}}]},
        {"type": "record", "name": "A", "fields": [{"name": "a", "type": {"type": "array", "items": "long"}}]},
        {
            "type": "record",
            "name": "O",
            "fields": [{"name": "r", "type": {"type": "record", "name": "I", "fields": []}}],
        },
        {"type": "array", "items": "long"},
        "string",
    ],
    ids=["logical", "3-union", "2-union", "null", "enum", "fixed", "array", "nested", "top-array", "top-string"],
)
def test_other_schemas_stay_with_fastavro(writer: Any) -> None:
    assert avro_native.program_of(writer) is None


def test_the_program_says_kind_and_where_null_is() -> None:
    assert avro_native.program_of(EVERY_KIND) == bytes([1, 2, 3, 6, 0x16, 4, 5, 7])
    writer = {"type": "record", "name": "R", "fields": [{"name": "a", "type": [{"type": "long"}, "null"]}]}
    assert avro_native.program_of(writer) == bytes([0x23])


def test_connectless_native_0_switches_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTLESS_NATIVE", "0")
    assert native._load_avro() is None
    monkeypatch.delenv("CONNECTLESS_NATIVE")
    assert native._load_avro() is not None


def test_decode_run_makes_pairs_only_of_a_tuple_subclass() -> None:
    program = avro_native.program_of(EVERY_KIND)
    for pair_type in (list, int, "SchemaAndValue"):
        with pytest.raises(TypeError, match="pair_type"):
            NATIVE.decode_run([], program, None, None, pair_type)  # type: ignore[union-attr]


def test_a_run_of_several_headers_is_read_as_without_the_c_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """_to_connect_run cuts a run where the 5 header bytes change (_avro.header_run in C, the Python loop after it
    for what is not bytes): a null, another schema id, a bytearray and a message shorter than the header cut it the
    same way either way, and the results are the same (a null is read before the scan)."""
    url = f"mock://{uuid.uuid4().hex}"
    fast, slow, schema_id = converters(monkeypatch, EVERY_KIND, url)
    fewer = {**EVERY_KIND, "name": "Fewer", "fields": EVERY_KIND["fields"][:3]}
    other = mock_client(url).register_schema("t-value", RegistrySchema(json.dumps(fewer), "AVRO"))
    mine, theirs = b"\x00" + schema_id.to_bytes(4, "big"), b"\x00" + other.to_bytes(4, "big")
    good, short = mine + payload_of(GOOD), theirs + payload_of(GOOD)[:3]
    assert NATIVE.header_run([good, good, None, good], 1, mine) == 2
    run: list[Any] = [good, good, good, good, short, short, good, bytearray(good), good, good]
    assert NATIVE.header_run(run, 4, theirs) == 6
    assert NATIVE.header_run(run, 6, mine) == 7  # a bytearray: the Python loop goes on past it
    assert NATIVE.header_run([good, mine[:4]], 0, mine) == 1
    assert NATIVE.header_run([], 0, mine) == 0
    assert outcome(fast.batch_reader(), "t", run) == outcome(slow.batch_reader(), "t", run)
    assert outcome(fast.batch_reader(), "t", run)[0] == "ok"

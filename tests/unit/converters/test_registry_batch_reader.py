"""The schema-registry converters' batch reader: to_connect_data over a run of records in one call, the same
SchemaAndValues record for record, and raising where to_connect_data would for one of them."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pytest

from connectless.converters.registry import AvroConverter, JsonSchemaConverter, ProtobufConverter
from connectless.converters.registry.base import RegistryConverter
from connectless.data.errors import DataError
from connectless.data.logical import DATE_SCHEMA, decimal_schema
from connectless.data.schema import INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, SchemaBuilder
from connectless.data.struct import Struct

V1 = SchemaBuilder.struct().name("com.example.Customer").field("id", INT64_SCHEMA).field("name", STRING_SCHEMA).build()
V2 = (
    SchemaBuilder.struct()
    .name("com.example.Customer")
    .field("id", INT64_SCHEMA)
    .field("name", STRING_SCHEMA)
    .field("city", OPTIONAL_STRING_SCHEMA)
    .build()
)


def converter(kind: type[RegistryConverter]) -> RegistryConverter:
    made = kind()
    made.configure({"schema.registry.url": f"mock://{uuid.uuid4().hex}"}, False)
    return made


def run_of(made: RegistryConverter) -> list[bytes | None]:
    """Records of two schema ids, interleaved, with tombstones among them."""
    first = [made.from_connect_data("t", V1, Struct(V1).put("id", i).put("name", f"n{i}")) for i in range(3)]
    second = [
        made.from_connect_data("t", V2, Struct(V2).put("id", i).put("name", f"m{i}").put("city", "Lisbon"))
        for i in range(3)
    ]
    assert first[0] is not None and second[0] is not None and first[0][:5] != second[0][:5]
    return [first[0], first[1], None, second[0], first[2], second[1], second[2], None]


@pytest.mark.parametrize("kind", [AvroConverter, ProtobufConverter, JsonSchemaConverter])
def test_a_run_reads_as_to_connect_data_reads_each_record(kind: type[RegistryConverter]) -> None:
    made = converter(kind)
    datas = run_of(made)
    read = made.batch_reader()
    assert read is not None
    expected = [made.to_connect_data("t", data) for data in datas]
    assert read("t", datas) == expected
    assert [v.value.get("name") for v in expected if v.value is not None] == ["n0", "n1", "m0", "n2", "m1", "m2"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"\x01\x00\x00\x00\x01\x02", "Unknown magic byte"),
        (b"\x00\x00", "Unknown magic byte"),
        (b"\x00\x00\x01\x86\xa0\x02", "100000"),  # an unknown schema id
    ],
    ids=["magic", "short", "unknown-id"],
)
def test_a_run_with_a_record_to_connect_data_refuses_raises(bad: bytes, message: str) -> None:
    made = converter(AvroConverter)
    datas = run_of(made)
    read = made.batch_reader()
    assert read is not None
    with pytest.raises(DataError, match=message):
        read("t", [*datas[:3], bad, *datas[3:]])
    with pytest.raises(DataError, match=message):
        made.to_connect_data("t", bad)


def test_a_truncated_avro_record_in_a_run_raises() -> None:
    made = converter(AvroConverter)
    datas = run_of(made)
    read = made.batch_reader()
    assert read is not None and datas[0] is not None
    with pytest.raises(EOFError):
        read("t", [datas[1], datas[0][:-3], datas[1]])


def test_an_avro_run_with_logical_types_nested_records_and_unions_reads_as_each_record_does() -> None:
    """Fields that need converting (Decimal, Date, a nested struct, an optional field, a general union)."""
    inner = SchemaBuilder.struct().name("com.example.Inner").field("x", INT64_SCHEMA).build()
    union = (
        SchemaBuilder.struct().name("io.confluent.connect.avro.Union")
        .field("int", SchemaBuilder.int32().optional().build())
        .field("string", SchemaBuilder.string().optional().build())
        .build()
    )  # fmt: skip
    schema = (
        SchemaBuilder.struct().name("com.example.Rich")
        .field("amount", decimal_schema(2)).field("day", DATE_SCHEMA).field("inner", inner)
        .field("note", OPTIONAL_STRING_SCHEMA).field("either", union)
        .build()
    )  # fmt: skip
    made = converter(AvroConverter)

    def rich(i: int, note: str | None) -> bytes | None:
        value = (
            Struct(schema).put("amount", decimal.Decimal(f"{i}.25")).put("day", dt.date(2026, 1, 1 + i))
            .put("inner", Struct(inner).put("x", i)).put("note", note)
            .put("either", Struct(union).put("string" if i % 2 else "int", str(i) if i % 2 else i))
        )  # fmt: skip
        return made.from_connect_data("t", schema, value)

    datas = [rich(1, "n"), rich(2, None), None, rich(3, "m")]
    read = made.batch_reader()
    assert read is not None
    expected = [made.to_connect_data("t", data) for data in datas]
    assert read("t", datas) == expected
    assert expected[0].value.get("either").get("string") == "1" and expected[1].value.get("either").get("int") == 2

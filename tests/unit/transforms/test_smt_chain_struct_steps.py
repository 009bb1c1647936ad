"""Structs through fused InsertField / ReplaceField / TimestampConverter run as struct steps on one copy of the
values (planned once per schema): the same record, or the same error, as the transforms applied one after the
other, and the input Struct is never changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from smt_helpers import configured, sink
from test_smt_chain_map_steps import CONVERTERS, INSERTS, REPLACES, chain_config

from connectless.data import INT64_SCHEMA, OPTIONAL_INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Struct
from connectless.data.logical import TIMESTAMP_SCHEMA
from connectless.data.schema import SchemaBuilder
from connectless.transforms import ReplaceFieldValue, TransformationChain
from connectless.transforms.chain import _FusedRewrites

STAGES = st.one_of(
    INSERTS.map(lambda c: ("InsertField$Value", c)),
    REPLACES.map(lambda c: ("ReplaceField$Value", c)),
    CONVERTERS.map(lambda c: ("TimestampConverter$Value", c)),
)


def _schema(created_at: Any, *, default_city: bool) -> Any:
    builder = SchemaBuilder.struct().name("bench.Customer")
    builder.field("id", INT64_SCHEMA)
    builder.field("email", OPTIONAL_STRING_SCHEMA)
    city = SchemaBuilder.string().optional()
    builder.field("city", city.default_value("Lisbon").build() if default_city else city.build())
    builder.field("created_at", created_at)
    builder.field("note", STRING_SCHEMA)
    return builder.build()


SCHEMAS = [
    _schema(INT64_SCHEMA, default_city=False),
    _schema(OPTIONAL_INT64_SCHEMA, default_city=True),  # a null city becomes its default
    _schema(TIMESTAMP_SCHEMA, default_city=False),  # a logical timestamp field
    _schema(STRING_SCHEMA, default_city=False),  # a string the "string" target must parse
]
CREATED_AT = {
    0: st.integers(-(2**40), 2**42),
    1: st.one_of(st.none(), st.integers(-(2**40), 2**42)),
    2: st.datetimes().map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)),
    3: st.sampled_from(["2024-01-02", "not a time"]),
}


@st.composite
def structs(draw: st.DrawFn) -> Struct:
    index = draw(st.integers(0, len(SCHEMAS) - 1))
    struct = Struct(SCHEMAS[index])
    struct.put("id", draw(st.integers(-(2**40), 2**42)))
    struct.put("email", draw(st.one_of(st.none(), st.text(max_size=6))))
    struct.put("city", draw(st.one_of(st.none(), st.sampled_from(["Berlin", "Dublin"]))))
    created_at = draw(CREATED_AT[index])
    if index == 2:
        created_at = created_at.replace(tzinfo=dt.UTC)
    struct.put("created_at", created_at)
    struct.put("note", draw(st.text(max_size=4)))
    return struct


def outcome(run: Any) -> Any:
    try:
        record = run()
    except Exception as exc:  # the same failure either way, or the same record
        return ("error", type(exc).__name__)
    return ("record", record)


@settings(max_examples=300, deadline=None)
@given(st.lists(STAGES, min_size=2, max_size=4), structs())
def test_the_struct_steps_give_what_the_transforms_give_one_by_one(stages: list[Any], value: Struct) -> None:
    chain = TransformationChain.from_config(chain_config(stages))
    (fused,) = chain._steps
    assert isinstance(fused, _FusedRewrites)
    record = sink(value, value.schema, topic="orders", partition=3, offset=41, timestamp=1_700_000_000_123)
    before = list(value.items())

    def one_by_one() -> Any:
        current = record
        for stage in chain.stages:
            current = stage.transformation.apply(current)
        return current

    fused_outcome = outcome(lambda: chain.apply(record))
    again = outcome(lambda: chain.apply(record))  # the second record of a schema meets the cached plan
    expected = outcome(one_by_one)
    assert fused_outcome == again == expected
    assert list(value.items()) == before  # the input Struct is never changed
    plan = fused._struct_plans.get(value.schema)
    assert plan is not None
    if plan[0] is None:  # no struct plan only when a schema cannot be planned (a rename onto an existing field)
        assert expected[0] == "error"


def test_the_struct_path_is_taken_only_for_a_struct_of_the_record_schema() -> None:
    stages = [("ReplaceField$Value", {"renames": "id:ident"}), ("InsertField$Value", {"topic.field": "t"})]
    chain = TransformationChain.from_config(chain_config(stages))
    struct = Struct(SCHEMAS[0]).put("id", 1).put("created_at", 5).put("note", "n")
    other = _schema(INT64_SCHEMA, default_city=True)  # equal fields, another schema object and default
    result = chain.apply(sink(struct, other))
    assert result is not None and result.value.schema.field("ident") is not None
    (fused,) = chain._steps
    assert len(fused._struct_plans) == 0  # the general path ran


def test_a_rename_only_replace_keeps_the_values_and_a_subclass_has_no_struct_step() -> None:
    rename = configured(ReplaceFieldValue, {"renames": "id:ident"})
    planned = rename.owned_struct_step(SCHEMAS[0])
    assert planned is not None and planned[1] is None and planned[0].field("ident") is not None

    class Own(ReplaceFieldValue):
        def transform_operand(self, record: Any, schema: Any, value: Any) -> Any:
            return schema, value

    assert configured(Own, {"renames": "id:ident"}).owned_struct_step(SCHEMAS[0]) is None


def test_inserted_fields_after_a_null_with_a_default_get_the_default_as_one_by_one() -> None:
    inserts = [("InsertField$Value", {"static.field": "a", "static.value": "x"}),
               ("InsertField$Value", {"topic.field": "t"})]  # fmt: skip
    chain = TransformationChain.from_config(chain_config(inserts))
    struct = Struct(SCHEMAS[1]).put("id", 1).put("note", "n")  # city null, its default Lisbon
    result = chain.apply(sink(struct, struct.schema))
    assert result is not None
    assert list(result.value.items()) == [
        ("id", 1), ("email", None), ("city", "Lisbon"), ("created_at", None), ("note", "n"), ("a", "x"),
        ("t", "orders"),
    ]  # fmt: skip
    (fused,) = chain._steps
    assert fused._struct_plans.get(struct.schema)[0] is not None

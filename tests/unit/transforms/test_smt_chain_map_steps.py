"""Schemaless maps through fused InsertField / ReplaceField / TimestampConverter run as in-place map steps on one
copy: the same record, or the same error, as the transforms applied one after the other."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smt_helpers import configured, sink

from connectless.transforms import InsertFieldValue, TransformationChain
from connectless.transforms.chain import _FusedRewrites

# runs on connectless.native's map steps and on the pure-Python ones (tests/unit/conftest.py)
pytestmark = pytest.mark.usefixtures("native_mode")

FIELDS = ["id", "email", "city", "created_at", "note"]

INSERTS = st.sampled_from(
    [
        {"static.field": "pipeline", "static.value": "bench"},
        {"topic.field": "t", "offset.field": "o", "partition.field": "p", "timestamp.field": "ts"},
        {"static.field": "id", "static.value": "over", "topic.field": "email"},  # overwrites existing fields
    ]
)
REPLACES = st.sampled_from(
    [
        {"renames": "email:contact_email,city:town"},
        {"exclude": "note", "renames": "id:ident"},
        {"include": "id,created_at,city", "renames": "city:town"},
        {"renames": "email:city"},  # a rename onto a field that exists
    ]
)
CONVERTERS = st.sampled_from(
    [
        {"field": "created_at", "target.type": "string", "format": "yyyy-MM-dd'T'HH:mm:ss.SSS"},
        {"field": "created_at", "target.type": "string", "format": "yyyy", "unix.precision": "seconds"},
        {"field": "created_at", "target.type": "unix", "format": "yyyy-MM-dd"},
        {"field": "created_at", "target.type": "Timestamp"},
        {"field": "absent", "target.type": "string", "format": "yyyy"},
    ]
)
STAGES = st.one_of(
    INSERTS.map(lambda c: ("InsertField$Value", c)),
    REPLACES.map(lambda c: ("ReplaceField$Value", c)),
    CONVERTERS.map(lambda c: ("TimestampConverter$Value", c)),
)
VALUES = st.dictionaries(
    st.sampled_from(FIELDS),
    st.one_of(st.none(), st.integers(-(2**40), 2**42), st.text(max_size=6), st.sampled_from(["2024-01-02"])),
    max_size=5,
)


def chain_config(stages: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
    config = {"transforms": ",".join(f"s{i}" for i in range(len(stages)))}
    for i, (kind, props) in enumerate(stages):
        config[f"transforms.s{i}.type"] = kind
        config.update({f"transforms.s{i}.{k}": v for k, v in props.items()})
    return config


def outcome(run: Any) -> Any:
    try:
        record = run()
    except Exception as exc:  # the same failure either way, or the same record
        return ("error", type(exc).__name__)
    return ("record", record, list(record.value.items()) if isinstance(record.value, dict) else None)  # key order


@settings(max_examples=300, deadline=None)
@given(st.lists(STAGES, min_size=2, max_size=4), VALUES)
def test_the_map_steps_give_what_the_transforms_give_one_by_one(stages: list[Any], value: dict[str, Any]) -> None:
    chain = TransformationChain.from_config(chain_config(stages))
    (fused,) = chain._steps  # one run of rewrites, every one with a map step
    assert isinstance(fused, _FusedRewrites) and fused._map_steps is not None
    record = sink(value, topic="orders", partition=3, offset=41, timestamp=1_700_000_000_123)

    def one_by_one() -> Any:
        current = record
        for stage in chain.stages:
            current = stage.transformation.apply(current)
        return current

    fused = outcome(lambda: chain.apply(record))
    assert fused == outcome(one_by_one)
    assert record.value == value  # the input map is never changed


def test_a_subclass_with_its_own_rewrite_has_no_map_step() -> None:
    class Upper(InsertFieldValue):
        def transform_operand(self, record: Any, schema: Any, value: Any) -> Any:
            return schema, value

    assert configured(Upper, {"static.field": "a", "static.value": "b"}).owned_map_step() is None
    assert configured(InsertFieldValue, {"static.field": "a", "static.value": "b"}).owned_map_step() is not None


def _through(steps: Any, records: list[Any], values: list[dict[str, Any]], run: bool) -> Any:
    owned = [dict(value) for value in values]
    try:
        if run:
            for run_step in steps:
                owned = run_step(records, owned)
        else:
            for index, record in enumerate(records):
                for step in steps:
                    owned[index] = step(record, owned[index])
    except Exception as exc:  # a run step raises where some map's step raises
        return ("error", type(exc).__name__)
    return ("maps", [list(value.items()) for value in owned])  # key order too


@settings(max_examples=200, deadline=None)
@given(st.lists(STAGES, min_size=2, max_size=4), st.lists(VALUES, max_size=4))
def test_the_run_steps_give_what_the_map_steps_give_map_by_map(stages: list[Any], values: list[dict[str, Any]]) -> None:
    chain = TransformationChain.from_config(chain_config(stages))
    map_steps, run_steps = chain.value_map_steps(), chain.value_map_run_steps()
    assert map_steps is not None and run_steps is not None and len(run_steps) == len(map_steps)
    records = [sink(value, topic="orders", partition=3, offset=41 + i) for i, value in enumerate(values)]
    assert _through(run_steps, records, values, run=True) == _through(map_steps, records, values, run=False)


def test_a_subclass_with_its_own_map_step_has_its_run_form() -> None:
    class Marked(InsertFieldValue):
        def owned_map_step(self) -> Any:
            def mark(record: Any, owned: dict[str, Any]) -> dict[str, Any]:
                owned["marked"] = record.kafka_offset
                return owned

            return mark

    run_step = configured(Marked, {"static.field": "a", "static.value": "b"}).owned_map_run_step()
    assert run_step is not None
    records = [sink({}, offset=5), sink({}, offset=6)]
    assert run_step(records, [{}, {"x": 1}]) == [{"marked": 5}, {"x": 1, "marked": 6}]

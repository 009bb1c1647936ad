"""Back-to-back rewrites of one side run on (schema, value) and build one record: same result, fewer copies."""

from __future__ import annotations

from typing import Any

import pytest
from smt_helpers import sink, struct, struct_schema

from connectless.data import INT64_SCHEMA, STRING_SCHEMA, DataError
from connectless.errors.stage import Stage
from connectless.transforms import InsertFieldValue, ReplaceFieldValue, TimestampConverterValue, TransformationChain
from connectless.transforms.chain import ChainStage, _FusedRewrites

# runs on connectless.native's map steps and on the pure-Python ones (tests/unit/conftest.py)
pytestmark = pytest.mark.usefixtures("native_mode")

VALUE_CHAIN = {
    "transforms": "ins,ren,ts,cast,mask,meta,hoist,flat,extract",
    "transforms.ins.type": "InsertField$Value",
    "transforms.ins.static.field": "src",
    "transforms.ins.static.value": "lambda",
    "transforms.ins.topic.field": "topic",
    "transforms.ren.type": "ReplaceField$Value",
    "transforms.ren.renames": "id:ident",
    "transforms.ren.exclude": "drop",
    "transforms.ts.type": "TimestampConverter$Value",
    "transforms.ts.field": "ts",
    "transforms.ts.target.type": "string",
    "transforms.ts.format": "yyyy-MM-dd",
    "transforms.cast.type": "Cast$Value",
    "transforms.cast.spec": "ident:string",
    "transforms.mask.type": "MaskField$Value",
    "transforms.mask.fields": "secret",
    "transforms.meta.type": "SetSchemaMetadata$Value",
    "transforms.meta.schema.name": "renamed",
    "transforms.hoist.type": "HoistField$Value",
    "transforms.hoist.field": "wrapped",
    "transforms.flat.type": "Flatten$Value",
    "transforms.flat.delimiter": "_",
    "transforms.extract.type": "ExtractField$Value",
    "transforms.extract.field": "wrapped_ident",
}
SCHEMA = struct_schema(
    ("id", INT64_SCHEMA), ("ts", INT64_SCHEMA), ("secret", STRING_SCHEMA), ("drop", STRING_SCHEMA), name="v"
)
THREE = {
    **{k: v for k, v in VALUE_CHAIN.items() if k.startswith(("transforms.ins.", "transforms.ren.", "transforms.ts."))},
    "transforms": "ins,ren,ts",
}
RECORDS = [
    sink({"id": 7, "ts": 1_700_000_000_000, "secret": "s", "drop": "d"}),
    sink(struct(SCHEMA, id=7, ts=1_700_000_000_000, secret="s", drop="d"), SCHEMA),
]


def stage_by_stage(chain: TransformationChain, record: Any) -> Any:
    for stage in chain.stages:
        record = stage.transformation.apply(record)
    return record


@pytest.mark.parametrize(
    ("record", "aliases"),
    [
        (RECORDS[0], "ins,ren,ts,cast,mask,hoist,flat,extract"),  # SetSchemaMetadata needs a schema
        (RECORDS[1], VALUE_CHAIN["transforms"]),
    ],
    ids=["schemaless", "schemaful"],
)
def test_fused_result_equals_stage_by_stage(record: Any, aliases: str) -> None:
    chain = TransformationChain.from_config({**VALUE_CHAIN, "transforms": aliases})
    assert (len(chain._steps), chain.apply(record)) == (1, stage_by_stage(chain, record))


def test_fused_chain_output_value() -> None:
    assert TransformationChain.from_config(VALUE_CHAIN).apply(RECORDS[1]).value == "7"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("extra", "steps"),
    [
        ({}, 1),
        ({"transforms.ren.predicate": "p", "predicates": "p", "predicates.p.type": "RecordIsTombstone"}, 3),
        ({"transforms.ren.type": "ReplaceField$Key"}, 3),
    ],
    ids=["fused", "predicate-breaks-the-run", "key-side-breaks-the-run"],
)
def test_runs_break_at_predicates_and_side_changes(extra: dict[str, str], steps: int) -> None:
    chain = TransformationChain.from_config({**THREE, **extra})
    assert len(chain._steps) == steps


def test_subclass_with_own_apply_is_not_fused() -> None:
    class Custom(ReplaceFieldValue):
        def apply(self, record: Any) -> Any:
            return record

    ins, custom = InsertFieldValue(), Custom()
    ins.configure({"topic.field": "t"})
    custom.configure({})
    chain = TransformationChain([ChainStage("a", ins), ChainStage("b", custom)])
    assert not any(isinstance(step, _FusedRewrites) for step in chain._steps)


class Executor:
    def __init__(self) -> None:
        self.classes: list[type] = []

    def execute(self, operation: Any, stage: Stage, klass: type) -> Any:
        self.classes.append(klass)
        try:
            return operation()
        except DataError:
            return None


def test_executor_sees_each_fused_rewrite() -> None:
    executor = Executor()
    chain = TransformationChain.from_config(THREE)
    out = chain.apply(RECORDS[0], executor)
    assert (executor.classes, out == stage_by_stage(chain, RECORDS[0])) == (
        [InsertFieldValue, ReplaceFieldValue, TimestampConverterValue],
        True,
    )


def test_tolerated_failure_inside_a_fused_run_drops_the_record() -> None:
    chain = TransformationChain.from_config(THREE)
    assert chain.apply(sink({"id": 1, "ts": 1.5}), Executor()) is None

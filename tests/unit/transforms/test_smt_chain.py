from __future__ import annotations

from typing import Any

import pytest
from smt_helpers import sink

from connectless.config import ConfigError
from connectless.data import DataError
from connectless.errors.stage import Stage
from connectless.records import Headers
from connectless.transforms import (
    Filter,
    InsertFieldValue,
    RegexRouter,
    TopicNameMatches,
    Transformation,
    TransformationChain,
)
from connectless.transforms.chain import ChainStage


def run(chain: TransformationChain, record: Any, executor: Any = None) -> Any:
    """The chain's output, which these cases expect to be kept."""
    out = chain.apply(record, executor)
    assert out is not None
    return out


ROUTE = {"transforms": "route", "transforms.route.regex": "(.*)", "transforms.route.replacement": "x-$1"}


@pytest.mark.parametrize(
    "type_name",
    [
        "org.apache.kafka.connect.transforms.RegexRouter",
        "RegexRouter",
        "connectless.transforms.regex_router.RegexRouter",
        "connectless.transforms.regex_router:RegexRouter",
    ],
)
def test_type_names(type_name: str) -> None:
    chain = TransformationChain.from_config({**ROUTE, "transforms.route.type": type_name})
    assert isinstance(chain.stages[0].transformation, RegexRouter)


@pytest.mark.parametrize(
    "type_name",
    [
        "org.apache.kafka.connect.transforms.InsertField$Value",
        "InsertField$Value",
        "connectless.transforms.insert_field.InsertField$Value",
        "connectless.transforms.insert_field.InsertFieldValue",
    ],
)
def test_variant_type_names(type_name: str) -> None:
    config = {"transforms": "a", "transforms.a.type": type_name, "transforms.a.topic.field": "t"}
    assert type(TransformationChain.from_config(config).stages[0].transformation) is InsertFieldValue


def test_stages_apply_in_order() -> None:
    config = {
        "transforms": "ins, route",
        "transforms.ins.type": "InsertField$Value",
        "transforms.ins.topic.field": "from",
        "transforms.route.type": "RegexRouter",
        "transforms.route.regex": "(.*)",
        "transforms.route.replacement": "$1-out",
    }
    out = run(TransformationChain.from_config(config), sink({"a": 1}, topic="in"))
    assert (out.topic, out.value) == ("in-out", {"a": 1, "from": "in"})


def test_no_transforms_returns_record_unchanged() -> None:
    record = sink("v")
    chain = TransformationChain.from_config({})
    assert (len(chain), chain.apply(record)) == (0, record)


FILTER_TOMBSTONES = {
    "transforms": "drop",
    "transforms.drop.type": "Filter",
    "transforms.drop.predicate": "isTombstone",
    "predicates": "isTombstone",
    "predicates.isTombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
}


@pytest.mark.parametrize(
    ("negate", "value", "kept"),
    [(None, None, False), (None, "v", True), ("false", None, False), ("true", None, True), ("true", "v", False)],
)
def test_predicate_and_negate_gate_the_stage(negate: str | None, value: Any, kept: bool) -> None:
    config = dict(FILTER_TOMBSTONES)
    if negate is not None:
        config["transforms.drop.negate"] = negate
    record = sink(value)
    assert (TransformationChain.from_config(config).apply(record) is record) is kept


def test_topic_predicate_routes_only_matching_topics() -> None:
    config = {
        **ROUTE,
        "transforms.route.type": "RegexRouter",
        "transforms.route.predicate": "raw",
        "predicates": "raw",
        "predicates.raw.type": "TopicNameMatches",
        "predicates.raw.pattern": ".*-raw",
    }
    chain = TransformationChain.from_config(config)
    assert [run(chain, sink("v", topic=t)).topic for t in ("a-raw", "b")] == ["x-a-raw", "b"]


def test_each_stage_gets_its_own_predicate_instance() -> None:
    config = {
        "transforms": "a,b",
        "transforms.a.type": "Filter",
        "transforms.a.predicate": "p",
        "transforms.b.type": "Filter",
        "transforms.b.predicate": "p",
        "predicates": "p",
        "predicates.p.type": "HasHeaderKey",
        "predicates.p.name": "h",
    }
    first, second = TransformationChain.from_config(config).stages
    assert first.predicate is not second.predicate


def test_chain_stops_at_the_first_drop() -> None:
    seen: list[Any] = []

    class Spy(Transformation):
        def apply(self, record: Any) -> Any:
            seen.append(record)
            return record

    chain = TransformationChain([ChainStage("drop", Filter()), ChainStage("spy", Spy())])
    assert (chain.apply(sink("v")), seen) == (None, [])


class RecordingExecutor:
    def __init__(self, tolerate: bool) -> None:
        self.tolerate = tolerate
        self.calls: list[tuple[Stage, type]] = []

    def execute(self, operation: Any, stage: Stage, klass: type) -> Any:
        self.calls.append((stage, klass))
        try:
            return operation()
        except DataError:
            if self.tolerate:
                return None
            raise


def timestamp_router_chain() -> TransformationChain:
    return TransformationChain.from_config({"transforms": "ts", "transforms.ts.type": "TimestampRouter"})


def test_executor_wraps_each_stage_with_transformation_stage() -> None:
    executor = RecordingExecutor(tolerate=False)
    out = run(timestamp_router_chain(), sink("v"), executor)
    assert (out.topic, executor.calls) == (
        "orders-20231114",
        [(Stage.TRANSFORMATION, type(timestamp_router_chain().stages[0].transformation))],
    )


def test_tolerated_failure_drops_the_record() -> None:
    assert timestamp_router_chain().apply(sink("v", timestamp=None), RecordingExecutor(tolerate=True)) is None


def test_without_executor_errors_propagate() -> None:
    with pytest.raises(DataError, match="Timestamp missing"):
        timestamp_router_chain().apply(sink("v", timestamp=None))


def test_predicate_runs_inside_the_executor() -> None:
    executor = RecordingExecutor(tolerate=False)
    config = {**FILTER_TOMBSTONES}
    TransformationChain.from_config(config).apply(sink(None), executor)
    assert executor.calls == [(Stage.TRANSFORMATION, Filter)]


def test_close_closes_transforms_and_predicates() -> None:
    closed: list[str] = []

    class Closing(Filter):
        def close(self) -> None:
            closed.append("transform")

    class ClosingPredicate(TopicNameMatches):
        def close(self) -> None:
            closed.append("predicate")

    predicate = ClosingPredicate()
    predicate.configure({"pattern": "x"})
    TransformationChain([ChainStage("a", Closing(), predicate)]).close()
    assert closed == ["transform", "predicate"]


# -- configuration errors --------------------------------------------------------------------------------
ERRORS = [
    ({"transforms": "a"}, "transforms.a.type", 'Missing required configuration "transforms.a.type"'),
    (
        {"transforms": "a", "transforms.a.type": "com.example.Nope"},
        "transforms.a.type",
        "Invalid value com.example.Nope for configuration transforms.a.type: "
        "Class com.example.Nope could not be found.",
    ),
    (
        {"transforms": "a", "transforms.a.type": "org.apache.kafka.connect.transforms.InsertField"},
        "transforms.a.type",
        "This class is abstract and cannot be created. Did you mean "
        "org.apache.kafka.connect.transforms.InsertField$Key, org.apache.kafka.connect.transforms.InsertField$Value?",
    ),
    (
        {"transforms": "a", "transforms.a.type": "connectless.transforms.cast.Cast"},
        "transforms.a.type",
        "Did you mean org.apache.kafka.connect.transforms.Cast$Key",
    ),
    ({"transforms": "a", "transforms.a.type": "TopicNameMatches"}, "transforms.a.type", "could not be found"),
    (
        {"transforms": "a", "transforms.a.type": "connectless.records.Headers"},
        "transforms.a.type",
        "Not a Transformation",
    ),
    (
        {"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "true"},
        "transforms.a.negate",
        "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a "
        "predicate to be negated.",
    ),
    (
        {"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p"},
        "transforms.a.predicate",
        "Predicate alias 'p' is not listed in 'predicates'",
    ),
    ({"transforms": "a,a", "transforms.a.type": "Filter"}, "transforms", "Duplicate alias provided."),
    ({"predicates": "p,p", "predicates.p.type": "RecordIsTombstone"}, "predicates", "Duplicate alias provided."),
    ({"predicates": "p"}, "predicates.p.type", 'Missing required configuration "predicates.p.type"'),
    ({"predicates": "p", "predicates.p.type": "Filter"}, "predicates.p.type", "Class Filter could not be found."),
    (
        {"predicates": "p", "predicates.p.type": "TopicNameMatches", "predicates.p.pattern": "["},
        "predicates.p.pattern",
        "for configuration predicates.p.pattern: Invalid regex",
    ),
    (
        {"transforms": "c", "transforms.c.type": "Cast$Value", "transforms.c.spec": "a:uint8"},
        "transforms.c.spec",
        "Invalid type found in casting spec: uint8",
    ),
    (
        {"transforms": "i", "transforms.i.type": "InsertField$Value"},
        "transforms.i.topic.field",
        "No field insertion configured",
    ),
    (
        {"transforms": "r", "transforms.r.type": "RegexRouter", "transforms.r.regex": "x"},
        "transforms.r.replacement",
        'Missing required configuration "transforms.r.replacement"',
    ),
    (
        {**FILTER_TOMBSTONES, "transforms.drop.negate": "maybe"},
        "transforms.drop.negate",
        "Expected value to be either true or false",
    ),
]


@pytest.mark.parametrize(("config", "key", "message"), ERRORS)
def test_from_config_errors_name_the_key(config: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TransformationChain.from_config(config)
    assert (caught.value.name, message in str(caught.value)) == (key, True)


@pytest.mark.parametrize(("config", "key", "message"), ERRORS)
def test_validate_config_reports_errors_per_key(config: dict[str, str], key: str, message: str) -> None:
    errors = TransformationChain.validate_config(config)
    assert any(message in m for m in errors.get(key, [])), errors


def test_validate_config_of_a_valid_chain_is_empty() -> None:
    assert TransformationChain.validate_config({**FILTER_TOMBSTONES, "transforms.drop.negate": "true"}) == {}


def test_validate_config_collects_several_errors() -> None:
    config = {
        "transforms": "a,b",
        "transforms.a.type": "Nope",
        "transforms.b.type": "Cast$Value",
        "transforms.b.spec": "x:nope",
    }
    assert sorted(TransformationChain.validate_config(config)) == ["transforms.a.type", "transforms.b.spec"]


def test_enriched_config_def_has_prefixed_keys_in_groups() -> None:
    config = {**FILTER_TOMBSTONES, "transforms": "drop,ins", "transforms.ins.type": "InsertField$Value"}
    definition = TransformationChain.enriched_config_def(config)
    keys = definition.keys
    assert (
        {"transforms", "predicates", "transforms.drop.type", "transforms.drop.predicate", "transforms.drop.negate"}
        <= set(keys),
        keys["transforms.ins.static.value"].group,
        keys["predicates.isTombstone.type"].group,
    ) == (True, "Transforms: ins", "Predicates: isTombstone")


def test_transform_sees_its_props_without_predicate_and_negate(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(Filter, "configure", lambda _self, props: seen.update(props))
    config = {**FILTER_TOMBSTONES, "transforms.drop.negate": "true", "transforms.drop.extra": "1"}
    chain = TransformationChain.from_config(config)
    assert (sorted(seen), chain.stages[0].negate) == (["extra", "type"], True)


def test_headers_survive_the_chain() -> None:
    config = {
        "transforms": "h",
        "transforms.h.type": "InsertHeader",
        "transforms.h.header": "k",
        "transforms.h.value.literal": "v",
    }
    out = run(TransformationChain.from_config(config), sink("x", headers=Headers.of({"a": "b"})))
    assert [(h.key, h.value) for h in out.headers] == [("a", "b"), ("k", "v")]

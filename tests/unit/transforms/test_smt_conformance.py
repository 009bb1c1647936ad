"""One suite every built-in SMT and predicate runs: registration, config docs, no mutation of its input."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from smt_helpers import sink, struct, struct_schema

from connectless.data import INT64_SCHEMA, STRING_SCHEMA
from connectless.plugins import REGISTRY, PluginKind
from connectless.records import ConnectRecord, Headers
from connectless.transforms import OperandTransformation, Predicate, Transformation

SAMPLE_CONFIG: dict[str, dict[str, str]] = {
    "Cast": {"spec": "id:string"},
    "DropHeaders": {"headers": "h"},
    "ExtractField": {"field": "id"},
    "Filter": {},
    "Flatten": {},
    "HeaderFrom": {"fields": "id", "headers": "h2", "operation": "move"},
    "HoistField": {"field": "wrapped"},
    "InsertField": {"topic.field": "t", "static.field": "s", "static.value": "v"},
    "InsertHeader": {"header": "h3", "value.literal": "1"},
    "MaskField": {"fields": "name"},
    "RegexRouter": {"regex": "(.*)", "replacement": "$1-x"},
    "ReplaceField": {"renames": "id:ident"},
    "SetSchemaMetadata": {"schema.name": "renamed"},
    "TimestampConverter": {"field": "ts", "target.type": "Timestamp"},
    "TimestampRouter": {},
    "ValueToKey": {"fields": "id"},
}
SCHEMA = struct_schema(("id", INT64_SCHEMA), ("name", STRING_SCHEMA), ("ts", INT64_SCHEMA), name="v")
SCHEMALESS_SKIP = {"SetSchemaMetadata"}  # needs a schema, by design
TRANSFORMS = sorted(
    {d.class_name for d in REGISTRY.all(PluginKind.TRANSFORMATION) if d.class_name.startswith("org.apache.kafka")}
)
PREDICATES = sorted(d.class_name for d in REGISTRY.all(PluginKind.PREDICATE))


def simple_name(class_name: str) -> str:
    return class_name.rsplit(".", 1)[-1].split("$", maxsplit=1)[0]


def instance(class_name: str) -> Any:
    smt = REGISTRY.find(PluginKind.TRANSFORMATION, class_name).cls()
    smt.configure(SAMPLE_CONFIG[simple_name(class_name)])
    return smt


def records(class_name: str) -> list[ConnectRecord]:
    headers = Headers.of({"h": "x"})
    key_side = class_name.endswith("$Key")
    plain = {"id": 1, "name": "n", "ts": 1_700_000_000_000}
    with_schema = struct(SCHEMA, id=1, name="n", ts=1_700_000_000_000)
    if key_side:
        found = [sink("v", key=with_schema, key_schema=SCHEMA, headers=headers)]
        plain_record = sink("v", key=plain, headers=headers)
    else:
        found = [sink(with_schema, SCHEMA, headers=headers)]
        plain_record = sink(plain, headers=headers)
    return found if simple_name(class_name) in SCHEMALESS_SKIP else [*found, plain_record]


def test_all_sixteen_transforms_with_variants_are_registered() -> None:
    assert (len({simple_name(n) for n in TRANSFORMS}), len(TRANSFORMS)) == (16, 26)


@pytest.mark.parametrize("class_name", TRANSFORMS)
def test_transform_does_not_mutate_its_input(class_name: str) -> None:
    smt = instance(class_name)
    for record in records(class_name):
        snapshot = copy.deepcopy(record)
        result = smt.apply(record)
        assert (record == snapshot, result is None or isinstance(result, ConnectRecord)) == (True, True)


@pytest.mark.parametrize("class_name", TRANSFORMS)
def test_transform_documents_its_config(class_name: str) -> None:
    smt = instance(class_name)
    keys = smt.config().keys.values()
    assert (smt.config() is type(smt).CONFIG_DEF, all(k.documentation for k in keys), bool(smt.OVERVIEW_DOC)) == (
        True,
        True,
        True,
    )


def _one_sided(class_name: str) -> bool:
    cls = REGISTRY.find(PluginKind.TRANSFORMATION, class_name).cls
    return issubclass(cls, OperandTransformation) and simple_name(class_name) != "HeaderFrom"


@pytest.mark.parametrize("class_name", [c for c in TRANSFORMS if _one_sided(c)])
def test_variants_touch_only_their_side(class_name: str) -> None:
    smt = instance(class_name)
    record = records(class_name)[0]
    result = smt.apply(record)
    other = ("value", "value_schema") if class_name.endswith("$Key") else ("key", "key_schema")
    assert all(getattr(result, a) is getattr(record, a) for a in other)


@pytest.mark.parametrize("class_name", PREDICATES)
def test_predicates_are_registered_with_docs(class_name: str) -> None:
    cls: Any = REGISTRY.find(PluginKind.PREDICATE, class_name).cls
    assert (issubclass(cls, Predicate), bool(cls.OVERVIEW_DOC)) == (True, True)


def test_close_is_safe_on_every_transform() -> None:
    for class_name in TRANSFORMS:
        smt: Transformation = instance(class_name)
        smt.close()

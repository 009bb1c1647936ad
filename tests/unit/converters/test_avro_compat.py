"""Avro schema resolution (reader vs writer), as `latest.compatibility.strict` uses it."""

from __future__ import annotations

from connectless.converters.registry.avro_compat import incompatibilities


def record(*fields: dict) -> dict:
    return {"type": "record", "name": "R", "fields": list(fields)}


def test_promotions_defaults_and_missing_fields() -> None:
    writer = record({"name": "a", "type": "int"})
    assert incompatibilities(reader=record({"name": "a", "type": "long"}), writer=writer) == []
    with_default = {"name": "b", "type": "string", "default": "x"}
    assert incompatibilities(reader=record({"name": "a", "type": "long"}, with_default), writer=writer) == []
    missing = incompatibilities(
        reader=record({"name": "a", "type": "int"}, {"name": "b", "type": "string"}), writer=writer
    )
    assert missing and "b" in missing[0]
    narrowed = incompatibilities(
        reader=record({"name": "a", "type": "int"}), writer=record({"name": "a", "type": "long"})
    )
    assert narrowed == ["reader type int not compatible with writer type long at /a/"]


def test_unions_enums_and_names() -> None:
    assert incompatibilities(reader=["null", "string"], writer="string") == []
    assert incompatibilities(reader="string", writer=["null", "string"]) != []
    small = {"type": "enum", "name": "E", "symbols": ["A"]}
    assert incompatibilities(reader=small, writer={**small, "symbols": ["A", "B"]}) != []
    assert incompatibilities(reader={**small, "default": "A"}, writer={**small, "symbols": ["A", "B"]}) == []
    assert incompatibilities(reader=record(), writer={**record(), "name": "Other"}) != []

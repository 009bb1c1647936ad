"""The session's Confluent-compatible registry (Apicurio behind /apis/ccompat/v7) as the converters use it."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

RECORD_V1 = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
RECORD_V2 = (
    '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}]}'
)
RECORD_BAD = '{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}'


def test_compatibility_is_backward_as_in_confluent(schema_registry_url: str) -> None:
    client = SchemaRegistryClient({"url": schema_registry_url})
    assert client.get_compatibility() == "BACKWARD"


def test_registers_evolves_and_refuses_an_incompatible_schema(schema_registry_url: str) -> None:
    client = SchemaRegistryClient({"url": schema_registry_url})
    subject = f"s-{uuid.uuid4().hex[:8]}-value"
    first = client.register_schema(subject, Schema(RECORD_V1, "AVRO"))
    second = client.register_schema(subject, Schema(RECORD_V2, "AVRO"))
    assert first != second
    assert client.lookup_schema(subject, Schema(RECORD_V2, "AVRO")).version == 2
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, Schema(RECORD_BAD, "AVRO"))
    assert refused.value.http_status_code == 409
    assert "not compatible" in str(refused.value)
    with pytest.raises(SchemaRegistryError) as unknown:
        client.get_schema(987654)
    assert unknown.value.http_status_code == 404

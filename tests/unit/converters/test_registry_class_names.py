"""Confluent's three converters by their Kafka Connect class names (and short aliases), for keys and values, with
their settings under the `key.converter.` / `value.converter.` prefixes (issue 15, point 1)."""

from __future__ import annotations

import uuid

import pytest

from connectless.converters import create_converter
from connectless.converters.registry import AvroConverter, JsonSchemaConverter, ProtobufConverter


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("io.confluent.connect.avro.AvroConverter", AvroConverter),
        ("io.confluent.connect.protobuf.ProtobufConverter", ProtobufConverter),
        ("io.confluent.connect.json.JsonSchemaConverter", JsonSchemaConverter),
        ("AvroConverter", AvroConverter),
        ("ProtobufConverter", ProtobufConverter),
        ("JsonSchemaConverter", JsonSchemaConverter),
    ],
)
@pytest.mark.parametrize("role", ["key.converter", "value.converter"])
def test_confluent_class_names_resolve_for_keys_and_values(name: str, cls: type, role: str) -> None:
    url = f"mock://{uuid.uuid4().hex}"
    made = create_converter(role, {role: name, f"{role}.schema.registry.url": url, f"{role}.auto.register.schemas":
                                   "false"})  # fmt: skip
    assert type(made) is cls
    assert made.settings.urls == (url,) and made.settings.auto_register is False
    assert made.settings.is_key is (role == "key.converter")

"""converters_from_config / validate_converter_configs and the plugin registry entries of the converters."""

from __future__ import annotations

from typing import Any

import pytest

from connectless.config import ConfigError
from connectless.converters import (
    BooleanConverter,
    ByteArrayConverter,
    DoubleConverter,
    FloatConverter,
    IntegerConverter,
    JsonConverter,
    LongConverter,
    ShortConverter,
    SimpleHeaderConverter,
    StringConverter,
    converters_from_config,
    validate_converter_configs,
)
from connectless.plugins import REGISTRY, PluginKind


def test_defaults_are_a_workers() -> None:
    key, value, header = converters_from_config({})
    assert isinstance(key, JsonConverter) and key.schemas_enabled
    assert isinstance(value, JsonConverter) and value.schemas_enabled
    assert isinstance(header, SimpleHeaderConverter)


def test_prefixed_properties_reach_their_converter_only() -> None:
    key, value, _ = converters_from_config(
        {
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        }
    )
    assert isinstance(key, JsonConverter) and isinstance(value, JsonConverter)
    assert key.schemas_enabled and not value.schemas_enabled


def test_is_key_is_passed() -> None:
    key, value, _ = converters_from_config(
        {
            "key.converter": "StringConverter",
            "key.converter.key.serializer.encoding": "UTF-16BE",
            "value.converter": "StringConverter",
            "value.converter.key.serializer.encoding": "UTF-16BE",
        }
    )
    assert key.from_connect_data("t", None, "a") == b"\x00a"
    assert value.from_connect_data("t", None, "a") == b"a"


def test_role_without_class_takes_worker_class_and_properties() -> None:
    worker = {"value.converter": "JsonConverter", "value.converter.schemas.enable": "false"}
    connector = {"value.converter.schemas.enable": "true"}  # ignored without value.converter, as in Kafka
    _, value, _ = converters_from_config(connector, worker)
    assert isinstance(value, JsonConverter) and not value.schemas_enabled


def test_worker_defaults_fill_missing_roles() -> None:
    key, _, header = converters_from_config({}, {"key.converter": "StringConverter"})
    assert isinstance(key, StringConverter)
    assert isinstance(header, SimpleHeaderConverter)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("org.apache.kafka.connect.storage.StringConverter", StringConverter),
        ("StringConverter", StringConverter),
        ("String", StringConverter),
        ("Json", JsonConverter),
        ("ByteArray", ByteArrayConverter),
        ("org.apache.kafka.connect.converters.ShortConverter", ShortConverter),
        ("Integer", IntegerConverter),
        ("Long", LongConverter),
        ("Float", FloatConverter),
        ("Double", DoubleConverter),
        ("Boolean", BooleanConverter),
        ("connectless.converters.string_converter.StringConverter", StringConverter),
    ],
)
def test_class_names_and_aliases(name: str, cls: type) -> None:
    _, value, _ = converters_from_config({"value.converter": name})
    assert type(value) is cls


@pytest.mark.parametrize(
    "name",
    [
        "org.apache.kafka.connect.storage.SimpleHeaderConverter",
        "SimpleHeaderConverter",
        "Simple",
        "JsonConverter",
        "StringConverter",
        "org.apache.kafka.connect.converters.ByteArrayConverter",
    ],
)
def test_header_converter_names(name: str) -> None:
    assert REGISTRY.find(PluginKind.HEADER_CONVERTER, name) is not None
    _, _, header = converters_from_config({"header.converter": name})
    assert type(header) is REGISTRY.find(PluginKind.HEADER_CONVERTER, name).cls


def test_unknown_class_names_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        converters_from_config({"value.converter": "com.example.Missing"})
    assert caught.value.name == "value.converter"
    assert "Class com.example.Missing could not be found." in str(caught.value)


def test_class_of_the_wrong_kind() -> None:
    with pytest.raises(ConfigError, match="is not a Converter") as caught:
        converters_from_config({"key.converter": "collections.OrderedDict"})
    assert caught.value.name == "key.converter"


def test_simple_header_converter_is_no_key_converter() -> None:
    with pytest.raises(ConfigError) as caught:
        converters_from_config({"key.converter": "org.apache.kafka.connect.storage.SimpleHeaderConverter"})
    assert caught.value.name == "key.converter"


def test_bad_property_names_the_prefixed_key() -> None:
    with pytest.raises(ConfigError) as caught:
        converters_from_config({"value.converter": "JsonConverter", "value.converter.decimal.format": "HEX"})
    assert caught.value.name == "value.converter.decimal.format"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, {}),
        ({"value.converter": "JsonConverter", "value.converter.schemas.enable": "false"}, {}),
        ({"value.converter": "Nope"}, {"value.converter": ["Class Nope could not be found."]}),
        (
            {"key.converter": "JsonConverter", "key.converter.schemas.enable": "maybe"},
            {"key.converter.schemas.enable": ["Expected value to be either true or false"]},
        ),
        (
            {"header.converter": "StringConverter", "header.converter.converter.encoding": "bogus"},
            {"header.converter.converter.encoding": ["Unsupported encoding bogus"]},
        ),
    ],
)
def test_validate_converter_configs(config: dict[str, Any], expected: dict[str, list[str]]) -> None:
    errors = validate_converter_configs(config)
    assert sorted(errors) == sorted(expected)
    for key, fragments in expected.items():
        assert all(any(f in message for message in errors[key]) for f in fragments)
        assert all(key in message for message in errors[key])

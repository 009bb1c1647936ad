"""`connectless dev schema-registry` and `local up` with SCHEMA_REGISTRY_URL set: the given registry is used
as it is, nothing is started, and the URL is what the registry converters fall back to."""

from __future__ import annotations

import pytest

from connectless.converters import create_converter
from connectless_cli.main import main
from connectless_local.local_up import LocalSamStack

URL = "http://registry.example:8081"


def test_dev_schema_registry_prints_the_given_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", URL)
    assert main(["dev", "schema-registry"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == URL and "starting nothing" in err


def test_local_up_offers_the_registry_to_connectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", URL)
    stack = LocalSamStack(state_file=None)
    assert stack._start_schema_registry() == URL
    converter = create_converter("value.converter", {"value.converter": "io.confluent.connect.avro.AvroConverter"})
    assert converter.settings.urls == (URL,)

"""`connectless transform --schema-registry URL` (issue 15, point 4) against the real registry: the source side
registers the connector's schema there and writes the registry's id; the sink side reads those bytes back by that
id from the same registry."""

from __future__ import annotations

import base64
import io
import json
import sys
import uuid
from typing import TYPE_CHECKING, Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from connectless_cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def transform(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], line: dict[str, Any]
) -> dict[str, Any]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(line) + "\n"))
    code = main(["transform", *argv])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), out
    (shown,) = [json.loads(text) for text in out.splitlines()]
    return shown


def test_the_source_side_registers_in_the_registry_and_the_sink_side_reads_by_its_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], schema_registry_url: str
) -> None:
    topic = f"cli-{uuid.uuid4().hex[:8]}"
    config = {"name": "orders", "connector.class": "FileStreamSink", "topics": topic,
              "key.converter": "org.apache.kafka.connect.storage.StringConverter",
              "value.converter": "io.confluent.connect.avro.AvroConverter"}  # fmt: skip
    path = tmp_path / "connector.json"
    path.write_text(json.dumps({"name": "orders", "config": config}))
    envelope = {"schema": {"type": "struct", "name": "shop.Order", "fields": [{"field": "id", "type": "int64"}]},
                "payload": {"id": 7}}  # fmt: skip
    produced = transform(monkeypatch, capsys, [str(path), "--side", "source", "--schema-registry", schema_registry_url],
                         {"topic": topic, "key": "k1", "value": json.dumps(envelope)})  # fmt: skip
    latest = SchemaRegistryClient({"url": schema_registry_url}).get_latest_version(f"{topic}-value")
    assert produced["value_schema_id"] == latest.schema_id
    assert json.loads(latest.schema.schema_str)["name"] == "Order"

    # the sink side reads the bytes by their id and shows the record re-serialised (its Connect schema now carries
    # the subject version it was read with, so that is a schema of its own, registered too)
    shown = transform(monkeypatch, capsys, [str(path), "--schema-registry", schema_registry_url],
                      {"topic": topic, "key": "k1", "value": produced["value"]})  # fmt: skip
    data = base64.b64decode(shown["value"]["base64"])
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": schema_registry_url}))
    assert deserialize(data, SerializationContext(topic, MessageField.VALUE)) == {"id": 7}

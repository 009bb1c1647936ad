"""`connectless transform` end to end, with the real converters and transforms."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from connectless.config.connector_file import ConnectorFileError, load_connector_file, parse_properties
from connectless_cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

CONFIG = {
    "connector.class": "FileStreamSink",
    "topics": "orders",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
    "transforms": "ins,ren,drop",
    "transforms.ins.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.ins.static.field": "via",
    "transforms.ins.static.value": "cli",
    "transforms.ren.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.ren.renames": "id:order_id",
    "transforms.drop.type": "Filter",
    "transforms.drop.predicate": "tomb",
    "predicates": "tomb",
    "predicates.tomb.type": "RecordIsTombstone",
}


def connector(tmp_path: Path, **overrides: str) -> Path:
    path = tmp_path / "connector.json"
    path.write_bytes(orjson.dumps({"name": "orders-sink", "config": {**CONFIG, **overrides}}))
    return path


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], lines: list[Any]
) -> tuple[int, list[dict[str, Any]], str]:
    text = "".join((line if isinstance(line, str) else orjson.dumps(line).decode()) + "\n" for line in lines)
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code = main(["transform", *argv])
    out, err = capsys.readouterr()
    return code, [orjson.loads(line) for line in out.splitlines()], err


def test_sink_side_shows_what_put_gets_reserialised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"key": "k1", "value": '{"id": 1, "amount": 2.5}', "headers": [["trace", "t-1"], ["bin", {"base64": "/w=="}]]},
        {"topic": "refunds", "partition": 4, "offset": 99, "timestamp": 1_700_000_000_000, "value": '{"id": 2}'},
    ]
    code, out, err = run(monkeypatch, capsys, [str(connector(tmp_path))], lines)
    assert (code, err) == (0, "")
    assert out == [
        {
            "topic": "orders",
            "partition": 0,
            "offset": 0,
            "timestamp": None,
            "key": "k1",
            "value": '{"order_id":1,"amount":2.5,"via":"cli"}',
            # SimpleHeaderConverter reads headers as UTF-8 text, as Kafka does: the invalid byte is replaced
            "headers": [["trace", "t-1"], ["bin", "\ufffd"]],
        },
        {
            "topic": "refunds",
            "partition": 4,
            "offset": 99,
            "timestamp": 1_700_000_000_000,
            "key": None,
            "value": '{"order_id":2,"via":"cli"}',
            "headers": [],
        },
    ]


def test_binary_values_come_back_as_base64(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = connector(
        tmp_path, **{"value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter", "transforms": ""}
    )
    code, out, _ = run(monkeypatch, capsys, [str(path)], [{"value": {"base64": "AP8="}}, {"value": "plain"}])
    assert code == 0
    assert [o["value"] for o in out] == [{"base64": "AP8="}, "plain"]


def test_filtered_records_print_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, [str(connector(tmp_path))], [{"key": "gone", "value": None}])
    assert (code, out) == (0, [])


def test_tolerance_all_prints_the_error_in_place_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = connector(tmp_path, **{"errors.tolerance": "all"})
    lines = [{"value": '{"id": 1}'}, {"value": "{broken"}, {"value": "[1]"}, {"value": '{"id": 4}'}]
    code, out, _ = run(monkeypatch, capsys, [str(path)], lines)
    assert code == 0
    assert out[0]["value"] == '{"order_id":1,"via":"cli"}'
    assert out[1]["input_offset"] == 1
    assert out[1]["error"]["stage"] == "VALUE_CONVERTER"
    assert out[1]["error"]["class"] == "org.apache.kafka.connect.json.JsonConverter"
    assert out[1]["error"]["exception"] == "connectless.data.errors.DataError"
    assert "Converting byte[] to Kafka Connect data failed" in out[1]["error"]["message"]
    assert out[2] == {
        "error": {
            "stage": "TRANSFORMATION",
            "class": "org.apache.kafka.connect.transforms.InsertField$Value",
            "exception": "connectless.data.errors.DataError",
            "message": out[2]["error"]["message"],
        },
        "input_offset": 2,
    }
    assert out[3]["value"] == '{"order_id":4,"via":"cli"}'


def test_tolerance_none_stops_at_the_first_failure_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [{"value": '{"id": 1}'}, {"value": "{broken"}, {"value": '{"id": 3}'}]
    code, out, _ = run(monkeypatch, capsys, [str(connector(tmp_path))], lines)
    assert code == 1
    assert len(out) == 2
    assert out[1]["error"]["stage"] == "VALUE_CONVERTER"
    assert out[1]["error"]["class"] == "org.apache.kafka.connect.json.JsonConverter"
    assert out[1]["input_offset"] == 1


def test_source_side_reads_input_as_the_data_a_source_emits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = connector(tmp_path, **{"transforms": "ins", "transforms.ins.static.field": "src"})
    lines = [{"key": "k", "value": '{"id": 9}', "headers": [["n", "5"]], "timestamp": 5}]
    code, out, _ = run(monkeypatch, capsys, [str(path), "--side", "source"], lines)
    assert code == 0
    assert out == [
        {
            "topic": "orders",
            "partition": None,
            "offset": None,
            "timestamp": 5,
            "key": "k",
            "value": '{"id":9,"src":"cli"}',
            "headers": [["n", "5"]],
        }
    ]


def test_source_record_without_a_partition_has_none_for_the_transforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a SourceRecord with no Kafka partition: InsertField writes no partition field (Kafka's null check)."""
    path = connector(tmp_path, **{"transforms": "ins", "transforms.ins.partition.field": "p"})
    lines = [{"value": '{"id": 1}'}, {"value": '{"id": 2}', "partition": 3}]
    code, out, _ = run(monkeypatch, capsys, [str(path), "--side", "source"], lines)
    assert (code, [(o["partition"], o["value"]) for o in out]) == (
        0,
        [(None, '{"id":1,"via":"cli"}'), (3, '{"id":2,"p":3,"via":"cli"}')],
    )


def test_sink_record_the_converter_cannot_write_shows_as_unserializable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """InsertField with a required timestamp field and no timestamp leaves a null Kafka's converter refuses."""
    envelope = '{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"}]},"payload":{"a":1}}'
    overrides = {
        "value.converter.schemas.enable": "true",
        "transforms": "ins",
        "transforms.ins.timestamp.field": "ts!",
    }
    code, out, _ = run(monkeypatch, capsys, [str(connector(tmp_path, **overrides))], [{"value": envelope}])
    assert (code, out[0]["value"]) == (0, {"unserializable": "connectless.data.errors.DataError"})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "input line 2: invalid JSON"),
        ("[1]", "input line 2: expected a JSON object"),
        ('{"value": 5}', "input line 2: field 'value' must be a string"),
        ('{"value": {"base64": "@@"}}', "input line 2: field 'value' has invalid base64"),
        ('{"value": "x", "partition": "0"}', "input line 2: field 'partition' must be an integer"),
        ('{"value": "x", "headers": [["a"]]}', "input line 2: field 'headers[0]' must be a [name, value] pair"),
    ],
)
def test_a_bad_input_line_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    code, out, err = run(monkeypatch, capsys, [str(connector(tmp_path))], [{"value": '{"id": 1}'}, line])
    assert code == 2
    assert len(out) == 1
    assert message in err


def test_a_bad_connector_config_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = connector(tmp_path, **{"errors.tolerance": "some"})
    code, _, err = run(monkeypatch, capsys, [str(path)], [])
    assert code == 2
    assert "errors.tolerance" in err


def test_properties_file_and_input_file_through_the_installed_command(tmp_path: Path) -> None:
    props = tmp_path / "sink.properties"
    props.write_text("\n".join(f"{k}={v}" for k, v in {**CONFIG, "name": "props-sink"}.items()) + "\n")
    data = tmp_path / "in.jsonl"
    data.write_text('{"value": "{\\"id\\": 1}"}\n\n{"value": "{\\"id\\": 2}"}\n')
    result = subprocess.run(
        [sys.executable, "-m", "connectless_cli.main", "transform", str(props), "--input", str(data)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert [orjson.loads(line)["value"] for line in result.stdout.splitlines()] == [
        '{"order_id":1,"via":"cli"}',
        '{"order_id":2,"via":"cli"}',
    ]


def test_help_says_nothing_goes_to_the_dlq() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "connectless_cli.main", "transform", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "errors.deadletterqueue.* is ignored" in result.stdout


def test_connector_file_shapes(tmp_path: Path) -> None:
    nested = tmp_path / "a.json"
    nested.write_text('{"name": "n", "config": {"tasks.max": 2, "x": true, "t": ["a", "b"]}}')
    assert load_connector_file(nested).config == {"tasks.max": "2", "x": "true", "t": "a,b", "name": "n"}
    flat = tmp_path / "flat.json"
    flat.write_text('{"name": "f", "topics": "t"}')
    assert load_connector_file(flat).name == "f"
    broken = tmp_path / "broken.json"
    broken.write_text('{"config": ')
    with pytest.raises(ConnectorFileError, match="broken.json: invalid JSON"):
        load_connector_file(broken)


def test_properties_follow_java_rules() -> None:
    text = "# comment\n! also\nname = my-sink\na:b\nkey\\ one value\nlist=x,\\\n    y\nu=\\u00e9\\t\nempty\n"
    assert parse_properties(text) == {
        "name": "my-sink",
        "a": "b",
        "key one": "value",
        "list": "x,y",
        "u": "é\t",
        "empty": "",
    }


def test_schema_registry_mock_registers_what_a_source_would_produce_and_the_sink_side_reads_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64

    from connectless_cli.transform_cmd import MOCK_REGISTRY

    insert = "org.apache.kafka.connect.transforms.InsertField$Value"
    avro = {"value.converter": "io.confluent.connect.avro.AvroConverter", "transforms": "ins", "predicates": "",
            "transforms.ins.type": insert}  # fmt: skip
    path = connector(tmp_path, **avro)
    envelope = {"schema": {"type": "struct", "name": "shop.Order", "fields": [{"field": "id", "type": "int64"}]},
                "payload": {"id": 7}}  # fmt: skip
    code, out, err = run(monkeypatch, capsys, [str(path), "--side", "source", "--schema-registry", "mock"],
                         [{"key": "k1", "value": orjson.dumps(envelope).decode()}])  # fmt: skip
    assert (code, err) == (0, "")
    (produced,) = out
    data = base64.b64decode(produced["value"]["base64"])
    assert data[0] == 0 and produced["value_schema_id"] == int.from_bytes(data[1:5], "big")

    # the sink side reads those bytes from the same in-memory registry and shows them re-serialised
    plain = connector(tmp_path, **{**avro, "transforms": ""})
    code, out, err = run(monkeypatch, capsys, [str(plain), "--schema-registry", "mock"],
                         [{"key": "k1", "value": produced["value"]}])  # fmt: skip
    assert (code, err) == (0, ""), out
    from connectless.converters.registry import AvroConverter

    reader = AvroConverter()
    reader.configure({"schema.registry.url": MOCK_REGISTRY}, False)
    shown = reader.to_connect_data("orders", base64.b64decode(out[0]["value"]["base64"])).value
    assert (shown.get("id"), shown.get("via")) == (7, "cli")


def test_schema_registry_option_touches_only_registry_converters() -> None:
    from connectless_cli.transform_cmd import with_registry

    config = {"key.converter": "StringConverter", "value.converter": "io.confluent.connect.json.JsonSchemaConverter"}
    assert with_registry(config, "http://sr:8081") == {
        **config,
        "value.converter.schema.registry.url": "http://sr:8081",
    }
    assert with_registry(config, None) == config

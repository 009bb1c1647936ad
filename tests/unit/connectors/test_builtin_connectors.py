"""Datagen and the file connectors, driven directly through the SPI with an in-memory offset store."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectless.config import ConfigError
from connectless.connectors.datagen import DatagenConnector, DatagenTask
from connectless.connectors.file import FileStreamSinkTask, FileStreamSourceConnector, FileStreamSourceTask
from connectless.data import STRING_SCHEMA, SchemaBuilder, Struct
from connectless.data.json_values import to_json_line, to_json_text
from connectless.records import SinkRecord
from connectless.runtime.contexts import RuntimeSourceTaskContext
from connectless.storage import MemoryLog, OffsetStore, TaskOffsetReader


def _context(store: OffsetStore, connector: str, props: dict[str, str]) -> RuntimeSourceTaskContext:
    return RuntimeSourceTaskContext(props, TaskOffsetReader(store, connector))


def _drain(task: Any, polls: int = 100) -> list[Any]:
    out: list[Any] = []
    for _ in range(polls):
        batch = task.poll()
        if batch:
            out.extend(batch)
    return out


@pytest.fixture
def store() -> OffsetStore:
    s = OffsetStore(MemoryLog())
    s.start()
    return s


@pytest.mark.parametrize("schemaful", [True, False])
def test_datagen_ids_run_from_zero_to_max_in_order(store: OffsetStore, schemaful: bool) -> None:
    props = {"kafka.topic": "t", "max.records": "25", "batch.size": "10", "value.schema.enabled": str(schemaful)}
    task = DatagenTask()
    task.initialize(_context(store, "gen", props))
    task.start(props)
    records = _drain(task, polls=5)
    ids = [r.value.get("id") if isinstance(r.value, Struct) else r.value["id"] for r in records]
    assert ids == list(range(25))
    assert all(r.topic == "t" for r in records)
    if schemaful:
        assert records[0].value_schema is not None and records[0].value_schema.field("id") is not None
        records[0].value.validate()
    else:
        assert records[0].value_schema is None


def test_datagen_resumes_from_its_committed_offset(store: OffsetStore) -> None:
    props = {"kafka.topic": "t", "max.records": "10", "batch.size": "4"}
    first = DatagenTask()
    first.initialize(_context(store, "gen", props))
    first.start(props)
    batch = first.poll() or []
    store.write("gen", [(batch[-1].source_partition, batch[-1].source_offset)])
    second = DatagenTask()
    second.initialize(_context(store, "gen", props))
    second.start(props)
    assert [r.key for r in _drain(second, 5)] == [4, 5, 6, 7, 8, 9]


def test_datagen_tasks_split_ids_without_overlap(store: OffsetStore) -> None:
    connector = DatagenConnector()
    connector.start({"kafka.topic": "t", "max.records": "9"})
    seen: list[int] = []
    for config in connector.task_configs(3):
        task = DatagenTask()
        task.initialize(_context(store, "gen", config))
        task.start(config)
        seen += [r.key for r in _drain(task, 3)]
    assert sorted(seen) == list(range(9))


def test_datagen_rejects_a_missing_topic() -> None:
    with pytest.raises(ConfigError, match="kafka.topic"):
        DatagenTask().start({"max.records": "1"})


def test_file_source_reads_lines_and_resumes_at_the_byte_position(store: OffsetStore, tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text("alpha\nbeta\ngam")  # the last line is still being written
    props = {"file": str(path), "topic": "lines"}
    task = FileStreamSourceTask()
    task.initialize(_context(store, "fs", props))
    task.start(props)
    records = _drain(task, 3)
    assert [r.value for r in records] == ["alpha", "beta"]
    assert records[-1].source_partition == {"filename": str(path)}
    assert records[-1].source_offset == {"position": len("alpha\nbeta\n")}
    store.write("fs", [(records[-1].source_partition, records[-1].source_offset)])
    task.stop()
    with path.open("a") as f:
        f.write("ma\ndelta\n")
    again = FileStreamSourceTask()
    again.initialize(_context(store, "fs", props))
    again.start(props)
    assert [r.value for r in _drain(again, 3)] == ["gamma", "delta"]
    again.stop()


def test_file_source_connector_requires_exactly_one_topic() -> None:
    with pytest.raises(ConfigError, match="single topic"):
        FileStreamSourceConnector().start({"file": "x", "topic": "a,b"})


def test_file_sink_writes_structured_values_as_json_and_strings_as_is(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    task = FileStreamSinkTask()
    task.start({"file": str(path)})

    def record(value: Any, offset: int) -> SinkRecord:
        return SinkRecord("t", 0, None, None, None, value, kafka_offset=offset)

    task.put([record({"id": 1, "b": [1, 2]}, 0), record("plain text", 1), record(None, 2)])
    task.flush({})
    task.stop()
    lines = path.read_text().splitlines()
    assert orjson.loads(lines[0]) == {"id": 1, "b": [1, 2]}
    assert lines[1:] == ["plain text", "null"]


@pytest.mark.parametrize(
    "value",
    [
        {"id": 1, "nested": {"a": [1, 2.5, None]}, "when": dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)},
        [1, "two", {"three": decimal.Decimal("3.5")}],
        "plain é text",
        None,
        42,
        decimal.Decimal("1.25"),
        b"\x00\x01",
        Struct(SchemaBuilder.struct().field("f", STRING_SCHEMA).build()).put("f", "x"),
    ],
)
def test_a_json_line_is_the_json_text_and_a_newline(value: Any) -> None:
    assert to_json_line(value) == (to_json_text(value) + "\n").encode()

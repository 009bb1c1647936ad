"""The three stores over the in-memory log: formats and semantics, byte for byte."""

from __future__ import annotations

import orjson
import pytest

from connectless.storage import (
    ConfigStore,
    MemoryLog,
    MemoryTopic,
    OffsetStore,
    State,
    Status,
    StatusStore,
    TargetState,
)


def _records(log: MemoryLog) -> list[tuple[bytes, bytes | None]]:
    return list(log.records)


def test_offset_records_use_kafka_connect_key_and_value_format() -> None:
    log = MemoryLog()
    store = OffsetStore(log)
    store.start()
    store.write("file-src", [({"filename": "/tmp/a.txt"}, {"position": 42})])
    assert _records(log) == [(b'["file-src",{"filename":"/tmp/a.txt"}]', b'{"position":42}')]


def test_offsets_compare_partitions_as_maps_not_bytes() -> None:
    log = MemoryLog()
    store = OffsetStore(log)
    store.start()
    # Written by another producer with a different key order:
    log.send(b'["c",{"b":2,"a":1}]', b'{"pos":7}')
    assert store.offset("c", {"a": 1, "b": 2}) == {"pos": 7}


def test_offset_tombstone_deletes_and_last_write_wins() -> None:
    log = MemoryLog()
    store = OffsetStore(log)
    store.start()
    store.write("c", [({"p": 1}, {"o": 1})])
    store.write("c", [({"p": 1}, {"o": 2})])
    assert store.offset("c", {"p": 1}) == {"o": 2}
    assert store.delete_all("c") == 1
    assert store.offset("c", {"p": 1}) is None
    assert _records(log)[-1] == (b'["c",{"p":1}]', None)


def test_offsets_ignore_foreign_records() -> None:
    log = MemoryLog()
    store = OffsetStore(log)
    log.send(b"not json", b"{}")
    log.send(b'{"a":1}', b"{}")
    store.start()
    assert store.connectors() == []


def test_a_second_store_on_the_same_log_reads_what_the_first_wrote() -> None:
    topic = MemoryTopic()
    OffsetStore(MemoryLog(topic)).write("c", [({"p": 0}, {"o": 9})])
    reader = OffsetStore(MemoryLog(topic))
    reader.start()
    assert reader.offset("c", {"p": 0}) == {"o": 9}


def test_config_records_match_kafka_connect_formats() -> None:
    log = MemoryLog()
    store = ConfigStore(log)
    store.start()
    store.put_connector_config("demo", {"connector.class": "Datagen", "tasks.max": "2"})
    store.put_task_configs("demo", [{"t": "0"}, {"t": "1"}])
    store.put_target_state("demo", TargetState.PAUSED)
    store.put_target_state("demo", TargetState.STOPPED)
    assert _records(log) == [
        (b"connector-demo", b'{"properties":{"connector.class":"Datagen","tasks.max":"2"}}'),
        (b"task-demo-0", b'{"properties":{"t":"0"}}'),
        (b"task-demo-1", b'{"properties":{"t":"1"}}'),
        (b"commit-demo", b'{"tasks":2}'),
        (b"target-state-demo", b'{"state":"PAUSED","state.v2":"PAUSED"}'),
        (b"target-state-demo", b'{"state":"PAUSED","state.v2":"STOPPED"}'),
    ]
    snap = store.snapshot()
    assert snap.tasks["demo"] == [{"t": "0"}, {"t": "1"}]
    assert snap.target_states["demo"] is TargetState.STOPPED


def test_task_configs_are_invisible_until_their_commit_record() -> None:
    log = MemoryLog()
    store = ConfigStore(log)
    store.start()
    store.put_connector_config("c", {"a": "b"})
    log.send(b"task-c-0", b'{"properties":{"x":"1"}}')
    assert "c" not in store.snapshot().tasks
    log.send(b"commit-c", b'{"tasks":1}')
    assert store.snapshot().tasks["c"] == [{"x": "1"}]


def test_commit_naming_missing_tasks_is_ignored() -> None:
    log = MemoryLog()
    store = ConfigStore(log)
    store.start()
    log.send(b"task-c-0", b'{"properties":{"x":"1"}}')
    log.send(b"commit-c", b'{"tasks":2}')
    assert "c" not in store.snapshot().tasks


def test_legacy_target_state_without_v2_is_read() -> None:
    log = MemoryLog()
    store = ConfigStore(log)
    store.start()
    store.put_connector_config("c", {})
    log.send(b"target-state-c", b'{"state":"PAUSED"}')
    assert store.target_state("c") is TargetState.PAUSED


def test_remove_connector_writes_tombstones_and_forgets_it() -> None:
    log = MemoryLog()
    store = ConfigStore(log)
    changed: list[str] = []
    store.add_listener(changed.append)
    store.start()
    store.put_connector_config("c", {"a": "b"})
    store.remove_connector("c")
    assert _records(log)[-2:] == [(b"connector-c", None), (b"target-state-c", None)]
    assert store.connector_config("c") is None
    assert changed == ["c", "c"]


def test_status_records_match_kafka_connect_format() -> None:
    log = MemoryLog()
    store = StatusStore(log)
    store.start()
    store.put_connector("c", Status(State.RUNNING, "host:8083", 3))
    store.put_task("c", 0, Status(State.FAILED, "host:8083", 3, "Traceback..."))
    assert _records(log) == [
        (b"status-connector-c", b'{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":3}'),
        (b"status-task-c-0", b'{"state":"FAILED","trace":"Traceback...","worker_id":"host:8083","generation":3}'),
    ]
    assert store.task("c", 0) == Status(State.FAILED, "host:8083", 3, "Traceback...")
    store.remove("c", 1)
    assert store.connector("c") is None
    assert store.tasks("c") == {}


@pytest.mark.parametrize("raw", [b"{", b'{"state":"BOGUS"}', b"[]"])
def test_status_store_skips_malformed_values(raw: bytes) -> None:
    log = MemoryLog()
    store = StatusStore(log)
    store.start()
    log.send(b"status-connector-c", raw)
    assert store.connector("c") is None


def test_connector_names_with_dashes_parse_task_keys() -> None:
    log = MemoryLog()
    store = ConfigStore(log)
    store.start()
    store.put_connector_config("my-conn-1", {})
    store.put_task_configs("my-conn-1", [{"k": "v"}])
    assert store.snapshot().task_config("my-conn-1", 0) == {"k": "v"}
    assert orjson.loads(_records(log)[-1][1] or b"") == {"tasks": 1}

"""Source offsets, in Kafka Connect's offsets-topic format.

Key `["<connector>",{<partition>}]`, value `{<offset>}`, a null value deletes. The default topic has 25
partitions and keys are placed with the Java client's partitioner, so a Kafka Connect cluster and
Connectless can read each other's offsets topic.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from connectless.storage import codec
from connectless.storage.log import StoreError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from connectless.storage.log import KeyValueLog, WriteHandle

OFFSETS_TOPIC_PARTITIONS = 25


def offset_key(connector: str, partition: Mapping[str, Any]) -> bytes:
    return codec.encode([connector, partition])


class OffsetStore:
    """Latest offset per (connector, source partition), fed by a KeyValueLog."""

    def __init__(self, log: KeyValueLog) -> None:
        self.log = log
        self._lock = threading.Lock()
        # connector -> canonical partition bytes -> (partition, offset)
        self._data: dict[str, dict[bytes, tuple[dict[str, Any], dict[str, Any]]]] = {}
        log.add_listener(self._on_record)

    def _on_record(self, key: bytes, value: bytes | None) -> None:
        try:
            decoded = codec.decode(key)
            connector, partition = decoded
        except (ValueError, TypeError):
            return  # not an offsets record; Kafka Connect skips these too
        if not isinstance(connector, str) or not isinstance(partition, dict):
            return
        canon = codec.canonical(partition)
        with self._lock:
            per_connector = self._data.setdefault(connector, {})
            if value is None:
                per_connector.pop(canon, None)
            else:
                per_connector[canon] = (partition, codec.decode(value))

    def start(self) -> None:
        self.log.start()

    def refresh(self) -> None:
        self.log.read_to_end()

    def offset(self, connector: str, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            found = self._data.get(connector, {}).get(codec.canonical(dict(partition)))
        return None if found is None else found[1]

    def offsets(self, connector: str, partitions: Sequence[Mapping[str, Any]]) -> dict[bytes, dict[str, Any] | None]:
        return {codec.canonical(dict(p)): self.offset(connector, p) for p in partitions}

    def all(self, connector: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        with self._lock:
            return list(self._data.get(connector, {}).values())

    def connectors(self) -> list[str]:
        with self._lock:
            return [c for c, parts in self._data.items() if parts]

    def write(self, connector: str, offsets: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None]]) -> None:
        """Write offsets (None deletes) and return once the broker acknowledged all of them."""
        handles: list[WriteHandle] = [
            self.log.send(offset_key(connector, partition), None if offset is None else codec.encode(offset))
            for partition, offset in offsets
        ]
        self.log.flush()
        for handle in handles:
            handle.wait()

    def delete_all(self, connector: str) -> int:
        """Tombstone every offset of `connector`; returns how many were removed."""
        existing = self.all(connector)
        if existing:
            self.write(connector, [(partition, None) for partition, _ in existing])
        return len(existing)


class TaskOffsetReader:
    """The OffsetStorageReader a source task sees: its connector's offsets only."""

    def __init__(self, store: OffsetStore, connector: str) -> None:
        self.store = store
        self.connector = connector

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.store.offset(self.connector, partition)

    def offsets(self, partitions: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any] | None]:
        return {codec.canonical(dict(p)).decode(): self.store.offset(self.connector, p) for p in partitions}


__all__ = ["OFFSETS_TOPIC_PARTITIONS", "OffsetStore", "StoreError", "TaskOffsetReader", "offset_key"]

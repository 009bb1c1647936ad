"""A connector's config generation: how many target-state records the config topic holds for it.

Every manager execution ends by writing the connector's target state (a tombstone on delete), so the
generation moves exactly once per finished change, and every reader of the topic counts the same.
"""

from __future__ import annotations

import threading

from connectless.storage.configs import TARGET_STATE_PREFIX


class GenerationTracker:
    """Listens to the config log; attach it before the log starts so it counts from the beginning."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def on_record(self, key: bytes, _value: bytes | None) -> None:
        name = key.decode("utf-8", "replace")
        if name.startswith(TARGET_STATE_PREFIX):
            connector = name[len(TARGET_STATE_PREFIX) :]
            with self._lock:
                self._counts[connector] = self._counts.get(connector, 0) + 1

    def generation(self, connector: str) -> int:
        with self._lock:
            return self._counts.get(connector, 0)

"""start_stores: the state stores of a cold function start side by side, and a failure is not swallowed."""

from __future__ import annotations

import threading

import pytest

from connectless.storage import ConfigStore, MemoryLog, OffsetStore, StatusStore
from connectless.storage.log import StoreError
from connectless.storage.topics import start_stores


class SlowLog(MemoryLog):
    """Starts only once every log of the group is starting: proves the starts overlap."""

    def __init__(self, barrier: threading.Barrier) -> None:
        super().__init__()
        self.barrier = barrier
        self.started = False

    def start(self) -> None:
        self.barrier.wait(timeout=5)  # raises BrokenBarrierError if the starts ran one after the other
        super().start()
        self.started = True


def test_stores_start_side_by_side() -> None:
    barrier = threading.Barrier(3)
    logs = [SlowLog(barrier) for _ in range(3)]
    start_stores(ConfigStore(logs[0]), OffsetStore(logs[1]), StatusStore(logs[2]))
    assert all(log.started for log in logs)


def test_a_store_that_cannot_start_fails_the_start() -> None:
    class Broken(MemoryLog):
        def start(self) -> None:
            raise StoreError("no broker")

    with pytest.raises(StoreError, match="no broker"):
        start_stores(ConfigStore(MemoryLog()), StatusStore(Broken()))


def test_one_store_starts_in_the_calling_thread() -> None:
    seen: list[str] = []

    class Recording(MemoryLog):
        def start(self) -> None:
            seen.append(threading.current_thread().name)
            super().start()

    start_stores(ConfigStore(Recording()))
    assert seen == [threading.current_thread().name]

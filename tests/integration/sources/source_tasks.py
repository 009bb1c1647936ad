"""Drive a source task as one scheduled run would: start with committed offsets, poll until dry, commit, stop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.runtime.contexts import RuntimeSourceTaskContext
from connectless.storage import codec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.connector import SourceTask
    from connectless.records import SourceRecord


class Offsets:
    """An OffsetStorageReader over a dict: what the runner would have committed."""

    def __init__(self) -> None:
        self.data: dict[bytes, dict[str, Any]] = {}

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.data.get(codec.canonical(dict(partition)))

    def offsets(self, partitions: Any) -> dict[str, dict[str, Any] | None]:
        return {codec.canonical(dict(p)).decode(): self.offset(p) for p in partitions}

    def commit(self, records: list[SourceRecord]) -> None:
        for record in records:
            if record.source_partition is not None and record.source_offset is not None:
                self.data[codec.canonical(dict(record.source_partition))] = dict(record.source_offset)


def run_once(task: SourceTask, props: Mapping[str, str], offsets: Offsets, *, polls: int = 200,
             commit_first: int | None = None) -> list[SourceRecord]:  # fmt: skip
    """Poll until a poll returns nothing; commit the offsets of all (or of the first `commit_first`) records."""
    task.initialize(RuntimeSourceTaskContext(props, offsets))
    task.start(props)
    records: list[SourceRecord] = []
    try:
        for _ in range(polls):
            batch = task.poll()
            if not batch:
                break
            records.extend(batch)
    finally:
        task.stop()
    offsets.commit(records if commit_first is None else records[:commit_first])
    return records

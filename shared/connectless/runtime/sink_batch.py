"""Writing one batch to a SinkTask: put the batch, and when that fails, find the bad records one by one.

Used by the sink handler (Lambda, `local up` and standalone mode alike):
1. `put(batch)` (then `flush`, when the caller writes batch by batch) through `retry`, the connector's
   RetryWithToleranceOperator: a RetriableError is retried with its backoff (errors.retry.delay.max.ms)
   within `timeout_s`, each wait the task's SinkTaskContext.timeout when it set one (`backoff`); no other error
   is retried;
2. a RetriableError that outlasts the timeout fails the whole write (an outage: nothing is dead-lettered);
   any other failure: `reset()` lets the task drop what it buffered, then each record is written alone
   (`put([record])`, then `flush`), under the same retries;
3. a record that still fails goes to `report(raw, error)`: the DLQ under errors.tolerance=all. `report`
   raises ToleranceExceededError to fail the task, or returns False to skip the rest of that partition
   (the Lambda handler: ReportBatchItemFailures names that record).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectless import native
from connectless.connector import TopicPartition
from connectless.errors.exceptions import RetriableError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from connectless.connector import SinkTask
    from connectless.errors.retry import RetryWithToleranceOperator
    from connectless.raw_records import RawRecord
    from connectless.records import SinkRecord

    # report(raw, error) -> True to go on with the partition, False to stop it there
    Report = Callable[[RawRecord, BaseException], bool]

log = logging.getLogger(__name__)


@dataclass
class WriteOutcome:
    """What a batch write did: records written, records reported, and where each stopped partition stopped."""

    written: int = 0
    reported: int = 0
    stopped: dict[TopicPartition, RawRecord] = field(default_factory=dict)


def next_offsets(raws: Sequence[RawRecord]) -> dict[TopicPartition, int]:
    """The offsets to commit once `raws` are handled: the last offset + 1 of each partition."""
    fast = native.records
    last: dict[tuple[str, int], int]
    if fast is not None:
        last = fast.last_offsets(raws)  # a tuple per run of a partition
    else:
        last = {}
        for raw in raws:  # a plain tuple per record; a TopicPartition only per partition
            last[raw.topic, raw.partition] = raw.offset + 1
    return {TopicPartition(topic, partition): offset for (topic, partition), offset in last.items()}


def write_batch(
    task: SinkTask,
    records: Sequence[SinkRecord],
    raws: Sequence[RawRecord],
    report: Report,
    *,
    retry: RetryWithToleranceOperator,
    timeout_s: float | None = None,
    flush: bool = False,
    reset: Callable[[], None] | None = None,
    backoff: Callable[[], float | None] | None = None,
) -> WriteOutcome:
    """Write `records` (with `raws[i]` the consumed form of `records[i]`) as the module docstring says.

    `timeout_s` bounds the retries of a RetriableError of each write (None: forever)."""
    outcome = WriteOutcome()
    if not records:
        return outcome
    single = len(records) == 1
    try:
        retry.run_retrying(_write, task, records, raws, flush, timeout_s=timeout_s, next_delay=backoff)
        outcome.written = len(records)
        return outcome
    except RetriableError:
        raise  # an outage outlasted the budget: the whole batch fails and comes back
    except Exception as exc:
        if reset is not None:
            reset()
        if single:
            _report(outcome, raws[0], exc, report)
            return outcome
        log.warning("writing a batch of %d records failed, writing them one by one: %s", len(records), exc)
    for record, raw in zip(records, raws, strict=True):
        if TopicPartition(raw.topic, raw.partition) in outcome.stopped:
            continue
        try:
            retry.run_retrying(_write, task, [record], [raw], flush, timeout_s=timeout_s, next_delay=backoff)
            outcome.written += 1
        except RetriableError:
            raise
        except Exception as exc:
            if reset is not None:
                reset()
            _report(outcome, raw, exc, report)
    return outcome


def write_chunks(
    task: SinkTask,
    chunks: Iterator[tuple[list[SinkRecord], list[RawRecord]]],
    report: Report,
    *,
    convert: Callable[[RawRecord], SinkRecord | None],
    reset: Callable[[], None],
    retry: RetryWithToleranceOperator,
    timeout_s: float | None = None,
    flush: bool = False,
    backoff: Callable[[], float | None] | None = None,
) -> WriteOutcome:
    """Write a batch that arrives in chunks, each `(records, raws)`, as Kafka Connect calls put once per poll.

    Each chunk is put as soon as it is there (converted a moment ago, its records are still in the CPU's caches),
    and `flush` runs once after the last. Only the consumed records are kept past their chunk: a batch of any size
    runs in the memory of one chunk's converted records. When a put or the flush fails, the chunks still to come
    are taken too, the task drops what it buffered (`reset`), the batch is converted again (`convert`: converters
    and transforms are functions of the record) and `write_batch` writes it whole: its retries, then record by
    record. An exception raised while producing a chunk propagates.
    """
    raws: list[RawRecord] = []
    written = 0
    failure: Exception | None = None
    for chunk_records, chunk_raws in chunks:
        raws += chunk_raws
        if not chunk_records:
            continue
        try:
            task.put(chunk_records)
        except Exception as exc:
            failure = exc
            break
        written += len(chunk_records)
    if failure is None:
        if not raws:
            return WriteOutcome()
        try:
            if flush:
                task.flush(next_offsets(raws))
            return WriteOutcome(written=written)
        except Exception as exc:
            failure = exc
    for _records, chunk_raws in chunks:  # the rest of the batch, not put yet
        raws += chunk_raws
    log.warning("writing a batch of %d records in chunks failed, writing it again whole: %s", len(raws), failure)
    reset()
    records: list[SinkRecord] = []
    by_record: list[RawRecord] = []
    for raw in raws:
        record = convert(raw)
        if record is not None:
            records.append(record)
            by_record.append(raw)
    return write_batch(task, records, by_record, report, retry=retry, timeout_s=timeout_s, flush=flush, reset=reset,
                       backoff=backoff)  # fmt: skip


def _report(outcome: WriteOutcome, raw: RawRecord, error: BaseException, report: Report) -> None:
    outcome.reported += 1
    if not report(raw, error):
        outcome.stopped[TopicPartition(raw.topic, raw.partition)] = raw


def _write(task: SinkTask, records: Sequence[SinkRecord], raws: Sequence[RawRecord], flush: bool) -> None:
    """One attempt: put (+ flush up to the batch's offsets)."""
    task.put(list(records))
    if flush:
        task.flush(next_offsets(raws))

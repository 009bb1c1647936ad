"""bench/: the side-by-side source benchmark's exactly-once runs, against the session's real broker.

- TopicCounter under transactions: a transaction's commit marker takes an offset, so the end offset overcounts; the
  counter must not call a run complete before its last record is committed, nor count an open transaction.
- Kafka Connect 4.1.1's own exactly-once source (one distributed worker, `exactly.once.source.support=enabled`,
  FileStreamSource with `exactly.once.support=required`) over a small file: every line committed once, in order,
  in transactions (markers in the topic), its final offset in the worker's offsets topic, a transactional producer
  in its log.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest
from confluent_kafka import Producer

from connectless.kafka import KafkaSettings

if TYPE_CHECKING:
    from collections.abc import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from sidebyside import kafka_connect as kc  # noqa: E402
from sidebyside import runs  # noqa: E402
from sidebyside.workload import write_lines  # noqa: E402

pytestmark = pytest.mark.kafka


def _line_value(i: int) -> bytes:
    return orjson.dumps(f"line {i}")  # what JsonConverter (schemas off) writes for a string


def test_the_counter_counts_committed_records_not_markers_nor_open_transactions(
    kafka_bootstrap: str, unique_topic: Callable[..., str], tmp_path: Path
) -> None:
    settings = KafkaSettings(kafka_bootstrap)
    topic = unique_topic("eos-count")
    runs.create_topic(settings, topic)
    infile = tmp_path / "in.txt"
    infile.write_text("".join(f"line {i}\n" for i in range(30)))
    counter = runs.TopicCounter(settings, topic, total=30, last_line=runs.last_line(infile))
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "transactional.id": f"{topic}-tx"})
    producer.init_transactions()
    try:
        for first in (0, 10):  # two committed transactions of 10
            producer.begin_transaction()
            for i in range(first, first + 10):
                producer.produce(topic, _line_value(i), partition=0)
            producer.commit_transaction()
        producer.begin_transaction()  # the last 10, not committed yet
        for i in range(20, 30):
            producer.produce(topic, _line_value(i), partition=0)
        producer.flush()
        assert runs.wait_until(lambda: counter() >= 20, 10, 0.0) is not None  # 20 records + 2 markers
        assert counter() == 22
        producer.commit_transaction()
        # 30 records + 3 markers: the end offset passes 30 at once, the run is complete once the last is read
        assert runs.wait_until(lambda: counter() == 30, 10, 0.0) is not None
    finally:
        counter.close()
    committed = runs.count_committed(settings, topic, infile)
    assert committed["records"] == 30
    assert committed["values_not_matching_the_file"] == 0
    assert committed["end_offset"] == 33
    assert committed["offsets_not_records"] == 3  # the commit markers
    assert committed["runs"]["runs"] == 3  # one producer: a run of offsets is a transaction
    assert committed["runs"]["records_per_run_median"] == 10


def test_kafka_connects_exactly_once_source_writes_each_line_once_in_transactions(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    libs = kc.fetch_jars()
    settings = KafkaSettings(kafka_bootstrap)
    infile = tmp_path / "in.txt"
    lines = 5_000  # FileStreamSource's batch.size is 2,000: 3 polls, 3 transactions at least
    size = write_lines(infile, lines)
    name = f"kc-eos-test-{uuid.uuid4().hex[:8]}"
    measure = runs.run_kc_source_eos(settings, libs, tmp_path / "kc", infile, lines, 180, name=name)
    extra = measure.extra
    committed = extra["committed_read"]
    assert extra["records_in_topic"] == lines == committed["records"]
    assert committed["values_not_matching_the_file"] == 0
    transactions = committed["runs"]["runs"]  # one producer: a run of offsets is a transaction
    assert transactions >= 3
    assert committed["offsets_not_records"] == transactions  # one commit marker each, nothing aborted
    assert extra["final_offset"] == {"position": size}
    assert extra["offsets_committed_s"] is not None
    assert extra["transactional_producer"]["producer_configured_with_it"] is True
    assert extra["transactional_producer"]["transaction_boundary"] == "poll"
    assert extra["transactional_producer"]["transactional_id"] == f"{name}-cluster-{name}-0"
    assert extra["connector_status"]["tasks"][0]["state"] == "RUNNING"
    assert measure.wall_s >= measure.first_record_s > 0

"""bench/: Kafka Connect's own exactly-once source run next to the exactly-once function (issue 17, target 3).

The pure parts: the worker's properties, the offsets topic's records, the committed-record progress, the
transactions read back, and the report's two ratios with a verdict each.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"
sys.path.insert(0, str(BENCH))

from sidebyside import kafka_connect as kc  # noqa: E402
from sidebyside import report, runs  # noqa: E402


def _bench_run() -> Any:
    spec = importlib.util.spec_from_file_location("bench_run_for_tests", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_distributed_worker_is_the_standalone_one_plus_its_group_topics_and_exactly_once(tmp_path: Path) -> None:
    converters = {"value.converter": "org.apache.kafka.connect.json.JsonConverter"}
    standalone = kc.worker_properties("127.0.0.1:9092", tmp_path, converters)
    worker = kc.distributed_worker_properties("127.0.0.1:9092", tmp_path, converters, "g1", exactly_once=True)
    assert worker["exactly.once.source.support"] == "enabled"
    assert worker["group.id"] == "g1"
    assert worker["config.storage.topic"] == "g1-configs"
    assert worker["offset.storage.topic"] == "g1-offsets"
    assert worker["status.storage.topic"] == "g1-status"
    for kind in ("config", "offset", "status"):
        assert worker[f"{kind}.storage.replication.factor"] == "1"
    assert "offset.storage.file.filename" not in worker  # standalone's file store only
    for key in ("bootstrap.servers", "value.converter", "offset.flush.interval.ms", "plugin.discovery"):
        assert worker[key] == standalone[key]
    assert worker["listeners"].startswith("http://127.0.0.1:")
    assert kc.rest_url(worker) == worker["listeners"]
    plain = kc.distributed_worker_properties("127.0.0.1:9092", tmp_path, converters, "g1", exactly_once=False)
    assert "exactly.once.source.support" not in plain


def test_the_offsets_topic_record_of_one_connector_and_file() -> None:
    key = b'["kc-eos",{"filename":"/tmp/in.txt"}]'
    partition = {"filename": "/tmp/in.txt"}
    assert runs.source_offset(key, b'{"position":1234}', "kc-eos", partition) == {"position": 1234}
    assert runs.source_offset(key, b'{"position":1234}', "other", partition) is None
    assert runs.source_offset(key, b'{"position":1234}', "kc-eos", {"filename": "/tmp/other.txt"}) is None
    assert runs.source_offset(key, None, "kc-eos", partition) is None  # a tombstone
    assert runs.source_offset(b"not json", b"{}", "kc-eos", partition) is None
    assert runs.source_offset(b'"a string"', b"{}", "kc-eos", partition) is None


def test_a_transactional_run_is_complete_only_once_its_last_record_is_committed() -> None:
    # 2,000 records in 2 transactions end at offset 2,002: the markers push the end offset past the total
    assert runs.committed_progress(0, 2000, last_seen=False) == 0
    assert runs.committed_progress(1001, 2000, last_seen=False) == 1001
    assert runs.committed_progress(2002, 2000, last_seen=False) == 1999
    assert runs.committed_progress(2002, 2000, last_seen=True) == 2000


def test_json_string_values_and_the_files_last_line(tmp_path: Path) -> None:
    assert runs.json_string(b'"{\\"id\\":7}"') == '{"id":7}'
    assert runs.json_string(b'{"id":7}') is None
    assert runs.json_string(b"\xff") is None
    assert runs.json_string(None) is None
    path = tmp_path / "in.txt"
    path.write_bytes(b'{"id":0}\n{"id":1}\n' + b"x" * 70_000 + b'\n{"id":2}\n')
    assert runs.last_line(path) == '{"id":2}'


def test_transactions_are_read_from_the_offsets_markers_take() -> None:
    txn = runs.OffsetRuns()
    # three transactions: offsets 0-2 (marker at 3), 4-5 (marker at 6), 7; producer timestamps in ms
    for offset, ts in ((0, 100), (1, 101), (2, 104), (4, 150), (5, 152), (7, 300)):
        txn.add(offset, ts)
    summary = txn.summary()
    assert summary["runs"] == 3
    assert txn.sizes == [3, 2, 1]
    assert txn.between_ms == [46, 148]
    assert txn.within_ms == [4, 2]
    assert summary["ms_within_runs_total"] == 6  # 4 + 2 + 0 for the one-record transaction
    assert summary["ms_between_runs_median"] == 148.0
    assert runs.OffsetRuns().summary()["runs"] == 0


def test_the_workers_log_shows_the_tasks_transactional_producer(tmp_path: Path) -> None:
    log = tmp_path / "connect.log"
    log.write_text(
        "\ttransaction.boundary = poll\n"
        "\ttransactional.id = g-kc-eos-0\n"
        "INFO [Producer clientId=connector-producer-kc-eos-0, transactionalId=g-kc-eos-0] Instantiated a "
        "transactional producer.\n"
        "INFO [Producer clientId=connector-producer-kc-eos-0, transactionalId=g-kc-eos-0] ProducerId set to 1\n"
    )
    found = kc.transactional_evidence(log, "g-kc-eos-0")
    assert found["producer_configured_with_it"] is True
    assert found["log_lines_naming_it"] == 2
    assert found["transaction_boundary"] == "poll"
    assert kc.transactional_evidence(log, "g-other-0")["producer_configured_with_it"] is False
    assert "error" in kc.transactional_evidence(tmp_path / "missing.log", "g-kc-eos-0")


def _run(records_per_s: float, steady: float | None = None, **extra: Any) -> dict[str, Any]:
    records = 1_000_000
    wall = records / records_per_s
    first = wall - records / (steady or records_per_s * 1.2)
    return {
        "records": records,
        "records_per_s": records_per_s,
        "steady_records_per_s": steady or records_per_s * 1.2,
        "wall_s": wall,
        "first_record_s": first,
        "cpu_s": 10.0,
        "cpu_at_first_s": 2.0,
        "cpu_s_per_million": 10.0,
        "steady_cpu_s_per_million": 8.0,
        "peak_rss_mib": 300.0,
        "loadavg_before": [1.0, 1.0, 1.0],
        "extra": {"records_in_topic": records, "offsets_committed_s": wall + 0.1, **extra},
    }


def _source(kc_alo: float = 75_000, kc_eos: float = 20_000, fn_eos: float = 140_000) -> dict[str, Any]:
    fixed = {"invocations": 12, "warm_invocations": 11, "warm_ms_median": 3.0, "cold_task_ms_median": 12.0}
    txn = {
        "runs": 500,
        "records_per_run_median": 2000.0,
        "ms_within_a_run_median": 2.0,
        "ms_between_runs_median": 68.0,
        "ms_between_runs_total": 40_000,
        "ms_within_runs_total": 1_000,
    }
    committed = {
        "records": 1_000_000,
        "end_offset": 1_000_500,
        "offsets_not_records": 500,
        "values_not_matching_the_file": 0,
        "runs": txn,
    }
    source = {
        "kafka-connect": _run(kc_alo),
        "connectless": _run(200_000),
        "kafka-connect-eos": _run(
            kc_eos,
            committed_read=committed,
            connector_submitted_s=5.5,
            final_offset={"position": 302_000_000},
            transactional_producer={
                "transactional_id": "g-kc-eos-0",
                "transaction_boundary": "poll",
                "producer_configured_with_it": True,
            },
        ),
        "connectless-function": {**_run(170_000), "fixed_cost": fixed},
        "connectless-function-eos": {**_run(fn_eos, committed_read=committed), "fixed_cost": fixed},
        "ratio_records_per_s": 200_000 / kc_alo,
        "ratio_steady_records_per_s": 200_000 / kc_alo,
        "ratio_connectless_function_records_per_s": 170_000 / kc_alo,
        "ratio_connectless_function_eos_records_per_s": fn_eos / kc_alo,
    }
    return source


def test_the_exactly_once_function_gets_a_ratio_and_a_verdict_against_each_kafka_connect_run() -> None:
    eos = report.source_eos_ratios(_source())
    assert eos is not None
    assert eos["to_kafka_connect_eos"] == pytest.approx(7.0)
    assert eos["to_kafka_connect"] == pytest.approx(140_000 / 75_000)
    assert eos["met_against_kafka_connect_eos"] is True
    assert eos["met_against_kafka_connect"] is False  # 1.87 < 2
    assert report.source_eos_ratios({"kafka-connect": _run(1.0)}) is None


def test_the_exactly_once_target_line_shows_both_ratios_and_is_judged_as_before() -> None:
    results = {"source": _source()}
    found = {t["target"]: t for t in _bench_run().targets(results)}
    line = found["source through the scheduled function (exactly-once): ratio >= 2.0"]
    assert "7.00 against Kafka Connect exactly-once" in line["measured"]
    assert "1.87 against Kafka Connect at-least-once" in line["measured"]
    assert "met against Kafka Connect exactly-once: yes" in line["measured"]
    assert "against Kafka Connect at-least-once: no" in line["measured"]
    assert line["met"] is False  # the new ratio alone does not mark it met
    both = {t["target"]: t for t in _bench_run().targets({"source": _source(fn_eos=160_000)})}
    assert both["source through the scheduled function (exactly-once): ratio >= 2.0"]["met"] is True
    alo = found["source through the scheduled function (at-least-once): ratio >= 2.0"]
    assert "exactly-once" not in alo["measured"]


def test_the_report_shows_kafka_connects_exactly_once_run_and_the_like_for_like_ratio() -> None:
    results = {
        "meta": {
            "date": "2026-12-06",
            "command": "python bench/run.py --only source",
            "machine": "x86_64",
            "cpus": 2,
            "python": "3.11",
            "java": "openjdk 17",
            "kafka_version": "4.1.1",
            "git_commit": "abc",
            "records": 1_000_000,
        },
        "source": _source(),
    }
    results["targets"] = _bench_run().targets(results)
    text = report.markdown(results)
    assert "Kafka Connect's own exactly-once source" in text
    assert "| records/s, launch to last record | 75,000 | 20,000 | 0.27 |" in text
    assert "exactly.once.support=required" in text
    assert "the worker logged `poll`" in text
    assert "500 offsets held by transaction markers; between markers 500 runs of 2,000 records" in text
    assert "Connectless's function 500 transaction markers; 500 runs of consecutive records of 2,000" in text
    assert "÷ Kafka Connect exactly-once" in text
    rows = [line for line in text.splitlines() if line.startswith("| exactly-once |")]
    assert len(rows) == 1
    assert "| 1.87 | 7.00 |" in rows[0]
    assert "met against Kafka Connect exactly-once: yes; against Kafka Connect at-least-once: no" in text
    at_least_once = [line for line in text.splitlines() if line.startswith("| at-least-once |")]
    assert "| 2.27 | - |" in at_least_once[0]

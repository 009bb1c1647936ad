"""bench/sidebyside/report.py: the function's CPU per record, the fixed cost fit and the scale model's caps."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from sidebyside import report  # noqa: E402


def _results(records: int = 1_000_000, invocations: int = 100, parse_s: float = 2.0, handler_s: float = 6.0) -> Any:
    batch = records // invocations
    return {
        "sink": {
            "kafka-connect": {"cpu_s_per_million": 16.0, "steady_cpu_s_per_million": 10.0},
            "connectless-json": {
                "extra": {
                    "records": records,
                    "invocations": invocations,
                    "parse_cpu_s": parse_s,
                    "handler_cpu_s": handler_s,
                    "mean_payload_bytes": 500 * batch,
                    # 0.5 ms fixed + 6 µs a record of handler CPU, in batches of two sizes
                    "batch_times": [(n, 0.0, 0.0005 + n * 6e-6) for n in [batch, batch // 2] * 5],
                },
            },
        }
    }


def test_function_cpu_is_parse_plus_handler_against_kafka_connects_steady_cpu() -> None:
    cpu = report.function_cpu(_results())
    assert cpu is not None
    assert cpu["function_us"] == pytest.approx(8.0)
    assert cpu["ratio"] == pytest.approx(0.8)  # against the steady 10 µs
    assert cpu["ratio_from_launch"] == pytest.approx(0.5)


def test_the_fixed_cost_is_the_intercept_and_needs_two_batch_sizes() -> None:
    assert report.fixed_invocation_s([(10_000, 0.0605), (5_000, 0.0305), (10_000, 0.0605)]) == pytest.approx(0.0005)
    assert report.fixed_invocation_s([(10_000, 0.06)] * 5) == 0.0


def test_scale_model_caps_a_partition_at_one_pollers_payload() -> None:
    scale = report.scale_model(_results())
    assert scale is not None
    # 8 µs a record: 125,000 records/s per partition from the function; 500 B a record: 10,000 from a poller
    assert scale["records_per_s_per_partition"] > 100_000
    for row in scale["rows"]:
        assert row["records_per_s"] == pytest.approx(row["partitions"] * 10_000)
        assert row["capped_by_pollers"]
        assert row["provisioned_pollers"] == row["partitions"]
        assert row["lambda_provisioned_usd_per_month"] > row["lambda_on_demand_usd_per_month"]
        assert row["msk_connect_mcus"] == -(-row["records_per_s"] // 100_000)  # 10 µs a record per MCU


def test_provisioned_pollers_are_billed_in_event_poller_units() -> None:
    scale = report.scale_model(_results())
    assert scale is not None
    # 10,000 records/s of 500 B per partition: 5 MB/s, one poller each; an EPU holds 10 pollers and 20 MB/s
    epus = {row["partitions"]: row["event_poller_units"] for row in scale["rows"]}
    assert epus == {10: 3, 100: 25, 1000: 250}  # the payload decides: 50, 500, 5,000 MB/s over 20 MB/s an EPU
    for row in scale["rows"]:
        assert row["pollers_usd_per_month"] == pytest.approx(row["event_poller_units"] * 0.185 * 730)


def test_scale_model_without_the_lambda_path_run() -> None:
    assert report.scale_model({"sink": {}}) is None
    assert report.function_cpu({"sink": {}}) is None

"""Connectless against Apache Kafka Connect 4.1.1: every converter, SMT (Key and Value) and predicate.

Hypothesis draws connector configs and records (differential_cases); both sides run them as
`connectless transform` does and must agree on every output line: records (topic, partition, offset,
timestamp, key, value, headers in order) and error lines (stage, exception class), and the exit status.
A case that disagrees is written to corpus/new-<test>.json (with DIFFERENTIAL_SAVE=1; hypothesis replays the
smallest last) to keep, renamed and with a "note", as a regression test (test_differential_corpus.py).
DIFFERENTIAL_EXAMPLES sets the examples per SMT variant (default 30). The examples are the same on every run
(derandomized, so `make test` is stable); DIFFERENTIAL_SEED=N draws another set, to hunt for new differences.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from differential_cases import SMTS, cases, chains
from differential_compare import differences, save_case
from differential_runner import run_connectless
from hypothesis import HealthCheck, given, seed, settings

if TYPE_CHECKING:
    from differential_runner import KafkaConnectRunner

# 30 per SMT variant, 120 each for converters and chains: about 1,050 generated cases in `make test`.
EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "30"))
SEED = os.environ.get("DIFFERENTIAL_SEED")
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    database=None,
    derandomize=SEED is None,
)


def _seeded(test: Any) -> Any:
    return seed(int(SEED))(test) if SEED is not None else test


SMT_VARIANTS = [(smt, variant) for smt, variants in sorted(SMTS.items()) for variant in variants]


def _check(kafka_connect: KafkaConnectRunner, case: dict[str, Any], name: str) -> None:
    theirs = kafka_connect.run(case["side"], case["config"], case["records"])
    ours = run_connectless(case["side"], case["config"], case["records"])
    report = differences(case, ours, theirs)
    if report is not None:
        if os.environ.get("DIFFERENTIAL_SAVE"):
            save_case(case, name)
        pytest.fail(report, pytrace=False)


@pytest.mark.parametrize(("smt", "variant"), SMT_VARIANTS, ids=[f"{s}-{v or 'x'}" for s, v in SMT_VARIANTS])
def test_smt_matches_kafka_connect(kafka_connect: KafkaConnectRunner, smt: str, variant: str | None) -> None:
    @_seeded
    @_SETTINGS
    @given(cases(chains(first=(smt, variant), max_extra=1)))
    def check(case: dict[str, Any]) -> None:
        _check(kafka_connect, case, f"{smt}-{variant or 'x'}")

    check()


def test_converters_match_kafka_connect(kafka_connect: KafkaConnectRunner) -> None:
    @_seeded
    @settings(_SETTINGS, max_examples=EXAMPLES * 4)
    @given(cases(None, plain_converters=True))
    def check(case: dict[str, Any]) -> None:
        _check(kafka_connect, case, "converters")

    check()


def test_chains_match_kafka_connect(kafka_connect: KafkaConnectRunner) -> None:
    @_seeded
    @settings(_SETTINGS, max_examples=EXAMPLES * 4)
    @given(cases(chains(max_extra=3), plain_converters=True))
    def check(case: dict[str, Any]) -> None:
        _check(kafka_connect, case, "chains")

    check()


@pytest.mark.parametrize("side", ["sink", "source"])
def test_bad_config_is_refused_by_both(kafka_connect: KafkaConnectRunner, side: str) -> None:
    """A transform missing a required setting: both refuse the config (exit 2) before any record."""
    config = {
        "name": "differential",
        "connector.class": "org.apache.kafka.connect.file.FileStream"
        + ("SinkConnector" if side == "sink" else "SourceConnector"),
        "topics" if side == "sink" else "topic": "orders",
        "transforms": "x",
        "transforms.x.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
    }
    records = [{"value": "{}"}]
    assert kafka_connect.run(side, config, records)["exit"] == 2
    assert run_connectless(side, config, records)["exit"] == 2

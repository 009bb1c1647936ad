"""Regression cases: each file in corpus/ once showed Connectless and Kafka Connect 4.1.1 disagreeing.

Every case runs on both sides again and must agree (see differential_compare for what is compared). A case's
"note" says what differed; the one kept on purpose (a Kafka bug) is listed in docs/compatibility.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from differential_compare import CORPUS, differences
from differential_runner import run_connectless

if TYPE_CHECKING:
    from differential_runner import KafkaConnectRunner

CASES = sorted(CORPUS.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_corpus_case_matches_kafka_connect(kafka_connect: KafkaConnectRunner, path: Path) -> None:
    case: dict[str, Any] = orjson.loads(path.read_bytes())
    theirs = kafka_connect.run(case["side"], case["config"], case["records"])
    ours = run_connectless(case["side"], case["config"], case["records"])
    report = differences(case, ours, theirs)
    assert report is None, f"{case['note']}\n{report}"


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 10

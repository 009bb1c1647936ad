"""A source container keeps its started task between invocations, and starts afresh whenever that is not safe.

Invocations of one handler after a clean commit run on the same runner (no new producers, no init_transactions,
no task start); an invocation of the task in another container in between, or a config change, makes the next
one start afresh. Sequential invocations never produce a record twice, in either delivery mode.
"""

from __future__ import annotations

import collections
import time

import pytest
from source_support import SourceWorld, read_all, read_raw

from connectless.lambda_source.handler import SourceBudget, SourceTaskHandler
from connectless.storage.offsets import offset_key

pytestmark = pytest.mark.kafka

TOTAL = 400


def _datagen(topic: str, **extra: str) -> dict[str, str]:
    return {
        "connector.class": "Datagen",
        "kafka.topic": topic,
        "max.records": str(TOTAL),
        "batch.size": "20",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        **extra,
    }


def _left(seconds: float) -> collections.abc.Callable[[], float]:
    ends = time.monotonic() + seconds
    return lambda: ends - time.monotonic()


def _run(handler: SourceTaskHandler) -> tuple[str, int, bool]:
    """One invocation: its outcome, records produced, and whether it ran on the task kept warm."""
    before = handler.warm_invocations
    result = handler.handle("gen", 0, _left(20.0))
    return result.outcome, result.records_out, handler.warm_invocations > before


@pytest.mark.parametrize("exactly_once", [False, True], ids=["at-least-once", "exactly-once"])
def test_warm_runs_and_fresh_starts(
    kafka_bootstrap: str, unique_topic: collections.abc.Callable[..., str], exactly_once: bool
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("gen")
    extra = {"exactly.once.support": "required"} if exactly_once else {}
    world.add_connector("gen", _datagen(topic, **extra))
    budget = SourceBudget(safety_margin_s=0.0, max_records=80, max_idle_s=0.3)
    first, second = world.handler(budget), world.handler(budget)
    runners = []
    first._running = runners.append  # type: ignore[method-assign]

    runs = [_run(first), _run(first), _run(first)]
    assert runs == [("RAN", 80, False), ("RAN", 80, True), ("RAN", 80, True)]
    assert runners[0] is runners[1] is runners[2]  # one task, two producers, one init_transactions

    assert _run(second) == ("RAN", 80, False)  # another container: fences the first, commits 240..319
    assert _run(first) == ("RAN", 80, False)  # sees that offset: starts afresh from it, not from 240
    assert runners[3] is not runners[2]

    world.add_connector("gen", _datagen(topic, **extra, **{"batch.size": "40"}))
    assert _run(first) == ("RAN", 0, False)  # a changed config starts the task afresh (nothing left)
    first.close()
    second.close()

    ids = [value["id"] for value in read_all(kafka_bootstrap, topic, committed=True)]
    assert sorted(ids) == list(range(TOTAL))  # nothing lost and, run after run, nothing twice
    key = offset_key("gen", {"datagen": topic, "task": 0})
    history = [v for k, v in read_raw(kafka_bootstrap, world.offsets_topic) if k == key and v is not None]
    assert len(history) >= 5

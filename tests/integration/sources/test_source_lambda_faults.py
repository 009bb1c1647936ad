"""The source function on the real broker: SIGKILL at every step of the commit order, many times, and overlap.

Each invocation runs in its own process (`python -m connectless.lambda_source`, the function's library path);
CONNECTLESS_CRASH_POINT makes the runner SIGKILL itself at one step. At-least-once: every id arrives.
Exactly-once: a read_committed consumer sees every id exactly once.
"""

from __future__ import annotations

import collections
import signal
import threading
import time

import pytest
from source_support import SourceWorld, read_all, read_raw

from connectless.lambda_source.handler import SourceBudget
from connectless.runtime.crashpoints import POINTS
from connectless.storage import State
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


def _finish(world: SourceWorld, connector: str) -> None:
    """Clean invocations until one finds nothing left to produce."""
    for _ in range(20):
        done = world.invoke(connector, CONNECTLESS_SOURCE_MAX_IDLE_MS="300")
        assert done.returncode == 0, done.stderr[-2000:]
        if '"records_in": 0' in done.stdout:
            return
    pytest.fail("the task never caught up")


@pytest.mark.parametrize("exactly_once", [False, True], ids=["at-least-once", "exactly-once"])
def test_sigkill_at_every_step_loses_nothing(
    kafka_bootstrap: str, unique_topic: collections.abc.Callable[..., str], exactly_once: bool
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("gen")
    extra = {"exactly.once.support": "required"} if exactly_once else {}
    world.add_connector("gen", _datagen(topic, **extra))
    killed = 0
    for point in POINTS:
        for hit in (1, 2, 3):
            run = world.invoke(
                "gen",
                CONNECTLESS_CRASH_POINT=point,
                CONNECTLESS_CRASH_AFTER=str(hit),
                CONNECTLESS_SOURCE_MAX_RECORDS="80",
                CONNECTLESS_SOURCE_MAX_IDLE_MS="300",
                CONNECTLESS_SOURCE_COMMIT_INTERVAL_MS="0",
            )
            assert run.returncode in (0, -signal.SIGKILL), run.stderr[-2000:]
            killed += run.returncode == -signal.SIGKILL
    assert killed >= 12  # nearly every run died where it was told to
    _finish(world, "gen")
    ids = [value["id"] for value in read_all(kafka_bootstrap, topic, committed=True)]
    assert set(ids) == set(range(TOTAL))
    if exactly_once:
        duplicates = [i for i, n in collections.Counter(ids).items() if n > 1]
        assert duplicates == []
        assert len(ids) == TOTAL
    else:
        assert len(ids) > TOTAL  # the crashes after produce did happen: their records came again
    status = world.statuses().task("gen", 0)
    assert status is not None and status.state is State.RUNNING


@pytest.mark.parametrize("exactly_once", [False, True], ids=["at-least-once", "exactly-once"])
def test_overlapping_invocations_fence_the_older_one(
    kafka_bootstrap: str, unique_topic: collections.abc.Callable[..., str], exactly_once: bool
) -> None:
    world = SourceWorld(kafka_bootstrap)
    topic = unique_topic("gen")
    extra = {"exactly.once.support": "required"} if exactly_once else {}
    world.add_connector("gen", _datagen(topic, **{"records.per.second": "250", **extra}))
    budget = SourceBudget(safety_margin_s=0.0)
    first, second = world.handler(budget), world.handler(budget)
    outcomes: dict[str, str] = {}

    older = threading.Thread(target=lambda: outcomes.update(older=first.handle("gen", 0, _left(15.0)).outcome))
    older.start()
    _wait_for_records(kafka_bootstrap, topic)  # the older one is making progress; the newer one fences it
    newer = threading.Thread(target=lambda: outcomes.update(newer=second.handle("gen", 0, _left(3.0)).outcome))
    newer.start()
    older.join(30)
    newer.join(30)
    assert outcomes == {"older": "FENCED", "newer": "RAN"}
    world.add_connector("gen", _datagen(topic, **extra))  # lift the rate limit to finish quickly
    _finish(world, "gen")
    ids = [value["id"] for value in read_all(kafka_bootstrap, topic, committed=True)]
    assert set(ids) == set(range(TOTAL))
    if exactly_once:
        assert len(ids) == TOTAL
    key = offset_key("gen", {"datagen": topic, "task": 0})
    history = [v["next.id"] for k, v in _offset_records(kafka_bootstrap, world.offsets_topic) if k == key]
    assert history == sorted(history), "an offset went back"
    assert history[-1] == TOTAL


def _wait_for_records(bootstrap: str, topic: str, timeout: float = 20.0) -> None:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks"})
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)[1] > 0:
                    return
            except Exception:  # the topic is created by the first produce
                pass
            time.sleep(0.1)
        pytest.fail(f"nothing was produced to {topic}")
    finally:
        consumer.close()


def _left(seconds: float) -> collections.abc.Callable[[], float]:
    ends = time.monotonic() + seconds
    return lambda: ends - time.monotonic()


def _offset_records(bootstrap: str, topic: str) -> list[tuple[bytes | None, dict[str, int]]]:
    import orjson

    return [(k, orjson.loads(v)) for k, v in read_raw(bootstrap, topic) if v is not None]

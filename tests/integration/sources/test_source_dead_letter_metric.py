"""RecordsDeadLettered on the source side, on the real broker: the source function counts the records that
failed and were skipped under errors.tolerance=all (each one on the dead letter queue topic), apart from the
records a transform dropped, in the same EMF metric the sink emits and template.yaml's alarm sums."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from source_support import SourceWorld, read_raw

from connectless.runtime.lambda_context import EmulatedLambdaContext

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).parents[3]


def load_source_app() -> Any:
    spec = importlib.util.spec_from_file_location("source_task_dlq_metric_app", ROOT / "functions/source_task/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


FAILS = {"value.converter": "IntegerConverter"}  # Datagen's struct values cannot go through IntegerConverter
DROPS = {"transforms": "all", "transforms.all.type": "org.apache.kafka.connect.transforms.Filter"}


@pytest.mark.parametrize(("extra", "dead", "dropped"), [(FAILS, 20, 0), (DROPS, 0, 20)], ids=["fail", "filter"])
def test_source_dead_letters_are_counted_apart_from_drops(
    kafka_bootstrap: str, unique_topic: Callable[..., str], capsys: pytest.CaptureFixture[str],
    extra: dict[str, str], dead: int, dropped: int,
) -> None:  # fmt: skip
    world = SourceWorld(kafka_bootstrap)
    topic, dlq = unique_topic("gen"), unique_topic("dlq")
    world.add_connector("gen", {
        "connector.class": "Datagen", "kafka.topic": topic, "max.records": "20", "batch.size": "10",
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1", **extra,
    })  # fmt: skip
    app = load_source_app()
    app.function.handler = world.handler()
    response = app.lambda_handler({"connector": "gen", "task": 0}, EmulatedLambdaContext("src", None, timeout_s=15))
    assert (response["outcome"], response["records_in"], response["records_out"]) == ("RAN", 20, 0)
    assert (response["records_dead_lettered"], response["records_dropped"]) == (dead, dropped)
    document = next(json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line)
    assert document["RecordsDeadLettered"] == [float(dead)]
    assert document["TaskFailures"] == [0.0]
    if dead:
        assert len(read_raw(kafka_bootstrap, dlq, committed=False, timeout=10)) == dead

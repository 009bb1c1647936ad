"""Every consumer of the project gets the same librdkafka defaults; a caller's settings win."""

from __future__ import annotations

from connectless.kafka.settings import FETCH_QUEUE_BACKOFF_MS, KafkaSettings


def test_consumers_keep_their_fetch_queue_fed_and_commit_only_when_told() -> None:
    config = KafkaSettings("h:9092", {"client.id": "c"}).consumer_config("g")
    assert config["group.id"] == "g"
    assert config["fetch.queue.backoff.ms"] == FETCH_QUEUE_BACKOFF_MS < 1000  # librdkafka's default idles 1 s
    assert (config["enable.auto.commit"], config["auto.offset.reset"], config["client.id"]) == (False, "earliest", "c")


def test_a_callers_setting_wins() -> None:
    config = KafkaSettings("h:9092").consumer_config(
        "g", **{"fetch.queue.backoff.ms": 500, "auto.offset.reset": "latest"}
    )
    assert (config["fetch.queue.backoff.ms"], config["auto.offset.reset"]) == (500, "latest")

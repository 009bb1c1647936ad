"""The emulator's asynchronous commits: a refusal while the group rebalances is let go (the records come again),
any other refusal surfaces at the next commit. Settling on a real broker: tests/integration/test_lambda_sink_esm.py."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from connectless.kafka.settings import KafkaSettings
from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig

# Both paths: connectless.native's C poller functions and the pure-Python ones (tests/unit/conftest.py).
pytestmark = pytest.mark.usefixtures("native_mode")


def emulator() -> EventSourceMappingEmulator:
    return EventSourceMappingEmulator(KafkaSettings("h:9092"), MappingConfig("c", ["orders"]), lambda e, c: None)


def test_a_commit_refused_during_a_rebalance_is_let_go() -> None:
    esm = emulator()
    esm._on_commit(KafkaError(KafkaError.REBALANCE_IN_PROGRESS), [])
    esm._commit([])  # nothing raised


def test_another_refusal_raises_at_the_next_commit_once() -> None:
    esm = emulator()
    esm._on_commit(KafkaError(KafkaError._MSG_TIMED_OUT), [])
    with pytest.raises(KafkaException) as raised:
        esm._commit([])
    assert raised.value.args[0].code() == KafkaError._MSG_TIMED_OUT
    esm._commit([])  # reported once


def test_settling_without_a_consumer_does_nothing() -> None:
    esm = emulator()
    esm.settle_commits()
    esm.stop()

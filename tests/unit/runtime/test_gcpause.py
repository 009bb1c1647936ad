"""gc_paused: the cycle collector off for the block, back on after it (also on an exception), nesting free; the
young-generation threshold raised on Lambda, so the runtime's parse of an event runs without collections."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import pytest

from connectless.runtime.gcpause import LAMBDA_YOUNG_GC_THRESHOLD, gc_paused, raise_gc_threshold_on_lambda


def test_paused_then_enabled() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block did not disable it, so it does not enable it
    assert gc.isenabled()


def test_enabled_after_an_exception() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_left_disabled_when_it_was() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.fixture
def restored_threshold() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's default
    yield before
    gc.set_threshold(*before)


def test_the_young_threshold_is_raised_on_lambda_only(restored_threshold: tuple[int, int, int]) -> None:
    assert raise_gc_threshold_on_lambda({}) is False
    assert gc.get_threshold() == (700, 10, 10)
    assert raise_gc_threshold_on_lambda({"LAMBDA_TASK_ROOT": "/var/task"}) is True
    assert gc.get_threshold() == (LAMBDA_YOUNG_GC_THRESHOLD, 10, 10)


def test_a_raised_threshold_parses_an_event_without_collections(restored_threshold: tuple[int, int, int]) -> None:
    event = b'{"records":{"t-0":[' + b",".join(b'{"offset":%d,"headers":[]}' % i for i in range(10_000)) + b"]}}"
    started: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(count)
    try:
        gc.collect()
        started.clear()
        json.loads(event)  # the runtime's simplejson builds the same containers
        assert started  # 20,000 containers: the default threshold collects during the parse
        raise_gc_threshold_on_lambda({"LAMBDA_TASK_ROOT": "/var/task"})
        gc.collect()
        started.clear()
        json.loads(event)  # the runtime's simplejson builds the same containers
        assert started == []
    finally:
        gc.callbacks.remove(count)

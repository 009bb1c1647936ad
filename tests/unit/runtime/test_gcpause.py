"""gc_paused: the cycle collector off for the block, back on after it (also on an exception), nesting free."""

from __future__ import annotations

import gc

import pytest

from connectless.runtime.gcpause import gc_paused


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

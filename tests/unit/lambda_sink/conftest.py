"""Every Lambda sink test runs on connectless.native and on the pure-Python path (tests/unit/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _both_paths(native_mode: str) -> str:
    return native_mode

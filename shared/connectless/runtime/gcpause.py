"""The cycle collector paused around one sink batch.

A 10,000-record batch allocates hundreds of thousands of short-lived containers (event dicts, records, converted
values), none of them in reference cycles: reference counting frees them, but each 700 allocations start a
young-generation collection and every tenth of those an older one, about a tenth of the batch's CPU (measured).
Pausing the collector for the batch leaves only what a cycle would keep (an exception's traceback, say) until it
is enabled again, at the end of the batch; the next allocation past the threshold then collects it, so memory
stays bounded by one batch.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """gc.disable() for the block; enabled again after it only when this call disabled it (nesting is free)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()

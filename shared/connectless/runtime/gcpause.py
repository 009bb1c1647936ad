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
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

# Container allocations between young-generation collections on Lambda (CPython's default: 700). The Lambda Python
# runtime parses each event before the handler runs, with the collector on: a 10,000-record Kafka event is some
# 20,000 dicts and lists, which started 26 young and 2 middle collections per parse, 0.3 to 1 µs of a ~2 µs parse
# per record (measured, bench/results/2026-12-06-issue17-session2.md). A 6 MB event holds at most ~100,000.
LAMBDA_YOUNG_GC_THRESHOLD: Final = 100_000


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


def raise_gc_threshold_on_lambda(environ: Mapping[str, str] | None = None) -> bool:
    """On Lambda (LAMBDA_TASK_ROOT set), collect the young generation every LAMBDA_YOUNG_GC_THRESHOLD container
    allocations instead of every 700, so the runtime's parse of the next event runs without collections; the older
    generations keep their ratios. Call it at the function's import; returns whether it changed the threshold.

    Only the cycle collector's timing changes: reference counting still frees every acyclic object at once, and
    what cycles leave behind is collected at most one event's worth of allocations later."""
    env = os.environ if environ is None else environ
    if not env.get("LAMBDA_TASK_ROOT"):
        return False
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(LAMBDA_YOUNG_GC_THRESHOLD, middle, old)
    return True

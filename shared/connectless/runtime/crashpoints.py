"""Crash points for fault tests: `crash_point("after_flush")` kills the process with SIGKILL there.

Off unless the environment names a point: CONNECTLESS_CRASH_POINT=<name> and, optionally,
CONNECTLESS_CRASH_AFTER=<n> (die on the n-th time the point is reached, default 1). In production the
variable is unset and each call is one dict lookup. Points the source runner passes, in commit order:
`mid_poll`, `after_produce`, `after_flush`, `offset_write`, `after_offset_write` (with exactly-once the offsets are
written into the transaction before its flush: `offset_write` comes before `after_flush`; with a transaction per poll,
pipelined, a poll's offsets records are sent before its records, so `mid_poll` and `after_produce` find them in the
open transaction too, and `offset_write` still marks the transaction whole and not yet committed).
"""

from __future__ import annotations

import os
import signal
from typing import Final

CRASH_POINT_ENV: Final = "CONNECTLESS_CRASH_POINT"
CRASH_AFTER_ENV: Final = "CONNECTLESS_CRASH_AFTER"
POINTS: Final = ("mid_poll", "after_produce", "after_flush", "offset_write", "after_offset_write")

_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """SIGKILL this process when `name` is the configured crash point and its hit count is reached."""
    if os.environ.get(CRASH_POINT_ENV) != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(os.environ.get(CRASH_AFTER_ENV, "1")):
        os.kill(os.getpid(), signal.SIGKILL)

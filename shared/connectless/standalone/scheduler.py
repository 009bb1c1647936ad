"""The local scheduler: EventBridge Scheduler's job in standalone and local modes.

Each (connector, task) fires at its schedule's rate; a firing that comes while the previous run of the same
task is still going is skipped (counted in `skipped`), so a task never runs alongside itself. Different
tasks run in parallel on a small thread pool. A period of `BACK_TO_BACK` (0) fires a task again as soon as
its previous run ends: standalone mode's default, so a source's throughput stays continuous.

Example:
    scheduler = LocalScheduler(lambda c, t: handler.handle(c, t, remaining_s=...))
    scheduler.schedule("orders", 0, parse_rate("rate(1 minute)"))
    scheduler.start()
"""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger(__name__)

SCHEDULE_EXPRESSION: Final = "connectless.source.schedule"  # as the manager names it (deployment_keys)
DEFAULT_SCHEDULE: Final = "rate(1 minute)"
BACK_TO_BACK: Final = 0.0  # fire again as soon as the previous run ends
_RATE = re.compile(r"^\s*rate\(\s*(\d+(?:\.\d+)?)\s+(second|seconds|minute|minutes|hour|hours|day|days)\s*\)\s*$")
_UNIT_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class ScheduleExpressionError(ValueError):
    """Not an EventBridge `rate(N unit)` expression."""


def parse_rate(expression: str) -> float:
    """Seconds between firings of `rate(N minutes)` (seconds are accepted locally, EventBridge's minimum is 1 min)."""
    match = _RATE.match(expression)
    if not match:
        raise ScheduleExpressionError(f"{expression!r} is not a rate(N minutes|hours|days|seconds) expression")
    value = float(match[1])
    if value <= 0:
        raise ScheduleExpressionError(f"{expression!r}: the rate must be positive")
    return value * _UNIT_S[match[2].rstrip("s")]


@dataclass
class _Entry:
    connector: str
    task: int
    every_s: float
    next_at: float
    running: bool = False
    fired: int = 0
    skipped: int = 0
    failures: int = 0


class LocalScheduler:
    """Fires `fire(connector, task)` at each task's rate, never twice at once for one task."""

    def __init__(
        self,
        fire: Callable[[str, int], Any],
        *,
        max_workers: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fire = fire
        self._clock = clock
        self._entries: dict[tuple[str, int], _Entry] = {}
        self._lock = threading.Condition()
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="source-schedule")
        self._thread: threading.Thread | None = None
        self._stopping = False

    def schedule(self, connector: str, task: int, every_s: float, *, first_in_s: float = 0.0) -> None:
        with self._lock:
            entry = self._entries.get((connector, task))
            if entry is None:
                self._entries[(connector, task)] = _Entry(connector, task, every_s, self._clock() + first_in_s)
            else:
                entry.every_s = every_s
            self._lock.notify_all()

    def unschedule(self, connector: str, task: int | None = None) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == connector and (task is None or k[1] == task)]:
                del self._entries[key]

    def stats(self, connector: str, task: int) -> dict[str, int]:
        with self._lock:
            entry = self._entries[(connector, task)]
            return {"fired": entry.fired, "skipped": entry.skipped, "failures": entry.failures}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="source-scheduler", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=wait)

    def _loop(self) -> None:
        with self._lock:
            while not self._stopping:
                now = self._clock()
                for entry in self._entries.values():
                    if entry.next_at > now or (entry.running and entry.every_s <= BACK_TO_BACK):
                        continue  # not due, or back to back: fired when its run ends
                    entry.next_at += entry.every_s
                    if entry.next_at <= now:  # fell behind: no burst of catch-up firings
                        entry.next_at = now + entry.every_s
                    if entry.running:
                        entry.skipped += 1  # the previous run is still going: never alongside itself
                        continue
                    entry.running = True
                    entry.fired += 1
                    self._pool.submit(self._run, entry)
                due = (e.next_at for e in self._entries.values() if not (e.running and e.every_s <= BACK_TO_BACK))
                wake = min(due, default=now + 1.0)
                self._lock.wait(max(0.0, min(wake - self._clock(), 1.0)))

    def _run(self, entry: _Entry) -> None:
        try:
            self._fire(entry.connector, entry.task)
        except Exception:
            entry.failures += 1
            log.exception("scheduled run of %s-%d failed", entry.connector, entry.task)
        finally:
            with self._lock:
                entry.running = False
                self._lock.notify_all()

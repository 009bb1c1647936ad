"""LocalScheduler: fires at the rate, never runs a task alongside itself, runs different tasks in parallel."""

from __future__ import annotations

import threading
import time

import pytest

from connectless.standalone.scheduler import BACK_TO_BACK, LocalScheduler, ScheduleExpressionError, parse_rate


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200), ("rate(1 day)", 86400),
     ("rate(0.5 seconds)", 0.5)],
)  # fmt: skip
def test_parse_rate(expression: str, seconds: float) -> None:
    assert parse_rate(expression) == seconds


@pytest.mark.parametrize("expression", ["cron(0 12 * * ? *)", "rate(0 minutes)", "rate(minute)", "every 5m"])
def test_parse_rate_rejects(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_rate(expression)


def test_a_slow_task_is_never_run_alongside_itself() -> None:
    active, peak, runs = [0], [0], [0]
    lock = threading.Lock()

    def fire(connector: str, task: int) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            runs[0] += 1
        time.sleep(0.25)  # five periods long
        with lock:
            active[0] -= 1

    scheduler = LocalScheduler(fire)
    scheduler.schedule("slow", 0, 0.05)
    scheduler.start()
    time.sleep(0.9)
    scheduler.stop()
    stats = scheduler.stats("slow", 0)
    assert peak[0] == 1
    assert 2 <= runs[0] <= 4
    assert stats["skipped"] > stats["fired"]


def test_tasks_run_in_parallel_and_at_their_rate() -> None:
    seen: dict[tuple[str, int], int] = {}
    both = threading.Barrier(2, timeout=2)

    def fire(connector: str, task: int) -> None:
        if seen.get((connector, task), 0) == 0:
            both.wait()  # both first runs are in flight at once
        seen[(connector, task)] = seen.get((connector, task), 0) + 1

    scheduler = LocalScheduler(fire)
    scheduler.schedule("a", 0, 0.1)
    scheduler.schedule("a", 1, 0.1)
    scheduler.start()
    time.sleep(0.55)
    scheduler.stop()
    assert 4 <= seen[("a", 0)] <= 7
    assert 4 <= seen[("a", 1)] <= 7


def test_a_failing_run_is_counted_and_the_schedule_goes_on() -> None:
    def fire(connector: str, task: int) -> None:
        raise RuntimeError("boom")

    scheduler = LocalScheduler(fire)
    scheduler.schedule("bad", 0, 0.05)
    scheduler.start()
    time.sleep(0.3)
    scheduler.stop()
    stats = scheduler.stats("bad", 0)
    assert stats["failures"] == stats["fired"] >= 3


def test_back_to_back_fires_again_as_soon_as_a_run_ends() -> None:
    active, peak, runs = [0], [0], [0]
    lock = threading.Lock()

    def fire(connector: str, task: int) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            runs[0] += 1
        time.sleep(0.05)
        with lock:
            active[0] -= 1

    scheduler = LocalScheduler(fire)
    scheduler.schedule("continuous", 0, BACK_TO_BACK)
    scheduler.start()
    time.sleep(0.52)
    scheduler.stop()
    stats = scheduler.stats("continuous", 0)
    assert peak[0] == 1
    assert 7 <= runs[0] <= 11  # no gap between runs, and never two at once
    assert stats["skipped"] == 0  # waits for the run to end rather than spinning on skipped firings

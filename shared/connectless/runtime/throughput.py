"""A small rolling store of records in, out and dead-lettered per connector, for the console's chart.

The runtimes that run in this process (standalone, `local up`) add to it after each sink batch and each source
commit; the REST API reads it. It is bounded: `keep` buckets of `bucket_s` seconds per connector (an hour of
10-second buckets by default) and at most `max_connectors` connectors, the least recently updated dropped first.
On AWS the functions run in other processes: the API reads the CloudWatch metrics they emit instead
(connectless.rest.throughput).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

BUCKET_S = 10
KEEP = 360


class ThroughputStore:
    """Example: `store.add("orders-sink", records_in=500, records_out=498, dead_lettered=2)`."""

    def __init__(
        self,
        bucket_s: int = BUCKET_S,
        keep: int = KEEP,
        max_connectors: int = 1000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if bucket_s <= 0 or keep <= 0 or max_connectors <= 0:
            raise ValueError("bucket_s, keep and max_connectors must be positive")
        self.bucket_s = bucket_s
        self.keep = keep
        self.max_connectors = max_connectors
        self._clock = clock
        self._lock = threading.Lock()
        # connector -> buckets [start_s, in, out, dead_lettered], oldest first
        self._series: OrderedDict[str, deque[list[int]]] = OrderedDict()

    def add(self, connector: str, records_in: int = 0, records_out: int = 0, dead_lettered: int = 0) -> None:
        start = int(self._clock()) // self.bucket_s * self.bucket_s
        with self._lock:
            buckets = self._series.get(connector)
            if buckets is None:
                buckets = self._series[connector] = deque(maxlen=self.keep)
                while len(self._series) > self.max_connectors:
                    self._series.popitem(last=False)
            self._series.move_to_end(connector)
            if not buckets or buckets[-1][0] != start:
                buckets.append([start, 0, 0, 0])
            bucket = buckets[-1]
            bucket[1] += records_in
            bucket[2] += records_out
            bucket[3] += dead_lettered

    def series(self, connector: str) -> list[dict[str, Any]]:
        """The buckets of the last `keep * bucket_s` seconds, oldest first; quiet buckets are absent."""
        horizon = int(self._clock()) - self.keep * self.bucket_s
        with self._lock:
            buckets = [list(b) for b in self._series.get(connector, ())]
        return [{"t": t, "in": i, "out": o, "dead_lettered": d} for t, i, o, d in buckets if t > horizon]

    def forget(self, connector: str) -> None:
        with self._lock:
            self._series.pop(connector, None)


# The process's store: what the runtimes of this process add to and the REST API of this process reads.
THROUGHPUT = ThroughputStore()

"""Each measured run: launch a process, watch its output until every record is there, read its /proc.

Both runtimes are watched the same way, by this (parent) process, from the moment the process is launched:
- sink: the output file is read as it grows and its lines counted;
- source: the output topic's end offset is asked for, read_committed (exactly-once runs: see TopicCounter);
and at the moment the last record shows up, the process's CPU seconds (all its threads) and its peak RSS
(VmHWM) are read from /proc, before it is stopped. Runs go one after the other, never side by side.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sidebyside import kafka_connect as kc
from sidebyside.procstat import loadavg, sample
from sidebyside.workload import CHAIN, CONVERTERS, produce_records

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectless.kafka.settings import KafkaSettings

BENCH_DIR = Path(__file__).resolve().parents[1]
REPO = BENCH_DIR.parent
# The code of this checkout, whatever checkout the virtualenv's editable install points at.
PYTHONPATH = os.pathsep.join(str(p) for p in (BENCH_DIR, REPO / "shared", REPO / "infra" / "local"))
# What Lambda sets in a function's environment that changes what the handlers import and do: LAMBDA_TASK_ROOT
# makes Powertools trace (the template's `Tracing: Active`), _X_AMZN_TRACE_ID is the invocation's trace header.
LAMBDA_ENV = {
    "LAMBDA_TASK_ROOT": str(REPO / "functions"),
    "AWS_LAMBDA_FUNCTION_NAME": "connectless-bench",
    "POWERTOOLS_SERVICE_NAME": "connectless",
    "_X_AMZN_TRACE_ID": "Root=1-67890abc-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",  # nothing listens: segments go out as UDP and are dropped
}
POLL_S = 0.05
STALL_S = 90.0  # no new record for this long after the first one: the run is stuck, give up early


class BenchError(RuntimeError):
    """A run did not complete: its process died or the records never all arrived."""


@dataclass
class Measure:
    """One runtime's run over `records` records."""

    runtime: str
    records: int
    wall_s: float  # launch -> the last record is there
    first_record_s: float  # launch -> the first record is there
    cpu_s: float  # the process's CPU seconds at the moment the last record is there
    cpu_at_first_s: float
    peak_rss_bytes: int
    loadavg_before: list[float]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def records_per_s(self) -> float:
        return self.records / self.wall_s

    @property
    def steady_records_per_s(self) -> float:
        """From the first record to the last: the rate once started, without process start-up."""
        span = self.wall_s - self.first_record_s
        return self.records / span if span > 0 else float("nan")

    @property
    def cpu_s_per_million(self) -> float:
        return self.cpu_s / self.records * 1e6

    @property
    def steady_cpu_s_per_million(self) -> float:
        return (self.cpu_s - self.cpu_at_first_s) / self.records * 1e6

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "records_per_s": self.records_per_s,
            "steady_records_per_s": self.steady_records_per_s,
            "cpu_s_per_million": self.cpu_s_per_million,
            "steady_cpu_s_per_million": self.steady_cpu_s_per_million,
            "peak_rss_mib": self.peak_rss_bytes / 2**20,
        }


class LineCounter:
    """Lines of a file that another process appends to, read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        self._fh: Any = None

    def __call__(self) -> int:
        if self._fh is None:
            if not self.path.exists():
                return 0
            self._fh = self.path.open("rb")
        while chunk := self._fh.read(8 << 20):
            self.lines += chunk.count(b"\n")
        return self.lines

    def first_line(self) -> str:
        with self.path.open("rb") as fh:
            return fh.readline().decode(errors="replace").rstrip("\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


class TopicCounter:
    """Committed records in partition 0 of a topic, as a read_committed consumer sees them.

    Without transactions (`last_value` None) the count is the end offset, which is then exact: no control records.
    A transactional producer writes a commit marker after each transaction, which takes an offset of its own, so
    there the end offset (the last stable offset, read_committed) overcounts by one per transaction: it only says
    that the count is below `total` while it is. From then on the run is complete when the last record (the one
    whose value is `last_value`) can be read under read_committed: the producer writes in order to one partition,
    so every record before it is committed too; `count_committed` checks the whole topic after the run. Both
    runtimes write the lines with JsonConverter (schemas off): a value is the line as a JSON string."""

    def __init__(self, settings: KafkaSettings, topic: str, *, total: int = 0, last_line: str | None = None) -> None:
        from confluent_kafka import TopicPartition

        self._settings, self._topic, self._total, self._last_line = settings, topic, total, last_line
        self._consumer = settings.consumer(f"bench-watch-{topic}", **{"isolation.level": "read_committed"})
        self._tp = TopicPartition(topic, 0)
        self._tail: Any = None  # reads from offset total - 1 on: the last record cannot sit before it
        self._last_seen = False

    def end_offset(self) -> int:
        _low, high = self._consumer.get_watermark_offsets(self._tp, timeout=10, cached=False)
        return int(high)

    def __call__(self) -> int:
        end = self.end_offset()
        if self._last_line is None:
            return end
        if not self._last_seen and end >= self._total:
            self._last_seen = self._read_tail()
        return committed_progress(end, self._total, last_seen=self._last_seen)

    def _read_tail(self) -> bool:
        """Whatever the tail reader has fetched, without waiting: is the last record among it?"""
        from confluent_kafka import TopicPartition

        if self._tail is None:
            self._tail = self._settings.consumer(
                f"bench-tail-{self._topic}", **{"isolation.level": "read_committed", "enable.partition.eof": True}
            )
            self._tail.assign([TopicPartition(self._topic, 0, max(0, self._total - 1))])
        while (message := self._tail.poll(0)) is not None:
            if message.error() is None and json_string(message.value()) == self._last_line:
                return True
            if message.error() is not None:  # the end of what is committed so far
                return False
        return False

    def close(self) -> None:
        self._consumer.close()
        if self._tail is not None:
            self._tail.close()


def committed_progress(end_offset: int, total: int, *, last_seen: bool) -> int:
    """A transactional run's progress for `watch`: `total` once the last record is committed; below that, the
    end offset (markers included: 0 before the first commit), but never `total` before the last record is seen."""
    if last_seen:
        return total
    return min(end_offset, total - 1)


def json_string(value: bytes | None) -> str | None:
    """The string a JsonConverter (schemas off) value holds, None for anything else."""
    try:
        decoded = orjson.loads(value or b"null")
    except orjson.JSONDecodeError:
        return None
    return decoded if isinstance(decoded, str) else None


def last_line(path: Path) -> str:
    """The file's last line, without its newline (the source's last record)."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 65_536))
        return fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1].decode()


class OffsetRuns:
    """A topic read under read_committed, cut into runs of consecutive offsets, with its records' timestamps (the
    producer's, CreateTime). A commit marker takes an offset no consumer sees, so a gap ends a run: with one
    producer a run is one transaction, and the time from a run's last record to the next one's first is what the
    producer spent between two transactions (commit, next begin). With two producers taking turns (Connectless's
    pipelined exactly-once) a transaction's records can precede the previous commit's marker: fewer, longer runs."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.within_ms: list[int] = []
        self.between_ms: list[int] = []
        self._first_ts = self._last_offset = self._last_ts = -1

    def add(self, offset: int, timestamp_ms: int) -> None:
        if self._last_offset >= 0 and offset == self._last_offset + 1:
            self.sizes[-1] += 1
        else:
            if self._last_offset >= 0:
                self.within_ms.append(self._last_ts - self._first_ts)
                self.between_ms.append(timestamp_ms - self._last_ts)
            self.sizes.append(1)
            self._first_ts = timestamp_ms
        self._last_offset, self._last_ts = offset, timestamp_ms

    def summary(self) -> dict[str, Any]:
        within = [*self.within_ms, self._last_ts - self._first_ts] if self.sizes else []
        return {
            "runs": len(self.sizes),
            "records_per_run_median": _median(self.sizes),
            "ms_within_a_run_median": _median(within),
            "ms_between_runs_median": _median(self.between_ms),
            "ms_between_runs_total": sum(self.between_ms),
            "ms_within_runs_total": sum(within),
        }


def _median(values: list[int]) -> float | None:
    ordered = sorted(values)
    return float(ordered[len(ordered) // 2]) if ordered else None


def count_committed(settings: KafkaSettings, topic: str, expected: Path | None = None) -> dict[str, Any]:
    """Every record of partition 0 read under read_committed, counted; with `expected` (the source's input file),
    each value compared with the file's line at the same place (JsonConverter's JSON string of the line). The end
    offset minus the records read is the number of offsets taken by transaction markers (and aborted records);
    `runs`: the records cut at those offsets (OffsetRuns)."""
    from confluent_kafka import KafkaError, TopicPartition

    consumer = settings.consumer(
        f"bench-count-{topic}", **{"isolation.level": "read_committed", "enable.partition.eof": True}
    )
    records = mismatched = 0
    offset_runs = OffsetRuns()
    lines = expected.open("rb") if expected else None
    try:
        end = int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False)[1])
        consumer.assign([TopicPartition(topic, 0, 0)])
        done, deadline = end == 0, time.perf_counter() + 10
        while not done:
            # a short wait: consume() returns early only with a full batch
            batch = consumer.consume(10_000, timeout=0.2)
            if batch:
                deadline = time.perf_counter() + 10
            elif time.perf_counter() > deadline:
                raise BenchError(f"{topic}: nothing more within 10 s after {records} records (end offset {end})")
            for message in batch:
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        raise BenchError(f"{topic}: {error}")
                    done = (message.offset() or 0) >= end
                    continue
                records += 1
                offset_runs.add(message.offset() or 0, message.timestamp()[1])
                if lines is not None:
                    line = lines.readline().rstrip(b"\n").decode()
                    mismatched += json_string(message.value()) != line
    finally:
        consumer.close()
        if lines is not None:
            lines.close()
    out: dict[str, Any] = {
        "records": records,
        "end_offset": end,
        "offsets_not_records": end - records,
        "runs": offset_runs.summary(),
    }
    if expected is not None:
        out["values_not_matching_the_file"] = mismatched
    return out


def watch(
    runtime: str,
    proc: subprocess.Popen[bytes],
    launched: float,
    progress: Callable[[], int],
    total: int,
    timeout_s: float,
    load: list[float],
    describe: Callable[[], str],
) -> Measure:
    first_s: float | None = None
    cpu_at_first = 0.0
    deadline = launched + timeout_s
    last_done, last_change = 0, launched
    while True:
        done = progress()
        now = time.perf_counter()
        if done > 0 and first_s is None:
            first_s = now - launched
            cpu_at_first = sample(proc.pid).cpu_s
        if done != last_done:
            last_done, last_change = done, now
        elif first_s is not None and now - last_change > STALL_S:
            raise BenchError(f"{runtime}: stuck at {done}/{total} records for {STALL_S:.0f}s\n{describe()}")
        if done >= total:
            final = sample(proc.pid)
            assert first_s is not None
            return Measure(
                runtime, total, now - launched, first_s, final.cpu_s, cpu_at_first, final.peak_rss_bytes, load
            )
        if proc.poll() is not None:
            raise BenchError(f"{runtime} exited with {proc.returncode} after {done}/{total} records\n{describe()}")
        if now > deadline:
            raise BenchError(f"{runtime}: only {done}/{total} records after {timeout_s:.0f}s\n{describe()}")
        time.sleep(POLL_S)


# --------------------------------------------------------------------------- Connectless processes


def start_child(mode: str, work: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    work.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "PYTHONPATH": PYTHONPATH,
        "PYTHONUNBUFFERED": "1",
        "POWERTOOLS_SERVICE_NAME": "connectless",
        **env,
    }
    with (work / "console.log").open("wb") as console:
        return subprocess.Popen(
            [sys.executable, "-m", "sidebyside.children", mode, str(work / "stats.json")],
            cwd=work,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_child(proc: subprocess.Popen[bytes], work: Path, timeout: float = 60.0) -> dict[str, Any]:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    try:
        stats: dict[str, Any] = json.loads((work / "stats.json").read_text())
    except (OSError, ValueError):
        stats = {}
    stats["exit_code"] = proc.returncode
    return stats


def stacks_and_tail(proc: subprocess.Popen[bytes], work: Path) -> str:
    """For a stuck child: its threads' stacks (faulthandler on SIGUSR1) and the end of its console."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGUSR1)
        time.sleep(1.0)
    return console_tail(work, 80)


def console_tail(work: Path, lines: int = 30) -> str:
    try:
        return "\n".join((work / "console.log").read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def deploy_cl_sink(settings: KafkaSettings, name: str, config: dict[str, str]) -> dict[str, str]:
    """What deploying the sink function does first: its state topics exist and the connector's config is in the
    config topic. Done well before the measured launch, as in production, where they exist long before a cold
    start. Returns the function's environment."""
    from connectless.kafka.admin import TopicSpec, ensure_topic
    from connectless.storage import ConfigStore, KafkaLog
    from connectless.storage.status import STATUS_TOPIC_PARTITIONS

    config_topic, status_topic = f"{name}-configs", f"{name}-status"
    ensure_topic(settings, TopicSpec(status_topic, STATUS_TOPIC_PARTITIONS, config={"cleanup.policy": "compact"}))
    store = ConfigStore(KafkaLog(settings, config_topic))
    store.start()
    try:
        store.put_connector_config(name, config)
    finally:
        store.log.stop()
    return {
        "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "CONNECTLESS_CONFIG_TOPIC": config_topic,
        "CONNECTLESS_STATUS_TOPIC": status_topic,
        "BENCH_CONNECTOR": name,
    }


def deploy_cl_source(settings: KafkaSettings, name: str) -> None:
    """The offsets topic and the output topic exist before the measured launch (see deploy_cl_sink)."""
    from connectless.kafka.admin import TopicSpec, ensure_topic
    from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS

    ensure_topic(settings, TopicSpec(f"{name}-offsets", OFFSETS_TOPIC_PARTITIONS, config={"cleanup.policy": "compact"}))
    create_topic(settings, f"{name}-out")


# --------------------------------------------------------------------------- the sink run


def sink_connector(name: str, topic: str, out: Path) -> dict[str, str]:
    return {
        "name": name,
        "connector.class": "FileStreamSink",
        "tasks.max": "1",
        "topics": topic,
        "file": str(out),
        **CHAIN,
    }


def cl_sink_config(name: str, topic: str, work: Path, converters: dict[str, str] | None = None) -> dict[str, str]:
    return {**sink_connector(name, topic, work / "out.txt"), **(converters or CONVERTERS)}


def run_kc_sink(
    settings: KafkaSettings, libs: Path, work: Path, topic: str, total: int, timeout_s: float, name: str = "kc-sink"
) -> Measure:
    out = work / "out.txt"
    counter = LineCounter(out)
    worker = kc.worker_properties(settings.bootstrap_servers, work, CONVERTERS)
    load = loadavg()
    launched = time.perf_counter()
    proc = kc.start(libs, work, worker, sink_connector(name, topic, out))
    try:
        measure = watch("kafka-connect", proc, launched, counter, total, timeout_s, load, lambda: kc.log_tail(work))
    finally:
        code = kc.stop(proc)
    measure.extra = {
        "lines_after_stop": counter(),
        "exit_code": code,
        "first_line": counter.first_line(),
        "output_bytes": out.stat().st_size,
    }
    counter.close()
    return measure


def run_cl_sink(
    settings: KafkaSettings,
    work: Path,
    topic: str,
    total: int,
    timeout_s: float,
    *,
    name: str = "cl-sink",
    batch_size: int = 10_000,
    window_s: float = 0.5,
    profile: Path | None = None,
    json_round_trip: bool = False,
    lambda_env: bool = False,
    converters: dict[str, str] | None = None,
    function_process: bool = False,
) -> Measure:
    """Connectless's sink: the mapping emulator invoking functions/sink_task in one process. `json_round_trip`:
    the event as JSON, as Lambda's poller sends it; `lambda_env`: Lambda's environment (tracing on);
    `function_process`: the function in a process of its own fed the event's bytes, as on Lambda (the measured
    CPU is then the poller's process; the function's is in `extra`)."""
    out = work / "out.txt"
    counter = LineCounter(out)
    env = {
        **deploy_cl_sink(settings, name, cl_sink_config(name, topic, work, converters)),
        "BENCH_TOPIC": topic,
        "BENCH_BATCH_SIZE": str(batch_size),
        "BENCH_BATCHING_WINDOW_S": str(window_s),
        "BENCH_JSON_ROUND_TRIP": "1" if json_round_trip else "0",
        "BENCH_FUNCTION_PROCESS": "1" if function_process else "0",
        **({"BENCH_PROFILE": str(profile)} if profile else {}),
        **(LAMBDA_ENV if lambda_env else {}),
    }
    load = loadavg()
    launched_epoch, launched = time.time(), time.perf_counter()
    proc = start_child("sink", work, env)
    try:
        measure = watch(
            "connectless", proc, launched, counter, total, timeout_s, load, lambda: stacks_and_tail(proc, work)
        )
    finally:
        stats = stop_child(proc, work)
    stats["batch_size"], stats["batching_window_s"] = batch_size, window_s
    for key in ("started", "imported", "first_invoke_start", "first_invoke_end"):
        if isinstance(stats.get(key), float):
            stats[f"{key}_s"] = stats.pop(key) - launched_epoch  # seconds after the launch
    measure.extra = {
        **stats,
        "lines_after_stop": counter(),
        "first_line": counter.first_line(),
        "output_bytes": out.stat().st_size,
    }
    counter.close()
    return measure


# --------------------------------------------------------------------------- the source run


def create_topic(settings: KafkaSettings, topic: str) -> None:
    from connectless.kafka.admin import TopicSpec, ensure_topic

    ensure_topic(settings, TopicSpec(topic, 1, config={"retention.ms": "-1"}))  # kept for the whole run


def file_source_config(name: str, topic: str, infile: Path) -> dict[str, str]:
    """Kafka Connect's FileStreamSource reading `infile` into `topic`, one task (both Kafka Connect source runs)."""
    return {"name": name, "connector.class": "FileStreamSource", "tasks.max": "1", "topic": topic, "file": str(infile)}


def run_kc_source(
    settings: KafkaSettings, libs: Path, work: Path, infile: Path, total: int, timeout_s: float, name: str = "kc-source"
) -> Measure:
    topic = f"{name}-out"
    create_topic(settings, topic)
    counter = TopicCounter(settings, topic)
    worker = kc.worker_properties(settings.bootstrap_servers, work, CONVERTERS)
    connector = file_source_config(name, topic, infile)
    offsets_file = Path(worker["offset.storage.file.filename"])
    # FileOffsetBackingStore serializes the key and value bytes as they are: the JSON offset shows verbatim.
    final = re.compile(rb'"position":%d\b' % infile.stat().st_size)
    load = loadavg()
    launched = time.perf_counter()
    proc = kc.start(libs, work, worker, connector)
    try:
        measure = watch("kafka-connect", proc, launched, counter, total, timeout_s, load, lambda: kc.log_tail(work))
        measure.extra["offsets_committed_s"] = wait_until(
            lambda: offsets_file.exists() and final.search(offsets_file.read_bytes()) is not None, 30, launched
        )
    finally:
        code = kc.stop(proc)
        counter.close()
    measure.extra.update({"exit_code": code, "records_in_topic": count_after(settings, topic)})
    return measure


class KafkaConnectOffsets:
    """A distributed worker's offsets topic read under read_committed (an exactly-once task writes its offsets in
    the transaction of its records), incrementally: the last source offset written for one source partition."""

    def __init__(
        self, settings: KafkaSettings, topic: str, partitions: int, connector: str, partition: dict[str, Any]
    ) -> None:
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        self._connector, self._partition = connector, partition
        self._consumer = settings.consumer(f"bench-offsets-{topic}", **{"isolation.level": "read_committed"})
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        self.offset: dict[str, Any] | None = None

    def position(self) -> Any:
        """Reads what has arrived (without waiting for more) and returns the latest offset's `position`."""
        while batch := self._consumer.consume(1000, timeout=0.05):
            for message in batch:
                if message.error() is None:
                    found = source_offset(message.key(), message.value(), self._connector, self._partition)
                    if found is not None:
                        self.offset = found
        return (self.offset or {}).get("position")

    def close(self) -> None:
        self._consumer.close()


def source_offset(key: bytes | None, value: bytes | None, connector: str, partition: dict[str, Any]) -> Any:
    """The source offset of one record of Kafka Connect's offsets topic when it is `connector`'s offset for
    `partition`, else None. The worker writes the key as the JSON array [connector, partition] and the value as
    the JSON offset (its internal JsonConverter, schemas off); a null value is a tombstone (offset reset)."""
    try:
        name, part = orjson.loads(key or b"null")
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
    if name != connector or part != partition or value is None:
        return None
    offset = orjson.loads(value)
    return offset if isinstance(offset, dict) else None


def run_kc_source_eos(
    settings: KafkaSettings,
    libs: Path,
    work: Path,
    infile: Path,
    total: int,
    timeout_s: float,
    name: str = "kc-source-eos",
) -> Measure:
    """Kafka Connect's own exactly-once source (KIP-618): one distributed worker with
    `exactly.once.source.support=enabled`, the standalone run's FileStreamSource connector plus
    `exactly.once.support=required` (transaction.boundary left at its default, poll: a transaction per poll),
    submitted through the REST API once the worker is up. Measured as run_kc_source: launch to the last record
    committed (read_committed), the process's CPU, then the final offset in the worker's offsets topic."""
    from connectless.kafka.admin import TopicSpec, ensure_topic

    topic, group = f"{name}-out", f"{name}-cluster"
    create_topic(settings, topic)
    # The worker's internal topics exist before the launch, as the Connectless runs' state topics do: a cluster
    # that is up creates them once, not per connector. Same partitions and policy as the worker would create.
    for kind, internal in kc.internal_topics(group).items():
        spec = TopicSpec(internal, kc.INTERNAL_TOPIC_PARTITIONS[kind], config={"cleanup.policy": "compact"})
        ensure_topic(settings, spec)
    counter = TopicCounter(settings, topic, total=total, last_line=last_line(infile))
    worker = kc.distributed_worker_properties(settings.bootstrap_servers, work, CONVERTERS, group, exactly_once=True)
    connector = {**file_source_config(name, topic, infile), "exactly.once.support": "required"}
    offsets_topic, partitions = kc.internal_topics(group)["offset"], kc.INTERNAL_TOPIC_PARTITIONS["offset"]
    offsets = KafkaConnectOffsets(settings, offsets_topic, partitions, name, {"filename": str(infile)})
    size = infile.stat().st_size
    url = kc.rest_url(worker)
    load = loadavg()
    launched = time.perf_counter()
    proc = kc.start_distributed(libs, work, worker)
    try:
        took = kc.submit_connector(url, connector, proc, timeout_s)
        submitted_s = time.perf_counter() - launched
        measure = watch(
            "kafka-connect-eos", proc, launched, counter, total, timeout_s, load,
            lambda: f"{kc.connector_status(url, name)}\n{kc.log_tail(work)}",
        )  # fmt: skip
        measure.extra["offsets_committed_s"] = wait_until(lambda: offsets.position() == size, 30, launched)
        measure.extra["final_offset"] = offsets.offset
        measure.extra["connector_status"] = kc.connector_status(url, name)
    finally:
        code = kc.stop(proc)
        counter.close()
        offsets.close()
    committed = count_committed(settings, topic, infile)
    measure.extra.update(
        {
            "exit_code": code,
            "connector_submitted_s": submitted_s,
            "connector_submit_wait_s": took,
            "records_in_topic": committed["records"],
            "committed_read": committed,
            "transactional_producer": kc.transactional_evidence(work / "connect.log", f"{group}-{name}-0"),
        }
    )
    return measure


# The scheduled function's run: each invocation polls at most this many records, then commits and ends, and the
# local scheduler fires the next one at once (back to back), so a million records take ten invocations or more.
SOURCE_RECORDS_PER_INVOCATION = 100_000


def deploy_cl_source_function(settings: KafkaSettings, name: str, config: dict[str, str]) -> dict[str, str]:
    """What the connector manager leaves for functions/source_task: the connector and its one task in the config
    topic, STARTED, and the state topics. Returns the function's environment (as the SAM template sets it)."""
    from connectless.storage import TargetState
    from connectless.storage.topics import config_store

    deploy_cl_source(settings, name)
    store = config_store(settings, f"{name}-configs")
    store.start()
    try:
        store.put_connector_config(name, config)
        store.put_task_configs(name, [dict(config)])
        store.put_target_state(name, TargetState.STARTED)
    finally:
        store.log.stop()
    return {
        "CONNECTLESS_CONFIG_TOPIC": f"{name}-configs",
        "CONNECTLESS_OFFSETS_TOPIC": f"{name}-offsets",
        "CONNECTLESS_STATUS_TOPIC": f"{name}-status",
        "CONNECTLESS_CLUSTER_ID": name,
        "CONNECTLESS_SOURCE_MAX_RECORDS": str(SOURCE_RECORDS_PER_INVOCATION),
        "CONNECTLESS_SOURCE_MAX_IDLE_MS": "0",  # the file's end: commit and return, the next invocation goes on
        "CONNECTLESS_SOURCE_COMMIT_INTERVAL_MS": "1000",  # Kafka Connect's offset.flush.interval.ms here
    }


def run_cl_source(
    settings: KafkaSettings,
    work: Path,
    infile: Path,
    total: int,
    timeout_s: float,
    name: str = "cl-source",
    profile: Path | None = None,
    *,
    function: bool = False,
    exactly_once: bool = False,
) -> Measure:
    """Connectless's FileStreamSource run: SourceTaskRunner in a loop, or with `function` the scheduled
    functions/source_task handler fired back to back by the local scheduler (`exactly_once`: required)."""
    from connectless.storage import KafkaLog, OffsetStore
    from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS

    topic, offsets_topic = f"{name}-out", f"{name}-offsets"
    deploy_cl_source(settings, name)
    # exactly-once: only committed records count, the transactions' markers do not (see TopicCounter)
    counter = TopicCounter(settings, topic, total=total, last_line=last_line(infile) if exactly_once else None)
    offsets = OffsetStore(KafkaLog(settings, offsets_topic, partitions=OFFSETS_TOPIC_PARTITIONS))
    offsets.start()
    config = {
        "name": name,
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "topic": topic,
        "file": str(infile),
        **CONVERTERS,
        **({"exactly.once.support": "required"} if exactly_once else {}),
    }
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BENCH_CONNECTOR": name,
        "BENCH_OFFSETS_TOPIC": offsets_topic,
        "BENCH_CONNECTOR_CONFIG": json.dumps(config),
        **({"BENCH_PROFILE": str(profile)} if profile else {}),
        **(deploy_cl_source_function(settings, name, config) if function else {}),
    }
    size = infile.stat().st_size

    def committed() -> bool:
        offsets.refresh()
        return (offsets.offset(name, {"filename": str(infile)}) or {}).get("position") == size

    load = loadavg()
    launched_epoch, launched = time.time(), time.perf_counter()
    proc = start_child("source-function" if function else "source", work, env)
    try:
        measure = watch(
            "connectless", proc, launched, counter, total, timeout_s, load, lambda: stacks_and_tail(proc, work)
        )
        measure.extra["offsets_committed_s"] = wait_until(committed, 30, launched)
    finally:
        stats = stop_child(proc, work)
        counter.close()
        offsets.log.stop()
    for key in ("started", "imported", "offsets_read", "task_started"):
        if isinstance(stats.get(key), float):
            stats[f"{key}_s"] = stats.pop(key) - launched_epoch
    if exactly_once:
        read_back = count_committed(settings, topic, infile)
        stats.update({"records_in_topic": read_back["records"], "committed_read": read_back})
    else:
        stats["records_in_topic"] = count_after(settings, topic)
    measure.extra.update(stats)
    return measure


def wait_until(check: Callable[[], bool], timeout_s: float, launched: float) -> float | None:
    """Seconds after the launch at which `check` first held, None if not within `timeout_s`."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if check():
            return time.perf_counter() - launched
        time.sleep(POLL_S)
    return None


def count_after(settings: KafkaSettings, topic: str) -> int:
    counter = TopicCounter(settings, topic)
    try:
        return counter()
    finally:
        counter.close()


# --------------------------------------------------------------------------- cold start


def cold_first_record(settings: KafkaSettings, libs: Path, work: Path, run_id: str) -> dict[str, Any]:
    """A fresh process of each runtime, a topic holding one record: launch -> that record in the output file."""
    topic = f"cold-in-{run_id}"
    create_topic(settings, topic)
    produce_records(settings, topic, 1)
    deploy_cl_sink(settings, f"cl-cold-{run_id}", cl_sink_config(f"cl-cold-{run_id}", topic, work / "cl"))
    kc_run = run_kc_sink(settings, libs, work / "kc", topic, 1, 120, name=f"kc-cold-{run_id}")
    # Batching window 0: the mapping invokes as soon as it has the record (Lambda's default window is 0.5 s).
    cl_run = run_cl_sink(settings, work / "cl", topic, 1, 120, name=f"cl-cold-{run_id}", batch_size=100, window_s=0.0,
                         lambda_env=True, json_round_trip=True)  # fmt: skip
    return {"kafka-connect": kc_run.as_dict(), "connectless": cl_run.as_dict()}


def import_times(repeat: int = 5) -> dict[str, Any]:
    """`python -X importtime -c 'import app'` in each functions/*/app.py folder, as Lambda imports a handler: with
    Lambda's environment, so Powertools turns tracing on as the template's `Tracing: Active` does."""
    results: dict[str, Any] = {}
    # shared/ on the path as the Lambda layer puts it on /opt/python.
    env = {**os.environ, "PYTHONPATH": str(REPO / "shared"), **LAMBDA_ENV}
    for app in sorted((REPO / "functions").glob("*/app.py")):
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", _TIMED_IMPORT],
                cwd=app.parent,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                results[app.parent.name] = {"error": proc.stderr.strip().splitlines()[-1:]}
                break
            runs.append((parse_importtime(proc.stderr), wall, float(proc.stdout.split()[-1]) * 1000))
        if not runs:
            continue
        runs.sort(key=lambda r: r[0]["app"]["cumulative_us"])
        median_tree = runs[len(runs) // 2][0]
        cpus = sorted(r[2] for r in runs)
        totals = [r[0]["app"]["cumulative_us"] / 1000 for r in runs]
        heaviest = sorted(
            (
                (name, v["cumulative_us"] / 1000, v["depth"])
                for name, v in median_tree.items()
                if name != "app" and v["depth"] <= 2
            ),
            key=lambda x: -x[1],
        )[:10]
        results[app.parent.name] = {
            "import_ms_median": totals[len(totals) // 2],
            "import_ms_min": totals[0],
            "import_ms_max": totals[-1],
            "process_wall_ms_median": sorted(r[1] for r in runs)[len(runs) // 2] * 1000,
            # CPU time of the import: what a Lambda INIT with its own vCPU takes, whatever else this machine runs
            "import_cpu_ms_median": cpus[len(cpus) // 2],
            "import_cpu_ms_min": cpus[0],
            "import_cpu_ms_max": cpus[-1],
            "runs": repeat,
            "heaviest_imports_ms": [{"module": n, "cumulative_ms": ms, "depth": d} for n, ms, d in heaviest],
        }
    return results


# `import app`, its CPU seconds printed (the process's, all threads: an import is a single thread's work).
_TIMED_IMPORT = "import time; c = time.process_time(); import app; print(time.process_time() - c)"


def parse_importtime(stderr: str) -> dict[str, dict[str, int]]:
    """Module -> self/cumulative microseconds and nesting depth, from `-X importtime` lines."""
    tree: dict[str, dict[str, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, cumulative_us, name = (part for part in re.split(r":|\|", line, maxsplit=3))
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        tree.setdefault(name.strip(), {"self_us": int(self_us), "cumulative_us": int(cumulative_us), "depth": depth})
    return tree


def big_batch_memory(
    settings: KafkaSettings, work: Path, run_id: str, target_bytes: int = 6 * 1024 * 1024 - 4096
) -> dict[str, Any]:
    """Peak memory of one ~6 MB Lambda event through functions/sink_task (cold, then warm)."""
    import orjson

    from connectless.lambda_sink.events import build_event, event_record
    from connectless.raw_records import RawRecord
    from connectless.records import TimestampType
    from sidebyside.workload import FIRST_TIMESTAMP_MS, make_value

    name, topic = f"cl-batch-{run_id}", f"batch-in-{run_id}"
    work.mkdir(parents=True, exist_ok=True)
    raws, size = [], 200
    while True:
        i = len(raws)
        raw = RawRecord(
            topic, 0, i, FIRST_TIMESTAMP_MS + i, TimestampType.CREATE_TIME, str(i).encode(), make_value(i), ()
        )
        size += len(orjson.dumps(event_record(raw))) + 1
        if size > target_bytes:
            break
        raws.append(raw)
    payload = orjson.dumps(build_event(raws, settings.bootstrap_servers))
    event_file = work / "event.json"
    event_file.write_bytes(payload)
    out = work / "out.txt"
    env = {**deploy_cl_sink(settings, name, cl_sink_config(name, topic, work)), "BENCH_EVENT_FILE": str(event_file)}
    proc = start_child("batch", work, env)
    try:
        proc.wait(300)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    stats = stop_child(proc, work)
    if stats.get("exit_code") != 0 or "runs" not in stats:
        raise BenchError(f"the 6 MB batch run failed\n{console_tail(work)}")
    stats["records"] = len(raws)
    stats["payload_bytes"] = len(payload)
    stats["lines_written"] = LineCounter(out)()
    return stats


def profile_report(path: Path, title: str, lines: int = 30) -> str:
    """The functions where a profiled run spent its time: by own time, then by cumulative time."""
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.strip_dirs()
    out.write(f"==== {title}: by own time ====\n")
    stats.sort_stats("tottime").print_stats(lines)
    out.write(f"==== {title}: by cumulative time ====\n")
    stats.sort_stats("cumulative").print_stats(lines)
    return out.getvalue()
